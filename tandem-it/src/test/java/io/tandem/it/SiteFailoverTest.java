package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.cli.LocalCluster.WITNESS;
import static io.tandem.it.Probe.DB;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.cli.LinkFaults;
import io.tandem.cli.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-process scenarios: kyiv, frankfurt and the witness as separate JVMs on their own loopback addresses,
 * with real faults: SIGKILL, and link cuts made two ways, by nftables where the machine allows it and by the
 * agents' in-process link-fault layer everywhere; the cut scenario runs both ways. Each test runs its own
 * cluster and stops it, and everything it made, afterwards, whether it passed or not.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SiteFailoverTest {
    /** The promotion must follow the loss of the primary within this, on a loaded 2-core machine. */
    static final Duration PROMOTION_WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;

    private void start() throws Exception {
        start(LocalCluster.create(tmp.resolve("cluster")));
    }

    private void start(LinkFaults.Mode linkFaults) throws Exception {
        start(LocalCluster.create(tmp.resolve("cluster"), linkFaults));
    }

    private void start(LocalCluster c) throws Exception {
        cluster = c;
        probe = new Probe(cluster);
        cluster.startAll();
    }

    @AfterEach
    void stopEverything(TestInfo test) throws Exception {
        if (cluster == null) return;
        Map<String, Process> processes = cluster.peers().processes();
        Optional<String> table = cluster.linkFaults().filter(f -> f.mode() == LinkFaults.Mode.NFTABLES).map(LinkFaults::table);
        Optional<Path> faultFile = cluster.linkFaults().flatMap(LinkFaults::file);
        cluster.close();
        Probe.keepLogs(cluster, test.getTestMethod().orElseThrow().getName());
        assertThat(processes.values()).as("peer processes after close").noneMatch(Process::isAlive);
        if (table.isPresent()) {
            Process p = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
            assertThat(new String(p.getInputStream().readAllBytes())).as("nftables tables after close").doesNotContain(table.get());
        }
        faultFile.ifPresent(f -> assertThat(f).as("link-fault file after close").doesNotExist());
    }

    @Test
    void killingThePrimaryAgentPromotesTheOtherSite() throws Exception {
        start();
        long epoch = probe.awaitSteady();

        long killedAtMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        cluster.kill(KYIV);
        awaitPrimary(FRANKFURT, PROMOTION_WITHIN);
        long observedMs = msSince(t0);

        assertThat(probe.db().orElseThrow().path("epoch").asLong()).isEqualTo(epoch + 1);
        JsonNode rb = awaitEndedFailover();
        assertThat(rb.path("status").asText()).isEqualToIgnoringCase("succeeded");
        assertThat(rb.path("fromSite").asText()).isEqualTo(KYIV);
        assertThat(rb.path("toSite").asText()).isEqualTo(FRANKFURT);
        assertThat(steps(rb)).containsExactly("fence-old", "select-target", "promote", "end");
        long recordedMs = step(rb, "promote").path("atMs").asLong() - killedAtMs;
        System.out.printf("kill->promotion: %d ms observed through the API, %d ms to the promote entry (leader's clock)%n", observedMs, recordedMs);
    }

    @Test
    void stoppingTheWitnessChangesNothing() throws Exception {
        start();
        long epoch = probe.awaitSteady();
        long runbooksBefore = probe.leaderView().orElseThrow().path("runbooks").size();
        int kyivEventsBefore = probe.local(KYIV).orElseThrow().events().size();

        cluster.kill(WITNESS);
        long t0 = System.nanoTime();
        // The invariant is checked at every poll and fails at once; the condition itself is only that 5 s have passed.
        await("5 s without the witness").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (String site : List.of(KYIV, FRANKFURT)) {
                cluster.view(site).ifPresent(v -> {
                    JsonNode db = Probe.resource(v, DB).orElseThrow();
                    assertThat(db.path("primary").asText()).as("primary of db per %s (%s view)", site, v.path("source").asText()).isEqualTo(KYIV);
                    assertThat(db.path("epoch").asLong()).as("epoch of db per %s", site).isEqualTo(epoch);
                    assertThat(v.path("runbooks").size()).as("runbooks per %s", site).isLessThanOrEqualTo((int) runbooksBefore);
                });
            }
            return msSince(t0) >= 5000;
        });

        JsonNode v = await("a leader among the two sites").atMost(Duration.ofSeconds(5)).pollInterval(POLL)
                .until(() -> cluster.leaderView(FRANKFURT, KYIV), Optional::isPresent).orElseThrow();
        assertThat(Probe.site(v, WITNESS).orElseThrow().path("health").asText()).isEqualTo("failed");
        Probe.Local kyiv = probe.local(KYIV).orElseThrow();
        assertThat(kyiv.role()).isEqualTo("PRIMARY");
        assertThat(kyiv.fenced()).isFalse();
        // A fence while the two sites elect a new leader is no failover, but it is a pause in writes: report it.
        System.out.println("kyiv's own db events while the witness was lost: " + kyiv.events().stream().skip(kyivEventsBefore).toList());
    }

    @Test
    void stoppingTheWitnessNeverFencesThePrimary() throws Exception {
        start();
        probe.awaitSteady();
        int eventsBefore = probe.local(KYIV).orElseThrow().events().size();

        cluster.kill(WITNESS);
        await("a leader among the two sites").atMost(Duration.ofSeconds(5)).pollInterval(POLL)
                .until(() -> cluster.leaderView(FRANKFURT, KYIV), Optional::isPresent);
        // fail_after later, every lease has been renewed by the new leader or has lapsed
        JsonNode witness = await("the new leader declares the witness failed").atMost(Duration.ofSeconds(5)).pollInterval(POLL)
                .until(() -> cluster.leaderView(FRANKFURT, KYIV).flatMap(x -> Probe.site(x, WITNESS))
                        .filter(w -> w.path("health").asText().equals("failed")), Optional::isPresent).orElseThrow();
        List<String> events = probe.local(KYIV).orElseThrow().events();
        assertThat(events.subList(Math.min(eventsBefore, events.size()), events.size())).as("kyiv's own db events after the witness died (witness: %s)", witness)
                .noneMatch(e -> e.contains("->FENCED"));
    }

    /** The cut scenario with real cuts: nftables drops kyiv's packets; skipped, with the reason, where that is unavailable. */
    @Test
    void primaryCutOffFromBothPeersFencesItselfAndTheOtherSiteIsPromotedWithNftables() throws Exception {
        assumeTrue(LinkFaults.availability().available(), LinkFaults.availability().reason());
        primaryCutOffFromBothPeersFencesItselfAndTheOtherSiteIsPromoted(LinkFaults.Mode.NFTABLES);
    }

    /** The same scenario with the agents' in-process link-fault layer: runs on every machine. */
    @Test
    void primaryCutOffFromBothPeersFencesItselfAndTheOtherSiteIsPromotedInProcess() throws Exception {
        primaryCutOffFromBothPeersFencesItselfAndTheOtherSiteIsPromoted(LinkFaults.Mode.IN_PROCESS);
        for (String peer : List.of(KYIV, FRANKFURT, WITNESS)) {
            assertThat(Files.readString(cluster.logDir().resolve(peer + ".log"))).as("%s's log", peer).contains("event=link-fault-layer-active");
        }
    }

    private void primaryCutOffFromBothPeersFencesItselfAndTheOtherSiteIsPromoted(LinkFaults.Mode mode) throws Exception {
        start(mode);
        assertThat(cluster.linkFaults().orElseThrow().mode()).isEqualTo(mode);
        long epoch = probe.awaitSteady();
        Duration fenceAfter = cluster.config().timing().fenceAfter();

        long t0 = System.nanoTime();
        cluster.cut(KYIV);
        await("kyiv fences itself").atMost(fenceAfter.plusMillis(1500)).pollInterval(POLL)
                .until(() -> probe.local(KYIV).filter(l -> l.fenced() && l.role().equals("FENCED")).isPresent());
        long fencedMs = msSince(t0);
        awaitPrimary(FRANKFURT, PROMOTION_WITHIN);
        long promotedMs = msSince(t0);
        assertThat(probe.db().orElseThrow().path("epoch").asLong()).isEqualTo(epoch + 1);

        // Safety, not only liveness: kyiv stopped writing before frankfurt could start.
        Instant fencedAt = probe.local(KYIV).orElseThrow().lastChangeTo("FENCED").orElseThrow();
        JsonNode rb = awaitEndedFailover();
        long promoteAtMs = step(rb, "promote").path("atMs").asLong();
        assertThat(fencedAt.toEpochMilli()).as("kyiv fenced (its clock) before frankfurt's promotion entry (leader's clock)").isLessThan(promoteAtMs);

        cluster.heal();
        long t1 = System.nanoTime();
        awaitRejoinedAsStandby(KYIV, FRANKFURT, epoch + 1, Duration.ofSeconds(30));
        System.out.printf("[%s] cut->fenced %d ms (observed), cut->promoted %d ms (observed), fenced %d ms before the promote entry, heal->rejoined %d ms%n",
                mode.label(), fencedMs, promotedMs, promoteAtMs - fencedAt.toEpochMilli(), msSince(t1));
    }

    @Test
    void restartedAgentRejoinsAsStandby() throws Exception {
        start();
        long epoch = probe.awaitSteady();
        cluster.kill(KYIV);
        awaitPrimary(FRANKFURT, PROMOTION_WITHIN);
        assertThat(awaitEndedFailover().path("status").asText()).isEqualToIgnoringCase("succeeded");

        long t0 = System.nanoTime();
        cluster.start(KYIV); // same data dir: it recovers its Raft log and snapshot from disk
        awaitRejoinedAsStandby(KYIV, FRANKFURT, epoch + 1, Duration.ofSeconds(30));
        System.out.printf("restart->rejoined as standby in sync: %d ms%n", msSince(t0));
    }

    private void awaitPrimary(String site, Duration within) {
        await(site + " primary of db").atMost(within).pollInterval(POLL)
                .until(() -> probe.db().filter(db -> db.path("primary").asText().equals(site)).isPresent());
    }

    /** The last failover runbook of db, once it has ended. */
    private JsonNode awaitEndedFailover() {
        return await("the failover runbook of db ends").atMost(Duration.ofSeconds(10)).pollInterval(POLL).until(() -> probe.leaderView().flatMap(v -> {
            JsonNode last = null;
            for (JsonNode rb : v.path("runbooks")) {
                if (rb.path("kind").asText().equals("failover") && rb.path("resource").asText().equals(DB)) last = rb;
            }
            return Optional.ofNullable(last);
        }), rb -> rb.isPresent() && !rb.get().path("status").asText().equalsIgnoreCase("running")).orElseThrow();
    }

    private void awaitRejoinedAsStandby(String site, String primary, long epoch, Duration within) {
        await(site + " back: healthy standby of db in the in-sync set, " + primary + " still primary").atMost(within)
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    JsonNode v = probe.leaderView().orElseThrow(() -> new AssertionError("no leader answered"));
                    JsonNode s = Probe.site(v, site).orElseThrow();
                    JsonNode db = Probe.resource(v, DB).orElseThrow();
                    assertThat(s.path("health").asText()).as("health of " + site).isEqualTo("healthy");
                    assertThat(s.path("role").asText()).as("role of " + site).isEqualTo("standby");
                    assertThat(db.path("primary").asText()).as("primary of db").isEqualTo(primary);
                    assertThat(db.path("epoch").asLong()).as("epoch of db").isEqualTo(epoch);
                    assertThat(Probe.texts(db.path("inSync"))).as("in-sync set of db").contains(site, primary);
                    Probe.Local local = probe.local(site).orElseThrow(() -> new AssertionError(site + " does not answer"));
                    assertThat(local.fenced()).as(site + " fenced").isFalse();
                    assertThat(local.role()).as(site + "'s own role for db").isEqualTo("STANDBY");
                    assertThat(local.epoch()).as(site + "'s own epoch for db").isEqualTo(epoch);
                });
    }

    private static List<String> steps(JsonNode runbook) {
        List<String> out = new java.util.ArrayList<>();
        runbook.path("steps").forEach(s -> out.add(s.path("step").asText()));
        return out;
    }

    private static JsonNode step(JsonNode runbook, String name) {
        for (JsonNode s : runbook.path("steps")) {
            if (s.path("step").asText().equals(name)) return s;
        }
        throw new AssertionError("no step " + name + " in runbook " + runbook);
    }

    private static long msSince(long nanoStart) {
        return (System.nanoTime() - nanoStart) / 1_000_000;
    }
}
