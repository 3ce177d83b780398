package io.tandem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The tandem command line. Exit codes: 0 ok, 1 the input has problems, 2 usage error, 3 the operation failed. */
@Command(name = "tandem", mixinStandardHelpOptions = true, version = "tandem 0.1.0",
        description = "Keeps a web service and its data alive when a whole site is lost.",
        subcommands = {DemoCommand.class, AgentCommand.class, WitnessCommand.class, StatusCommand.class,
                ValidateCommand.class, FsmCommand.class, TokenCommand.class, NoteCommand.class, SwitchoverCommand.class, FailoverCommand.class, GatewayCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static final int OK = 0;
    public static final int BAD_INPUT = 1;
    public static final int USAGE = 2;
    public static final int FAILED = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> FAILED);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // A user never sees a stack trace: one line of what failed; the trace goes to the log at debug.
            cmd.getErr().println("tandem " + cmd.getCommandName() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return FAILED;
        });
        return cl.execute(args);
    }
}
