package io.tandem.agent;

import java.nio.file.Path;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;

/**
 * The Ratis RPC type of the in-process link-fault layer: Netty, with every outgoing request to a peer that the
 * {@link LinkFaultTable} says is cut from this one failed before it is sent. Ratis resolves a type it does not
 * know by name as a class ({@code RpcType.valueOf}) and makes it with this public no-argument constructor.
 */
public final class LinkFaultRpcType implements RpcType {
    /** Property: the file of cut links. */
    static final String FILE_KEY = "tandem.linkfaults.file";
    /** Property: the peer whose outgoing requests these are (a client without it is outside every peer and never cut). */
    static final String SELF_KEY = "tandem.linkfaults.self";

    public LinkFaultRpcType() {}

    /** Makes {@code p} use this RPC type, reading cuts from {@code file} as seen by peer {@code self}. */
    static void configure(RaftProperties p, Path file, String self) {
        RaftConfigKeys.Rpc.setType(p, new LinkFaultRpcType());
        p.set(FILE_KEY, file.toString());
        p.set(SELF_KEY, self);
    }

    @Override
    public String name() {
        return LinkFaultRpcType.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new LinkFaultRpcFactory(parameters);
    }

    @Override
    public String toString() {
        return "NETTY+link-faults";
    }
}
