package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The event loops' scheduling policy, as Linux reports it for the loop's own thread. */
class TransportTest {

    @Test
    void eventLoopsRunUnderSchedBatchWhenAskedAndUnderTheNormalPolicyOtherwise() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self/sched")), "no /proc/thread-self/sched: not Linux");
        assumeTrue(java.util.stream.Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "chrt"))), "no chrt on the PATH (util-linux): the option only warns then");
        assertThat(policyOfALoopThread(Transport.best().withSchedBatch(true))).as("SCHED_BATCH is policy 3").isEqualTo(3);
        assertThat(policyOfALoopThread(Transport.best().withSchedBatch(false))).as("SCHED_OTHER is policy 0").isEqualTo(0);
    }

    private static int policyOfALoopThread(Transport t) throws Exception {
        EventLoopGroup g = t.group(1, "transport-test", ThreadPriorities.EVENT_LOOP);
        try {
            return g.submit(TransportTest::myPolicy).get(10, TimeUnit.SECONDS);
        } finally {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The "policy" line of /proc/thread-self/sched, read on the calling thread. */
    private static int myPolicy() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/sched"))) {
            if (line.startsWith("policy")) return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
        }
        throw new IllegalStateException("no policy line in /proc/thread-self/sched");
    }
}
