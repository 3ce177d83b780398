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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "note", mixinStandardHelpOptions = true,
        description = "Write an operator's note into the replicated audit log (needs an operator token: TANDEM_TOKEN or --token-file).")
final class NoteCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml")
    Path config;

    @Option(names = "--token-file", paramLabel = "FILE", description = "file holding the bearer token (default: the TANDEM_TOKEN environment variable)")
    Path tokenFile;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the note")
    List<String> words;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        TandemConfig cfg = Configs.load(config, err);
        String token = tokenFile != null ? Files.readString(tokenFile).trim() : System.getenv("TANDEM_TOKEN");
        if (token == null || token.isBlank()) {
            err.println("tandem note: no token: set TANDEM_TOKEN or pass --token-file (make one with 'tandem token')");
            return Main.USAGE;
        }
        String body = io.tandem.agent.Json.MAPPER.writeValueAsString(Map.of("text", String.join(" ", words)));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        StringBuilder tried = new StringBuilder();
        for (PeerConfig p : cfg.peers()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(p.apiUrl() + "/v1/notes")).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    out.println("recorded: " + r.body().trim());
                    return Main.OK;
                }
                if (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 400) {
                    err.println("tandem note: refused by " + p.name() + " (HTTP " + r.statusCode() + "): "
                            + io.tandem.agent.Json.MAPPER.readTree(r.body()).path("error").asText());
                    return Main.BAD_INPUT;
                }
                tried.append(p.name()).append(": HTTP ").append(r.statusCode()).append("; ");
            } catch (IOException e) {
                tried.append(p.name()).append(": ").append(e.getClass().getSimpleName()).append("; ");
            }
        }
        err.println("tandem note: no peer recorded the note (" + tried + ")");
        return Main.FAILED;
    }
}
