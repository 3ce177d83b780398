package io.tandem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.control.Controller;
import io.tandem.control.Decision;
import io.tandem.control.Fsm;
import io.tandem.control.LocalRole;
import io.tandem.control.Observation;
import io.tandem.control.Observations;
import io.tandem.control.ReasonCode;
import io.tandem.control.ResourceReport;
import io.tandem.control.SiteReport;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.RunbookStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The controller as tables: (state, observations, time) -> reason code and command. Two sites (kyiv priority 100,
 * frankfurt 50) and a witness, resource {@code db}; fail_after 1.5 s. Each test is one behaviour.
 */
class ControllerTableTest {
    private static final long T = 100_000;

    @Test
    void emptyStateIsFormedFromTheConfig() {
        expect(ClusterState.empty(), obs(0), ReasonCode.INITIALIZE, Command.Initialize.class);
    }

    @Test
    void firstHeartbeatWelcomesAPeer() {
        Decision d = expect(formed(), obs(200).heard("kyiv", 100), ReasonCode.PEER_JOINED, Command.SetPeerHealth.class);
        assertThat(d.transition()).contains(Fsm.PEER_JOINED);
    }

    @Test
    void newLeaderGrantsFullFailAfterBeforeDeclaringFailure() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        // a new leader has heard nobody yet: peers are granted fail_after from the moment it took office
        expectNo(s, obs(1495), ReasonCode.STEADY);
        Decision d = expect(s, obs(1500), ReasonCode.PEER_FAILED, Command.SetPeerHealth.class);
        assertThat(((Command.SetPeerHealth) d.command().orElseThrow()).peer()).isEqualTo("frankfurt");
    }

    @Test
    void siteSilentForFailAfterIsDeclaredFailed() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        Obs o = healthyObs().heard("kyiv", 1500);
        Decision d = expect(s, o, ReasonCode.PEER_FAILED, Command.SetPeerHealth.class);
        assertThat(d.transition()).contains(Fsm.PEER_FAILED);
        expectNo(s, healthyObs().heard("kyiv", 1495), ReasonCode.STEADY);
    }

    @Test
    void firstPrimaryWaitsForEverySiteUntilFailAfter() {
        ClusterState s = apply(formed(), health("kyiv", PeerHealth.HEALTHY), health("witness", PeerHealth.HEALTHY));
        expectNo(s, obs(1000).heard("kyiv", 10).heard("witness", 10), ReasonCode.WAITING);
    }

    @Test
    void firstPrimaryIsTheHighestPriorityHeardSite() {
        ClusterState s = allHealthy();
        Decision d = expect(s, healthyObs(), ReasonCode.BOOTSTRAP_PRIMARY, Command.Promote.class);
        assertThat(d.command().orElseThrow()).isEqualTo(new Command.Promote("db", "kyiv", 1, 0, T));
    }

    @Test
    void firstPrimaryIsNeverASiteThisLeaderHasNotHeard() {
        // kyiv is HEALTHY in the state inherited from the last leader, but this leader, in office for 250 ms, has
        // not heard it: it waits rather than make a site that may be down the lone first primary
        expectNo(allHealthy(), obs(250).heard("frankfurt", 10).heard("witness", 10), ReasonCode.WAITING);
        ClusterState kyivDeclared = apply(allHealthy(), health("kyiv", PeerHealth.FAILED));
        Decision d = expect(kyivDeclared, obs(1500).heard("frankfurt", 10).heard("witness", 10), ReasonCode.BOOTSTRAP_PRIMARY, Command.Promote.class);
        assertThat(((Command.Promote) d.command().orElseThrow()).site()).isEqualTo("frankfurt");
    }

    @Test
    void standbyEntersTheInSyncSetOnlyOnceThePrimaryWaitsForIt() {
        ClusterState s = apply(allHealthy(), promote("kyiv", 1));
        Obs notYet = obs(5000).heard("witness", 10)
                .heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of())
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        expectNo(s, notYet, ReasonCode.STEADY);
        Obs waits = obs(5000).heard("witness", 10)
                .heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        Decision d = expect(s, waits, ReasonCode.CAUGHT_UP, Command.AddInSync.class);
        assertThat(d.transition()).contains(Fsm.CAUGHT_UP);
    }

    @Test
    void inSyncStandbyWhoseCopyStoppedStreamingForFailAfterLeavesTheSetAndIsNeverPromoted() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        Obs base = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"));
        // its agent heartbeats, but its PostgreSQL has not streamed for just under fail_after: still waited for
        expectNo(s, base.stalled("frankfurt", 1, 4000, 1499), ReasonCode.STEADY);
        // first it leaves: kyiv is told to stop waiting for it, but frankfurt stays in the set (and a candidate)
        Decision leave = expect(s, base.stalled("frankfurt", 1, 4000, 1500), ReasonCode.STANDBY_NOT_STREAMING, Command.LeaveInSync.class);
        assertThat(leave.transition()).isEmpty();
        ClusterState leaving = s.apply(leave.command().orElseThrow());
        assertThat(leaving.resource("db").orElseThrow().inSync()).containsExactly("frankfurt", "kyiv");
        assertThat(leaving.resource("db").orElseThrow().leaving()).containsExactly("frankfurt");
        assertThat(leaving.resource("db").orElseThrow().required()).containsExactly("kyiv");
        // while kyiv still reports waiting for it, nothing more happens
        expectNo(leaving, base.stalled("frankfurt", 1, 4000, 1600), ReasonCode.STEADY);
        // kyiv reports it no longer waits (it lets go once it learns of the next entry): frankfurt is removed
        Obs released = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of());
        Decision d = expect(leaving, released.stalled("frankfurt", 1, 4000, 1700), ReasonCode.STANDBY_NOT_STREAMING, Command.RemoveInSync.class);
        assertThat(d.transition()).contains(Fsm.STOPPED_STREAMING);
        assertThat(d.command().orElseThrow()).isEqualTo(new Command.RemoveInSync("db", "frankfurt", 1,
                ((Command.RemoveInSync) d.command().orElseThrow()).reason(), T));
        ClusterState removed = leaving.apply(d.command().orElseThrow());
        assertThat(removed.resource("db").orElseThrow().inSync()).containsExactly("kyiv");
        assertThat(removed.resource("db").orElseThrow().leaving()).isEmpty();
        // kyiv waits for it again (a late report): frankfurt is not put back while it stalls
        expectNo(removed, base.stalled("frankfurt", 1, 4000, 1800), ReasonCode.STEADY);
        // a report of an older epoch removes nothing
        expectNo(s, base.stalled("frankfurt", 0, 4000, 60_000), ReasonCode.STEADY);
        // the whole primary site went silent at the moment frankfurt stopped streaming: frankfurt is not to blame, and
        // stays in the set so that the failover kyiv's silence leads to can promote it
        Obs siteLost = obs(5000).heard("witness", 10).heard("kyiv", 800, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"));
        expectNo(s, siteLost.stalled("frankfurt", 1, 5000, 1500), ReasonCode.STEADY);
        // kyiv's agent is up but its PostgreSQL is being restarted after a crash (not ready): no removal either
        Obs restarting = obs(5000).heard("witness", 10).heardNotReady("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"));
        expectNo(s, restarting.stalled("frankfurt", 1, 5000, 1500), ReasonCode.STEADY);
        // kyiv's agent is up but its PostgreSQL hangs (has not answered a probe for 1500 ms): frankfurt stopped because of it
        Obs primaryHung = obs(5000).heard("witness", 10).with(new Observation("kyiv", true, 10, new SiteReport("kyiv", false,
                Map.of("db", new ResourceReport(LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"), true, 1500)))));
        expectNo(s, primaryHung.stalled("frankfurt", 1, 5000, 1500), ReasonCode.STEADY);
        // now kyiv fails: frankfurt, out of the in-sync set, is not a candidate
        ClusterState kyivLost = apply(removed, health("kyiv", PeerHealth.FAILED));
        assertThat(CONTROLLER.decide(kyivLost, standbyObs().build(), T).command().orElseThrow()).isInstanceOf(Command.StartRunbook.class);
        ClusterState running = apply(kyivLost, start());
        Decision fence = CONTROLLER.decide(running, standbyObs().build(), T + 5000);
        ClusterState fenced = fence.command().map(running::apply).orElse(running);
        Decision next = CONTROLLER.decide(fenced, standbyObs().build(), T + 5000);
        assertThat(next.command()).as(next.reason().toString()).isEmpty();
        assertThat(next.reason().code()).isEqualTo(ReasonCode.FAILOVER_BLOCKED);
        assertThat(next.reason().message()).contains("frankfurt is not in the in-sync set");
        // once it streams again and the primary waits for it, it re-enters
        Obs back = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        expect(removed, back, ReasonCode.CAUGHT_UP, Command.AddInSync.class);
    }

    @Test
    void aLeavingStandbyThatStreamsAgainStaysAndOneWhosePrimaryDiesFirstIsPromoted() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        Obs base = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"));
        ClusterState leaving = s.apply(expect(s, base.stalled("frankfurt", 1, 4000, 1500), ReasonCode.STANDBY_NOT_STREAMING,
                Command.LeaveInSync.class).command().orElseThrow());
        // it streams again and kyiv still waits for it: it stops leaving
        Decision stays = expect(leaving, base.heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of()), ReasonCode.CAUGHT_UP,
                Command.AddInSync.class);
        assertThat(stays.transition()).isEmpty();
        ClusterState back = leaving.apply(stays.command().orElseThrow());
        assertThat(back.resource("db").orElseThrow().leaving()).isEmpty();
        assertThat(back.resource("db").orElseThrow().inSync()).containsExactly("frankfurt", "kyiv");
        // kyiv's site dies before it let frankfurt go: frankfurt has every acknowledged write and is promoted
        ClusterState kyivLost = apply(leaving, health("kyiv", PeerHealth.FAILED));
        ClusterState running = apply(kyivLost, start());
        Decision fence = CONTROLLER.decide(running, standbyObs().build(), T + 5000);
        ClusterState fenced = fence.command().map(running::apply).orElse(running);
        Decision select = CONTROLLER.decide(fenced, standbyObs().build(), T + 5000);
        assertThat(select.reason().code()).as(select.reason().toString()).isEqualTo(ReasonCode.FAILOVER_SELECTED);
        assertThat(select.reason().message()).contains("frankfurt");
        // a promotion starts the new epoch with nobody leaving
        ClusterState promoted = apply(leaving, promote("frankfurt", 2));
        assertThat(promoted.resource("db").orElseThrow().leaving()).isEmpty();
    }

    @Test
    void failoverPromotesTheInSyncStandbyWithTheHighestReplayedPositionThenThePreferredOne() {
        Controller three = new Controller(SimTopologies.THREE_SYNC);
        ClusterState s = apply(formed(three), health("kyiv", PeerHealth.HEALTHY), health("frankfurt", PeerHealth.HEALTHY),
                health("warsaw", PeerHealth.HEALTHY), health("witness", PeerHealth.HEALTHY), promote("kyiv", 1),
                new Command.AddInSync("db", "frankfurt", 1, T), new Command.AddInSync("db", "warsaw", 1, T),
                health("kyiv", PeerHealth.FAILED), start());
        // warsaw (priority 10) has replayed further than frankfurt (priority 50): the position wins
        assertThat(selected(three, s, 5000, 6000)).isEqualTo("warsaw");
        // the same position: the higher priority wins
        assertThat(selected(three, s, 6000, 6000)).isEqualTo("frankfurt");
        assertThat(selected(three, s, 6001, 6000)).isEqualTo("frankfurt");
    }

    /** Runs the failover runbook's fence and select steps and returns the site it selected. */
    private static String selected(Controller c, ClusterState running, long frankfurtLsn, long warsawLsn) {
        Observations o = obs(5000).heard("witness", 10).heard("kyiv", 1600, LocalRole.PRIMARY, 1, 7000, List.of("frankfurt", "warsaw"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, frankfurtLsn, List.of())
                .heard("warsaw", 10, LocalRole.STANDBY, 1, warsawLsn, List.of()).build();
        ClusterState st = running;
        for (int i = 0; i < 4; i++) {
            Decision d = c.decide(st, o, T + 5000);
            if (d.reason().code() == ReasonCode.FAILOVER_SELECTED) {
                return ((Command.RecordStep) d.command().orElseThrow()).site();
            }
            st = d.command().map(st::apply).orElseThrow(() -> new AssertionError("no selection: " + d.reason()));
        }
        throw new AssertionError("no selection after 4 decisions");
    }

    @Test
    void aPrimaryCopyThatFailedWhileItsAgentRunsIsFencedThroughTheAgentAndReplaced() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        Obs standby = obs(5000).heard("witness", 10).heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        // kyiv's agent heartbeats, its PostgreSQL has not worked for just under copy_fail_after, 6 s (a restart may still work)
        expectNo(s, standby.with(primaryCopy(LocalRole.PRIMARY, 5999)), ReasonCode.STEADY);
        Decision start = expect(s, standby.with(primaryCopy(LocalRole.PRIMARY, 6000)), ReasonCode.FAILOVER_STARTED, Command.StartRunbook.class);
        assertThat(start.reason().message()).contains("kyiv's copy of db has not worked as primary for 6000 ms").contains("while its agent is up");
        ClusterState running = s.apply(start.command().orElseThrow());
        assertThat(running.failingOverFrom("db", "kyiv")).isPresent();
        Decision noted = expect(running, standby.with(primaryCopy(LocalRole.PRIMARY, 6100)), ReasonCode.PRIMARY_COPY_FAILED, Command.RecordStep.class);
        ClusterState fencing = running.apply(noted.command().orElseThrow());
        // its agent has not fenced it yet: nothing is promoted
        expectNo(fencing, standby.with(primaryCopy(LocalRole.PRIMARY, 6200)), ReasonCode.WAITING);
        // the agent reports its copy fenced: the fence is recorded, then frankfurt (in sync) is selected and promoted
        Obs fenced = standby.with(primaryCopy(LocalRole.FENCED, 0));
        Decision f = expect(fencing, fenced, ReasonCode.FAILOVER_FENCED_OLD, Command.RecordStep.class);
        assertThat(f.reason().message()).contains("fenced through its agent");
        ClusterState sel = fencing.apply(f.command().orElseThrow());
        sel = sel.apply(expect(sel, fenced, ReasonCode.FAILOVER_SELECTED, Command.RecordStep.class).command().orElseThrow());
        Decision p = expect(sel, fenced, ReasonCode.FAILOVER_PROMOTED, Command.Promote.class);
        assertThat(((Command.Promote) p.command().orElseThrow()).site()).isEqualTo("frankfurt");
        ClusterState promoted = sel.apply(p.command().orElseThrow());
        assertThat(promoted.memberState("db", "kyiv")).isEqualTo(MemberState.CATCHING_UP);
        assertThat(promoted.failingOverFrom("db", "kyiv")).isEmpty();

        // no in-sync standby to take over: no failover is started, the agent keeps trying to restart its copy
        ClusterState alone = apply(allHealthy(), promote("kyiv", 1));
        expectNo(alone, standby.with(new Observation("kyiv", true, 10, new SiteReport("kyiv", false,
                Map.of("db", new ResourceReport(LocalRole.PRIMARY, 1, 5000, List.of(), true, 60_000))))), ReasonCode.STEADY);
        // the copy works again before the runbook noted it: the failover is called off
        expect(running, standby.with(primaryCopy(LocalRole.PRIMARY, 0)), ReasonCode.FAILOVER_ABORTED, Command.EndRunbook.class);
    }

    private static Observation primaryCopy(LocalRole role, long notWorkingMs) {
        return new Observation("kyiv", true, 10, new SiteReport("kyiv", false,
                Map.of("db", new ResourceReport(role, 1, 5000, role == LocalRole.PRIMARY ? List.of("frankfurt") : List.of(), true, notWorkingMs))));
    }

    @Test
    void standbyStillFollowingAnOlderEpochStaysCatchingUp() {
        ClusterState s = apply(allHealthy(), promote("kyiv", 1));
        expectNo(s, obs(5000).heard("witness", 10)
                .heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 0, 5000, List.of()), ReasonCode.STEADY);
    }

    @Test
    void asyncStandbyBehindThePrimaryStaysCatchingUp() {
        Controller async = new Controller(SimTopologies.TWO_ASYNC);
        ClusterState s = apply(allHealthy(async), promote("kyiv", 1));
        Obs behind = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of())
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 4999, List.of());
        assertThat(async.decide(s, behind.build(), T).reason().code()).isEqualTo(ReasonCode.STEADY);
        Obs level = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 5000, List.of())
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        assertThat(async.decide(s, level.build(), T).reason().code()).isEqualTo(ReasonCode.CAUGHT_UP);
    }

    @Test
    void failedPrimaryStartsAFailover() {
        expect(kyivFailed(), standbyObs(), ReasonCode.FAILOVER_STARTED, Command.StartRunbook.class);
    }

    @Test
    void failoverFirstRecordsThatTheOldPrimaryFenced() {
        ClusterState s = apply(kyivFailed(), start());
        Decision d = expect(s, standbyObs(), ReasonCode.FAILOVER_FENCED_OLD, Command.RecordStep.class);
        assertThat(((Command.RecordStep) d.command().orElseThrow()).step()).isEqualTo("fence-old");
    }

    @Test
    void halfDoneRunbookIsResumedNotRestarted() {
        // a new leader finds runbook #1 with its fence step done: it selects, it does not start runbook #2
        ClusterState s = apply(kyivFailed(), start(), step("fence-old", "kyiv"));
        Decision d = expect(s, standbyObs(), ReasonCode.FAILOVER_SELECTED, Command.RecordStep.class);
        assertThat((Command.RecordStep) d.command().orElseThrow()).extracting(Command.RecordStep::runbookId, Command.RecordStep::step, Command.RecordStep::site)
                .containsExactly(1L, "select-target", "frankfurt");
        ClusterState selected = apply(s, d.command().orElseThrow());
        Decision p = expect(selected, standbyObs(), ReasonCode.FAILOVER_PROMOTED, Command.Promote.class);
        assertThat(p.command().orElseThrow()).isEqualTo(new Command.Promote("db", "frankfurt", 2, 1, T));
        assertThat(p.transition()).contains(Fsm.FAILOVER);
    }

    @Test
    void standbyOutOfSyncIsNeverPromoted() {
        ClusterState s = apply(allHealthy(), promote("kyiv", 1), health("kyiv", PeerHealth.FAILED), start(), step("fence-old", "kyiv"));
        expectNo(s, standbyObs(), ReasonCode.FAILOVER_BLOCKED);
    }

    @Test
    void failedStandbyLeavesTheInSyncSetAndIsNotPromoted() {
        ClusterState s = apply(kyivFailed(), health("frankfurt", PeerHealth.FAILED), start(), step("fence-old", "kyiv"));
        assertThat(s.resource("db").orElseThrow().inSync()).containsExactly("kyiv");
        expectNo(s, obs(5000).heard("witness", 10), ReasonCode.FAILOVER_BLOCKED);
    }

    @Test
    void primaryReturningBeforeAnyPromotionAbortsTheFailover() {
        ClusterState s = apply(kyivFailed(), start(), step("fence-old", "kyiv"), health("kyiv", PeerHealth.HEALTHY));
        Decision d = expect(s, healthyObs(), ReasonCode.FAILOVER_ABORTED, Command.EndRunbook.class);
        assertThat(((Command.EndRunbook) d.command().orElseThrow()).status()).isEqualTo(RunbookStatus.ABORTED);
    }

    @Test
    void targetThatLeftTheCandidatesAbortsTheRunbook() {
        ClusterState s = apply(kyivFailed(), start(), step("fence-old", "kyiv"), step("select-target", "frankfurt"),
                health("frankfurt", PeerHealth.FAILED));
        expect(s, obs(5000).heard("witness", 10), ReasonCode.FAILOVER_ABORTED, Command.EndRunbook.class);
    }

    @Test
    void failoverEndsWhenTheNewPrimaryServesAtTheNewEpoch() {
        ClusterState s = apply(kyivFailed(), start(), step("fence-old", "kyiv"), step("select-target", "frankfurt"),
                new Command.Promote("db", "frankfurt", 2, 1, T));
        expectNo(s, standbyObs(), ReasonCode.WAITING);
        Obs served = obs(5000).heard("witness", 10).heard("frankfurt", 10, LocalRole.PRIMARY, 2, 7000, List.of());
        expect(s, served, ReasonCode.FAILOVER_CONFIRMED, Command.EndRunbook.class);
    }

    @Test
    void asyncStandbyWithinMaxLagIsPromoted() {
        Controller async = new Controller(SimTopologies.TWO_ASYNC);
        ClusterState s = apply(allHealthy(async), promote("kyiv", 1), health("kyiv", PeerHealth.FAILED), start(), step("fence-old", "kyiv"),
                step("select-target", "frankfurt"));
        Decision d = async.decide(s, standbyObs().build(), T);
        assertThat(d.reason().code()).isEqualTo(ReasonCode.FAILOVER_PROMOTED);
        assertThat(d.transition()).contains(Fsm.FAILOVER_ASYNC);
    }

    @Test
    void asyncStandbyBeyondMaxLagIsNotPromoted() {
        Controller async = new Controller(SimTopologies.TWO_ASYNC);
        ClusterState s = apply(allHealthy(async), promote("kyiv", 1), health("kyiv", PeerHealth.FAILED), start(), step("fence-old", "kyiv"));
        long maxLag = SimTopologies.TWO_ASYNC.resources().get(0).maxLagOnFailover().bytes();
        Obs o = obs(5000).heard("witness", 10).heard("kyiv", 1600, LocalRole.PRIMARY, 1, maxLag + 5001, List.of())
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
        Decision d = async.decide(s, o.build(), T);
        assertThat(d.reason().code()).isEqualTo(ReasonCode.FAILOVER_BLOCKED);
        assertThat(d.reason().message()).as("status says why, with the numbers")
                .contains("frankfurt lags 16.0 MB (" + (maxLag + 1) + " bytes)", "more than max_lag_on_failover " + SimTopologies.TWO_ASYNC.resources().get(0).maxLagOnFailover());
    }

    // --- the table's vocabulary -------------------------------------------------------------------------------

    @Test
    void switchoverToAStandbyOutsideTheInSyncSetIsRefusedAndThePrimaryStays() {
        ClusterState s = apply(allHealthy(), promote("kyiv", 1), new Command.RequestSwitchover("db", "frankfurt", "olena", T));
        Decision d = expect(s, healthyObs(), ReasonCode.SWITCHOVER_ABORTED, Command.EndRunbook.class);
        assertThat(d.reason().message()).contains("not in the in-sync set").contains("kyiv stays primary");
    }

    @Test
    void switchoverStopsWritesFirstAndPromotesOnlyOnceTheTargetHasEverythingTheOldPrimaryWrote() {
        ClusterState s = apply(primaryKyivWithFrankfurtInSync(), new Command.RequestSwitchover("db", "frankfurt", "olena", T));
        s = apply(s, expect(s, healthyObs(), ReasonCode.SWITCHOVER_STOP_WRITES, Command.RecordStep.class).command().orElseThrow());
        // kyiv still writing: wait
        expectNo(s, obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.PRIMARY, 1, 9000, List.of("frankfurt"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 8000, List.of()), ReasonCode.WAITING);
        long v = s.version();
        // kyiv fenced, but by a report made before it saw the stop-writes entry (a lease lost for a moment): wait
        expectNo(s, obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.FENCED, 1, 9000, List.of(), v - 1)
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 9000, List.of()), ReasonCode.WAITING);
        // kyiv stopped at 9000, frankfurt at 8000: wait
        Obs stoppedBehind = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.FENCED, 1, 9000, List.of(), v)
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 8000, List.of());
        expectNo(s, stoppedBehind, ReasonCode.WAITING);
        Obs caughtUp = obs(5000).heard("witness", 10).heard("kyiv", 10, LocalRole.FENCED, 1, 9000, List.of(), v)
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 9000, List.of());
        s = apply(s, expect(s, caughtUp, ReasonCode.SWITCHOVER_CAUGHT_UP, Command.RecordStep.class).command().orElseThrow());
        Decision d = expect(s, caughtUp, ReasonCode.SWITCHOVER_PROMOTED, Command.Promote.class);
        assertThat(d.command().orElseThrow()).isEqualTo(new Command.Promote("db", "frankfurt", 2, 1, T));
        assertThat(d.transition()).contains(Fsm.SWITCHOVER_PROMOTED);
    }

    @Test
    void switchoverAbortsWhenTheTargetFailsBeforePromotionAndTheOldPrimaryResumes() {
        ClusterState s = apply(primaryKyivWithFrankfurtInSync(), new Command.RequestSwitchover("db", "frankfurt", "olena", T),
                new Command.RecordStep(1, "stop-writes", "kyiv", "table", T), health("frankfurt", PeerHealth.FAILED));
        Decision d = expect(s, obs(5000).heard("kyiv", 10).heard("witness", 10), ReasonCode.SWITCHOVER_ABORTED, Command.EndRunbook.class);
        ClusterState after = s.apply(d.command().orElseThrow());
        assertThat(after.stoppingWrites("db")).as("no switchover holds kyiv's writes any more").isEmpty();
        assertThat(after.resource("db").orElseThrow().primary()).isEqualTo("kyiv");
    }

    @Test
    void forcedFailoverToAnOutOfSyncSitePromotesItOnlyWhenTheLossIsAccepted() {
        // kyiv (primary) failed after frankfurt had dropped out of the in-sync set: the automatic failover is blocked
        ClusterState s = apply(allHealthy(), promote("kyiv", 1), health("kyiv", PeerHealth.FAILED), start(), step("fence-old", "kyiv"));
        Obs o = obs(5000).heard("witness", 10).heard("frankfurt", 10, LocalRole.STANDBY, 1, 4000, List.of());
        expectNo(s, o, ReasonCode.FAILOVER_BLOCKED);
        ClusterState refused = apply(s, new Command.ForceFailover("db", "frankfurt", false, "olena", T));
        expectNo(refused, o, ReasonCode.FAILOVER_BLOCKED);
        ClusterState accepted = apply(s, new Command.ForceFailover("db", "frankfurt", true, "olena", T));
        ClusterState selected = apply(accepted, expect(accepted, o, ReasonCode.FAILOVER_SELECTED, Command.RecordStep.class).command().orElseThrow());
        Decision d = expect(selected, o, ReasonCode.FAILOVER_PROMOTED, Command.Promote.class);
        assertThat(d.command().orElseThrow()).isEqualTo(new Command.Promote("db", "frankfurt", 2, 1, T));
        assertThat(accepted.audit()).anySatisfy(a -> assertThat(a.detail()).contains("accepting data loss"));
    }

    @Test
    void forcedFailoverIsIgnoredWhileThePrimaryIsHealthy() {
        ClusterState s = primaryKyivWithFrankfurtInSync();
        assertThat(s.apply(new Command.ForceFailover("db", "frankfurt", true, "olena", T))).isSameAs(s);
    }

    @Test
    void autoFailbackMovesThePrimaryBackToThePreferredSiteOnlyAfterItHasBeenInSyncForFailbackAfter() {
        // three-sync: db has failback: auto and failback_after 2s; kyiv (priority 100) is back in sync under frankfurt
        Controller c = new Controller(SimTopologies.THREE_SYNC);
        ClusterState s = apply(formed(c), health("kyiv", PeerHealth.HEALTHY), health("frankfurt", PeerHealth.HEALTHY),
                health("warsaw", PeerHealth.HEALTHY), health("witness", PeerHealth.HEALTHY), promote("frankfurt", 1),
                new Command.Promote("files", "kyiv", 1, 0, T),
                new Command.AddInSync("db", "kyiv", 1, T), new Command.AddInSync("db", "warsaw", 1, T),
                new Command.StartRunbook(1, "failover", "db", "kyiv", T - 1000), new Command.EndRunbook(1, RunbookStatus.SUCCEEDED, "table", T - 1000));
        Observations o = obs(5000).heard("kyiv", 10).heard("frankfurt", 10).heard("warsaw", 10).heard("witness", 10).build();
        assertThat(c.decide(s, o, T).command()).as("1 s after the last change: not yet").isEmpty();
        Decision d = c.decide(s, o, T + 1500);
        assertThat(d.reason().code()).isEqualTo(ReasonCode.FAILBACK);
        assertThat(d.command().orElseThrow()).isEqualTo(new Command.RequestSwitchover("db", "kyiv", "failback", T + 1500));
    }

    private static final Controller CONTROLLER = new Controller(SimTopologies.TWO_SYNC);

    private static Decision expect(ClusterState s, Obs o, ReasonCode code, Class<? extends Command> command) {
        Decision d = CONTROLLER.decide(s, o.build(), T);
        assertThat(d.reason().code()).as(d.reason().toString()).isEqualTo(code);
        assertThat(d.command()).as(d.reason().toString()).containsInstanceOf(command);
        d.transition().ifPresent(t -> assertThat(Fsm.all()).contains(t));
        return d;
    }

    private static void expectNo(ClusterState s, Obs o, ReasonCode code) {
        Decision d = CONTROLLER.decide(s, o.build(), T);
        assertThat(d.reason().code()).as(d.reason().toString()).isEqualTo(code);
        assertThat(d.command()).as(d.reason().toString()).isEmpty();
    }

    private static ClusterState formed() {
        return formed(CONTROLLER);
    }

    private static ClusterState formed(Controller c) {
        return ClusterState.empty().apply(c.decide(ClusterState.empty(), new Observations(0, Map.of()), T).command().orElseThrow());
    }

    private static ClusterState allHealthy() {
        return allHealthy(CONTROLLER);
    }

    private static ClusterState allHealthy(Controller c) {
        return apply(formed(c), health("kyiv", PeerHealth.HEALTHY), health("frankfurt", PeerHealth.HEALTHY), health("witness", PeerHealth.HEALTHY));
    }

    private static ClusterState primaryKyivWithFrankfurtInSync() {
        return apply(allHealthy(), promote("kyiv", 1), new Command.AddInSync("db", "frankfurt", 1, T));
    }

    private static ClusterState kyivFailed() {
        return apply(primaryKyivWithFrankfurtInSync(), health("kyiv", PeerHealth.FAILED));
    }

    private static Command health(String peer, PeerHealth h) {
        return new Command.SetPeerHealth(peer, h, "table", T);
    }

    private static Command promote(String site, long epoch) {
        return new Command.Promote("db", site, epoch, 0, T);
    }

    private static Command start() {
        return new Command.StartRunbook(1, "failover", "db", "kyiv", T);
    }

    private static Command step(String step, String site) {
        return new Command.RecordStep(1, step, site, "table", T);
    }

    private static ClusterState apply(ClusterState s, Command... commands) {
        for (Command c : commands) {
            ClusterState next = s.apply(c);
            assertThat(next).as("table setup: " + c + " must change the state").isNotSameAs(s);
            s = next;
        }
        return s;
    }

    /** Every peer heard 10 ms ago; no resource reports. */
    private static Obs healthyObs() {
        return obs(5000).heard("kyiv", 10).heard("frankfurt", 10).heard("witness", 10);
    }

    /** kyiv silent for fail_after; frankfurt a standby at epoch 1 with kyiv's position. */
    private static Obs standbyObs() {
        return obs(5000).heard("witness", 10).heard("kyiv", 1600, LocalRole.PRIMARY, 1, 5000, List.of("frankfurt"))
                .heard("frankfurt", 10, LocalRole.STANDBY, 1, 5000, List.of());
    }

    private static Obs obs(long leaderForMs) {
        return new Obs(leaderForMs, new TreeMap<>());
    }

    /** Observations built a peer at a time. */
    private record Obs(long leaderForMs, Map<String, Observation> peers) {
        Obs heard(String peer, long agoMs) {
            return with(new Observation(peer, true, agoMs, new SiteReport(peer, false, Map.of())));
        }

        Obs heard(String peer, long agoMs, LocalRole role, long epoch, long lsn, List<String> syncStandbys) {
            return heard(peer, agoMs, role, epoch, lsn, syncStandbys, 0);
        }

        /** A report made by an agent whose roles follow the cluster state of {@code knownVersion}. */
        Obs heard(String peer, long agoMs, LocalRole role, long epoch, long lsn, List<String> syncStandbys, long knownVersion) {
            return with(new Observation(peer, true, agoMs, new SiteReport(peer, false,
                    Map.of("db", new ResourceReport(role, epoch, lsn, syncStandbys)), knownVersion)));
        }

        /** A copy whose driver is still carrying out its role (e.g. restarting a crashed server). */
        Obs heardNotReady(String peer, long agoMs, LocalRole role, long epoch, long lsn, List<String> syncStandbys) {
            return with(new Observation(peer, true, agoMs, new SiteReport(peer, false,
                    Map.of("db", new ResourceReport(role, epoch, lsn, syncStandbys, false)))));
        }

        /** A standby whose agent heartbeats while its copy has not streamed for {@code notStreamingMs}. */
        Obs stalled(String peer, long epoch, long lsn, long notStreamingMs) {
            return with(new Observation(peer, true, 10, new SiteReport(peer, false,
                    Map.of("db", new ResourceReport(LocalRole.STANDBY, epoch, lsn, List.of(), true, notStreamingMs)))));
        }

        Observations build() {
            return new Observations(leaderForMs, peers);
        }

        private Obs with(Observation o) {
            Map<String, Observation> m = new TreeMap<>(peers);
            m.put(o.peer(), o);
            return new Obs(leaderForMs, m);
        }
    }
}
