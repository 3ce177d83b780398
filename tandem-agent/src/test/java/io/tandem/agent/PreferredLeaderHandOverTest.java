package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A witness that starts after the sites becomes the Raft leader only once the leader has heard it steadily for
 * {@link Agent#HAND_OVER_AFTER_MS}, by a hand-over, and no lease lapses on the way. Ratis' priority rule made a
 * witness leader as soon as its log was up to date, a second after its JVM started (CI, 2026-12-06).
 */
class PreferredLeaderHandOverTest {
    @TempDir
    Path dir;

    @Test
    void aLateWitnessIsHandedLeadershipAfterItHasHeartbeatedSteadily() throws Exception {
        Files.writeString(dir.resolve("tandem.yaml"), ThreePeers.yaml("hand-over-test"));
        TandemConfig config = ConfigLoader.load(dir.resolve("tandem.yaml"));
        System.setProperty("tandem.drivers", "recording");
        List<Agent> agents = new ArrayList<>();
        try {
            Agent kyiv = Agent.start(config, "kyiv");
            agents.add(kyiv);
            Agent frankfurt = Agent.start(config, "frankfurt");
            agents.add(frankfurt);
            long end = System.nanoTime() + 30_000_000_000L;
            while (kyiv.fenced() || frankfurt.fenced() || kyiv.clusterView().leader().isEmpty()) {
                assertThat(System.nanoTime()).as("kyiv and frankfurt elect a leader and hold leases within 30 s").isLessThan(end);
                Thread.sleep(50);
            }
            String siteLeader = kyiv.clusterView().leader();
            assertThat(siteLeader).isIn("kyiv", "frankfurt");

            Agent witness = Agent.start(config, "witness");
            agents.add(witness);
            long started = System.nanoTime();
            // Its heartbeats cannot have been heard for HAND_OVER_AFTER_MS before it has run that long.
            long notBefore = started + (Agent.HAND_OVER_AFTER_MS - 500) * 1_000_000L;
            end = started + (Agent.HAND_OVER_AFTER_MS + 20_000) * 1_000_000L;
            String leader = siteLeader;
            while (!leader.equals("witness")) {
                assertThat(System.nanoTime()).as("the witness leads within %d ms of its start", Agent.HAND_OVER_AFTER_MS + 20_000).isLessThan(end);
                Thread.sleep(50);
                String now = kyiv.clusterView().leader();
                leader = now.isEmpty() ? leader : now;
                if (System.nanoTime() < notBefore) {
                    assertThat(leader).as("leader %d ms after the witness started", (System.nanoTime() - started) / 1_000_000).isEqualTo(siteLeader);
                }
                assertThat(kyiv.fenced()).as("kyiv's lease while leadership moves").isFalse();
                assertThat(frankfurt.fenced()).as("frankfurt's lease while leadership moves").isFalse();
            }
        } finally {
            System.clearProperty("tandem.drivers");
            agents.forEach(Agent::close);
        }
    }
}
