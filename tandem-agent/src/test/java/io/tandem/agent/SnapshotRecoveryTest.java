package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log stays bounded by snapshots, and a restarted peer recovers the state from its disk. */
class SnapshotRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void restartedPeerRecoversStateFromSnapshotAndLog() throws Exception {
        System.setProperty("tandem.raft.snapshotEvery", "20");
        String yaml = ThreePeers.yaml("snap-test");
        Files.writeString(dir.resolve("tandem.yaml"), yaml);
        TandemConfig config = ConfigLoader.load(dir.resolve("tandem.yaml"));
        List<Agent> agents = new ArrayList<>();
        try {
            for (String p : List.of("kyiv", "frankfurt", "witness")) agents.add(Agent.start(config, p));
            Agent kyiv = agents.get(0);
            long end = System.nanoTime() + 30_000_000_000L;
            while (!kyiv.clusterView().source().equals("leader")) {
                assertThat(System.nanoTime()).as("a leader within 30 s").isLessThan(end);
                Thread.sleep(100);
            }
            for (int i = 0; i < 60; i++) {
                kyiv.appendForTest(new Command.Audit("test", "note", "entry " + i, System.currentTimeMillis()));
            }
            Path frankfurtRaft = config.dataDir().resolve("frankfurt").resolve("raft");
            end = System.nanoTime() + 10_000_000_000L;
            while (snapshots(frankfurtRaft).isEmpty()) {
                assertThat(System.nanoTime()).as("frankfurt takes a snapshot within 10 s").isLessThan(end);
                Thread.sleep(100);
            }

            agents.get(1).close();
            agents.set(1, null);
            Agent again = Agent.start(config, "frankfurt");
            agents.set(1, again);
            end = System.nanoTime() + 30_000_000_000L;
            while (again.localState().audit().stream().noneMatch(a -> a.detail().equals("entry 59"))) {
                assertThat(System.nanoTime()).as("restarted frankfurt has every entry within 30 s").isLessThan(end);
                Thread.sleep(100);
            }
            assertThat(again.localState().audit()).extracting(a -> a.detail()).contains("entry 0", "entry 30", "entry 59");
        } finally {
            System.clearProperty("tandem.raft.snapshotEvery");
            agents.stream().filter(a -> a != null).forEach(Agent::close);
        }
    }

    private static List<Path> snapshots(Path raftDir) throws Exception {
        try (Stream<Path> s = Files.walk(raftDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("snapshot.") && !p.toString().endsWith(".md5")).toList();
        }
    }
}
