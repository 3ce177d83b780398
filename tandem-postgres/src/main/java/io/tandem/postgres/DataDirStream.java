package io.tandem.postgres;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A data directory as one byte stream, for a clone through the low-level backup API: the
 * primary's agent writes it, the standby's agent reads it (in-process through a pipe, or across
 * sites over any socket). Skips what pg_basebackup skips: the contents of pg_wal and of the
 * runtime directories, postmaster.pid/opts, signal files, temporary files. Files that change
 * during the copy are fine (the backup's WAL replay repairs torn pages): a file that shrinks is
 * padded with zeros up to the length announced, one that vanishes is left out.
 *
 * <p>Format: magic, then entries {@code D path mode} | {@code F path mode length bytes}, then {@code E}.
 */
public final class DataDirStream {
    private static final String MAGIC = "TANDEM-PGDATA-1";
    /** Directories kept, contents not copied. */
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    private static final Set<String> SKIPPED_TOP = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "tablespace_map", "backup_manifest", "standby.signal", "recovery.signal", "current_logfiles");

    private DataDirStream() {}

    /** Writes a data directory; call {@link #file} for extra files and {@link #finish} at the end. */
    public static final class Writer {
        private final DataOutputStream out;
        private long bytes;

        public Writer(OutputStream out) throws IOException {
            this.out = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
            this.out.writeUTF(MAGIC);
        }

        public void tree(Path dataDir) throws IOException {
            List<Path> all;
            try (Stream<Path> walk = Files.walk(dataDir)) {
                all = walk.filter(p -> !p.equals(dataDir)).sorted().toList();
            }
            for (Path p : all) {
                String rel = dataDir.relativize(p).toString();
                if (skipped(rel, p)) {
                    continue;
                }
                try {
                    if (Files.isDirectory(p)) { // a symlinked pg_wal becomes a plain directory
                        out.writeByte('D');
                        out.writeUTF(rel);
                        out.writeInt(TarReader.mode(p) | 0700);
                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        copyFile(rel, p);
                    }
                } catch (NoSuchFileException vanished) {
                    // dropped during the copy: WAL replay recreates whatever it needs
                }
            }
        }

        public void file(String rel, byte[] content) throws IOException {
            out.writeByte('F');
            out.writeUTF(rel);
            out.writeInt(0600);
            out.writeLong(content.length);
            out.write(content);
            bytes += content.length;
        }

        /** Ends the stream; returns the file bytes written. */
        public long finish() throws IOException {
            out.writeByte('E');
            out.flush();
            return bytes;
        }

        private void copyFile(String rel, Path p) throws IOException {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long length = ch.size();
                out.writeByte('F');
                out.writeUTF(rel);
                out.writeInt(TarReader.mode(p));
                out.writeLong(length);
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                long left = length;
                while (left > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), left));
                    int n = ch.read(buf);
                    if (n < 0) { // shrank while copying
                        out.write(new byte[(int) Math.min(buf.capacity(), left)]);
                        left -= Math.min(buf.capacity(), left);
                        continue;
                    }
                    out.write(buf.array(), 0, n);
                    left -= n;
                }
                bytes += length;
            }
        }
    }

    static boolean skipped(String rel, Path p) {
        String[] parts = rel.split("/");
        String top = parts[0];
        String name = parts[parts.length - 1];
        if (parts.length == 1 && (SKIPPED_TOP.contains(top) || top.endsWith(".tandem-tmp"))) {
            return true;
        }
        if (name.equals("pg_internal.init") || name.startsWith("pgsql_tmp")) {
            return true;
        }
        if (top.equals("pg_tblspc") && parts.length > 1) {
            throw new PgException("tablespaces are not supported by the low-level clone (found " + rel
                    + "): install pg_basebackup of the same major version");
        }
        // keep pg_wal's subdirectories (archive_status, summaries), drop every file in the emptied ones
        return EMPTIED.contains(top) && parts.length > 1 && !(top.equals("pg_wal") && Files.isDirectory(p));
    }

    /** Reads a stream into {@code target}, which must exist and be empty. Returns the file bytes read. */
    public static long read(InputStream in, Path target) throws IOException {
        DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16));
        if (!MAGIC.equals(data.readUTF())) {
            throw new IOException("not a Tandem data directory stream");
        }
        long bytes = 0;
        byte[] buf = new byte[1 << 16];
        while (true) {
            int type = data.readByte();
            if (type == 'E') {
                return bytes;
            }
            Path p = target.resolve(data.readUTF()).normalize();
            if (!p.startsWith(target)) {
                throw new IOException("entry escapes the data directory: " + p);
            }
            int mode = data.readInt();
            switch (type) {
                case 'D' -> Files.createDirectories(p);
                case 'F' -> {
                    long left = data.readLong();
                    Files.createDirectories(p.getParent());
                    try (OutputStream out = Files.newOutputStream(p)) {
                        bytes += left;
                        while (left > 0) {
                            int n = data.read(buf, 0, (int) Math.min(buf.length, left));
                            if (n < 0) {
                                throw new IOException("stream ended inside " + p);
                            }
                            out.write(buf, 0, n);
                            left -= n;
                        }
                    }
                }
                default -> throw new IOException("corrupt data directory stream: entry type " + type);
            }
            Files.setPosixFilePermissions(p, TarReader.permissions(mode));
        }
    }
}
