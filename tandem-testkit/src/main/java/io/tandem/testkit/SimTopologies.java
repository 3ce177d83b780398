package io.tandem.testkit;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** The topologies the simulation draws from, parsed once from YAML exactly as an operator would write them. */
public final class SimTopologies {
    private SimTopologies() {}

    private static final String TIMING = """
            timing:
              heartbeat: 250ms
              fail_after: 1.5s
              fence_after: 1s
              election_timeout_min: 300ms
              election_timeout_max: 600ms
              failback_after: 2s
            """;

    private static final String TWO_SITES = """
            cluster: sim
            sites:
              - name: kyiv
                address: 127.0.1.1
                raft_port: 7101
                api_port: 7111
              - name: frankfurt
                address: 127.0.2.1
                raft_port: 7201
                api_port: 7211
                priority: 50
            witness:
              address: 127.0.3.1
              raft_port: 7301
              api_port: 7311
            resources:
              - name: db
                kind: postgres
                mode: MODE
            """ + TIMING;

    private static final String THREE_SITES = """
            cluster: sim
            sites:
              - name: kyiv
                address: 127.0.1.1
                raft_port: 7101
                api_port: 7111
              - name: frankfurt
                address: 127.0.2.1
                raft_port: 7201
                api_port: 7211
                priority: 50
              - name: warsaw
                address: 127.0.4.1
                raft_port: 7401
                api_port: 7411
                priority: 10
                primary_eligible: ELIGIBLE
            witness:
              address: 127.0.3.1
              raft_port: 7301
              api_port: 7311
            resources:
              - name: db
                kind: postgres
                mode: sync
                failback: auto
              - name: files
                kind: store
                mode: MODE
                sites: [kyiv, frankfurt]
            """ + TIMING;

    /** Two sites and a witness, one database in sync mode: the shape most deployments have. */
    public static final TandemConfig TWO_SYNC = parse("two-sync", TWO_SITES.replace("MODE", "sync"));
    public static final TandemConfig TWO_ASYNC = parse("two-async", TWO_SITES.replace("MODE", "async"));
    /** Three sites (the third low-priority) and a witness: four Raft members, two resources on different site sets. */
    public static final TandemConfig THREE_SYNC = parse("three-sync", THREE_SITES.replace("MODE", "sync").replace("ELIGIBLE", "true"));
    public static final TandemConfig THREE_MIXED = parse("three-mixed", THREE_SITES.replace("MODE", "async").replace("ELIGIBLE", "false"));

    public static final List<TandemConfig> ALL = List.of(TWO_SYNC, TWO_ASYNC, THREE_SYNC, THREE_MIXED);

    /** Weighted choice: mostly the common two-site sync shape, regularly the others. */
    public static TandemConfig pick(Random rnd) {
        int x = rnd.nextInt(100);
        if (x < 45) return TWO_SYNC;
        if (x < 60) return TWO_ASYNC;
        if (x < 85) return THREE_SYNC;
        return THREE_MIXED;
    }

    public static TandemConfig parse(String name, String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse(name + ".yaml", yaml, Path.of("/sim"));
        if (!r.ok()) {
            throw new IllegalStateException("simulation topology " + name + " is invalid: " + r.problems());
        }
        return r.config();
    }
}
