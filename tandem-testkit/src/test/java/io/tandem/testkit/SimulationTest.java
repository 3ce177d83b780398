package io.tandem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tandem.control.Fsm;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.config.TimingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand seeded fault schedules of the whole control plane, invariants checked after every step.
 * A failure names its seed; {@code -Dtandem.sim.seed=N} replays that one schedule with its full step log.
 * {@code -Dtandem.sim.schedules=N} and {@code -Dtandem.sim.firstSeed=N} run another range.
 */
class SimulationTest {
    private static final int SCHEDULES = Integer.getInteger("tandem.sim.schedules", 10_000);
    private static final long FIRST_SEED = Long.getLong("tandem.sim.firstSeed", 1);

    @Test
    void randomFaultSchedulesKeepEveryInvariant() {
        String only = System.getProperty(SimulationFailure.SEED_PROPERTY);
        if (only != null) {
            replay(Long.parseLong(only.trim()));
            return;
        }
        Coverage coverage = new Coverage();
        List<Long> failing = new ArrayList<>();
        SimulationFailure first = null;
        int livenessChecked = 0;
        long promotions = 0;
        long simulatedMs = 0;
        long started = System.nanoTime(); // reporting only; the simulation never reads a clock
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
            try {
                Simulation.Result r = new Simulation(seed, false, coverage).run();
                livenessChecked += r.livenessChecked() ? 1 : 0;
                promotions += r.promotions();
                simulatedMs += r.simulatedMs();
            } catch (SimulationFailure f) {
                failing.add(seed);
                if (first == null) first = f;
            }
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("simulation: %d schedules (%d s simulated) in %d ms; liveness checked in %d; %d promotions; %d failing%n",
                SCHEDULES, simulatedMs / 1000, tookMs, livenessChecked, promotions, failing.size());
        System.out.print("transitions reached:\n" + coverage.summary());
        if (first != null) {
            throw new AssertionError(failing.size() + " failing seeds (first 20: " + failing.subList(0, Math.min(20, failing.size())) + ")\n"
                    + replayedMessage(first.seed()), first);
        }
        assertThat(coverage.missing()).as("declared transitions no schedule reached").isEmpty();
        assertThat(livenessChecked).as("schedules whose quiet period owed liveness").isGreaterThan(SCHEDULES / 2);
    }

    @Test
    void sameSeedReplaysTheSameSchedule() {
        for (long seed : new long[] {7, 102, 4242}) {
            Simulation a = new Simulation(seed, true, new Coverage());
            Simulation b = new Simulation(seed, true, new Coverage());
            assertThat(a.run()).isEqualTo(b.run());
            assertThat(a.log().lines()).isEqualTo(b.log().lines()).isNotEmpty();
        }
    }

    /** Every row of the declared tables is taken by some schedule (the bulk run checks emitted rows are declared). */
    @Test
    void everyDeclaredTransitionIsReachedBySomeSchedule() {
        Coverage coverage = new Coverage();
        for (long seed = 1; seed <= 1500 && !coverage.missing().isEmpty(); seed++) {
            new Simulation(seed, false, coverage).run();
        }
        assertThat(coverage.missing()).as("declared transitions no schedule reached").isEmpty();
        assertThat(Fsm.all()).hasSize(Fsm.PEER_TABLE.size() + Fsm.MEMBER_TABLE.size());
    }

    /** The invariants have teeth: with fence_after longer than fail_after (the loader rejects it) a failed site still writes. */
    @Test
    void simulationFindsTwoWritersWhenTheLeaseOutlivesFailAfter() {
        TandemConfig ok = SimTopologies.TWO_SYNC;
        TimingConfig t = ok.timing();
        TimingConfig broken = new TimingConfig(t.heartbeat(), t.failAfter(), Duration.ofMillis(2500), t.electionTimeoutMin(), t.electionTimeoutMax());
        TandemConfig bad = new TandemConfig(ok.source(), ok.cluster(), ok.dataDir(), ok.peers(), ok.resources(), broken, ok.users(), ok.warnings());
        assertThatThrownBy(() -> {
            for (long seed = 1; seed <= 2000; seed++) new Simulation(seed, bad, false, new Coverage()).run();
        }).isInstanceOf(SimulationFailure.class).hasMessageContaining("-Dtandem.sim.seed=")
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("(a) two writable primaries", "although the committed state has it FAILED"));
    }

    /** The same seed again, with the step log on: deterministic, so it fails the same way and shows how. */
    private static String replayedMessage(long seed) {
        try {
            new Simulation(seed, true, new Coverage()).run();
            return "replay of seed " + seed + " did NOT fail: the simulation is not deterministic";
        } catch (SimulationFailure f) {
            return f.getMessage();
        }
    }

    private static void replay(long seed) {
        Simulation sim = new Simulation(seed, true, new Coverage());
        try {
            Simulation.Result r = sim.run();
            sim.log.lines().forEach(System.out::println);
            System.out.println("seed " + seed + " passed: " + r);
        } catch (SimulationFailure f) {
            sim.log.lines().forEach(System.out::println);
            throw f;
        }
    }
}
