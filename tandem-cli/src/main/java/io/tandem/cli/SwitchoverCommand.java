package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = "Planned move of the primary to another site with no committed transaction lost: the old primary stops writes, "
                + "the target catches up, then it is promoted. Needs an operator token (TANDEM_TOKEN or --token-file).")
final class SwitchoverCommand implements Callable<Integer> {
    @Mixin
    OperatorOptions options;

    @Mixin
    MoveOptions target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Map<String, Object> req = target.request();
        ApiClient.Answer answer;
        try {
            answer = options.post("switchover", "/v1/switchover", req, Duration.ofSeconds(40), err);
        } catch (OperatorOptions.Refused r) {
            err.println(r.getMessage());
            return r.exit;
        }
        JsonNode body = Json.MAPPER.readTree(answer.body());
        JsonNode rb = body.path("runbook");
        switch (answer.status()) {
            case 200 -> {
                out.println("switchover #" + rb.path("id").asLong() + " of " + rb.path("resource").asText() + ": " + rb.path("fromSite").asText()
                        + " -> " + rb.path("toSite").asText() + " succeeded");
                rb.path("steps").forEach(s -> out.println("  " + String.format("%-12s", s.path("step").asText()) + s.path("outcome").asText()));
                return Main.OK;
            }
            case 202 -> {
                out.println("the switchover is still running; follow it with: tandem status --config " + options.config + " --watch");
                return Main.OK;
            }
            case 409 -> {
                err.println("tandem switchover: " + (rb.isMissingNode() ? ApiClient.error(answer.body())
                        : "#" + rb.path("id").asLong() + " " + rb.path("status").asText().toLowerCase() + ": "
                        + rb.path("steps").get(rb.path("steps").size() - 1).path("outcome").asText()));
                return Main.FAILED;
            }
            default -> {
                err.println("tandem switchover: refused by " + answer.peer() + " (HTTP " + answer.status() + "): " + ApiClient.error(answer.body()));
                return Main.BAD_INPUT;
            }
        }
    }
}
