package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.control.SiteReport;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** How long the leader has heard a peer steadily: what the hand-over to the preferred witness waits for. */
class HeartbeatBookTest {
    private final AtomicLong now = new AtomicLong(10_000);
    private final HeartbeatBook book = new HeartbeatBook(now::get, 1000);

    private void beatAt(long ms) {
        now.set(ms);
        book.record("witness", SiteReport.none("witness"));
    }

    @Test
    void aRunOfBeatsCountsFromItsFirstBeatAndAGapLongerThanTheBreakStartsANewRun() {
        assertThat(book.heardSteadilyForMs("witness")).as("never heard").isZero();
        for (long t = 10_000; t <= 15_000; t += 250) beatAt(t);
        assertThat(book.heardSteadilyForMs("witness")).isEqualTo(5000);
        beatAt(15_900); // a gap under the break keeps the run
        assertThat(book.heardSteadilyForMs("witness")).isEqualTo(5900);
        now.set(16_901);
        assertThat(book.heardSteadilyForMs("witness")).as("silent for more than the break").isZero();
        beatAt(17_000);
        assertThat(book.heardSteadilyForMs("witness")).as("a new run after the gap").isZero();
        beatAt(17_250);
        assertThat(book.heardSteadilyForMs("witness")).isEqualTo(250);
    }

    @Test
    void aNewLeaderHasHeardNobodySteadily() {
        for (long t = 10_000; t <= 12_000; t += 250) beatAt(t);
        book.tookOffice();
        assertThat(book.heardSteadilyForMs("witness")).isZero();
    }
}
