package io.tandem.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The superuser's password (postgres.password_file): read from its file when needed, written only into the pgpass file
 * libpq reads (mode 0600, the PostgreSQL user's), never into a setting, a command line or a log. Which password was
 * last set on a data directory is remembered as a salted PBKDF2 hash, so a changed file is applied once.
 */
final class Passwords {
    private static final int ITERATIONS = 20_000;

    /** How many earlier passwords of one file are remembered in memory, for servers that have not caught up yet. */
    private static final int KEEP = 3;

    /**
     * Per password file, the distinct passwords that last opened a connection, newest first. A standby still has the old
     * password until it replays the primary's ALTER ROLE, so one "last good" password per file is not enough when
     * several servers share the file (one JVM driving two sites, or the primary set the new one a moment ago).
     */
    private static final Map<Path, List<String>> RECENT = new ConcurrentHashMap<>();

    private Passwords() {}

    static void worked(Path file, String password) {
        RECENT.compute(file, (f, old) -> {
            List<String> list = new ArrayList<>(old == null ? List.of() : old);
            list.remove(password);
            list.addFirst(password);
            return List.copyOf(list.subList(0, Math.min(KEEP, list.size())));
        });
    }

    /** The password that last worked with {@code file}, or null. */
    static String lastGood(Path file) {
        List<String> list = RECENT.get(file);
        return list == null || list.isEmpty() ? null : list.getFirst();
    }

    /** The passwords that worked with {@code file} lately, newest first, without {@code except}. */
    static List<String> earlier(Path file, String except) {
        return RECENT.getOrDefault(file, List.of()).stream().filter(p -> !p.equals(except)).toList();
    }

    /** The password: the file's first line. */
    static String read(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            String pw = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
            if (pw.isEmpty()) {
                throw new PgException("the password file " + file + " has an empty first line: write the password on it");
            }
            return pw;
        } catch (IOException e) {
            throw new PgException("cannot read the password file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A pgpass line for {@code user} on every host, port and database. */
    static String pgpassLine(String user, String password) {
        return "*:*:*:" + escape(user) + ":" + escape(password) + "\n";
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** A string literal for SQL (standard_conforming_strings on). */
    static String sqlLiteral(String v) {
        return "'" + v.replace("'", "''") + "'";
    }

    /** "salt:hash" of the password. */
    static String remember(String password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return HexFormat.of().formatHex(salt) + ":" + HexFormat.of().formatHex(pbkdf2(password, salt));
    }

    /** True if {@code remembered} (from {@link #remember}) is the hash of {@code password}. */
    static boolean matches(String remembered, String password) {
        int colon = remembered == null ? -1 : remembered.indexOf(':');
        if (colon < 0) return false;
        try {
            byte[] salt = HexFormat.of().parseHex(remembered.substring(0, colon).strip());
            byte[] want = HexFormat.of().parseHex(remembered.substring(colon + 1).strip());
            return MessageDigest.isEqual(want, pbkdf2(password, salt));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] pbkdf2(String password, byte[] salt) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        }
    }
}
