package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proof a standby's agent gives before the primary's agent streams it the data directory. */
class CloneAuthTest {
    @Test
    void onlyAFreshProofMadeWithTheClustersPasswordForThisResourceAndSlotIsAccepted(@TempDir Path dir) throws Exception {
        Path pw = dir.resolve("pg-password");
        Files.writeString(pw, "s3cret-one\n");
        long now = 1_000_000_000L;
        Map<String, String> h = CloneAuth.headers(pw, "db", "frankfurt", now);
        assertThat(h.toString()).doesNotContain("s3cret");
        String t = h.get(CloneAuth.TIME_HEADER);
        String mac = h.get(CloneAuth.MAC_HEADER);
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", t, mac, now + 5_000)).isNull();
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", null, null, now)).contains("no proof");
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", t, mac, now + 61_000)).contains("too old");
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", "soon", mac, now)).contains("bad");
        assertThat(CloneAuth.refusal(pw, "db", "warsaw", t, mac, now)).as("another slot").contains("does not match");
        assertThat(CloneAuth.refusal(pw, "files", "frankfurt", t, mac, now)).as("another resource").contains("does not match");
        Files.writeString(pw, "s3cret-two\n");
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", t, mac, now)).as("another password").contains("does not match");
        // while the password changes, the one that last opened a connection still counts
        Passwords.worked(pw, "s3cret-one");
        assertThat(CloneAuth.refusal(pw, "db", "frankfurt", t, mac, now)).isNull();
        assertThat(CloneAuth.headers(null, "db", "frankfurt", now)).isEmpty();
    }
}
