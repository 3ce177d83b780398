package io.tandem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.control.SyncStandbys;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The primary's side of the in-sync handshake: it reports before the controller adds, and lets go only after a quorum agrees. */
class SyncStandbysTest {
    private static final List<String> OTHERS = List.of("frankfurt", "warsaw");

    @Test
    void caughtUpStandbyIsWaitedForAndReportedBeforeItIsInSync() {
        SyncStandbys w = new SyncStandbys();
        w.update(1, OTHERS, List.of(), List.of("frankfurt"));
        assertThat(w.waitFor()).containsExactly("frankfurt");
        assertThat(w.reported()).containsExactly("frankfurt");
    }

    @Test
    void standbyThatFellBehindIsWaitedForUntilAQuorumAnswersWithoutIt() {
        SyncStandbys w = new SyncStandbys();
        w.update(1, OTHERS, List.of(), List.of("frankfurt"));
        w.update(1, OTHERS, List.of(), List.of());
        assertThat(w.reported()).isEmpty();
        assertThat(w.waitFor()).as("the controller may have added it from the last report").containsExactly("frankfurt");
        w.replied(90, List.of()); // an answer to a heartbeat sent before the one that left it out proves nothing
        assertThat(w.waitFor()).containsExactly("frankfurt");
        w.heartbeatSent(100);
        w.replied(100, List.of());
        assertThat(w.waitFor()).isEmpty();
    }

    @Test
    void standbyAddedMeanwhileStaysWaitedFor() {
        SyncStandbys w = new SyncStandbys();
        w.update(1, OTHERS, List.of(), List.of("frankfurt"));
        w.update(1, OTHERS, List.of(), List.of());
        w.heartbeatSent(100);
        w.replied(100, List.of("frankfurt"));
        assertThat(w.waitFor()).containsExactly("frankfurt");
        w.update(1, OTHERS, List.of("frankfurt"), List.of());
        assertThat(w.reported()).containsExactly("frankfurt");
    }

    @Test
    void aLeavingStandbyIsWaitedForUntilAnAnswerShowsItRemovedFromTheSet() {
        SyncStandbys w = new SyncStandbys();
        w.update(1, OTHERS, List.of("frankfurt"), List.of("frankfurt"));
        // frankfurt stopped streaming: the controller marks it leaving, so it is no longer required (still in the set)
        w.update(1, OTHERS, List.of(), List.of());
        assertThat(w.reported()).as("the next heartbeat says the primary is ready to let it go").isEmpty();
        w.heartbeatSent(100);
        w.replied(100, List.of("frankfurt")); // the answer still has it in the set: the removal is not committed yet
        assertThat(w.waitFor()).containsExactly("frankfurt");
        assertThat(w.releasing()).as("asked again in the next heartbeat").isTrue();
        w.heartbeatSent(150);
        w.replied(150, List.of()); // removal committed: every later decision knows it lacks the next writes
        assertThat(w.waitFor()).isEmpty();
        assertThat(w.releasing()).isFalse();
    }

    @Test
    void aSitePromotedAgainStartsFromTheNewEpochsInSyncSet() {
        SyncStandbys w = new SyncStandbys();
        w.update(1, OTHERS, List.of("frankfurt"), List.of("frankfurt"));
        assertThat(w.waitFor()).containsExactly("frankfurt");
        // epoch 2: frankfurt primary, this site a standby (no updates); epoch 3: this site again, frankfurt re-cloning
        w.update(3, OTHERS, List.of(), List.of());
        assertThat(w.waitFor()).as("no wait for the former primary that is still re-cloning").isEmpty();
        assertThat(w.reported()).isEmpty();
        w.update(3, OTHERS, List.of("warsaw"), List.of());
        assertThat(w.waitFor()).as("the new epoch's in-sync set is waited for").containsExactly("warsaw");
    }
}
