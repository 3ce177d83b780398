package io.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real cuts on this machine's loopback: a process in a peer's cgroup tries to connect, with and without the cut. */
class LinkFaultsTest {
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final Map<String, LinkFaults.Endpoint> peers = new LinkedHashMap<>();

    @BeforeEach
    void listen() throws IOException {
        assumeTrue(LinkFaults.availability().available(), LinkFaults.availability().reason());
        for (String[] p : List.of(new String[] {"a", "127.0.1.1"}, new String[] {"b", "127.0.2.1"}, new String[] {"w", "127.0.3.1"})) {
            ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(p[1]));
            listeners.add(s);
            peers.put(p[0], new LinkFaults.Endpoint(p[1], s.getLocalPort()));
        }
    }

    @AfterEach
    void close() throws IOException {
        for (ServerSocket s : listeners) s.close();
    }

    /** Whether a process in {@code from}'s cgroup (or outside any, when null) connects to {@code to}'s Raft port within 1.5 s. */
    private boolean connects(LinkFaults f, String from, String to) throws Exception {
        LinkFaults.Endpoint e = peers.get(to);
        List<String> cmd = List.of("timeout", "1.5", "bash", "-c", "exec 3<>/dev/tcp/" + e.address() + "/" + e.raftPort());
        Process p = new ProcessBuilder(from == null ? cmd : f.wrap(from, cmd)).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit of the probe (0 connected, 124 timed out): %s", out).isIn(0, 124);
        return p.exitValue() == 0;
    }

    @Test
    void cutLinkDropsOnlyThatLinkAndHealRestoresIt() throws Exception {
        try (LinkFaults f = LinkFaults.open(peers)) {
            assertThat(connects(f, "a", "b")).isTrue();
            f.cutLink("a", "b");
            assertThat(connects(f, "a", "b")).as("a -> b cut").isFalse();
            assertThat(connects(f, "b", "a")).as("b -> a cut").isFalse();
            assertThat(connects(f, "a", "w")).as("a -> w still up").isTrue();
            assertThat(connects(f, "w", "b")).as("w -> b still up").isTrue();
            f.heal();
            assertThat(connects(f, "a", "b")).isTrue();
        }
    }

    @Test
    void cutIsolatesAPeerFromEveryone() throws Exception {
        try (LinkFaults f = LinkFaults.open(peers)) {
            f.cut("a");
            assertThat(connects(f, "a", "b")).isFalse();
            assertThat(connects(f, "a", "w")).isFalse();
            assertThat(connects(f, "w", "a")).isFalse();
            assertThat(connects(f, null, "a")).as("from outside any peer's cgroup").isFalse();
            assertThat(connects(f, "w", "b")).as("the others still talk").isTrue();
        }
    }

    @Test
    void closeRemovesTheTableAndTheCgroupsAndOpenRemovesWhatDeadRunsLeft() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String stale = "tandem_" + gone.pid() + "_1";
        nft("add table inet " + stale);
        LinkFaults f = LinkFaults.open(peers);
        assertThat(nft("list tables")).doesNotContain(stale).contains(f.table());
        Path cgroup = f.cgroup("a");
        assertThat(cgroup).isDirectory();
        f.close();
        assertThat(nft("list tables")).doesNotContain(f.table());
        assertThat(cgroup).doesNotExist();
    }

    @Test
    void unknownPeerIsRefusedByName() throws Exception {
        try (LinkFaults f = LinkFaults.open(peers)) {
            assertThatThrownBy(() -> f.cut("nowhere")).hasMessageContaining("no peer 'nowhere'");
        }
    }

    private static String nft(String args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nft"));
        cmd.addAll(List.of(args.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
