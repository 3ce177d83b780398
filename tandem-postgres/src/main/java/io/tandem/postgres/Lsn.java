package io.tandem.postgres;

/** A WAL position (pg_lsn), comparable and subtractable; printed as PostgreSQL prints it (0/3000148). */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);

    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        long hi = Long.parseLong(text.substring(0, slash), 16);
        long lo = Long.parseLong(text.substring(slash + 1), 16);
        return new Lsn((hi << 32) | lo);
    }

    /** Bytes from {@code other} to this position (0 if other is ahead). */
    public long bytesAfter(Lsn other) {
        return Math.max(0, value - other.value);
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(value & 0xffffffffL).toUpperCase(java.util.Locale.ROOT);
    }
}
