package io.tandem.model.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One key of tandem.yaml, declared once with its type, default and meaning. The reader uses it to
 * parse, and the configuration reference in docs/ is generated from these declarations.
 *
 * @param path where the key lives, e.g. {@code sites[].raft_port}
 * @param type how its value is written
 * @param defaultValue the value when absent; {@code null} means the key is required
 * @param meaning one line for the reference
 */
public record ConfigKey<T>(String path, Type<T> type, T defaultValue, String meaning) {

    public String name() {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    public boolean required() {
        return defaultValue == null;
    }

    public String defaultText() {
        return defaultValue == null ? "(required)" : type.format(defaultValue);
    }

    /** How a scalar is written and parsed. {@code parse} throws IllegalArgumentException with a user-facing message. */
    public record Type<T>(String description, Function<String, T> parse, Function<T, String> format) {
        public String format(T value) {
            return format.apply(value);
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:-]*");

    public static final Type<String> STRING = new Type<>("string", s -> s, s -> s.isEmpty() ? "\"\"" : s);
    public static final Type<String> IDENT = new Type<>("name ([a-z][a-z0-9-]*)", s -> {
        if (!NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a valid name: use lower-case letters, digits and '-', starting with a letter");
        }
        return s;
    }, s -> s);
    /** Several names in one YAML list; each item is parsed as {@link #IDENT}. */
    public static final Type<String> IDENT_LIST = new Type<>("list of names ([kyiv, frankfurt])", IDENT.parse(), s -> s);
    // The message never repeats the value: a user who pasted the token itself must not find it in a log.
    public static final Type<String> SHA256_HEX = new Type<>("SHA-256 in hex (64 lower-case hex digits)", s -> {
        if (!SHA256.matcher(s).matches()) {
            throw new IllegalArgumentException("not a SHA-256 in hex (64 lower-case hex digits); write the token's hash here, never the token itself");
        }
        return s;
    }, s -> s);
    public static final Type<String> HOSTNAME = new Type<>("host or IP address", s -> {
        if (!HOST.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a host name or IP address");
        }
        return s;
    }, s -> s);
    /** An IP address with an optional prefix length (10.1.0.0/16, 2001:db8::/32); a bare address means only itself. */
    public static final Type<String> CIDR = new Type<>("address/prefix (10.1.0.0/16, 127.0.0.0/8, 2001:db8::/32)", ConfigKey::cidr, s -> s);
    public static final Type<Integer> PORT = new Type<>("TCP port (1-65535)", s -> {
        int p = integer(s);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1-65535");
        }
        return p;
    }, String::valueOf);
    public static final Type<HostPort> HOST_PORT = new Type<>("host:port (127.0.1.1:8080)", HostPort::parse, HostPort::toString);
    public static final Type<Integer> INT = new Type<>("integer", ConfigKey::integer, String::valueOf);
    public static final Type<Boolean> BOOL = new Type<>("true or false", s -> switch (s.toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> throw new IllegalArgumentException("'" + s + "' is not true or false");
    }, String::valueOf);
    public static final Type<Duration> DURATION = new Type<>("duration (250ms, 1.5s, 2m)", Durations::parse, Durations::format);
    public static final Type<DataSize> SIZE = new Type<>("size (16MB, 512kB)", DataSize::parse, DataSize::toString);

    public static <E extends Enum<E>> Type<E> enumType(Class<E> type) {
        String choices = Arrays.stream(type.getEnumConstants()).map(ConfigKey::word).collect(Collectors.joining("|"));
        return new Type<>(choices, s -> {
            for (E e : type.getEnumConstants()) {
                if (word(e).equals(s)) {
                    return e;
                }
            }
            throw new IllegalArgumentException("'" + s + "' is not one of " + choices);
        }, ConfigKey::word);
    }

    /** How an enum constant is written in YAML: lower case, '-' for '_'. */
    public static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String cidr(String s) {
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        boolean v6 = addr.contains(":");
        boolean literal = v6 ? addr.matches("[0-9A-Fa-f:.]+") : addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal || !v6 && java.util.Arrays.stream(addr.split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255)) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address with an optional /prefix");
        }
        int max = v6 ? 128 : 32;
        if (slash < 0) {
            return addr + "/" + max;
        }
        String bits = s.substring(slash + 1);
        if (!bits.matches("\\d{1,3}") || Integer.parseInt(bits) > max) {
            throw new IllegalArgumentException("'" + s + "': the prefix length must be 0-" + max);
        }
        return s;
    }

    private static int integer(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a whole number");
        }
    }
}
