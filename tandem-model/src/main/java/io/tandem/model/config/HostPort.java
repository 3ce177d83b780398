package io.tandem.model.config;

/** A host and a TCP port, written {@code 127.0.1.1:8080} (or {@code [::1]:8080}) in the config. */
public record HostPort(String host, int port) {

    public static HostPort parse(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + s + "' is not host:port (write e.g. 127.0.1.1:8080)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        ConfigKey.HOSTNAME.parse().apply(host);
        int port = ConfigKey.PORT.parse().apply(s.substring(colon + 1));
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
