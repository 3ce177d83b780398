package io.tandem.agent;

import io.tandem.model.config.Role;
import io.tandem.model.config.UserConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Bearer tokens checked against the SHA-256 hashes in the config; the token itself is never stored or
 * logged. Comparison is constant-time so the hashes cannot be probed byte by byte.
 */
public final class Auth {
    private final List<UserConfig> users;

    public Auth(List<UserConfig> users) {
        this.users = List.copyOf(users);
    }

    /** The user whose token is in the Authorization header ("Bearer TOKEN"), if any. */
    public Optional<UserConfig> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        byte[] hash = HexFormat.of().formatHex(sha256(authorization.substring(7).trim())).getBytes(StandardCharsets.US_ASCII);
        UserConfig found = null;
        for (UserConfig u : users) {
            if (MessageDigest.isEqual(hash, u.tokenSha256().getBytes(StandardCharsets.US_ASCII))) {
                found = u;
            }
        }
        return Optional.ofNullable(found);
    }

    public static boolean allows(UserConfig user, Role needed) {
        return user.role().allows(needed);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
