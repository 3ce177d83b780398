package io.tandem.model.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML into {@link YNode}s with locations. Duplicate keys are collected as problems rather than
 * silently keeping the last one, which is what most YAML loaders do.
 */
final class YamlReader {
    private final String file;
    private final List<ConfigProblem> problems;

    YamlReader(String file, List<ConfigProblem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** Returns the root node, or null after recording a syntax problem. */
    YNode read(String text) {
        try (JsonParser p = new YAMLFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new YNode.Null(new Location(file, 1, 1));
            }
            return node(p);
        } catch (JsonProcessingException e) {
            problems.add(syntaxProblem(e));
            return null;
        } catch (IOException e) {
            problems.add(new ConfigProblem(new Location(file, 1, 1), "cannot read: " + e.getMessage(), "check the file"));
            return null;
        }
    }

    /**
     * Jackson reports where its last token was, often a line before the mistake, and its message starts
     * with SnakeYAML's context ("while scanning a simple key") rather than the problem; SnakeYAML's own
     * marks and texts say where and what.
     */
    private ConfigProblem syntaxProblem(JsonProcessingException e) {
        String hint = "check indentation (spaces, not tabs) and that every 'key: value' has a space after the colon";
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            Mark at = m.getProblemMark();
            Mark start = m.getContextMark();
            // The scanner notices a key without ':' or an unclosed quote only lines later; its context mark is
            // where that token starts. So is the parser's for an unclosed bracket found at the end of the file.
            // Otherwise the context is an enclosing block, and the problem mark is the better place.
            boolean scanning = m.getContext() != null && m.getContext().startsWith("while scanning");
            boolean ranToNextLine = at.getColumn() == 0;
            if (start != null && start.getLine() < at.getLine() && (scanning || ranToNextLine)) {
                at = start;
            }
            String what = m.getProblem() == null ? "malformed YAML" : m.getProblem();
            String context = m.getContext() == null ? "" : " (" + m.getContext() + ")";
            return new ConfigProblem(new Location(file, at.getLine() + 1, at.getColumn() + 1), "malformed YAML: " + what + context, hint);
        }
        JsonLocation l = e.getLocation();
        String msg = e.getOriginalMessage().lines().findFirst().orElse("malformed YAML");
        return new ConfigProblem(l == null ? new Location(file, 1, 1) : loc(l), "malformed YAML: " + msg, hint);
    }

    private Location loc(JsonLocation l) {
        return new Location(file, l.getLineNr(), l.getColumnNr());
    }

    private YNode node(JsonParser p) throws IOException {
        Location here = loc(p.currentTokenLocation());
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                LinkedHashMap<String, YNode.Entry> entries = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Location keyLoc = loc(p.currentTokenLocation());
                    p.nextToken();
                    YNode value = node(p);
                    YNode.Entry previous = entries.get(key);
                    if (previous != null) {
                        problems.add(new ConfigProblem(keyLoc, "duplicate key '" + key + "' (first written at line "
                                + previous.keyLocation().line() + ")", "remove one of the two"));
                    } else {
                        entries.put(key, new YNode.Entry(key, keyLoc, value));
                    }
                }
                return new YNode.Mapping(entries, here);
            }
            case START_ARRAY -> {
                List<YNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p));
                }
                return new YNode.Seq(List.copyOf(items), here);
            }
            case VALUE_NULL -> {
                return new YNode.Null(here);
            }
            default -> {
                return new YNode.Scalar(p.getText(), here);
            }
        }
    }
}
