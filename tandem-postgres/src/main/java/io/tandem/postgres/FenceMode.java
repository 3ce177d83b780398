package io.tandem.postgres;

/** How a primary is made to refuse writes when its agent loses the quorum. */
public enum FenceMode {
    /**
     * pg_ctl stop -m immediate: every backend quits at once; no client can write (or read) until
     * the agent restarts the server in a role it was told. The default: fastest and cannot be
     * undone by a client.
     */
    STOP_IMMEDIATE,
    /**
     * default_transaction_read_only=on, reload, then terminate client backends: the server keeps
     * serving reads, but a client that explicitly sets the parameter off could still write, so
     * this is a softer fence for planned use, not for a lost lease.
     */
    READ_ONLY
}
