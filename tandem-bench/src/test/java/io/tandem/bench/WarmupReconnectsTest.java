package io.tandem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the warmup reconnects follow the peer runner: which URL each warmup loads, and where the runner's log says one starts. */
class WarmupReconnectsTest {

    @Test
    void eachSizeIsWarmedUpRepeatTimesInTheRunnersOrder() {
        assertThat(WarmupReconnects.warmupUrls(28080, " 1k  64k ", 2)).containsExactly(
                "http://127.0.0.1:28080/1k", "http://127.0.0.1:28080/1k", "http://127.0.0.1:28080/64k", "http://127.0.0.1:28080/64k");
        assertThat(WarmupReconnects.warmupUrls(28081, "1k", 1)).containsExactly("http://127.0.0.1:28081/1k");
    }

    @Test
    void aWarmupStartsAtEachQuietCheckOfTheRunnerWhetherTheMachineWasQuietOrNot() {
        String log = """
                [15:38:58] backend nginx pid=18325 ports 28081,28082 cpus=0 workers=1
                [15:38:59] background load 0.09 cores: ok
                  [gateway-tcp 1KiB] Running 10s test @ http://127.0.0.1:28080/1k
                [15:39:30] background load 0.52 cores after 5s wait: measuring anyway (see other_cores)
                """;
        assertThat(WarmupReconnects.warmupsStarted(log)).isEqualTo(2);
        assertThat(WarmupReconnects.warmupsStarted(log.substring(0, log.indexOf("[15:38:59]")))).isZero();
    }
}
