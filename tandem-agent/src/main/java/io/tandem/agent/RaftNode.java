package io.tandem.agent;

import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.Command;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One peer of the control-plane Raft group: the Ratis server, and a client for entries and queries. */
final class RaftNode implements AutoCloseable {
    /** Entries between snapshots: the log is purged up to each snapshot, so it stays bounded. */
    static final long SNAPSHOT_EVERY = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    private final PeerConfig me;
    /** The file of cut links when the in-process link-fault layer is on (tests only; see {@link LinkFaultTable}), else empty. */
    private final Optional<Path> linkFaults;
    private final RaftGroup group;
    private final RaftServer server;
    private volatile RaftClient client;
    private final long clientTimeoutMs;
    private final RaftClient statusClient;
    private volatile RaftClient heartbeatClient;
    private final long heartbeatTimeoutMs;

    RaftNode(TandemConfig config, PeerConfig me, TandemStateMachine sm) throws IOException {
        this.me = me;
        this.group = group(config);
        TimingConfig t = config.timing();
        RaftProperties p = new RaftProperties();
        this.linkFaults = LinkFaultTable.configured();
        linkFaults.ifPresent(f -> LOG.warn("event=link-fault-layer-active peer={} file={} (for tests: Raft requests to peers this file cuts off are failed here)",
                me.name(), f));
        transport(p, linkFaults, me.name());
        NettyConfigKeys.Server.setHost(p, me.address());
        NettyConfigKeys.Server.setPort(p, me.raftPort());
        File dir = config.dataDir().resolve(me.name()).resolve("raft").toFile();
        boolean existing = dir.isDirectory() && dir.list() != null && dir.list().length > 0;
        RaftServerConfigKeys.setStorageDir(p, List.of(dir));
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(t.electionTimeoutMin().toMillis()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(t.electionTimeoutMax().toMillis()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(Math.max(1000, t.failAfter().toMillis())));
        // Heartbeat answers must prove a quorum: the leader confirms it before answering (ReadIndex).
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setTimeout(p, ms(t.fenceAfter().toMillis()));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, Long.getLong("tandem.raft.snapshotEvery", SNAPSHOT_EVERY));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("4MB"));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf("1MB"));
        RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
        // A leader that stops hearing a majority steps down and, by Ratis' default, stands for no election for 10 s.
        // When it is the only peer that can win (the one left has a shorter log), that left the cluster with no leader
        // for 10 s (a site killed right after a leadership hand-over). Pre-vote already keeps a cut-off ex-leader from
        // disrupting the others, so it may stand again after one election timeout.
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, ms(t.electionTimeoutMax().toMillis()));
        this.server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(me.name()))
                .setGroup(group)
                .setProperties(p)
                .setStateMachine(sm)
                .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        this.clientTimeoutMs = t.heartbeat().toMillis() * 4;
        this.client = newClient(group, clientTimeoutMs, defaultRetry(), linkFaults, me.name());
        this.statusClient = newClient(group, t.fenceAfter().toMillis(), RetryPolicies.noRetry(), linkFaults, me.name());
        this.heartbeatTimeoutMs = t.heartbeat().toMillis() * 2;
        this.heartbeatClient = newClient(group, heartbeatTimeoutMs, RetryPolicies.noRetry(), linkFaults, me.name());
    }

    /** Netty, or with a link-fault file, Netty behind the in-process link-fault layer as seen by peer {@code self}. */
    private static void transport(RaftProperties p, Optional<Path> linkFaults, String self) {
        if (linkFaults.isPresent()) {
            LinkFaultRpcType.configure(p, linkFaults.get(), self);
        } else {
            RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        }
    }

    private static RaftClient newClient(RaftGroup group, long timeoutMs, org.apache.ratis.retry.RetryPolicy retry, Optional<Path> linkFaults,
                                        String self) {
        RaftProperties cp = new RaftProperties();
        transport(cp, linkFaults, self);
        RaftClientConfigKeys.Rpc.setRequestTimeout(cp, ms(timeoutMs));
        RaftClient.Builder b = RaftClient.newBuilder()
                .setProperties(cp)
                .setRaftGroup(group)
                .setRetryPolicy(retry);
        return b.build();
    }

    /** The leader as this peer's own Raft server knows it, or null. */
    RaftPeerId knownLeader() {
        try {
            return server.getDivision(group.getGroupId()).getInfo().getLeaderId();
        } catch (IOException e) {
            return null;
        }
    }

    static RaftGroup group(TandemConfig config) {
        List<RaftPeer> peers = config.peers().stream().map(pc -> RaftPeer.newBuilder()
                .setId(pc.name())
                .setAddress(pc.raftAddress())
                // All equal: Ratis would hand leadership to a higher-priority peer the moment its log is up to date,
                // even a witness whose JVM started a second ago on a busy machine. The agent hands it over itself,
                // once the preferred witness has heartbeated steadily (Agent#handOverToPreferredLeader).
                .setPriority(0)
                .build()).toList();
        UUID id = UUID.nameUUIDFromBytes(("tandem:" + config.cluster()).getBytes(StandardCharsets.UTF_8));
        return RaftGroup.valueOf(RaftGroupId.valueOf(id), peers);
    }

    /** A client from outside every peer (operator actions): plain Netty, never subject to link faults. */
    static RaftClient newClient(RaftGroup group, long timeoutMs) {
        return newClient(group, timeoutMs, defaultRetry(), Optional.empty(), null);
    }

    private static org.apache.ratis.retry.RetryPolicy defaultRetry() {
        return RetryPolicies.retryUpToMaximumCountWithFixedSleep(3, ms(50));
    }

    private static TimeDuration ms(long v) {
        return TimeDuration.valueOf(v, TimeUnit.MILLISECONDS);
    }

    void start() throws IOException {
        server.start();
    }

    boolean isLeaderReady() {
        try {
            return server.getDivision(group.getGroupId()).getInfo().isLeaderReady();
        } catch (IOException e) {
            return false;
        }
    }

    String name() {
        return me.name();
    }

    /** Appends an entry and waits until it is committed and applied. */
    RaftClientReply append(Command c) throws IOException {
        try {
            return client.io().send(message(c));
        } catch (org.apache.ratis.protocol.exceptions.AlreadyClosedException e) {
            // Redirected by a peer that is not the leader, Ratis' client can close the very connection it sends on
            // (CI, SnapshotRecoveryTest, right after the first election): once, with a fresh client.
            client = renewed(client, clientTimeoutMs, defaultRetry());
            LOG.info("event=raft-client-renewed peer={} reason=\"{}\"", me.name(), e.getMessage());
            return client.io().send(message(c));
        }
    }

    /**
     * A heartbeat: one blocking read-only request to the leader this peer's own Raft server knows, no
     * retries, bounded by twice the heartbeat interval. The caller tries again within tens of
     * milliseconds, re-aimed, so a dead or stale leader costs one short failure, not the lease.
     * (Ratis' ordered async client closes itself for good after some failures, hence blocking calls.)
     */
    RaftClientReply heartbeat(Query.Heartbeat q) throws IOException {
        RaftPeerId leader = knownLeader();
        if (leader == null) {
            throw new IOException("no Raft leader known (election in progress?)");
        }
        try {
            return heartbeatClient.io().sendReadOnly(message(q), leader);
        } catch (IOException | RuntimeException e) {
            heartbeatClient = renewed(heartbeatClient, heartbeatTimeoutMs, RetryPolicies.noRetry());
            throw e;
        }
    }

    /**
     * Asks this peer, as leader, to hand leadership to {@code peer}: Ratis sends it StartLeaderElection once its
     * log is up to date, so it wins at once instead of after an election timeout. Blocks up to {@code timeoutMs}.
     */
    RaftClientReply transferLeadership(String peer, long timeoutMs) throws IOException {
        return client.admin().transferLeadership(RaftPeerId.valueOf(peer), timeoutMs);
    }

    /** The leader's view for status: one request to the leader this peer knows, no retries; the caller falls back to its own copy. */
    RaftClientReply status() throws IOException {
        RaftPeerId leader = knownLeader();
        if (leader == null) {
            throw new IOException("no Raft leader known");
        }
        return statusClient.io().sendReadOnly(message(new Query.Status()), leader);
    }

    private static Message message(Object o) {
        return Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(Json.bytes(o)));
    }

    /** A fresh client in place of {@code old}, which is closed: a failure can leave Ratis' client unusable. */
    private RaftClient renewed(RaftClient old, long timeoutMs, org.apache.ratis.retry.RetryPolicy retry) {
        RaftClient fresh = newClient(group, timeoutMs, retry, linkFaults, me.name());
        closeQuietly(old);
        return fresh;
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            // a broken client may fail to close; nothing else holds it
        }
    }

    @Override
    public void close() throws IOException {
        try {
            closeQuietly(client);
            closeQuietly(statusClient);
            closeQuietly(heartbeatClient);
        } finally {
            server.close();
        }
    }
}
