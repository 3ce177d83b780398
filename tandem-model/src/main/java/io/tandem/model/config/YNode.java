package io.tandem.model.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A YAML document as a tree that remembers where each node was written, for errors with file:line:column. */
public sealed interface YNode {
    Location location();

    /** A short word for error messages: "a mapping", "a list", "a value". */
    String describe();

    record Scalar(String text, Location location) implements YNode {
        public String describe() {
            return "the value '" + text + "'";
        }
    }

    record Seq(List<YNode> items, Location location) implements YNode {
        public String describe() {
            return "a list";
        }
    }

    /** Keys keep their own location, so an unknown or duplicate key is reported where it is written. */
    record Mapping(LinkedHashMap<String, Entry> entries, Location location) implements YNode {
        public String describe() {
            return "a mapping";
        }

        public Map<String, Entry> view() {
            return java.util.Collections.unmodifiableMap(entries);
        }
    }

    record Entry(String key, Location keyLocation, YNode value) {}

    record Null(Location location) implements YNode {
        public String describe() {
            return "an empty value";
        }
    }
}
