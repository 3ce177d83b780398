package io.tandem.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `./tandem bench ...`: whole-system benchmarks. They print figures; they are not tests and assert nothing. */
@Command(name = "tandem bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of the running system (not tests). Each prints one line per figure.",
        subcommands = {ControlPlaneBench.class, GatewayBench.class, FailoverBench.class, CommandLine.HelpCommand.class})
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tandem bench " + cmd.getCommandName() + ": " + e.getMessage());
            return 3;
        });
        System.exit(cl.execute(args));
    }
}
