package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.VALID;
import static io.tandem.model.config.ConfigFixtures.check;
import static io.tandem.model.config.ConfigFixtures.lineOf;
import static io.tandem.model.config.ConfigFixtures.messages;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The gateway section: services, routes and TCP listeners, checked against the sites, resources and ports. */
class GatewayConfigTest {
    private static final String GATEWAY = """
            gateway:
              http_port: 8080
              services:
                - name: web
                  resource: db
                  instances:
                    - site: kyiv
                      address: 127.0.1.1:8000
                    - site: frankfurt
                      address: 127.0.2.1:8000
              routes:
                - service: web
              tcp_listeners:
                - name: pg
                  port: 15432
                  service: web
            """;

    @Test
    void exampleGatewayLoadsAsWritten() throws Exception {
        GatewayConfig g = ConfigLoader.load(repoFile("examples/two-sites.yaml")).gateway();

        assertThat(g.httpPort()).isEqualTo(8080);
        assertThat(g.holdMax()).isEqualTo(Duration.ofSeconds(10));
        assertThat(g.service("web")).hasValueSatisfying(s -> {
            assertThat(s.mode()).isEqualTo(ServiceMode.ACTIVE_PASSIVE);
            assertThat(s.resource()).isEqualTo("db");
            assertThat(s.instances()).extracting(InstanceConfig::address).containsExactly(HostPort.parse("127.0.1.1:8000"), HostPort.parse("127.0.2.1:8000"));
        });
        assertThat(g.routes()).singleElement().satisfies(r -> assertThat(r.label()).isEqualTo("*/"));
        assertThat(g.tcpListeners()).singleElement().satisfies(l -> assertThat(l.port()).isEqualTo(15432));
    }

    @Test
    void configWithoutGatewayHasDefaultsAndNothingToServe() {
        GatewayConfig g = check(VALID).config().gateway();

        assertThat(g).isEqualTo(GatewayConfig.defaults());
        assertThat(g.enabled()).isFalse();
    }

    @Test
    void routeNamingAnUnknownServiceIsRefusedAtItsLine() {
        String yaml = VALID + GATEWAY.replace("    - service: web", "    - service: shop");

        ConfigLoader.Result r = check(yaml);

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("route */ names unknown service 'shop'");
            assertThat(p.location().line()).isEqualTo(lineOf(yaml, "service: shop"));
            assertThat(p.hint()).isEqualTo("declared services: web");
        });
    }

    @Test
    void serviceNamingAnUnknownResourceOrSiteIsRefused() {
        String yaml = VALID + GATEWAY.replace("resource: db", "resource: files").replace("site: frankfurt", "site: warsaw");

        assertThat(messages(check(yaml))).containsExactlyInAnyOrder("service 'web' names unknown resource 'files'",
                "service 'web' has an instance at unknown site 'warsaw'");
    }

    @Test
    void activePassiveServiceWithoutResourceIsRefused() {
        assertThat(messages(check(VALID + GATEWAY.replace("      resource: db\n", ""))))
                .containsExactly("active-passive service 'web' names no resource");
    }

    @Test
    void gatewayPortTakenByASiteOnTheSameAddressIsRefused() {
        String yaml = VALID + GATEWAY.replace("  http_port: 8080\n", "  http_port: 7111\n  listen_address: 127.0.1.1\n");

        assertThat(messages(check(yaml))).containsExactly("gateway port 7111 (http_port) is also a port of 'kyiv' on 127.0.1.1");
    }

    @Test
    void twoGatewayListenersOnOnePortAreRefused() {
        assertThat(messages(check(VALID + GATEWAY.replace("port: 15432", "port: 8080"))))
                .containsExactly("gateway port 8080 is used twice (by http_port and TCP listener 'pg')");
    }

    @Test
    void instanceAddressWithoutPortIsRefused() {
        assertThat(messages(check(VALID + GATEWAY.replace("127.0.1.1:8000", "127.0.1.1")))).singleElement().asString()
                .startsWith("bad value for 'address' in instances[0]");
    }

    @Test
    void unknownGatewayKeyIsRefusedWithDidYouMean() {
        ConfigLoader.Result r = check(VALID + GATEWAY.replace("  http_port: 8080", "  http_prot: 8080"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("unknown key 'http_prot' in gateway");
            assertThat(p.hint()).isEqualTo("did you mean 'http_port'?");
        });
    }

    @Test
    void healthCheckIsReadWithItsDefaults() {
        String yaml = VALID + GATEWAY.replace("      resource: db\n", "      resource: db\n      health_check: {path: /healthz}\n");

        ServiceConfig web = check(yaml).config().gateway().service("web").orElseThrow();

        assertThat(web.healthCheck()).hasValue(new HealthCheckConfig(HealthCheckType.HTTP, "/healthz", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3));
        assertThat(web.ejectAfter5xx()).isEqualTo(5);
        assertThat(check(VALID + GATEWAY).config().gateway().service("web").orElseThrow().healthCheck()).as("no section, no active checks").isEmpty();
    }

    @Test
    void badHealthCheckValuesAreRefusedAtTheirLines() {
        String yaml = VALID + GATEWAY.replace("      resource: db\n", """
                      resource: db
                      eject_after_5xx: -1
                      health_check:
                        type: udp
                        path: healthz
                        interval: 1s
                        timeout: 2s
                        rise: 0
                """);

        ConfigLoader.Result r = check(yaml);

        assertThat(messages(r)).containsExactlyInAnyOrder(
                "eject_after_5xx -1 is out of range 0-1000",
                "bad value for 'type' in health_check: " + r.problems().stream().filter(p -> p.message().contains("'type'")).findFirst().orElseThrow()
                        .message().substring("bad value for 'type' in health_check: ".length()),
                "health_check path 'healthz' of service 'web' is not an absolute path",
                "rise 0 is out of range 1-100",
                "health_check timeout 2000ms exceeds its interval 1000ms");
        assertThat(r.problems()).filteredOn(p -> p.message().startsWith("rise")).singleElement()
                .satisfies(p -> assertThat(p.location().line()).isEqualTo(lineOf(yaml, "rise: 0")));
        assertThat(r.problems()).filteredOn(p -> p.message().contains("'type'")).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("udp"));
    }

    @Test
    void inAgentsPortsAreCheckedAgainstEverySitesOwnPorts() {
        String yaml = VALID + GATEWAY.replace("  http_port: 8080\n", "  http_port: 7211\n  in_agents: true\n").replace("port: 15432", "port: 5432");

        assertThat(messages(check(yaml))).containsExactlyInAnyOrder(
                "gateway port 7211 (http_port) is also a port of 'frankfurt' on 127.0.2.1 (in_agents: it runs in frankfurt's agent)",
                "gateway port 5432 (TCP listener 'pg') is also the PostgreSQL port of a resource at 'kyiv' (in_agents: the gateway runs in its agent)",
                "gateway port 5432 (TCP listener 'pg') is also the PostgreSQL port of a resource at 'frankfurt' (in_agents: the gateway runs in its agent)");
        assertThat(messages(check(VALID + GATEWAY.replace("  http_port: 8080\n", "  http_port: 7211\n")))).as("at the edge only: no clash").isEmpty();
    }

    @Test
    void stickyCookieMustBeACookieName() {
        String yaml = VALID + GATEWAY.replace("      resource: db\n", "      resource: db\n      sticky_cookie: \"my cookie\"\n");

        assertThat(messages(check(yaml))).containsExactly("sticky_cookie 'my cookie' is not a cookie name");
        assertThat(check(VALID + GATEWAY.replace("      resource: db\n", "      resource: db\n      sticky_cookie: tandem_web\n")).config()
                .gateway().service("web").orElseThrow().stickyCookie()).isEqualTo("tandem_web");
    }
}
