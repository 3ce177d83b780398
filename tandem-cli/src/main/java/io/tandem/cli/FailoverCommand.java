package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import io.tandem.model.config.TandemConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
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

    @Option(names = "--to", required = true, paramLabel = "SITE", description = "the site to become primary")
    String to;

    @Option(names = "--resource", paramLabel = "NAME", description = "the resource (default: the only one)")
    String resource;

    @Option(names = "--accept-data-loss", description = "promote a target that is not in sync; commits it lacks are lost")
    boolean acceptDataLoss;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        TandemConfig cfg = Configs.load(options.config, err);
        Optional<String> token = options.token();
        if (token.isEmpty()) {
            err.println("tandem failover: no token: set TANDEM_TOKEN or pass --token-file (make one with 'tandem token')");
            return Main.USAGE;
        }
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("to", to);
        req.put("acceptDataLoss", acceptDataLoss);
        if (resource != null) req.put("resource", resource);
        StringBuilder tried = new StringBuilder();
        Optional<ApiClient.Answer> a = ApiClient.post(cfg, "/v1/failover", Json.MAPPER.writeValueAsString(req), token.get(), Duration.ofSeconds(40), tried);
        if (a.isEmpty()) {
            err.println("tandem failover: no peer with a quorum took the request (" + tried + "); nothing was changed");
            return Main.FAILED;
        }
        JsonNode body = Json.MAPPER.readTree(a.get().body());
        return switch (a.get().status()) {
            case 200 -> {
                out.println(to + " is primary at epoch " + body.path("epoch").asLong() + "; may have lost: " + body.path("mayHaveLost").asText());
                yield Main.OK;
            }
            case 202 -> {
                out.println("recorded; the failover is not done yet: tandem status --config " + options.config + " --watch");
                yield Main.OK;
            }
            default -> {
                err.println("tandem failover: refused (HTTP " + a.get().status() + "): " + ApiClient.error(a.get().body()));
                yield a.get().status() == 409 ? Main.FAILED : Main.BAD_INPUT;
            }
        };
    }
}
