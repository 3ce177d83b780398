package io.tandem.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the agent of one site: a Raft peer that heartbeats the leader, fences its resources when it loses the quorum, and serves the API.")
final class AgentCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml")
    Path config;

    @Option(names = "--site", required = true, paramLabel = "NAME", description = "which site of the config this agent is")
    String site;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        return PeerRunner.run(config, site, spec.commandLine().getErr());
    }
}
