package io.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tandem.agent.LinkFaultTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process mode of {@link LinkFaults}: the file the peers read, and how the peers are started to read it. */
class InProcessLinkFaultsTest {
    @TempDir
    Path dir;

    private final Map<String, LinkFaults.Endpoint> peers = new LinkedHashMap<>(Map.of(
            "a", new LinkFaults.Endpoint("127.0.1.1", 1), "b", new LinkFaults.Endpoint("127.0.2.1", 2), "w", new LinkFaults.Endpoint("127.0.3.1", 3)));

    private List<String> lines(LinkFaults f) throws Exception {
        return LinkFaultTable.parse(f.rules(), "test").stream().map(LinkFaultTable.Link::toString).sorted().toList();
    }

    @Test
    void cutsAreWrittenToTheFileThePeersAreToldAbout() throws Exception {
        try (LinkFaults f = LinkFaults.open(LinkFaults.Mode.IN_PROCESS, peers, dir)) {
            Path file = dir.resolve("link-faults").toAbsolutePath();
            assertThat(f.mode()).isEqualTo(LinkFaults.Mode.IN_PROCESS);
            assertThat(f.file()).contains(file);
            assertThat(file).exists();
            assertThat(lines(f)).isEmpty();
            assertThat(f.environment("a")).isEqualTo(Map.of(LinkFaultTable.ENV, file.toString()));
            assertThat(f.wrap("a", List.of("java", "x"))).containsExactly("java", "x");

            f.cutLink("a", "b");
            assertThat(lines(f)).containsExactly("a b");
            f.cut("w");
            assertThat(lines(f)).containsExactly("a b", "a w", "b w");
            f.heal();
            assertThat(lines(f)).isEmpty();

            assertThatThrownBy(() -> f.cut("nowhere")).hasMessageContaining("no peer 'nowhere'");
            assertThatThrownBy(() -> f.cutLink("a", "nowhere")).hasMessageContaining("no peer 'nowhere'");
            assertThatThrownBy(f::table).isInstanceOf(IllegalStateException.class);
            f.close();
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void bestModeIsNftablesWhereAvailableUnlessInProcessIsForced() {
        LinkFaults.Mode expected = LinkFaults.availability().available() ? LinkFaults.Mode.NFTABLES : LinkFaults.Mode.IN_PROCESS;
        assertThat(LinkFaults.bestMode()).isEqualTo(expected);
        System.setProperty(LinkFaults.MODE_PROPERTY, "in-process");
        try {
            assertThat(LinkFaults.bestMode()).isEqualTo(LinkFaults.Mode.IN_PROCESS);
        } finally {
            System.clearProperty(LinkFaults.MODE_PROPERTY);
        }
        assertThat(LinkFaults.Mode.parse("in-process")).isEqualTo(LinkFaults.Mode.IN_PROCESS);
        assertThat(LinkFaults.Mode.IN_PROCESS.label()).isEqualTo("in-process");
    }

    @Test
    void aLocalClusterForcedInProcessWritesItsFileInTheRunDirectory() throws Exception {
        try (LocalCluster c = LocalCluster.create(dir.resolve("c"), LinkFaults.Mode.IN_PROCESS)) {
            LinkFaults f = c.linkFaults().orElseThrow();
            assertThat(f.mode()).isEqualTo(LinkFaults.Mode.IN_PROCESS);
            assertThat(f.file()).contains(dir.resolve("c").resolve("link-faults").toAbsolutePath());
            c.cut(LocalCluster.KYIV);
            assertThat(lines(f)).containsExactly("frankfurt kyiv", "kyiv witness");
        }
        try (LocalCluster c = LocalCluster.create(dir.resolve("none"))) {
            assertThat(c.linkFaults()).isEmpty();
            assertThatThrownBy(() -> c.cut(LocalCluster.KYIV)).hasMessageContaining("without link faults");
        }
        assertThat(Files.exists(dir.resolve("c").resolve("link-faults"))).as("removed on close").isFalse();
    }
}
