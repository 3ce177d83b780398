package io.tandem.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The transition tables are a contract: any change to them must be deliberate. The golden file and
 * docs/fsm.md are regenerated with {@code ./mvnw -q -pl tandem-control test -Dtandem.golden.write=true}.
 */
class FsmGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/fsm.golden.json");
    private static final Path DOC = Path.of("../docs/fsm.md");
    private static final boolean WRITE = Boolean.getBoolean("tandem.golden.write");
    private static final String HOW = "if the change is intended, regenerate with: ./mvnw -q -pl tandem-control test -Dtandem.golden.write=true";

    @Test
    void transitionTablesMatchTheGoldenFile() throws IOException {
        String now = Fsm.json();
        if (WRITE) Files.writeString(GOLDEN, now, StandardCharsets.UTF_8);
        assertThat(Files.readString(GOLDEN, StandardCharsets.UTF_8)).as("the transition tables changed; " + HOW).isEqualTo(now);
    }

    @Test
    void docsShowTheCurrentDiagram() throws IOException {
        String doc = doc();
        if (WRITE) Files.writeString(DOC, doc, StandardCharsets.UTF_8);
        assertThat(Files.readString(DOC, StandardCharsets.UTF_8)).as("docs/fsm.md is out of date; " + HOW).isEqualTo(doc);
    }

    @Test
    void everyTransitionHasAReasonAndACondition() {
        assertThat(Fsm.all()).allSatisfy(t -> {
            assertThat(t.when()).isNotBlank();
            assertThat(t.from()).isNotEqualTo(t.to());
        });
        assertThat(Fsm.all()).doesNotHaveDuplicates();
    }

    static String doc() {
        StringBuilder b = new StringBuilder();
        b.append("# Control-plane state machines\n\n");
        b.append("Generated from `Fsm` in tandem-control (`tandem fsm dump --format=mermaid|json` prints the same);\n");
        b.append("a golden-file test fails on any change. Peer health is decided by the Raft leader; a site's state\n");
        b.append("for a resource is derived from its health, the resource's primary and its in-sync set.\n\n");
        String[] parts = Fsm.mermaid().split("\n\n");
        for (String part : parts) {
            if (part.isBlank()) continue;
            String[] lines = part.split("\n", 2);
            b.append("## ").append(lines[0].replace("%% ", "")).append("\n\n```mermaid\n").append(lines[1]).append("\n```\n\n");
        }
        b.append("| machine | from | to | reason | when |\n|---|---|---|---|---|\n");
        for (Transition t : Fsm.all()) {
            b.append("| ").append(t.machine()).append(" | ").append(t.from().name()).append(" | ").append(t.to().name()).append(" | ")
                    .append(t.reason().name()).append(" | ").append(t.when().replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }
}
