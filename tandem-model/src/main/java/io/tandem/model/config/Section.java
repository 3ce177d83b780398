package io.tandem.model.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads one YAML mapping against declared keys, recording problems instead of stopping at the first,
 * and rejecting keys nobody declared.
 */
final class Section {
    private final YNode.Mapping node;
    private final String where;
    private final List<ConfigProblem> problems;
    private final Set<String> known = new HashSet<>();

    Section(YNode.Mapping node, String where, List<ConfigProblem> problems) {
        this.node = node;
        this.where = where;
        this.problems = problems;
    }

    static Optional<Section> of(YNode n, String where, List<ConfigProblem> problems) {
        if (n instanceof YNode.Mapping m) {
            return Optional.of(new Section(m, where, problems));
        }
        problems.add(new ConfigProblem(n.location(), where + " should be a mapping of keys, found " + n.describe(),
                "write it as 'key: value' lines indented under " + where));
        return Optional.empty();
    }

    Location location() {
        return node.location();
    }

    Location locationOf(String key) {
        YNode.Entry e = node.entries().get(key);
        return e == null ? node.location() : e.value().location();
    }

    /** The key's value, its default when absent, or null after recording a problem. */
    <T> T get(ConfigKey<T> key) {
        String name = key.name();
        known.add(name);
        YNode.Entry e = node.entries().get(name);
        if (e == null || e.value() instanceof YNode.Null) {
            if (key.required()) {
                problems.add(new ConfigProblem(e == null ? node.location() : e.keyLocation(),
                        "missing required key '" + name + "' in " + where, "add '" + name + ": <" + key.type().description() + ">' (" + key.meaning() + ")"));
            }
            return key.defaultValue();
        }
        if (!(e.value() instanceof YNode.Scalar s)) {
            problems.add(new ConfigProblem(e.value().location(), "'" + name + "' in " + where + " should be a single value, found " + e.value().describe(),
                    "write '" + name + ": <" + key.type().description() + ">'"));
            return key.defaultValue();
        }
        try {
            return key.type().parse().apply(s.text());
        } catch (IllegalArgumentException | ArithmeticException ex) {
            problems.add(new ConfigProblem(s.location(), "bad value for '" + name + "' in " + where + ": " + ex.getMessage(),
                    "expected " + key.type().description() + "; " + key.meaning()));
            return key.defaultValue();
        }
    }

    /** A nested mapping, if present. */
    Optional<Section> section(String name) {
        known.add(name);
        YNode.Entry e = node.entries().get(name);
        if (e == null || e.value() instanceof YNode.Null) {
            return Optional.empty();
        }
        return of(e.value(), name, problems);
    }

    /** A list of mappings, each read as a section; empty when absent. */
    List<Section> list(String name) {
        known.add(name);
        YNode.Entry e = node.entries().get(name);
        if (e == null || e.value() instanceof YNode.Null) {
            return List.of();
        }
        if (!(e.value() instanceof YNode.Seq seq)) {
            problems.add(new ConfigProblem(e.value().location(), "'" + name + "' should be a list, found " + e.value().describe(),
                    "write each item on its own line starting with '- '"));
            return List.of();
        }
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < seq.items().size(); i++) {
            of(seq.items().get(i), name + "[" + i + "]", problems).ifPresent(out::add);
        }
        return out;
    }

    /** A list of scalar values parsed by the key's type; null when absent. */
    <T> List<T> values(ConfigKey<T> key) {
        String name = key.name();
        known.add(name);
        YNode.Entry e = node.entries().get(name);
        if (e == null || e.value() instanceof YNode.Null) {
            return null;
        }
        if (!(e.value() instanceof YNode.Seq seq)) {
            problems.add(new ConfigProblem(e.value().location(), "'" + name + "' in " + where + " should be a list, found " + e.value().describe(),
                    "write '" + name + ": [a, b]'"));
            return null;
        }
        List<T> out = new ArrayList<>();
        for (YNode item : seq.items()) {
            if (item instanceof YNode.Scalar s) {
                try {
                    out.add(key.type().parse().apply(s.text()));
                } catch (IllegalArgumentException ex) {
                    problems.add(new ConfigProblem(s.location(), "bad item in '" + name + "': " + ex.getMessage(), key.meaning()));
                }
            } else {
                problems.add(new ConfigProblem(item.location(), "items of '" + name + "' should be single values", key.meaning()));
            }
        }
        return out;
    }

    /** Records a problem for every key that was not read. Call after reading all declared keys. */
    void rejectUnknown() {
        for (YNode.Entry e : node.entries().values()) {
            if (!known.contains(e.key())) {
                String nearest = known.stream().min(Comparator.comparingInt(k -> distance(k, e.key()))).orElse("");
                String hint = !nearest.isEmpty() && distance(nearest, e.key()) <= 3
                        ? "did you mean '" + nearest + "'?"
                        : "known keys here: " + known.stream().sorted().collect(Collectors.joining(", "));
                problems.add(new ConfigProblem(e.keyLocation(), "unknown key '" + e.key() + "' in " + where, hint));
            }
        }
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
