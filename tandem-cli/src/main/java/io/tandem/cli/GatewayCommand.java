package io.tandem.cli;

import io.tandem.gateway.Gateway;
import io.tandem.model.config.TandemConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway: the HTTP and TCP proxy clients connect to, routing each request to the site that serves it.")
final class GatewayCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml with a 'gateway:' section")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        var err = spec.commandLine().getErr();
        TandemConfig cfg = Configs.load(config, err);
        if (cfg.gateway().services().isEmpty()) {
            err.println("tandem gateway: " + config + " declares no gateway services; add a 'gateway:' section (see examples/two-sites.yaml)");
            return Main.BAD_INPUT;
        }
        System.setProperty("tandem.peer", "gateway");
        Gateway gw;
        try {
            gw = Gateway.start(cfg);
        } catch (RuntimeException e) {
            err.println("tandem gateway: " + e.getMessage());
            return Main.FAILED;
        }
        spec.commandLine().getOut().println("gateway: http " + gw.httpAddress() + ", admin " + gw.adminAddress());
        spec.commandLine().getOut().flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gw.close();
            stopped.countDown();
        }, "tandem-gateway-shutdown"));
        stopped.await();
        return Main.OK;
    }
}
