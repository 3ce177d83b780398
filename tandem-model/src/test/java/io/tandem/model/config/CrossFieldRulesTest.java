package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.FILE;
import static io.tandem.model.config.ConfigFixtures.VALID;
import static io.tandem.model.config.ConfigFixtures.check;
import static io.tandem.model.config.ConfigFixtures.lineOf;
import static io.tandem.model.config.ConfigFixtures.messages;
import static io.tandem.model.config.ConfigFixtures.read;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static io.tandem.model.config.ConfigFixtures.validWith;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Rules that relate several keys, listed in docs/configuration.md under "Rules across keys". */
class CrossFieldRulesTest {
    private static final String WITNESS = "witness:\n  address: 127.0.3.1\n  raft_port: 7301\n  api_port: 7311\n";

    @Test
    void fenceAfterLongerThanFailAfterIsRefusedAtTheLineOfFenceAfter() {
        Path file = repoFile("examples/bad/fence-after-not-below-fail-after.yaml");

        ConfigLoader.Result r = ConfigLoader.check(file);

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("fence_after (2s) must be less than fail_after (1.5s)");
            assertThat(p.location().file()).isEqualTo(file.toString());
            assertThat(p.location().line()).isEqualTo(lineOf(read(file), "fence_after: 2s"));
            assertThat(p.hint()).contains("lower fence_after or raise fail_after");
        });
    }

    @Test
    void fenceAfterEqualToFailAfterIsRefused() {
        ConfigLoader.Result r = check(validWith("  fence_after: 1s", "  fence_after: 1500ms"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("fence_after (1.5s) must be less than fail_after (1.5s)");
            assertThat(p.location()).isEqualTo(new Location(FILE, lineOf(VALID, "fence_after"), 16));
        });
    }

    @Test
    void failAfterLoweredBelowTheDefaultFenceAfterIsRefused() {
        ConfigLoader.Result r = check(validWith("  fence_after: 1s\n", "").replace("  fail_after: 1.5s", "  fail_after: 800ms"));

        assertThat(messages(r)).containsExactly("fence_after (1s) must be less than fail_after (800ms)");
    }

    @Test
    void copyFailAfterBelowFailAfterIsRefusedAtItsLineAndAValueAboveIsUsed() {
        ConfigLoader.Result r = check(validWith("  heartbeat: 250ms", "  heartbeat: 250ms\n  copy_fail_after: 1s"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("copy_fail_after (1s) must be at least fail_after (1.5s)");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "heartbeat") + 1);
            assertThat(p.hint()).contains("restarts a crashed PostgreSQL in place").contains("0 for 4 x fail_after");
        });
        ConfigLoader.Result ok = check(validWith("  heartbeat: 250ms", "  heartbeat: 250ms\n  copy_fail_after: 3s"));
        assertThat(ok.problems()).isEmpty();
        assertThat(ok.config().timing().copyFailAfter()).isEqualTo(java.time.Duration.ofSeconds(3));
        assertThat(check(VALID).config().timing().copyFailAfter()).as("default: 4 x fail_after").isEqualTo(java.time.Duration.ofSeconds(6));
        assertThat(check(VALID.replace("  fail_after: 1.5s", "  fail_after: 2m")).config().timing().copyFailAfter())
                .as("follows a raised fail_after").isEqualTo(java.time.Duration.ofMinutes(8));
    }

    @Test
    void heartbeatLongerThanHalfOfFenceAfterIsRefused() {
        ConfigLoader.Result r = check(validWith("  heartbeat: 250ms", "  heartbeat: 501ms"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("heartbeat (501ms) must be at most half of fence_after (1s)");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "heartbeat"));
        });
    }

    @Test
    void heartbeatOfExactlyHalfOfFenceAfterIsAccepted() {
        assertThat(check(validWith("  heartbeat: 250ms", "  heartbeat: 500ms")).problems()).isEmpty();
    }

    @Test
    void heartbeatBelowTenMillisecondsIsRefused() {
        assertThat(messages(check(validWith("  heartbeat: 250ms", "  heartbeat: 5ms")))).containsExactly("heartbeat below 10ms");
    }

    @Test
    void electionTimeoutMinNotBelowMaxIsRefused() {
        ConfigLoader.Result r = check(withTiming("  election_timeout_min: 600ms\n  election_timeout_max: 600ms\n"));

        assertThat(messages(r)).containsExactly("election_timeout_min must be less than election_timeout_max");
    }

    @Test
    void electionTimeoutMinBelow150msIsRefusedAnd150msIsAccepted() {
        assertThat(messages(check(withTiming("  election_timeout_min: 149ms\n")))).containsExactly("election_timeout_min below 150ms");
        assertThat(check(withTiming("  election_timeout_min: 150ms\n")).problems()).isEmpty();
    }

    @Test
    void timingValueThatDoesNotParseIsNotAlsoComparedAsItsDefault() {
        // fence_after falls back to its default 1s, which is not below fail_after 800ms; only the bad value is the user's mistake.
        ConfigLoader.Result r = check(validWith("  fence_after: 1s", "  fence_after: soon").replace("  fail_after: 1.5s", "  fail_after: 800ms"));

        assertThat(messages(r)).singleElement().asString().startsWith("bad value for 'fence_after'");
    }

    @Test
    void duplicateSiteNamesAreRefusedAtTheSecondSite() {
        ConfigLoader.Result r = check(validWith("  - name: frankfurt", "  - name: kyiv"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("duplicate site/witness name 'kyiv'");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "name: frankfurt"));
        });
    }

    @Test
    void siteNamedLikeTheWitnessIsRefused() {
        assertThat(messages(check(validWith("  - name: frankfurt", "  - name: witness"))))
                .containsExactly("duplicate site/witness name 'witness'");
    }

    @Test
    void twoPeersUsingOnePortOnOneAddressAreRefused() {
        ConfigLoader.Result r = check(validWith("    address: 127.0.2.1", "    address: 127.0.1.1")
                .replace("    api_port: 7211", "    api_port: 7111"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("port 7111 on 127.0.1.1 is used twice (by 'kyiv' and 'frankfurt')");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "name: frankfurt"));
        });
    }

    @Test
    void raftAndApiPortOfOneSiteMustDiffer() {
        assertThat(messages(check(validWith("    api_port: 7111", "    api_port: 7101"))))
                .containsExactly("port 7101 on 127.0.1.1 is used twice (by 'kyiv' and 'kyiv')");
    }

    @Test
    void samePortOnDifferentAddressesIsAccepted() {
        String yaml = validWith("    raft_port: 7201", "    raft_port: 7101").replace("    api_port: 7211", "    api_port: 7111");

        assertThat(check(yaml).problems()).isEmpty();
    }

    @Test
    void noPrimaryEligibleSiteIsRefused() {
        String yaml = validWith("    api_port: 7111\n", "    api_port: 7111\n    primary_eligible: false\n")
                .replace("    priority: 50\n", "    priority: 50\n    primary_eligible: no\n");

        assertThat(check(yaml).problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("no site is primary_eligible");
            assertThat(p.hint()).contains("primary_eligible: true");
        });
    }

    @Test
    void oneIneligibleSiteIsAccepted() {
        TandemConfig c = check(validWith("    priority: 50\n", "    priority: 50\n    primary_eligible: false\n")).config();

        assertThat(c.peer("frankfurt")).hasValueSatisfying(p -> assertThat(p.primaryEligible()).isFalse());
    }

    @Test
    void twoSitesWithoutWitnessLoadWithAWarningThatOnlyManualFailoverIsPossible() {
        ConfigLoader.Result r = check(validWith(WITNESS, ""));

        assertThat(r.ok()).isTrue();
        assertThat(r.config().witness()).isEmpty();
        assertThat(r.config().automaticFailoverPossible()).isFalse();
        assertThat(r.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).startsWith("WARNING").contains("no witness").contains("only MANUAL failover");
            assertThat(w.hint()).contains("add a 'witness:'");
        });
        assertThat(r.config().warnings()).isEqualTo(r.warnings());
    }

    @Test
    void oneSiteWithAWitnessIsWarnedWithoutClaimingTheWitnessIsMissing() {
        String oneSite = validWith("""
                  - name: frankfurt
                    address: 127.0.2.1
                    raft_port: 7201
                    api_port: 7211
                    priority: 50
                """, "");

        ConfigLoader.Result r = check(oneSite);

        assertThat(r.ok()).isTrue();
        assertThat(r.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).contains("only MANUAL failover").doesNotContain("no witness");
            assertThat(w.hint()).isEqualTo("declare at least two sites");
        });
    }

    @Test
    void threeSitesAndAWitnessAreWarnedAboutAnEvenMemberCount() {
        // The sites list ends just above the witness section.
        String yaml = validWith("witness:", "  - name: warsaw\n    address: 127.0.4.1\n    raft_port: 7401\n    api_port: 7411\nwitness:");

        ConfigLoader.Result r = check(yaml);

        assertThat(r.ok()).isTrue();
        assertThat(r.config().sites()).extracting(PeerConfig::name).containsExactly("kyiv", "frankfurt", "warsaw");
        assertThat(r.warnings()).singleElement().satisfies(w -> assertThat(w.message()).contains("even number of Raft members (4)"));
    }

    @Test
    void resourceNamingAnUnknownSiteIsRefusedWithTheDeclaredSites() {
        ConfigLoader.Result r = check(validWith("    kind: postgres\n", "    kind: postgres\n    sites: [kyiv, warsaw]\n"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("resource 'db' names unknown site 'warsaw'");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "kind: postgres") + 1);
            assertThat(p.hint()).isEqualTo("declared sites: kyiv, frankfurt");
        });
    }

    @Test
    void resourceCannotBeHeldByTheWitness() {
        assertThat(messages(check(validWith("    kind: postgres\n", "    kind: postgres\n    sites: [kyiv, witness]\n"))))
                .containsExactly("resource 'db' names unknown site 'witness'");
    }

    @Test
    void resourceWithAnEmptySiteListIsRefused() {
        assertThat(messages(check(validWith("    kind: postgres\n", "    kind: postgres\n    sites: []\n"))))
                .containsExactly("resource 'db' lists no sites");
    }

    @Test
    void resourceWithoutSitesIsHeldByEverySiteAndListedSitesAreKept() {
        assertThat(check(VALID).config().resource("db")).hasValueSatisfying(
                db -> assertThat(db.sites()).containsExactly("kyiv", "frankfurt"));
        assertThat(check(validWith("    kind: postgres\n", "    kind: postgres\n    sites:\n      - frankfurt\n")).config().resource("db"))
                .hasValueSatisfying(db -> assertThat(db.sites()).containsExactly("frankfurt"));
    }

    @Test
    void duplicateResourceNamesAreRefused() {
        ConfigLoader.Result r = check(validWith("    kind: postgres\n", "    kind: postgres\n  - name: db\n    kind: store\n"));

        assertThat(messages(r)).containsExactly("duplicate resource name 'db'");
    }

    @Test
    void duplicateUserNameIsReportedAtTheSecondUser() {
        String second = "  - name: ops\n    role: viewer\n    token_sha256: " + "0".repeat(64) + "\n";

        ConfigLoader.Result r = check(VALID + second);

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("duplicate user name 'ops'");
            assertThat(p.location().line()).isEqualTo(VALID.lines().count() + 1);
        });
    }

    private static String withTiming(String lines) {
        return validWith("  fence_after: 1s\n", "  fence_after: 1s\n" + lines);
    }
}
