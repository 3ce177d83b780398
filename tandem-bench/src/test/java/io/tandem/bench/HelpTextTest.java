package io.tandem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The help of every command, of `tandem` and of `tandem bench`, renders without picocli's warnings: it formats each line
 * and, when one is not a valid format string (a lone '%'), prints "[picocli WARN] Could not format ..." above the help.
 */
class HelpTextTest {

    @Test
    void everyCommandsHelpRendersWithoutWarnings() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<String> names = new ArrayList<>();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            render(new CommandLine(BenchMain.class), names);
            render(new CommandLine(Main.class), names);
        } finally {
            System.setErr(err);
        }
        assertThat(names).contains("tandem bench gateway", "tandem gateway", "tandem demo");
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("WARN");
    }

    private static void render(CommandLine cl, List<String> names) {
        names.add(cl.getCommandSpec().qualifiedName());
        assertThat(cl.getUsageMessage()).isNotBlank();
        cl.getSubcommands().values().forEach(sub -> render(sub, names));
    }
}
