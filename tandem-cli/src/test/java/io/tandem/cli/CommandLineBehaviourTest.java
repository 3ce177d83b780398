package io.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import io.tandem.model.config.PeerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a user sees from the tandem command: exit codes, one-line errors, no stack traces. */
class CommandLineBehaviourTest {
    static final Path EXAMPLES = Path.of("..", "examples");
    /** A line of a Java stack trace, or the JVM's report of an uncaught exception. */
    static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(|^Exception in thread|^Caused by: ");

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    /** Runs the command in this JVM, capturing what it prints. */
    static Run inProcess(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Runs {@code tandem ARGS} as its own JVM, as a user would, and waits for it to exit. */
    Run child(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ChildPeers.javaCommand()));
        cmd.addAll(ChildPeers.jvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new AssertionError("tandem " + String.join(" ", args) + " still runs after " + timeoutSeconds + " s; stderr:\n" + Files.readString(err));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void validateAcceptsTheTwoSiteExample() {
        Run r = inProcess("validate", EXAMPLES.resolve("two-sites.yaml").toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(Main.OK);
        assertThat(r.out()).contains("two-sites.yaml: ok");
    }

    static Stream<Path> badExamples() throws IOException {
        try (Stream<Path> s = Files.list(EXAMPLES.resolve("bad"))) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(files).isNotEmpty();
            return files.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("badExamples")
    void validateRejectsABadFileNamingFileLineAndColumn(Path file) {
        Run r = inProcess("validate", file.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(Main.BAD_INPUT);
        assertThat(r.err()).containsPattern("(?m)^" + Pattern.quote(file.toString()) + ":\\d+:\\d+: \\S");
        assertThat(r.err()).doesNotContainPattern(STACK_TRACE);
    }

    @Test
    void statusWithNothingRunningSaysNoPeerAnsweredAndExits3() throws IOException {
        Path config = LocalCluster.create(tmp.resolve("idle")).configFile(); // free ports, nothing started
        Run r = inProcess("status", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(Main.FAILED);
        assertThat(r.err().lines().findFirst()).hasValueSatisfying(l -> assertThat(l).startsWith("tandem status: no peer answered"));
        assertThat(r.err()).doesNotContainPattern(STACK_TRACE);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void fsmDumpAsJsonIsJson() throws IOException {
        Run r = inProcess("fsm", "dump", "--format", "json");
        assertThat(r.exit()).isEqualTo(Main.OK);
        JsonNode n = Json.MAPPER.readTree(r.out());
        assertThat(n.isContainerNode() && !n.isEmpty()).as("a non-empty JSON object or array: %s", r.out()).isTrue();
    }

    @Test
    void agentForAnUnknownSiteExitsWithTheDeclaredNames() throws Exception {
        Path config = LocalCluster.create(tmp.resolve("c")).configFile();
        Run r = child(60, "agent", "--config", config.toString(), "--site", "warsaw");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("no site or witness named 'warsaw'").contains("kyiv").contains("frankfurt");
        assertThat(r.err()).doesNotContainPattern(STACK_TRACE);
    }

    @Test
    void agentWhoseApiPortIsTakenExitsWithAClearMessage() throws Exception {
        LocalCluster c = LocalCluster.create(tmp.resolve("c"));
        PeerConfig kyiv = c.peer(LocalCluster.KYIV);
        try (ServerSocket taken = new ServerSocket(kyiv.apiPort(), 1, InetAddress.getByName(kyiv.address()))) {
            Run r = child(60, "agent", "--config", c.configFile().toString(), "--site", LocalCluster.KYIV);
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("cannot serve the API of kyiv on " + kyiv.apiUrl()).contains("port is in use");
            assertThat(r.err()).doesNotContainPattern(STACK_TRACE);
        }
    }

    @Test
    void demoShowsAPrimaryAndLeavesNoProcessBehind() throws Exception {
        Path dir = tmp.resolve("demo");
        Run r = child(90, "demo", "--duration", "15", "--dir", dir.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(Main.OK);
        assertThat(r.out()).containsPattern("(?m)^db\\s+(kyiv|frankfurt)\\s+\\d+");
        // its client commits through the gateway and finds every acknowledged row on the primary
        assertThat(r.out()).containsPattern("demo writer: [1-9]\\d* rows committed through the gateway")
                .containsPattern("all [1-9]\\d* acknowledged rows are on the primary").doesNotContain("MISSING");
        List<Path> pidFiles;
        try (Stream<Path> s = Files.list(dir.resolve("logs"))) {
            pidFiles = s.filter(p -> p.toString().endsWith(".pid")).toList();
        }
        assertThat(pidFiles).as("two agents, the witness and the gateway").hasSize(4);
        for (Path f : pidFiles) {
            long pid = Long.parseLong(Files.readString(f).trim());
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("process %d of %s", pid, f.getFileName()).isEmpty();
        }
        // PostgreSQL ran at both sites under the data folder the demo printed; none of its processes is left
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("data in (\\S+)\\.").matcher(r.out());
        assertThat(m.find()).as("the demo says where PostgreSQL keeps its data: %s", r.out()).isTrue();
        String data = m.group(1);
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().arguments().map(a -> String.join(" ", a).contains(data)).orElse(false)).toList())
                .as("processes still using %s", data).isEmpty();
    }
}
