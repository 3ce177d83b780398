package io.tandem.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The bench's helper threads keep off the proxy's CPUs: which CPUs those are, and that a pinned thread's children inherit them. */
class CpuPinTest {

    @Test
    void theHelpersGetEveryCpuTheProxyIsNotPinnedTo() {
        assertThat(CpuPin.complement("0", 2)).isEqualTo("1");
        assertThat(CpuPin.complement("0", 4)).isEqualTo("1,2,3");
        assertThat(CpuPin.complement("1-2", 4)).isEqualTo("0,3");
        assertThat(CpuPin.complement("0,2-3", 4)).isEqualTo("1");
        assertThat(CpuPin.complement("0-1", 2)).as("no CPU left: anywhere").isEmpty();
        assertThat(CpuPin.complement("", 2)).as("the proxy not pinned: anywhere").isEmpty();
    }

    @Test
    void aThreadStartedByAPinnedThreadRunsOnTheSameCpus() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self/status")), "not Linux");
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "one CPU: nothing to keep off");
        String[] child = new String[1];
        String parent = CpuPin.onCpus("1", () -> {
            Thread t = new Thread(() -> child[0] = CpuPin.allowedCpus());
            t.start();
            t.join();
            return CpuPin.allowedCpus();
        });
        assertThat(parent).isEqualTo("1");
        assertThat(child[0]).isEqualTo("1");
        assertThat(CpuPin.allowedCpus()).as("the caller is not pinned").isNotEqualTo("1");
    }
}
