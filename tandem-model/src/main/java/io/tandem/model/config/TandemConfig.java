package io.tandem.model.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The whole of tandem.yaml, immutable after load. */
public record TandemConfig(String source, String cluster, Path dataDir, List<PeerConfig> peers,
                           List<ResourceConfig> resources, TimingConfig timing, List<UserConfig> users,
                           List<ConfigProblem> warnings) {
    public TandemConfig {
        peers = List.copyOf(peers);
        resources = List.copyOf(resources);
        users = List.copyOf(users);
        warnings = List.copyOf(warnings);
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

    /** Raft needs a majority of peers to decide; with two sites and no witness, losing either site stops all decisions. */
    public boolean automaticFailoverPossible() {
        return peers.size() >= 3;
    }
}
