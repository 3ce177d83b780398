package io.tandem.gateway;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a response body ends in the bytes as they arrive, without copying them: a count for
 * Content-Length, a small state machine over the chunk-size lines, the data skipped in bulk, and the
 * trailer for chunked. The bytes themselves are forwarded as they are (a chunked body stays chunked).
 *
 * <p>Measured-hot: runs over every response body byte range of the byte-level path; no allocation.
 */
final class BodyFramer {
    /** What {@link #scan} found wrong with a chunked body. */
    static final int MALFORMED = -2;
    /** {@link #scan}: the body goes on past the bytes given. */
    static final int MORE = -1;

    private static final int MAX_SIZE_LINE = 4096;

    private enum State { LENGTH, SIZE, SIZE_EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER, TRAILER_LF, DONE }

    private State state = State.DONE;
    private long remaining;
    private int digits;
    private int lineBytes;

    /** A body of exactly {@code n} bytes (n ≥ 1). */
    void length(long n) {
        state = State.LENGTH;
        remaining = n;
    }

    /** A chunked body. */
    void chunked() {
        state = State.SIZE;
        remaining = 0;
        digits = 0;
        lineBytes = 0;
    }

    /**
     * Follows the body over {@code b} from {@code from} to {@code to}: the index just past its last byte when it
     * ends there, {@link #MORE} when it goes on, or {@link #MALFORMED}.
     */
    int scan(ByteBuf b, int from, int to) {
        int i = from;
        while (i < to) {
            switch (state) {
                case LENGTH -> {
                    long n = Math.min(remaining, to - i);
                    i += (int) n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.DONE;
                        return i;
                    }
                }
                case DATA -> {
                    long n = Math.min(remaining, to - i);
                    i += (int) n;
                    remaining -= n;
                    if (remaining == 0) state = State.DATA_CR;
                }
                case SIZE -> {
                    byte c = b.getByte(i++);
                    int v = hex(c);
                    if (v >= 0) {
                        if (++digits > 15) return MALFORMED; // 2^60: no overflow, and no real body is that large
                        remaining = remaining * 16 + v;
                    } else if (digits == 0) {
                        return MALFORMED;
                    } else if (c == '\r') {
                        state = State.SIZE_LF;
                    } else if (c == '\n') {
                        endSizeLine();
                    } else if (c == ';' || c == ' ' || c == '\t') {
                        state = State.SIZE_EXT;
                        lineBytes = 0;
                    } else {
                        return MALFORMED;
                    }
                }
                case SIZE_EXT -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        endSizeLine();
                    } else if (++lineBytes > MAX_SIZE_LINE || (c < ' ' && c != '\t' && c != '\r')) {
                        return MALFORMED;
                    }
                }
                case SIZE_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    endSizeLine();
                }
                case DATA_CR -> {
                    byte c = b.getByte(i++);
                    if (c == '\r') state = State.DATA_LF;
                    else if (c == '\n') startSize();
                    else return MALFORMED;
                }
                case DATA_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    startSize();
                }
                case TRAILER_START -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        state = State.DONE;
                        return i;
                    }
                    state = c == '\r' ? State.TRAILER_LF : State.TRAILER;
                    lineBytes = 1;
                }
                case TRAILER_LF -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        state = State.DONE;
                        return i;
                    }
                    state = State.TRAILER; // a trailer field starting with CR: its line goes on
                }
                case TRAILER -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        state = State.TRAILER_START;
                    } else if (++lineBytes > MAX_SIZE_LINE * 16) {
                        return MALFORMED;
                    }
                }
                case DONE -> {
                    return MALFORMED; // nothing is expected after the end
                }
            }
        }
        return MORE;
    }

    private void endSizeLine() {
        if (remaining == 0) {
            state = State.TRAILER_START; // the last chunk
        } else {
            state = State.DATA;
        }
    }

    private void startSize() {
        state = State.SIZE;
        remaining = 0;
        digits = 0;
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
