package io.tandem.agent;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyFactory;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotReplyProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexReplyProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.ServerFactory;
import org.apache.ratis.server.protocol.RaftServerAsynchronousProtocol;

/**
 * Netty's server and client RPCs, wrapped: a request from this peer to a peer it is cut from fails with
 * {@link LinkCutException} (an IOException, as a connect failure would) without touching the network. Each end
 * fails only its own outgoing requests; as both ends read the same cut, a cut is symmetric. Incoming requests,
 * and everything to peers not cut, go through Netty unchanged. (Not a subclass of {@link NettyFactory}: its
 * methods return Netty's final classes, which cannot be wrapped in their place.)
 */
final class LinkFaultRpcFactory implements ServerFactory, ClientFactory {
    private final NettyFactory netty;

    LinkFaultRpcFactory(Parameters parameters) {
        this.netty = new NettyFactory(parameters);
    }

    @Override
    public RpcType getRpcType() {
        return new LinkFaultRpcType();
    }

    @Override
    public RaftServerRpc newRaftServerRpc(RaftServer server) {
        LinkFaultTable table = table(server.getProperties());
        String self = server.getProperties().get(LinkFaultRpcType.SELF_KEY);
        // The server's id is not needed before the first request; asked late, it is surely set.
        return new ServerRpc(netty.newRaftServerRpc(server), table, self != null ? () -> self : () -> server.getId().toString());
    }

    @Override
    public RaftClientRpc newRaftClientRpc(ClientId clientId, RaftProperties properties) {
        String self = properties.get(LinkFaultRpcType.SELF_KEY);
        RaftClientRpc rpc = netty.newRaftClientRpc(clientId, properties);
        return self == null ? rpc : new ClientRpc(rpc, table(properties), self);
    }

    private static LinkFaultTable table(RaftProperties p) {
        String file = p.get(LinkFaultRpcType.FILE_KEY);
        if (file == null) throw new IllegalStateException(LinkFaultRpcType.FILE_KEY + " is not set; use LinkFaultRpcType.configure");
        return LinkFaultTable.of(Path.of(file));
    }

    /** A request that the link-fault layer did not send, because the link to its target is cut. */
    static final class LinkCutException extends IOException {
        private static final long serialVersionUID = 1L;

        LinkCutException(String from, String to, String what) {
            super(what + " from " + from + " to " + to + " not sent: the link is cut (link-fault layer)");
        }
    }

    static final class ServerRpc implements RaftServerRpc {
        private final RaftServerRpc net;
        private final LinkFaultTable table;
        private final Supplier<String> self;

        ServerRpc(RaftServerRpc net, LinkFaultTable table, Supplier<String> self) {
            this.net = net;
            this.table = table;
            this.self = self;
        }

        private void check(RaftRpcRequestProto r, String what) throws LinkCutException {
            String to = RaftPeerId.valueOf(r.getReplyId()).toString();
            String from = self.get();
            if (table.isCut(from, to)) throw new LinkCutException(from, to, what);
        }

        private <T> CompletableFuture<T> checkAsync(RaftRpcRequestProto r, String what) {
            try {
                check(r, what);
                return null;
            } catch (LinkCutException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public RequestVoteReplyProto requestVote(RequestVoteRequestProto r) throws IOException {
            check(r.getServerRequest(), "requestVote");
            return net.requestVote(r);
        }

        @Override
        public AppendEntriesReplyProto appendEntries(AppendEntriesRequestProto r) throws IOException {
            check(r.getServerRequest(), "appendEntries");
            return net.appendEntries(r);
        }

        @Override
        public InstallSnapshotReplyProto installSnapshot(InstallSnapshotRequestProto r) throws IOException {
            check(r.getServerRequest(), "installSnapshot");
            return net.installSnapshot(r);
        }

        @Override
        public StartLeaderElectionReplyProto startLeaderElection(StartLeaderElectionRequestProto r) throws IOException {
            check(r.getServerRequest(), "startLeaderElection");
            return net.startLeaderElection(r);
        }

        /** Netty has no asynchronous server protocol in Ratis 3.3 (this throws as Netty's does); should it get one, it is cut too. */
        @Override
        public RaftServerAsynchronousProtocol async() {
            RaftServerAsynchronousProtocol a = net.async();
            return new RaftServerAsynchronousProtocol() {
                @Override
                public CompletableFuture<AppendEntriesReplyProto> appendEntriesAsync(AppendEntriesRequestProto r) throws IOException {
                    CompletableFuture<AppendEntriesReplyProto> cut = checkAsync(r.getServerRequest(), "appendEntriesAsync");
                    return cut != null ? cut : a.appendEntriesAsync(r);
                }

                @Override
                public CompletableFuture<ReadIndexReplyProto> readIndexAsync(ReadIndexRequestProto r) throws IOException {
                    CompletableFuture<ReadIndexReplyProto> cut = checkAsync(r.getServerRequest(), "readIndexAsync");
                    return cut != null ? cut : a.readIndexAsync(r);
                }
            };
        }

        @Override
        public void start() throws IOException {
            net.start();
        }

        @Override
        public InetSocketAddress getInetSocketAddress() {
            return net.getInetSocketAddress();
        }

        @Override
        public InetSocketAddress getClientServerAddress() {
            return net.getClientServerAddress();
        }

        @Override
        public InetSocketAddress getAdminServerAddress() {
            return net.getAdminServerAddress();
        }

        @Override
        public void handleException(RaftPeerId serverId, Exception e, boolean reconnect) {
            if (e instanceof LinkCutException) return; // nothing was sent: the connection, if any, is fine
            net.handleException(serverId, e, reconnect);
        }

        @Override
        public void notifyNotLeader(RaftGroupId groupId) {
            net.notifyNotLeader(groupId);
        }

        @Override
        public RpcType getRpcType() {
            return new LinkFaultRpcType();
        }

        @Override
        public void addRaftPeers(Collection<RaftPeer> peers) {
            net.addRaftPeers(peers);
        }

        @Override
        public void close() throws IOException {
            net.close();
        }
    }

    static final class ClientRpc implements RaftClientRpc {
        private final RaftClientRpc net;
        private final LinkFaultTable table;
        private final String self;

        ClientRpc(RaftClientRpc net, LinkFaultTable table, String self) {
            this.net = net;
            this.table = table;
            this.self = self;
        }

        private LinkCutException cut(RaftClientRequest r) {
            String to = r.getServerId() == null ? null : r.getServerId().toString();
            return table.isCut(self, to) ? new LinkCutException(self, to, "client " + r.getType().getTypeCase().name().toLowerCase() + " request") : null;
        }

        @Override
        public RaftClientReply sendRequest(RaftClientRequest r) throws IOException {
            LinkCutException e = cut(r);
            if (e != null) throw e;
            return net.sendRequest(r);
        }

        @Override
        public CompletableFuture<RaftClientReply> sendRequestAsync(RaftClientRequest r) {
            LinkCutException e = cut(r);
            return e != null ? CompletableFuture.failedFuture(e) : net.sendRequestAsync(r);
        }

        @Override
        public CompletableFuture<RaftClientReply> sendRequestAsyncUnordered(RaftClientRequest r) {
            LinkCutException e = cut(r);
            return e != null ? CompletableFuture.failedFuture(e) : net.sendRequestAsyncUnordered(r);
        }

        @Override
        public boolean handleException(RaftPeerId serverId, Throwable t, boolean reconnect) {
            if (t instanceof LinkCutException || t != null && t.getCause() instanceof LinkCutException) return false; // nothing was sent
            return net.handleException(serverId, t, reconnect);
        }

        @Override
        public boolean shouldReconnect(Throwable t) {
            return net.shouldReconnect(t);
        }

        @Override
        public void addRaftPeers(Collection<RaftPeer> peers) {
            net.addRaftPeers(peers);
        }

        @Override
        public void close() throws IOException {
            net.close();
        }
    }
}
