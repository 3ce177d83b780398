package io.tandem.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operating-system user PostgreSQL runs as. initdb and postgres refuse root, so when the JVM is
 * root every PostgreSQL command runs through {@code runuser -u USER --} as a dedicated system user
 * (created with {@code useradd --system} if missing) and the files it uses are chowned to it. A
 * dedicated user, not {@code unshare -U}: inside a bare user namespace the server still owns every
 * root-owned file on the host, so a compromised superuser session could write them.
 * When the JVM is not root, PostgreSQL runs as the JVM's own user.
 */
public final class PgUser {
    private static final Logger log = LoggerFactory.getLogger(PgUser.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final boolean switchUser;

    private PgUser(String name, boolean switchUser) {
        this.name = name;
        this.switchUser = switchUser;
    }

    /** Resolves the policy: the system user {@code systemUser} when root (created if missing), else the current user. */
    public static PgUser resolve(String systemUser) {
        if (!isRoot()) {
            return new PgUser(System.getProperty("user.name"), false);
        }
        ensureSystemUser(systemUser);
        return new PgUser(systemUser, true);
    }

    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    public String name() {
        return name;
    }

    /** True when commands are run through runuser as another user. */
    public boolean switchesUser() {
        return switchUser;
    }

    /** The command, prefixed to run as this user. */
    List<String> command(List<String> command) {
        List<String> full = new ArrayList<>();
        if (switchUser) {
            full.addAll(List.of("runuser", "-u", name, "--"));
        }
        full.addAll(command);
        return full;
    }

    /** Gives {@code path} (recursively, without following links) to this user; a no-op when not switching users. */
    void own(Path path) {
        if (!switchUser) {
            return;
        }
        try (var walk = Files.walk(path)) {
            var lookup = path.getFileSystem().getUserPrincipalLookupService();
            var owner = lookup.lookupPrincipalByName(name);
            java.nio.file.attribute.GroupPrincipal group;
            try {
                group = lookup.lookupPrincipalByGroupName(name);
            } catch (java.nio.file.attribute.UserPrincipalNotFoundException noSuchGroup) {
                group = null; // a user created elsewhere without its own group: keep the group
            }
            for (Path p : (Iterable<Path>) walk::iterator) {
                var view = Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                view.setOwner(owner);
                if (group != null) {
                    view.setGroup(group);
                }
            }
        } catch (IOException e) {
            throw new PgException("could not give " + path + " to user " + name + ": " + e, e);
        }
    }

    /** Fails with a clear message if this user cannot reach {@code dir} (every ancestor must be searchable). */
    void checkCanReach(Path dir) {
        if (!switchUser) {
            return;
        }
        Cmd.Result r = Cmd.run(command(List.of("test", "-x", dir.toString())), TIMEOUT);
        if (!r.ok()) {
            throw new PgException("user " + name + " cannot reach " + dir + ": make every parent directory"
                    + " searchable by it (chmod o+x, or 0711) or place the data under a directory it owns,"
                    + " e.g. /var/lib/tandem");
        }
    }

    private static synchronized void ensureSystemUser(String user) {
        if (Cmd.run(List.of("id", "-u", user), TIMEOUT).ok()) {
            return;
        }
        Cmd.Result r = Cmd.run(List.of("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", "/usr/sbin/nologin", "--user-group", user), TIMEOUT);
        // exit 9: created concurrently by another process (checked below) or a clashing group
        if (!Cmd.run(List.of("id", "-u", user), TIMEOUT).ok()) {
            throw new PgException("could not create system user " + user + " to run PostgreSQL (initdb refuses root): "
                    + Cmd.tail(r.output(), 5) + "\nCreate it by hand: useradd --system " + user);
        }
        log.info("event=pg_user_created user={}", user);
    }
}
