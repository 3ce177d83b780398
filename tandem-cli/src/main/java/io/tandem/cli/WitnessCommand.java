package io.tandem.cli;

import io.tandem.model.config.PeerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "witness", mixinStandardHelpOptions = true,
        description = "Run the witness: the third Raft vote, in a third place, that lets two sites decide which one is gone.")
final class WitnessCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        var err = spec.commandLine().getErr();
        var cfg = Configs.load(config, err);
        PeerConfig w = cfg.witness().orElse(null);
        if (w == null) {
            err.println("tandem witness: " + config + " declares no 'witness:'; add one (see examples/two-sites.yaml)");
            return Main.BAD_INPUT;
        }
        return PeerRunner.run(config, w.name(), err);
    }
}
