package io.tandem.postgres;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof that a request for a database clone (the whole data directory, streamed by the primary's agent) comes from
 * an agent of the cluster: an HMAC-SHA256, keyed with the superuser's password (postgres.password_file, the same at
 * every site), of the resource, the replication slot and the time. The password itself never travels. A proof is
 * good for 60 s either way of the receiver's clock; during a password change the password that last opened a
 * connection is accepted too.
 */
public final class CloneAuth {
    public static final String TIME_HEADER = "X-Tandem-Clone-Time";
    public static final String MAC_HEADER = "X-Tandem-Clone-Mac";
    static final long SKEW_MS = 60_000;

    private CloneAuth() {}

    /** The headers that prove the request (none without a password file: then only PostgreSQL's trusted addresses may ask). */
    public static Map<String, String> headers(Path passwordFile, String resource, String slot, long nowMs) {
        if (passwordFile == null) return Map.of();
        return Map.of(TIME_HEADER, Long.toString(nowMs), MAC_HEADER, mac(Passwords.read(passwordFile), resource, slot, nowMs));
    }

    /** Null when the proof is good, else why not (for a 403 and the log; never the expected value). */
    public static String refusal(Path passwordFile, String resource, String slot, String time, String mac, long nowMs) {
        if (time == null || mac == null) return "no proof of membership (" + TIME_HEADER + ", " + MAC_HEADER + ")";
        long t;
        try {
            t = Long.parseLong(time.trim());
        } catch (NumberFormatException e) {
            return "bad " + TIME_HEADER;
        }
        if (Math.abs(nowMs - t) > SKEW_MS) return "proof too old or from the future (" + (nowMs - t) + " ms; clocks more than 60 s apart?)";
        String current = Passwords.read(passwordFile);
        List<String> keys = new ArrayList<>();
        keys.add(current);
        keys.addAll(Passwords.earlier(passwordFile, current));
        byte[] given = mac.trim().getBytes(StandardCharsets.US_ASCII);
        for (String k : keys) {
            if (MessageDigest.isEqual(given, mac(k, resource, slot, t).getBytes(StandardCharsets.US_ASCII))) return null;
        }
        return "the proof does not match this cluster's password";
    }

    static String mac(String password, String resource, String slot, long timeMs) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(password.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] out = m.doFinal(("tandem-clone\n" + resource + "\n" + slot + "\n" + timeMs).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
