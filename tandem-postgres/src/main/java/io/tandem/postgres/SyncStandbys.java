package io.tandem.postgres;

import java.util.List;
import java.util.stream.Collectors;

/**
 * synchronous_standby_names: the in-sync set the primary waits for. {@code ANY 1 ("frankfurt")}
 * waits for any one of the named standbys; {@code FIRST n} for the first n by priority. No names
 * means the primary waits for nobody.
 */
public record SyncStandbys(Method method, int num, List<String> names) {
    public enum Method { ANY, FIRST }

    public SyncStandbys {
        names = List.copyOf(names);
        if (!names.isEmpty() && (num < 1 || num > names.size())) {
            throw new IllegalArgumentException("must wait for 1.." + names.size() + " of " + names + ", not " + num);
        }
    }

    public static SyncStandbys none() {
        return new SyncStandbys(Method.ANY, 0, List.of());
    }

    /** Wait for every named standby (ANY n of n): the zero-loss in-sync set. */
    public static SyncStandbys all(List<String> names) {
        return new SyncStandbys(Method.ANY, names.size(), names);
    }

    public static SyncStandbys any(int num, List<String> names) {
        return new SyncStandbys(Method.ANY, num, names);
    }

    public String setting() {
        if (names.isEmpty()) {
            return "";
        }
        return method + " " + num + " (" + names.stream().map(n -> "\"" + n.replace("\"", "\"\"") + "\"")
                .collect(Collectors.joining(", ")) + ")";
    }
}
