package io.tandem.cli;

import io.tandem.model.config.TandemConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "note", mixinStandardHelpOptions = true,
        description = "Write an operator's note into the replicated audit log (needs an operator token: TANDEM_TOKEN or --token-file).")
final class NoteCommand implements Callable<Integer> {
    @Mixin
    OperatorOptions options;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the note")
    List<String> words;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        TandemConfig cfg = Configs.load(options.config, err);
        Optional<String> token = options.token();
        if (token.isEmpty()) {
            err.println("tandem note: no token: set TANDEM_TOKEN or pass --token-file (make one with 'tandem token')");
            return Main.USAGE;
        }
        String body = io.tandem.agent.Json.MAPPER.writeValueAsString(Map.of("text", String.join(" ", words)));
        StringBuilder tried = new StringBuilder();
        Optional<ApiClient.Answer> a = ApiClient.post(cfg, "/v1/notes", body, token.get(), Duration.ofSeconds(10), tried);
        if (a.isEmpty()) {
            err.println("tandem note: no peer recorded the note (" + tried + ")");
            return Main.FAILED;
        }
        if (a.get().status() != 200) {
            err.println("tandem note: refused by " + a.get().peer() + " (HTTP " + a.get().status() + "): " + ApiClient.error(a.get().body()));
            return Main.BAD_INPUT;
        }
        out.println("recorded: " + a.get().body().trim());
        return Main.OK;
    }
}
