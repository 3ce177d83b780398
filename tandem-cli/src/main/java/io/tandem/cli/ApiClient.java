package io.tandem.cli;

import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Mutations through the agents' API: the first peer that answers takes the request. */
final class ApiClient {
    record Answer(String peer, int status, String body) {}

    private ApiClient() {}

    /** The token from --token-file, else TANDEM_TOKEN; empty when neither is given. */
    static Optional<String> token(Path tokenFile) throws IOException {
        String t = tokenFile != null ? Files.readString(tokenFile).trim() : System.getenv("TANDEM_TOKEN");
        return t == null || t.isBlank() ? Optional.empty() : Optional.of(t.trim());
    }

    /** POSTs to each peer in turn until one answers (any HTTP status); empty when none could be reached. */
    static Optional<Answer> post(TandemConfig cfg, String path, String json, String token, Duration timeout, StringBuilder tried) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        for (PeerConfig p : cfg.peers()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(p.apiUrl() + path)).timeout(timeout)
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 503) {
                    tried.append(p.name()).append(": no quorum there; ");
                    continue;
                }
                return Optional.of(new Answer(p.name(), r.statusCode(), r.body()));
            } catch (IOException e) {
                tried.append(p.name()).append(": ").append(e.getClass().getSimpleName()).append("; ");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Optional.empty();
    }

    static String error(String body) {
        try {
            return io.tandem.agent.Json.MAPPER.readTree(body).path("error").asText(body);
        } catch (IOException e) {
            return body;
        }
    }
}
