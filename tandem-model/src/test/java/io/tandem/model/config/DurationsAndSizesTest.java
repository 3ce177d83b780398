package io.tandem.model.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How durations and sizes are written in tandem.yaml and shown back (in errors and in the reference). */
class DurationsAndSizesTest {

    @ParameterizedTest
    @CsvSource({"250ms, 250, 250ms", "1.5s, 1500, 1.5s", "1s, 1000, 1s", "2m, 120000, 2m", "1h, 3600000, 1h",
            "1250ms, 1250, 1250ms", "' 1 S ', 1000, 1s"})
    void durationIsReadAndShownInItsUnit(String written, long millis, String shown) {
        Duration d = Durations.parse(written);

        assertThat(d.toMillis()).isEqualTo(millis);
        assertThat(Durations.format(d)).isEqualTo(shown);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5 seconds", "-1s", "1d", "ms"})
    void durationWithoutAKnownUnitIsRefused(String written) {
        assertThatThrownBy(() -> Durations.parse(written)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("write e.g. 250ms");
    }

    @ParameterizedTest
    @CsvSource({"16MB, 16777216, 16MB", "512kB, 524288, 512kB", "1GiB, 1073741824, 1GB", "100, 100, 100B", "2 mb, 2097152, 2MB"})
    void sizeIsReadInBinaryMultiplesAndShownInTheLargestWholeUnit(String written, long bytes, String shown) {
        DataSize s = DataSize.parse(written);

        assertThat(s.bytes()).isEqualTo(bytes);
        assertThat(s).hasToString(shown);
    }

    @ParameterizedTest
    @ValueSource(strings = {"16XB", "-1MB", "MB", "1.5GB"})
    void sizeThatIsNotAWholeNumberOfAKnownUnitIsRefused(String written) {
        assertThatThrownBy(() -> DataSize.parse(written)).isInstanceOf(IllegalArgumentException.class);
    }
}
