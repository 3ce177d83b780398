package io.tandem.agent;

import java.io.IOException;

/** The tests' cluster: kyiv, frankfurt and a witness on their own loopback addresses with free ports, and resource db. */
final class ThreePeers {
    private ThreePeers() {}

    /** The top of a tandem.yaml for cluster {@code name}; append further sections (users, gateway) to it. */
    static String yaml(String name) throws IOException {
        return """
                cluster: %s
                data_dir: data
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: %d, api_port: %d}
                  - {name: frankfurt, address: 127.0.2.1, raft_port: %d, api_port: %d}
                witness: {address: 127.0.3.1, raft_port: %d, api_port: %d}
                resources:
                  - {name: db, kind: postgres}
                """.formatted(name, port("127.0.1.1"), port("127.0.1.1"), port("127.0.2.1"), port("127.0.2.1"), port("127.0.3.1"), port("127.0.3.1"));
    }

    static int port(String address) throws IOException {
        return io.tandem.model.net.FreePorts.take(address);
    }
}
