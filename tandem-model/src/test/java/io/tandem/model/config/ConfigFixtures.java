package io.tandem.model.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared fixtures: a valid config to vary, the repository's files, and where a text sits in a file. */
final class ConfigFixtures {
    private ConfigFixtures() {}

    /** Two sites and a witness with every required key; tests change one thing at a time with {@link String#replace}. */
    static final String VALID = """
            cluster: test
            sites:
              - name: kyiv
                address: 127.0.1.1
                raft_port: 7101
                api_port: 7111
              - name: frankfurt
                address: 127.0.2.1
                raft_port: 7201
                api_port: 7211
                priority: 50
            witness:
              address: 127.0.3.1
              raft_port: 7301
              api_port: 7311
            resources:
              - name: db
                kind: postgres
            timing:
              heartbeat: 250ms
              fail_after: 1.5s
              fence_after: 1s
            users:
              - name: ops
                role: operator
                token_sha256: 61112491d046c3f6f8ab801f170d9b2d0c734a17ceff60dee92123fb507cfc3f
            """;

    static final String FILE = "tandem.yaml";

    static ConfigLoader.Result check(String yaml) {
        return ConfigLoader.parse(FILE, yaml, Path.of("/etc/tandem"));
    }

    /** {@link #VALID} with one piece of text replaced; fails if the text is not there, so a test cannot silently test nothing. */
    static String validWith(String old, String replacement) {
        if (!VALID.contains(old)) {
            throw new IllegalArgumentException("VALID does not contain: " + old);
        }
        return VALID.replace(old, replacement);
    }

    /** The repository root, found from the working directory (the module when Maven runs the tests). */
    static Path repo() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("tandem-model")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new IllegalStateException("no repository root (with tandem-model/) above " + dir);
    }

    static Path repoFile(String relative) {
        return repo().resolve(relative);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * 1-based line of the first line, not a comment, containing {@code needle}, so tests do not break when
     * comments move lines.
     */
    static int lineOf(String text, String needle) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle) && !lines.get(i).strip().startsWith("#")) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no line contains: " + needle);
    }

    /** 1-based column where {@code needle} starts on its line. */
    static int columnOf(String text, String needle) {
        return text.lines().skip(lineOf(text, needle) - 1L).findFirst().orElseThrow().indexOf(needle) + 1;
    }

    static List<String> messages(ConfigLoader.Result r) {
        return r.problems().stream().map(ConfigProblem::message).toList();
    }
}
