package io.tandem.agent;

import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;

/** Operator actions on the Raft group itself (not on the cluster state). */
public final class RaftAdmin {
    private RaftAdmin() {}

    /** Asks the current leader to hand leadership to {@code peer}; true when the group confirms it. */
    public static boolean transferLeadership(TandemConfig config, String peer, long timeoutMs) throws IOException {
        try (RaftClient c = RaftNode.newClient(RaftNode.group(config), timeoutMs)) {
            RaftClientReply r = c.admin().transferLeadership(RaftPeerId.valueOf(peer), timeoutMs);
            return r.isSuccess();
        }
    }
}
