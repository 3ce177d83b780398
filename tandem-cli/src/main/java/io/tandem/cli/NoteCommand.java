package io.tandem.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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
        Map<String, String> req = Map.of("text", String.join(" ", words));
        ApiClient.Answer answer;
        try {
            answer = options.post("note", "/v1/notes", req, Duration.ofSeconds(10), err);
        } catch (OperatorOptions.Refused r) {
            err.println(r.getMessage());
            return r.exit;
        }
        if (answer.status() != 200) {
            err.println("tandem note: refused by " + answer.peer() + " (HTTP " + answer.status() + "): " + ApiClient.error(answer.body()));
            return Main.BAD_INPUT;
        }
        out.println("recorded: " + answer.body().trim());
        return Main.OK;
    }
}
