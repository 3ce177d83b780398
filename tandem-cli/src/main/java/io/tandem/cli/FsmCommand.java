package io.tandem.cli;

import io.tandem.control.Fsm;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fsm", mixinStandardHelpOptions = true, description = "Print the control plane's declared transition tables.",
        subcommands = FsmCommand.Dump.class)
final class FsmCommand {
    enum Format { mermaid, json }

    @Command(name = "dump", mixinStandardHelpOptions = true, description = "Print the transition tables as a Mermaid state diagram or JSON.")
    static final class Dump implements Callable<Integer> {
        @Option(names = "--format", defaultValue = "mermaid", description = "mermaid or json (default: ${DEFAULT-VALUE})")
        Format format;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(format == Format.json ? Fsm.json() : Fsm.mermaid());
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }
}
