package io.tandem.postgres;

/** pg_ctl stop modes used by the driver (smart is never used: it waits for every client to leave). */
public enum StopMode {
    /** Rolls back open transactions, disconnects clients, writes a shutdown checkpoint. */
    FAST,
    /** Quits every process at once without a checkpoint; crash recovery runs on the next start. */
    IMMEDIATE;

    /** The postmaster's signal for this mode. */
    String signal() {
        return this == FAST ? "INT" : "QUIT";
    }
}
