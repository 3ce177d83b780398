package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.PeerRecord;
import io.tandem.model.state.ResourceState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Raft log and snapshots hold JSON: a leaving standby survives a round trip, and a state written before it existed still reads. */
class StateJsonTest {
    @Test
    void leavingStandbysRoundTripAndOlderSnapshotsReadWithNoneLeaving() throws Exception {
        ClusterState s = ClusterState.empty().apply(new Command.Initialize("c", "d",
                        List.of(new PeerRecord("kyiv", false, PeerHealth.HEALTHY, 1, ""), new PeerRecord("frankfurt", false, PeerHealth.HEALTHY, 1, "")),
                        List.of(new ResourceState("db", "", 0, List.of(), List.of("kyiv", "frankfurt"))), 1))
                .apply(new Command.Promote("db", "kyiv", 1, 0, 2))
                .apply(new Command.AddInSync("db", "frankfurt", 1, 3));
        Command leave = new Command.LeaveInSync("db", "frankfurt", 1, "stopped streaming", 4);
        Command read = Json.read(Json.bytes(leave), Command.class);
        assertThat(read).isEqualTo(leave);
        ClusterState leaving = s.apply(read);
        assertThat(leaving.resource("db").orElseThrow().leaving()).containsExactly("frankfurt");
        ClusterState again = Json.read(Json.bytes(leaving), ClusterState.class);
        assertThat(again).isEqualTo(leaving);

        String old = new String(Json.bytes(s), StandardCharsets.UTF_8).replace(",\"leaving\":[]", "");
        assertThat(old).doesNotContain("leaving");
        ClusterState fromOld = Json.read(old.getBytes(StandardCharsets.UTF_8), ClusterState.class);
        assertThat(fromOld).isEqualTo(s);
        assertThat(fromOld.resource("db").orElseThrow().leaving()).isEmpty();
    }
}
