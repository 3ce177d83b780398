package io.tandem.model.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads the {@code gateway:} section and checks its rules against the sites, resources and peers' ports. */
final class GatewayConfigReader {
    private final List<ConfigProblem> problems;
    /** gateway.tls.port, once read; null without TLS. */
    private Port tlsPort;

    private GatewayConfigReader(List<ConfigProblem> problems) {
        this.problems = problems;
    }

    static GatewayConfig read(Optional<Section> section, List<PeerConfig> peers, List<ResourceConfig> resources, Path baseDir,
                              List<ConfigProblem> problems) {
        return section.map(g -> new GatewayConfigReader(problems).read(g, peers, resources, baseDir)).orElse(GatewayConfig.defaults());
    }

    private GatewayConfig read(Section g, List<PeerConfig> peers, List<ResourceConfig> resources, Path baseDir) {
        String listen = g.get(ConfigKeys.GW_LISTEN_ADDRESS);
        Integer httpPort = g.get(ConfigKeys.GW_HTTP_PORT);
        Integer adminPort = g.get(ConfigKeys.GW_ADMIN_PORT);
        Integer holdQueue = g.get(ConfigKeys.GW_HOLD_QUEUE);
        if (holdQueue != null && holdQueue < 0) {
            problems.add(new ConfigProblem(g.locationOf("hold_queue"), "hold_queue must not be negative", "0 refuses every request during a hold; the default is 1000"));
        }
        List<String> siteNames = peers.stream().filter(p -> p.kind() == PeerKind.SITE).map(PeerConfig::name).toList();
        List<ServiceConfig> services = new ArrayList<>();
        for (Section s : g.list("services")) {
            services.add(service(s, siteNames, resources, baseDir));
        }
        ConfigLoader.checkUnique(services.stream().map(ServiceConfig::name).toList(), services.stream().map(ServiceConfig::location).toList(), "service", problems);
        Set<String> serviceNames = new HashSet<>(services.stream().map(ServiceConfig::name).toList());
        List<RouteConfig> routes = routes(g, serviceNames);
        List<TcpListenerConfig> listeners = new ArrayList<>();
        for (Section s : g.list("tcp_listeners")) {
            TcpListenerConfig l = new TcpListenerConfig(s.get(ConfigKeys.TCP_NAME), orZero(s.get(ConfigKeys.TCP_PORT)), s.get(ConfigKeys.TCP_SERVICE), s.location());
            knownService(l.service(), serviceNames, s.locationOf("service"), "TCP listener '" + l.name() + "'");
            s.rejectUnknown();
            listeners.add(l);
        }
        ConfigLoader.checkUnique(listeners.stream().map(TcpListenerConfig::name).toList(), listeners.stream().map(TcpListenerConfig::location).toList(), "TCP listener", problems);
        GatewayConfig config = new GatewayConfig(listen, orZero(httpPort), orZero(adminPort), g.get(ConfigKeys.GW_HOLD_MAX), holdQueue == null ? 0 : holdQueue,
                g.get(ConfigKeys.GW_POLL_INTERVAL), g.get(ConfigKeys.GW_POLL_TIMEOUT), g.get(ConfigKeys.GW_CONNECT_TIMEOUT),
                g.get(ConfigKeys.GW_HEADER_TIMEOUT), g.get(ConfigKeys.GW_IDLE_TIMEOUT), g.get(ConfigKeys.GW_TUNNEL_IDLE_TIMEOUT), g.get(ConfigKeys.GW_UPSTREAM_TIMEOUT),
                g.get(ConfigKeys.GW_MAX_REQUEST_LINE), g.get(ConfigKeys.GW_MAX_HEADER_SIZE), g.get(ConfigKeys.GW_EJECT_FOR),
                g.get(ConfigKeys.GW_ACCESS_LOG), services, routes, listeners, Boolean.TRUE.equals(g.get(ConfigKeys.GW_IN_AGENTS)),
                g.section("tls").map(t -> tls(t, baseDir)));
        g.rejectUnknown();
        checkPorts(g, listen, orZero(httpPort), orZero(adminPort), listeners, peers, "");
        if (config.inAgents()) {
            // each site's agent binds the same ports on the site's own address, beside its Raft, API and PostgreSQL ports
            for (PeerConfig p : peers) {
                if (p.kind() != PeerKind.SITE || p.address() == null) continue;
                List<PeerConfig> site = List.of(p);
                List<Integer> pgPorts = resources.stream().filter(r -> r.sites().contains(p.name())).map(ResourceConfig::port).toList();
                checkPorts(g, p.address(), orZero(httpPort), orZero(adminPort), listeners, site, " (in_agents: it runs in " + p.name() + "'s agent)");
                checkResourcePorts(g, orZero(httpPort), orZero(adminPort), listeners, p, pgPorts);
            }
        }
        return config;
    }

    private ServiceConfig service(Section s, List<String> siteNames, List<ResourceConfig> resources, Path baseDir) {
        String name = s.get(ConfigKeys.SVC_NAME);
        ServiceMode mode = s.get(ConfigKeys.SVC_MODE);
        String resource = s.get(ConfigKeys.SVC_RESOURCE);
        Optional<ResourceConfig> res = Optional.empty();
        if (resource.equals(ConfigKeys.NONE)) {
            resource = "";
            if (mode == ServiceMode.ACTIVE_PASSIVE) {
                problems.add(new ConfigProblem(s.location(), "active-passive service '" + name + "' names no resource",
                        "add 'resource: <name>' (the resource whose primary site serves it), or set 'mode: active-active'"));
            }
        } else {
            String r = resource;
            res = resources.stream().filter(x -> x.name().equals(r)).findFirst();
            if (res.isEmpty()) {
                problems.add(new ConfigProblem(s.locationOf("resource"), "service '" + name + "' names unknown resource '" + resource + "'",
                        "declared resources: " + String.join(", ", resources.stream().map(ResourceConfig::name).toList())));
            } else if (mode == ServiceMode.ACTIVE_ACTIVE) {
                problems.add(new ConfigProblem(s.locationOf("resource"), "active-active service '" + name + "' names a resource",
                        "an active-active service is served by every healthy site; remove 'resource' or set 'mode: active-passive'"));
            }
        }
        List<InstanceConfig> instances = new ArrayList<>();
        Set<String> sitesSeen = new HashSet<>();
        for (Section i : s.list("instances")) {
            InstanceConfig inst = new InstanceConfig(i.get(ConfigKeys.INST_SITE), i.get(ConfigKeys.INST_ADDRESS), i.get(ConfigKeys.INST_WEIGHT), i.location());
            i.rejectUnknown();
            instances.add(inst);
            if (inst.site() == null) continue;
            if (!siteNames.contains(inst.site())) {
                problems.add(new ConfigProblem(i.locationOf("site"), "service '" + name + "' has an instance at unknown site '" + inst.site() + "'",
                        "declared sites: " + String.join(", ", siteNames)));
            } else if (res.isPresent() && !res.get().sites().contains(inst.site())) {
                problems.add(new ConfigProblem(i.locationOf("site"), "service '" + name + "' has an instance at '" + inst.site()
                        + "', which holds no copy of resource '" + res.get().name() + "'", "that site can never be primary; remove the instance"));
            }
            if (mode == ServiceMode.ACTIVE_PASSIVE && !sitesSeen.add(inst.site())) {
                problems.add(new ConfigProblem(i.location(), "active-passive service '" + name + "' has two instances at site '" + inst.site() + "'",
                        "declare one instance per site; the primary site's instance serves"));
            }
            if (inst.weight() < 1 || inst.weight() > 100) {
                problems.add(new ConfigProblem(i.locationOf("weight"), "weight " + inst.weight() + " is out of range 1-100", "use 1 for an even share"));
            }
        }
        if (instances.isEmpty()) {
            problems.add(new ConfigProblem(s.location(), "service '" + name + "' has no instances", "add 'instances:' with a 'site' and an 'address' each"));
        }
        Optional<HealthCheckConfig> check = s.section("health_check").map(h -> healthCheck(h, name));
        Integer eject5xx = s.get(ConfigKeys.SVC_EJECT_5XX);
        if (eject5xx != null && (eject5xx < 0 || eject5xx > 1000)) {
            problems.add(new ConfigProblem(s.locationOf("eject_after_5xx"), "eject_after_5xx " + eject5xx + " is out of range 0-1000",
                    "0 turns 5xx ejection off; the default is 5"));
        }
        String sticky = s.get(ConfigKeys.SVC_STICKY);
        if (sticky != null && !sticky.isEmpty() && !sticky.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
            problems.add(new ConfigProblem(s.locationOf("sticky_cookie"), "sticky_cookie '" + sticky + "' is not a cookie name",
                    "use letters, digits and - _ . (at most 64), e.g. tandem_" + name));
        }
        Optional<UpstreamTlsConfig> tls = s.section("upstream_tls").map(t -> upstreamTls(t, name, baseDir));
        s.rejectUnknown();
        return new ServiceConfig(name, mode, resource, instances, check, eject5xx == null ? 0 : eject5xx, sticky == null ? "" : sticky, tls,
                s.location());
    }

    private HealthCheckConfig healthCheck(Section h, String service) {
        HealthCheckConfig c = new HealthCheckConfig(h.get(ConfigKeys.HC_TYPE), h.get(ConfigKeys.HC_PATH), h.get(ConfigKeys.HC_INTERVAL),
                h.get(ConfigKeys.HC_TIMEOUT), orZero(h.get(ConfigKeys.HC_RISE)), orZero(h.get(ConfigKeys.HC_FALL)));
        h.rejectUnknown();
        if (c.path() != null && (!c.path().startsWith("/") || c.path().chars().anyMatch(ch -> ch <= ' ' || ch == 127))) {
            problems.add(new ConfigProblem(h.locationOf("path"), "health_check path '" + c.path() + "' of service '" + service + "' is not an absolute path",
                    "write e.g. /healthz (no spaces or control characters)"));
        }
        if (c.rise() < 1 || c.rise() > 100) {
            problems.add(new ConfigProblem(h.locationOf("rise"), "rise " + c.rise() + " is out of range 1-100", "the default is 2"));
        }
        if (c.fall() < 1 || c.fall() > 100) {
            problems.add(new ConfigProblem(h.locationOf("fall"), "fall " + c.fall() + " is out of range 1-100", "the default is 3"));
        }
        if (c.interval() != null && c.interval().toMillis() < 100) {
            problems.add(new ConfigProblem(h.locationOf("interval"), "health_check interval " + c.interval().toMillis() + "ms is below 100ms",
                    "checks that often load the instances; the default is 2s"));
        }
        if (c.interval() != null && c.timeout() != null && c.timeout().compareTo(c.interval()) > 0) {
            problems.add(new ConfigProblem(h.locationOf("timeout"), "health_check timeout " + c.timeout().toMillis() + "ms exceeds its interval "
                    + c.interval().toMillis() + "ms", "a check must end before the next one starts; lower the timeout"));
        }
        return c;
    }

    private UpstreamTlsConfig upstreamTls(Section t, String service, Path baseDir) {
        String caName = t.get(ConfigKeys.UTLS_CA);
        Path ca = caName == null || caName.isEmpty() ? null : pemFile(t, ConfigKeys.UTLS_CA, baseDir);
        String name = t.get(ConfigKeys.UTLS_SERVER_NAME);
        if (name != null && !name.isEmpty() && !name.matches("[A-Za-z0-9*][A-Za-z0-9.*-]{0,252}")) {
            problems.add(new ConfigProblem(t.locationOf("server_name"), "upstream_tls server_name '" + name + "' of service '" + service
                    + "' is not a host name", "write the name the instances' certificates are issued for, e.g. web.internal"));
        }
        String certName = t.get(ConfigKeys.UTLS_CERT);
        String keyName = t.get(ConfigKeys.UTLS_KEY);
        boolean hasCert = certName != null && !certName.isEmpty();
        boolean hasKey = keyName != null && !keyName.isEmpty();
        Path cert = hasCert ? pemFile(t, ConfigKeys.UTLS_CERT, baseDir) : null;
        Path key = hasKey ? pemFile(t, ConfigKeys.UTLS_KEY, baseDir) : null;
        if (hasCert != hasKey) {
            String given = hasCert ? "cert_file" : "key_file";
            String missing = hasCert ? "key_file" : "cert_file";
            problems.add(new ConfigProblem(t.locationOf(given), "upstream_tls of service '" + service + "' has " + given + " but no " + missing,
                    "a client certificate needs both: cert_file (PEM chain) and key_file (its unencrypted PKCS#8 key)"));
        }
        java.time.Duration reload = t.get(ConfigKeys.UTLS_RELOAD);
        if (reload != null && !reload.isZero() && reload.toMillis() < 100) {
            problems.add(new ConfigProblem(t.locationOf("reload_check"), "upstream_tls reload_check " + reload.toMillis() + "ms is below 100ms",
                    "the files are looked at this often; the default is 5s, 0s turns reloading off"));
        }
        t.rejectUnknown();
        return new UpstreamTlsConfig(ca, name == null ? "" : name, hasCert && hasKey ? cert : null, hasCert && hasKey ? key : null,
                reload == null ? ConfigKeys.UTLS_RELOAD.defaultValue() : reload);
    }

    private List<RouteConfig> routes(Section g, Set<String> serviceNames) {
        List<RouteConfig> routes = new ArrayList<>();
        Map<String, RouteConfig> seen = new HashMap<>();
        for (Section s : g.list("routes")) {
            String host = s.get(ConfigKeys.ROUTE_HOST).toLowerCase(Locale.ROOT);
            String prefix = s.get(ConfigKeys.ROUTE_PATH_PREFIX);
            RouteConfig r = new RouteConfig(host, prefix, s.get(ConfigKeys.ROUTE_SERVICE), s.location());
            s.rejectUnknown();
            if (!prefix.startsWith("/")) {
                problems.add(new ConfigProblem(s.locationOf("path_prefix"), "path_prefix '" + prefix + "' does not start with '/'", "write e.g. '/' or '/api/'"));
            }
            if (!host.equals("*") && (host.isEmpty() || host.contains(":") || host.contains("*"))) {
                problems.add(new ConfigProblem(s.locationOf("host"), "host '" + host + "' is neither '*' nor a host name", "write the host without a port, e.g. shop.example.com"));
            }
            knownService(r.service(), serviceNames, s.locationOf("service"), "route " + r.label());
            if (seen.putIfAbsent(host + " " + prefix, r) != null) {
                problems.add(new ConfigProblem(s.location(), "route " + r.label() + " is declared twice", "each host and path_prefix pair may appear once"));
            }
            routes.add(r);
        }
        return routes;
    }

    private void knownService(String service, Set<String> serviceNames, Location where, String who) {
        if (service != null && !serviceNames.contains(service)) {
            problems.add(new ConfigProblem(where, who + " names unknown service '" + service + "'",
                    serviceNames.isEmpty() ? "declare it under 'services:'" : "declared services: " + String.join(", ", serviceNames.stream().sorted().toList())));
        }
    }

    /** The gateway's own ports must differ, and must not take a peer's port on the same address (or on loopback when binding every interface). */
    private record Port(int port, String what, Location location) {}

    private TlsConfig tls(Section t, Path baseDir) {
        Integer port = t.get(ConfigKeys.GW_TLS_PORT);
        tlsPort = new Port(orZero(port), "tls.port", t.locationOf("port"));
        Path cert = pemFile(t, ConfigKeys.GW_TLS_CERT, baseDir);
        Path key = pemFile(t, ConfigKeys.GW_TLS_KEY, baseDir);
        java.time.Duration reload = t.get(ConfigKeys.GW_TLS_RELOAD);
        String clientCaName = t.get(ConfigKeys.GW_TLS_CLIENT_CA);
        Path clientCa = clientCaName == null || clientCaName.isEmpty() ? null : pemFile(t, ConfigKeys.GW_TLS_CLIENT_CA, baseDir);
        t.rejectUnknown();
        return new TlsConfig(orZero(port), cert, key, reload == null ? ConfigKeys.GW_TLS_RELOAD.defaultValue() : reload, clientCa);
    }

    /** A PEM file that exists, is readable and looks like PEM; the gateway parses it when it starts. */
    private Path pemFile(Section t, ConfigKey<String> key, Path baseDir) {
        String v = t.get(key);
        if (v == null) return null;
        Path p = baseDir.resolve(v).normalize();
        String problem = null;
        if (!Files.isRegularFile(p)) {
            problem = "tls " + key.name() + " " + p + " does not exist or is not a file";
        } else if (!Files.isReadable(p)) {
            problem = "tls " + key.name() + " " + p + " is not readable by this user";
        } else {
            try (java.io.BufferedReader r = Files.newBufferedReader(p, java.nio.charset.StandardCharsets.US_ASCII)) {
                char[] head = new char[4096];
                int n = r.read(head);
                if (n <= 0 || !new String(head, 0, n).contains("-----BEGIN ")) problem = "tls " + key.name() + " " + p + " is not a PEM file (no -----BEGIN line)";
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                problem = "tls " + key.name() + " " + p + " cannot be read: " + e.getMessage();
            }
        }
        if (problem != null) {
            problems.add(new ConfigProblem(t.locationOf(key.name()), problem,
                    key == ConfigKeys.GW_TLS_KEY || key == ConfigKeys.UTLS_KEY ? "give an unencrypted PKCS#8 PEM key (openssl pkcs8 -topk8 -nocrypt -in old.key -out key.pem)"
                            : key == ConfigKeys.UTLS_CA ? "give the PEM certificates of the CAs that issued the instances' certificates"
                            : key == ConfigKeys.GW_TLS_CLIENT_CA ? "give the PEM certificates of the CAs that issue your clients' certificates"
                            : key == ConfigKeys.UTLS_CERT ? "give the gateway's PEM client certificate chain, its own certificate first"
                            : "give the PEM certificate chain, server certificate first"));
        }
        return p;
    }

    private List<Port> ports(Section g, int httpPort, int adminPort, List<TcpListenerConfig> listeners) {
        List<Port> mine = new ArrayList<>();
        if (tlsPort != null) mine.add(tlsPort);
        mine.add(new Port(httpPort, "http_port", g.locationOf("http_port")));
        mine.add(new Port(adminPort, "admin_port", g.locationOf("admin_port")));
        listeners.forEach(l -> mine.add(new Port(l.port(), "TCP listener '" + l.name() + "'", l.location())));
        return mine;
    }

    /** In a site's agent the gateway must not take the port its PostgreSQL listens on. */
    private void checkResourcePorts(Section g, int httpPort, int adminPort, List<TcpListenerConfig> listeners, PeerConfig site, List<Integer> pgPorts) {
        for (Port m : ports(g, httpPort, adminPort, listeners)) {
            if (m.port() != 0 && pgPorts.contains(m.port())) {
                problems.add(new ConfigProblem(m.location(), "gateway port " + m.port() + " (" + m.what() + ") is also the PostgreSQL port of a resource at '"
                        + site.name() + "' (in_agents: the gateway runs in its agent)", "pick a port no resource uses"));
            }
        }
    }

    private void checkPorts(Section g, String listen, int httpPort, int adminPort, List<TcpListenerConfig> listeners, List<PeerConfig> peers, String why) {
        Map<Integer, String> used = new HashMap<>();
        for (Port m : ports(g, httpPort, adminPort, listeners)) {
            if (m.port() == 0 || listen == null) continue;
            String other = used.putIfAbsent(m.port(), m.what());
            if (other != null) {
                if (!why.isEmpty()) continue; // already said once for the edge address
                problems.add(new ConfigProblem(m.location(), "gateway port " + m.port() + " is used twice (by " + other + " and " + m.what() + ")",
                        "give http_port, admin_port and every TCP listener its own port"));
            }
            for (PeerConfig p : peers) {
                if (p.address() != null && sameMachine(listen, p.address()) && (p.raftPort() == m.port() || p.apiPort() == m.port())) {
                    problems.add(new ConfigProblem(m.location(), "gateway port " + m.port() + " (" + m.what() + ") is also a port of '" + p.name() + "' on " + p.address() + why,
                            "pick a port no site or witness uses on that address"));
                }
            }
        }
    }

    private static boolean sameMachine(String listen, String peer) {
        boolean wildcard = listen.equals("0.0.0.0") || listen.equals("::");
        boolean loopback = peer.startsWith("127.") || peer.equals("localhost") || peer.equals("::1");
        return listen.equals(peer) || (wildcard && loopback);
    }

    private static int orZero(Integer v) {
        return v == null ? 0 : v;
    }
}
