package io.tandem.model.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The whole of tandem.yaml, immutable after load. */
public record TandemConfig(String source, String cluster, Path dataDir, List<PeerConfig> peers,
                           List<ResourceConfig> resources, TimingConfig timing, List<UserConfig> users,
                           PostgresConfig postgres, GatewayConfig gateway, List<ConfigProblem> warnings) {
    public TandemConfig {
        peers = List.copyOf(peers);
        resources = List.copyOf(resources);
        users = List.copyOf(users);
        warnings = List.copyOf(warnings);
    }

    /** A config without a gateway section (the gateway at its defaults, serving nothing). */
    public TandemConfig(String source, String cluster, Path dataDir, List<PeerConfig> peers, List<ResourceConfig> resources,
                        TimingConfig timing, List<UserConfig> users, List<ConfigProblem> warnings) {
        this(source, cluster, dataDir, peers, resources, timing, users, PostgresConfig.defaults(), GatewayConfig.defaults(), warnings);
    }

    public List<PeerConfig> sites() {
        return peers.stream().filter(p -> p.kind() == PeerKind.SITE).toList();
    }

    public Optional<PeerConfig> witness() {
        return peers.stream().filter(PeerConfig::isWitness).findFirst();
    }

    public Optional<PeerConfig> peer(String name) {
        return peers.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<ResourceConfig> resource(String name) {
        return resources.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /**
     * SHA-256 (hex, first 16 digits) of what every peer must agree on: cluster name, peers, resources
     * and timing. Users and data_dir may differ between hosts and are left out.
     */
    public String digest() {
        StringBuilder b = new StringBuilder(cluster).append('\n');
        peers.forEach(p -> b.append(p.name()).append(' ').append(p.kind()).append(' ').append(p.address()).append(' ').append(p.raftPort())
                .append(' ').append(p.apiPort()).append(' ').append(p.primaryEligible()).append(' ').append(p.priority()).append('\n'));
        resources.forEach(r -> b.append(r.name()).append(' ').append(r.kind()).append(' ').append(r.mode()).append(' ')
                .append(r.maxLagOnFailover().bytes()).append(' ').append(r.sites()).append(' ').append(r.port()).append(' ')
                .append(r.syncCommit()).append(' ').append(r.failback()).append('\n'));
        b.append(timing.heartbeat()).append(' ').append(timing.failAfter()).append(' ').append(timing.fenceAfter()).append(' ')
                .append(timing.electionTimeoutMin()).append(' ').append(timing.electionTimeoutMax());
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Raft needs a majority of peers to decide; with two sites and no witness, losing either site stops all decisions. */
    public boolean automaticFailoverPossible() {
        return peers.size() >= 3;
    }
}
