package io.tandem.agent;

import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated cluster state on Ratis. Entries are JSON {@link Command}s; a snapshot is the state as
 * JSON, so the log stays bounded and a restarted peer recovers from disk. Heartbeat queries are
 * answered here on the leader and recorded in its {@link HeartbeatBook}.
 */
final class TandemStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(TandemStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final HeartbeatBook book;
    private final Collection<String> peers;
    private final Consumer<String> onLeaderChange;
    private volatile ClusterState state = ClusterState.empty();
    private volatile String leader = "";

    TandemStateMachine(HeartbeatBook book, Collection<String> peers, Consumer<String> onLeaderChange) {
        this.book = book;
        this.peers = peers;
        this.onLeaderChange = onLeaderChange;
    }

    ClusterState state() {
        return state;
    }

    String leader() {
        return leader;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        load(storage.loadLatestSnapshot());
    }

    @Override
    public void reinitialize() throws IOException {
        load(storage.loadLatestSnapshot());
    }

    private void load(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        File f = snapshot.getFile().getPath().toFile();
        state = Json.read(Files.readAllBytes(f.toPath()), ClusterState.class);
        setLastAppliedTermIndex(snapshot.getTermIndex());
        LOG.info("event=snapshot-loaded index={} version={}", snapshot.getTermIndex().getIndex(), state.version());
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public long takeSnapshot() throws IOException {
        ClusterState s = state;
        TermIndex last = getLastAppliedTermIndex();
        File f = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        File tmp = new File(f.getPath() + ".tmp");
        Files.write(tmp.toPath(), Json.bytes(s));
        Files.move(tmp.toPath(), f.toPath(), StandardCopyOption.ATOMIC_MOVE);
        var md5 = MD5FileUtil.computeAndSaveMd5ForFile(f);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(f.toPath(), md5), last));
        return last.getIndex();
    }

    /**
     * Waits until this peer has applied a state newer than {@code version}, at most {@code maxMs}; true when it has.
     * Each applied change wakes every waiter (a virtual thread of the API server each).
     */
    boolean awaitNewer(long version, long maxMs) throws InterruptedException {
        long end = System.nanoTime() + maxMs * 1_000_000L;
        synchronized (this) {
            while (state.version() <= version) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
        Command c;
        try {
            c = Json.read(data, Command.class);
        } catch (RuntimeException e) {
            // An entry we cannot read (a newer version's?) must not stop the state machine: skip it loudly.
            LOG.error("event=entry-unreadable index={} error=\"{}\"", entry.getIndex(), e.getMessage());
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.valueOf("unreadable"));
        }
        synchronized (this) {
            ClusterState before = state;
            state = state.apply(c);
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            if (state.version() != before.version()) notifyAll(); // long-polls of GET /v1/cluster
        }
        return CompletableFuture.completedFuture(Message.valueOf(Long.toString(state.version())));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            Query q = Json.read(request.getContent().toByteArray(), Query.class);
            // Only the leader records heartbeats and knows them: a linearizable read served by a follower
            // would renew the sender's lease while the leader, which decides failures, never heard it.
            if (!leader.equals(getId() == null ? "" : getId().toString())) {
                return CompletableFuture.failedFuture(new java.io.IOException(getId() + " is not the Raft leader (leader: "
                        + (leader.isEmpty() ? "unknown" : leader) + ")"));
            }
            Object answer = switch (q) {
                case Query.Heartbeat h -> {
                    book.record(h.peer(), h.report());
                    yield state;
                }
                case Query.Status s -> new LeaderView(leader, book.leaderForMs(), state, book.observations(peers).peers(), book.decision());
            };
            return CompletableFuture.completedFuture(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(Json.bytes(answer))));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        String me = groupMemberId.getPeerId().toString();
        String now = newLeaderId == null ? "" : newLeaderId.toString();
        boolean tookOffice = now.equals(me) && !leader.equals(me);
        leader = now;
        if (tookOffice) {
            book.tookOffice();
        }
        onLeaderChange.accept(now);
    }
}
