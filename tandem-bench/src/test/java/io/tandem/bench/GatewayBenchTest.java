package io.tandem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pieces of the gateway benchmark that need no peer: the per-round comparison printed under each ratio, the gateway's command. */
class GatewayBenchTest {

    private static Map<String, String> run(int round, String rps, String p99) {
        return Map.of("round", Integer.toString(round), "rps", rps, "p99_ms", p99);
    }

    @Test
    void eachRoundIsComparedWithTheSameRoundOfThePeerAndTheMedianIsPrinted() {
        List<Map<String, String>> gateway = List.of(run(1, "900", "5.0"), run(2, "1100", "4.0"), run(3, "2000", "9.0"));
        List<Map<String, String>> haproxy = List.of(run(1, "1000", "3.0"), run(2, "1000", "4.5"), run(3, "1000", "3.0"));
        assertThat(GatewayBench.pairs(gateway, haproxy)).isEqualTo(
                "rps=0.90 1.10 2.00 median=1.10 p99_delta_ms=+2.000 -0.500 +6.000 median=+2.000 (each round's two runs, in round order)");
    }

    @Test
    void aRoundMissingOnOneSideOrWithoutFiguresMakesNoPair() {
        List<Map<String, String>> gateway = List.of(run(1, "NA", "NA"), run(2, "1200", "4.0"), run(3, "1000", "5.0"));
        List<Map<String, String>> haproxy = List.of(run(1, "1000", "3.0"), run(2, "1000", "3.0"));
        assertThat(GatewayBench.pairs(gateway, haproxy)).isEqualTo(
                "rps=1.20 median=1.20 p99_delta_ms=+1.000 median=+1.000 (each round's two runs, in round order)");
        assertThat(GatewayBench.pairs(List.of(run(1, "1000", "3.0")), List.of(run(2, "1000", "3.0")))).isEmpty();
        assertThat(GatewayBench.pairs(null, haproxy)).isEmpty();
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(GatewayBench.median(List.of(3.0, 1.0, 4.0, 2.0))).isEqualTo(2.5);
    }

    @Test
    void theGatewayStartedByTheBenchIsPinnedLikeThePeersWithItsFlagsSplitAtSpaces() {
        assertThat(GatewayBench.gatewayCommand("0", "/jdk/bin/java", " -Xmx128m  -XX:+UseSerialGC ", "a.jar:lib/*", java.nio.file.Path.of("/w/g.yaml")))
                .containsExactly("taskset", "-c", "0", "/jdk/bin/java", "-Xmx128m", "-XX:+UseSerialGC", "-Dtandem.peer=gateway",
                        "-cp", "a.jar:lib/*", "io.tandem.cli.Main", "gateway", "--config", "/w/g.yaml");
        assertThat(GatewayBench.gatewayCommand("", "java", "", "cp", java.nio.file.Path.of("g.yaml")))
                .containsExactly("java", "-Dtandem.peer=gateway", "-cp", "cp", "io.tandem.cli.Main", "gateway", "--config", "g.yaml");
    }

    @Test
    void aWordHandedToTheRunnersShellStaysOneWord() {
        assertThat(GatewayBench.shellQuoted("/w/lib/*")).isEqualTo("'/w/lib/*'");
        assertThat(GatewayBench.shellQuoted("it's")).isEqualTo("'it'\\''s'");
    }
}
