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
}
