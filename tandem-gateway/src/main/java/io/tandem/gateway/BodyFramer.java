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
    private static final int MAX_TRAILER_LINE = 64 * 1024;

    private enum State {
        LENGTH, SIZE, SIZE_WS, SIZE_EXT, SIZE_LF, DATA, DATA_CR, DATA_LF,
        TRAILER_START, TRAILER_END_LF, TRAILER_NAME, TRAILER_VALUE, TRAILER_LF, DONE
    }

    private State state = State.DONE;
    private long remaining;
    private int digits;
    private int lineBytes;
    /** The trailer field name being read, lower case, up to 17 characters (the longest one checked). */
    private final byte[] name = new byte[17];
    private int nameLen;

    /** A body of exactly {@code n} bytes (n ≥ 1). */
    void length(long n) {
        state = State.LENGTH;
        remaining = n;
    }

    /** A chunked body. */
    void chunked() {
        startSize();
    }

    /**
     * Follows the body over {@code b} from {@code from} to {@code to}: the index just past its last byte when it
     * ends there, {@link #MORE} when it goes on, or {@link #MALFORMED}. As strict as Netty's decoder, since the
     * bytes reach the client as they are: lines end in CR LF only; after the size only whitespace then ';' and an
     * extension of visible characters; CR LF after each chunk's data; trailer fields {@code token ":" value} with
     * no control character, and none that could re-frame the message (Content-Length, Transfer-Encoding, Trailer).
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
                        if (remaining != 0 || v != 0) digits++; // leading zeros do not count
                        if (digits > 15) return MALFORMED; // 2^60: no overflow, and no real body is that large
                        remaining = remaining * 16 + v;
                        lineBytes++;
                    } else if (lineBytes == 0) {
                        return MALFORMED; // no size
                    } else if (c == '\r') {
                        state = State.SIZE_LF;
                    } else if (c == ';') {
                        state = State.SIZE_EXT;
                    } else if (c == ' ' || c == '\t') {
                        state = State.SIZE_WS;
                    } else {
                        return MALFORMED;
                    }
                    if (lineBytes > MAX_SIZE_LINE) return MALFORMED;
                }
                case SIZE_WS -> {
                    byte c = b.getByte(i++);
                    if (c == ';') state = State.SIZE_EXT;
                    else if (c != ' ' && c != '\t') return MALFORMED;
                    if (++lineBytes > MAX_SIZE_LINE) return MALFORMED;
                }
                case SIZE_EXT -> {
                    byte c = b.getByte(i++);
                    if (c == '\r') state = State.SIZE_LF;
                    else if (!ResponseHead.visible(c & 0xff)) return MALFORMED;
                    if (++lineBytes > MAX_SIZE_LINE) return MALFORMED;
                }
                case SIZE_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    state = remaining == 0 ? State.TRAILER_START : State.DATA; // size 0: the last chunk
                }
                case DATA_CR -> {
                    if (b.getByte(i++) != '\r') return MALFORMED;
                    state = State.DATA_LF;
                }
                case DATA_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    startSize();
                }
                case TRAILER_START -> {
                    byte c = b.getByte(i++);
                    if (c == '\r') {
                        state = State.TRAILER_END_LF;
                    } else if (ResponseHead.token(c)) {
                        state = State.TRAILER_NAME;
                        name[0] = (byte) (c | 0x20);
                        nameLen = 1;
                        lineBytes = 1;
                    } else {
                        return MALFORMED;
                    }
                }
                case TRAILER_END_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    state = State.DONE;
                    return i;
                }
                case TRAILER_NAME -> {
                    byte c = b.getByte(i++);
                    if (c == ':') {
                        if (reframes()) return MALFORMED;
                        state = State.TRAILER_VALUE;
                    } else if (ResponseHead.token(c)) {
                        if (nameLen < name.length) name[nameLen] = (byte) (c | 0x20);
                        nameLen++;
                    } else {
                        return MALFORMED;
                    }
                    if (++lineBytes > MAX_TRAILER_LINE) return MALFORMED;
                }
                case TRAILER_VALUE -> {
                    byte c = b.getByte(i++);
                    if (c == '\r') state = State.TRAILER_LF;
                    else if (!ResponseHead.visible(c & 0xff)) return MALFORMED;
                    if (++lineBytes > MAX_TRAILER_LINE) return MALFORMED;
                }
                case TRAILER_LF -> {
                    if (b.getByte(i++) != '\n') return MALFORMED;
                    state = State.TRAILER_START;
                }
                case DONE -> {
                    return MALFORMED; // nothing is expected after the end
                }
            }
        }
        return MORE;
    }

    private void startSize() {
        state = State.SIZE;
        remaining = 0;
        digits = 0;
        lineBytes = 0;
    }

    /** A trailer named Content-Length, Transfer-Encoding or Trailer: a client must never take it as framing. */
    private boolean reframes() {
        return nameLen == 14 && named("content-length") || nameLen == 17 && named("transfer-encoding") || nameLen == 7 && named("trailer");
    }

    private boolean named(String lower) {
        for (int k = 0; k < lower.length(); k++) {
            if (name[k] != lower.charAt(k)) return false;
        }
        return true;
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
