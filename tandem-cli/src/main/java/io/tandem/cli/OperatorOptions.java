package io.tandem.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every mutating command shares: the config, and where the operator's token comes from. */
final class OperatorOptions {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml")
    Path config;

    @Option(names = "--token-file", paramLabel = "FILE", description = "file holding the bearer token (default: the TANDEM_TOKEN environment variable)")
    Path tokenFile;

    Optional<String> token() throws IOException {
        return ApiClient.token(tokenFile);
    }

    /** Thrown with the one-line message the user sees and the exit code. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int exit;

        Refused(String message, int exit) {
            super(message);
            this.exit = exit;
        }
    }

    /**
     * Loads the config, takes the token and POSTs {@code body} as JSON to the first peer with a quorum. Throws
     * {@link Refused} (with what to tell the user) when there is no token or no peer took the request.
     */
    ApiClient.Answer post(String command, String path, Object body, java.time.Duration timeout, java.io.PrintWriter err) throws Exception {
        io.tandem.model.config.TandemConfig cfg = Configs.load(config, err);
        Optional<String> token = token();
        if (token.isEmpty()) {
            throw new Refused("tandem " + command + ": no token: set TANDEM_TOKEN or pass --token-file (make one with 'tandem token')", Main.USAGE);
        }
        StringBuilder tried = new StringBuilder();
        return ApiClient.post(cfg, path, io.tandem.agent.Json.MAPPER.writeValueAsString(body), token.get(), timeout, tried)
                .orElseThrow(() -> new Refused("tandem " + command + ": no peer with a quorum took the request (" + tried + "); nothing was changed", Main.FAILED));
    }
}
