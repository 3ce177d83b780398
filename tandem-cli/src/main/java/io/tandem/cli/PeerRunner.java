package io.tandem.cli;

import io.tandem.agent.Agent;
import io.tandem.agent.AgentException;
import io.tandem.model.config.TandemConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** Runs one Raft peer (a site agent or the witness) in this process until the process is stopped. */
final class PeerRunner {
    private PeerRunner() {}

    static int run(Path configFile, String name, PrintWriter err) throws InterruptedException {
        TandemConfig config = Configs.load(configFile, err);
        System.setProperty("tandem.peer", name);
        Agent agent;
        try {
            agent = Agent.start(config, name);
        } catch (AgentException e) {
            err.println("tandem: " + e.getMessage());
            return Main.FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "tandem-shutdown"));
        stopped.await();
        return Main.OK;
    }
}
