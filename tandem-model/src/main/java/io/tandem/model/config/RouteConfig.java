package io.tandem.model.config;

/** An HTTP route: requests whose Host matches {@code host} ("*" = any) and whose path starts with {@code pathPrefix} go to {@code service}. */
public record RouteConfig(String host, String pathPrefix, String service, Location location) {
    public boolean anyHost() {
        return host.equals("*");
    }

    /** A name for metrics and logs: host and path prefix. */
    public String label() {
        return host + pathPrefix;
    }
}
