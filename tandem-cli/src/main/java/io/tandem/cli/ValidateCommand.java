package io.tandem.cli;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.ConfigProblem;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a tandem.yaml and print every problem as file:line:column with a hint. Exits 1 when there are problems.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "the configuration file, e.g. examples/two-sites.yaml")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ConfigLoader.Result r = ConfigLoader.check(file);
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        for (ConfigProblem p : r.problems()) {
            err.println(p);
        }
        for (ConfigProblem w : r.warnings()) {
            err.println(w);
        }
        if (!r.ok()) {
            err.println(r.problems().size() + " problem(s) in " + file);
            return Main.BAD_INPUT;
        }
        out.println(file + ": ok (" + r.config().sites().size() + " sites" + (r.config().witness().isPresent() ? " + witness" : ", no witness")
                + ", " + r.config().resources().size() + " resources" + (r.warnings().isEmpty() ? "" : ", " + r.warnings().size() + " warning(s)") + ")");
        return Main.OK;
    }
}
