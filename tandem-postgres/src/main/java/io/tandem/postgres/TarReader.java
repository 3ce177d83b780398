package io.tandem.postgres;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Set;

/**
 * Extracts a tar stream (ustar, GNU long names, pax path headers) into a directory: regular
 * files with their permission bits, directories, symbolic and hard links. Enough for the zonky
 * PostgreSQL archive without pulling in a compression library's tar support.
 */
final class TarReader {
    private final InputStream in;
    private final byte[] header = new byte[512];

    TarReader(InputStream in) {
        this.in = in;
    }

    void extractTo(Path target) throws IOException {
        String longName = null;
        String longLink = null;
        while (true) {
            if (!readBlock(header)) {
                return;
            }
            if (isZero(header)) {
                return;
            }
            char type = (char) header[156];
            long size = number(header, 124, 12);
            String name = longName != null ? longName : name();
            String link = longLink != null ? longLink : string(header, 157, 100);
            longName = null;
            longLink = null;
            switch (type) {
                case 'L' -> longName = trimNul(new String(readData(size), StandardCharsets.UTF_8));
                case 'K' -> longLink = trimNul(new String(readData(size), StandardCharsets.UTF_8));
                case 'x' -> {
                    String[] pax = paxPathAndLink(new String(readData(size), StandardCharsets.UTF_8));
                    longName = pax[0];
                    longLink = pax[1];
                }
                case 'g' -> readData(size);
                case '5' -> Files.createDirectories(safe(target, name));
                case '2' -> {
                    Path p = safe(target, name);
                    Files.createDirectories(p.getParent());
                    Files.deleteIfExists(p);
                    Files.createSymbolicLink(p, Path.of(link));
                }
                case '1' -> {
                    Path p = safe(target, name);
                    Files.createDirectories(p.getParent());
                    Files.deleteIfExists(p);
                    Files.createLink(p, safe(target, link));
                }
                case '0', '\0', '7' -> {
                    Path p = safe(target, name);
                    Files.createDirectories(p.getParent());
                    try (OutputStream out = Files.newOutputStream(p)) {
                        copyData(size, out);
                    }
                    Files.setPosixFilePermissions(p, permissions((int) number(header, 100, 8)));
                }
                default -> readData(size); // devices, fifos: not expected in the archive, skipped
            }
        }
    }

    private String name() {
        String name = string(header, 0, 100);
        String magic = string(header, 257, 6);
        if (magic.equals("ustar")) { // POSIX ustar prefix field (GNU tar's "ustar  " has none)
            String prefix = string(header, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    private static Path safe(Path target, String name) throws IOException {
        Path p = target.resolve(name).normalize();
        if (!p.startsWith(target)) {
            throw new IOException("tar entry escapes the target directory: " + name);
        }
        return p;
    }

    private static String[] paxPathAndLink(String records) {
        String[] result = new String[2];
        for (String rec : records.split("\n")) {
            int space = rec.indexOf(' ');
            String kv = space < 0 ? rec : rec.substring(space + 1);
            if (kv.startsWith("path=")) {
                result[0] = kv.substring(5);
            } else if (kv.startsWith("linkpath=")) {
                result[1] = kv.substring(9);
            }
        }
        return result;
    }

    private byte[] readData(long size) throws IOException {
        byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new EOFException("truncated tar archive");
        }
        skipPadding(size);
        return data;
    }

    private void copyData(long size, OutputStream out) throws IOException {
        byte[] buf = new byte[65536];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("truncated tar archive");
            }
            out.write(buf, 0, n);
            left -= n;
        }
        skipPadding(size);
    }

    private void skipPadding(long size) throws IOException {
        int pad = (int) ((512 - size % 512) % 512);
        if (in.readNBytes(pad).length != pad) {
            throw new EOFException("truncated tar archive");
        }
    }

    private boolean readBlock(byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, 512);
        if (n == 0) {
            return false;
        }
        if (n < 512) {
            throw new EOFException("truncated tar header");
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static long number(byte[] b, int off, int len) {
        if ((b[off] & 0x80) != 0) { // GNU base-256 for large sizes
            long v = b[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (b[off + i] & 0xff);
            }
            return v;
        }
        String s = string(b, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static String string(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int i = s.indexOf('\0');
        return i < 0 ? s : s.substring(0, i);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = new HashSet<>();
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }

    static int mode(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        int mode = 0;
        for (PosixFilePermission perm : perms) {
            mode |= switch (perm) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return mode;
    }
}
