package io.tandem.cli;

import io.tandem.model.config.ConfigException;
import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.ConfigProblem;
import io.tandem.model.config.TandemConfig;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Loads the config for a command, printing every problem and the warnings. */
final class Configs {
    private Configs() {}

    static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    static TandemConfig load(Path file, PrintWriter err) {
        try {
            TandemConfig c = ConfigLoader.load(file);
            for (ConfigProblem w : c.warnings()) {
                err.println(w);
            }
            return c;
        } catch (ConfigException e) {
            throw new Invalid(e.problems().size() + " problem(s) in " + file + ":\n" + e.getMessage()
                    + "\nrun 'tandem validate " + file + "' after fixing them");
        }
    }
}
