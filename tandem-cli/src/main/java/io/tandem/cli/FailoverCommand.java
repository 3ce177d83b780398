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

@Command(name = "failover", mixinStandardHelpOptions = true,
        description = "Forced failover to a site, for a primary site the quorum declared failed and that is gone for good. "
                + "Refuses a target outside the in-sync set (saying how much may be lost) unless --accept-data-loss. Needs an operator token.")
final class FailoverCommand implements Callable<Integer> {
    @Mixin
    OperatorOptions options;

    @Mixin
    MoveOptions target;

    @Option(names = "--accept-data-loss", description = "promote a target that is not in sync; commits it lacks are lost")
    boolean acceptDataLoss;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Map<String, Object> req = target.request();
        req.put("acceptDataLoss", acceptDataLoss);
        ApiClient.Answer answer;
        try {
            answer = options.post("failover", "/v1/failover", req, Duration.ofSeconds(40), err);
        } catch (OperatorOptions.Refused r) {
            err.println(r.getMessage());
            return r.exit;
        }
        JsonNode body = Json.MAPPER.readTree(answer.body());
        return switch (answer.status()) {
            case 200 -> {
                out.println(target.to + " is primary at epoch " + body.path("epoch").asLong() + "; may have lost: " + body.path("mayHaveLost").asText());
                yield Main.OK;
            }
            case 202 -> {
                out.println("recorded; the failover is not done yet: tandem status --config " + options.config + " --watch");
                yield Main.OK;
            }
            default -> {
                err.println("tandem failover: refused (HTTP " + answer.status() + "): " + ApiClient.error(answer.body()));
                yield answer.status() == 409 ? Main.FAILED : Main.BAD_INPUT;
            }
        };
    }
}
