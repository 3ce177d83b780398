package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real peers in this JVM on their loopback addresses; the API's mutations need the right token and are audited,
 * and a long-poll of GET /v1/cluster answers as soon as one is committed.
 */
class ApiAuthTest {
    static final String OPERATOR_TOKEN = "operator-token-for-tests";
    static final String VIEWER_TOKEN = "viewer-token-for-tests";

    @TempDir
    static Path dir;
    static final List<Agent> agents = new ArrayList<>();
    static TandemConfig config;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @BeforeAll
    static void startCluster() throws Exception {
        String yaml = ThreePeers.yaml("api-test") + """
                users:
                  - {name: olena, role: operator, token_sha256: %s}
                  - {name: viktor, role: viewer, token_sha256: %s}
                """.formatted(HexFormat.of().formatHex(Auth.sha256(OPERATOR_TOKEN)), HexFormat.of().formatHex(Auth.sha256(VIEWER_TOKEN)));
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, yaml);
        config = ConfigLoader.load(file);
        for (String p : List.of("kyiv", "frankfurt", "witness")) {
            agents.add(Agent.start(config, p));
        }
        long end = System.nanoTime() + 30_000_000_000L;
        while (!agents.get(0).clusterView().source().equals("leader")) {
            assertThat(System.nanoTime()).as("a Raft leader within 30 s").isLessThan(end);
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stopCluster() {
        agents.forEach(Agent::close);
    }


    static HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.peer("kyiv").orElseThrow().apiUrl() + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode get(String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(config.peer("frankfurt").orElseThrow().apiUrl() + path)).timeout(Duration.ofSeconds(5)).build();
        return Json.MAPPER.readTree(http.send(r, HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void mutationWithoutTokenIsRefusedWith401AndChangesNothing() throws Exception {
        HttpResponse<String> r = post("/v1/notes", null, "{\"text\":\"hello\"}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        // the unread body may make the server drop the connection: it says so, so that clients do not reuse it
        assertThat(r.headers().firstValue("Connection")).hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("close"));
        HttpResponse<String> wrong = post("/v1/notes", "not-a-token", "{\"text\":\"hello\"}");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(get("/v1/audit").path("audit").toString()).doesNotContain("hello");
    }

    @Test
    void viewerMayNotMutate() throws Exception {
        HttpResponse<String> r = post("/v1/notes", VIEWER_TOKEN, "{\"text\":\"viewer was here\"}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("viktor").contains("operator");
        assertThat(get("/v1/audit").path("audit").toString()).doesNotContain("viewer was here");
    }

    @Test
    void operatorNoteIsAuditedWithWhoWhatWhenOnEveryPeer() throws Exception {
        long before = System.currentTimeMillis();
        HttpResponse<String> r = post("/v1/notes", OPERATOR_TOKEN, "{\"text\":\"starting maintenance of kyiv\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode entry = null;
        // frankfurt's own copy: it applies the entry once it learns the commit (its next append from the leader)
        for (long end = System.nanoTime() + 5_000_000_000L; entry == null && System.nanoTime() < end; Thread.sleep(20)) {
            for (JsonNode e : get("/v1/audit").path("audit")) {
                if (e.path("detail").asText().equals("starting maintenance of kyiv")) entry = e;
            }
        }
        assertThat(entry).as("the note is in the replicated audit log, read from another peer").isNotNull();
        assertThat(entry.path("who").asText()).isEqualTo("olena");
        assertThat(entry.path("action").asText()).isEqualTo("note");
        assertThat(entry.path("atMs").asLong()).isBetween(before, System.currentTimeMillis());
    }

    @Test
    void badBodiesGet400AndNothingIsRecorded() throws Exception {
        assertThat(post("/v1/notes", OPERATOR_TOKEN, "not json").statusCode()).isEqualTo(400);
        assertThat(post("/v1/notes", OPERATOR_TOKEN, "{\"text\":\"\"}").statusCode()).isEqualTo(400);
        assertThat(post("/v1/notes", OPERATOR_TOKEN, "{\"text\":\"" + "x".repeat(1001) + "\"}").statusCode()).isEqualTo(400);
        assertThat(post("/v1/nothing-here", OPERATOR_TOKEN, "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void tokensAreNeverInTheStateOrTheConfigRecords() throws Exception {
        post("/v1/notes", OPERATOR_TOKEN, "{\"text\":\"check secrets\"}");
        assertThat(get("/v1/audit").toString()).doesNotContain(OPERATOR_TOKEN);
        assertThat(get("/v1/cluster").toString()).doesNotContain(OPERATOR_TOKEN);
        assertThat(config.users().toString()).doesNotContain(HexFormat.of().formatHex(Auth.sha256(OPERATOR_TOKEN)));
    }

    @Test
    void clusterLongPollAnswersWhenTheStateChangesAndNotBefore() throws Exception {
        long v = get("/v1/cluster").path("version").asLong();
        for (int i = 0; i < 50; i++) { // start from a quiet state: no change for 500 ms
            Thread.sleep(500);
            long now = get("/v1/cluster").path("version").asLong();
            if (now == v) break;
            v = now;
        }
        long after = v;
        URI watch = URI.create(config.peer("frankfurt").orElseThrow().apiUrl() + "/v1/cluster?after=" + after + "&wait=20000");
        var pending = http.sendAsync(HttpRequest.newBuilder(watch).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        assertThat(pending).as("no change yet: the long-poll waits").isNotDone();
        long posted = System.nanoTime();
        assertThat(post("/v1/notes", OPERATOR_TOKEN, "{\"text\":\"wake the watchers\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> r = pending.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(System.nanoTime()).isGreaterThan(posted);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(r.body()).path("version").asLong()).isGreaterThan(after);

        var waited = http.send(HttpRequest.newBuilder(URI.create(config.peer("frankfurt").orElseThrow().apiUrl() + "/v1/cluster?after=999999999&wait=200"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(waited.statusCode()).as("a long-poll that times out still answers with the view").isEqualTo(200);
        for (String bad : List.of("after=x", "after=1&wait=-5", "after=1&wait=60000")) {
            var b = http.send(HttpRequest.newBuilder(URI.create(config.peer("frankfurt").orElseThrow().apiUrl() + "/v1/cluster?" + bad)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(b.statusCode()).as(bad).isEqualTo(400);
        }
    }
}
