package io.tandem.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where a switchover or a forced failover moves the primary: the target site and, when there are several, the resource. */
final class MoveOptions {
    @Option(names = "--to", required = true, paramLabel = "SITE", description = "the site to become primary")
    String to;

    @Option(names = "--resource", paramLabel = "NAME", description = "the resource (default: the only one)")
    String resource;

    /** The request body the agents' API takes: {"to": SITE[, "resource": NAME]}. */
    Map<String, Object> request() {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("to", to);
        if (resource != null) req.put("resource", resource);
        return req;
    }
}
