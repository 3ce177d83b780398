package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tandem.agent.LinkFaultTable.Link;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file of cut links: its format, atomic replacement, and rereading after a change. */
class LinkFaultTableTest {
    @TempDir
    Path dir;

    @Test
    void linksAreSymmetricAndTheFileFormatIsOneLinkPerLine() {
        Set<Link> links = LinkFaultTable.parse("# comment\n\nkyiv  frankfurt\nwitness kyiv\nonly-one\na b c\nx x\n", "test");
        assertThat(links).containsExactlyInAnyOrder(new Link("frankfurt", "kyiv"), new Link("kyiv", "witness"));
        assertThat(new Link("b", "a")).isEqualTo(new Link("a", "b"));
        assertThat(new Link("b", "a").joins("a", "b")).isTrue();
        assertThat(new Link("b", "a").joins("b", "a")).isTrue();
        assertThat(new Link("b", "a").joins("a", "c")).isFalse();
        assertThatThrownBy(() -> new Link("a", "a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aChangedFileIsSeenWithinTheRereadIntervalAndAMissingFileCutsNothing() throws Exception {
        Path f = dir.resolve("link-faults");
        LinkFaultTable t = LinkFaultTable.of(f);
        assertThat(t.isCut("a", "b")).isFalse();

        LinkFaultTable.write(f, List.of(new Link("a", "b")));
        Thread.sleep(LinkFaultTable.REREAD_MS + 20);
        assertThat(t.isCut("a", "b")).isTrue();
        assertThat(t.isCut("b", "a")).isTrue();
        assertThat(t.isCut("a", "c")).isFalse();
        assertThat(t.isCut("a", "a")).isFalse();
        assertThat(Files.readString(f)).contains("a b\n");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).as("no temporary files left").containsExactly(f);
        }

        // Same size, same second: the replacement is still seen (it is another file).
        LinkFaultTable.write(f, List.of(new Link("a", "c")));
        Thread.sleep(LinkFaultTable.REREAD_MS + 20);
        assertThat(t.isCut("a", "b")).isFalse();
        assertThat(t.isCut("c", "a")).isTrue();

        Files.delete(f);
        Thread.sleep(LinkFaultTable.REREAD_MS + 20);
        assertThat(t.current()).isEmpty();
        assertThat(LinkFaultTable.of(f)).as("one table per file").isSameAs(t);
    }

    @Test
    void theSystemPropertyNamesTheFileForPeersInOneJvm() {
        System.setProperty(LinkFaultTable.PROPERTY, dir.resolve("x").toString());
        try {
            assertThat(LinkFaultTable.configured()).contains(dir.resolve("x").toAbsolutePath());
        } finally {
            System.clearProperty(LinkFaultTable.PROPERTY);
        }
        if (System.getenv(LinkFaultTable.ENV) == null) assertThat(LinkFaultTable.configured()).isEmpty();
    }
}
