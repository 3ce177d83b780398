package io.tandem.model.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A number of bytes, written in config as 16MB, 512kB, 1GiB or a plain byte count. */
public record DataSize(long bytes) {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    public static DataSize parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (write e.g. 16MB, 512kB or 1GB)");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "kb", "kib", "k" -> 1L << 10;
            case "mb", "mib", "m" -> 1L << 20;
            case "gb", "gib", "g" -> 1L << 30;
            case "tb", "tib", "t" -> 1L << 40;
            default -> throw new IllegalArgumentException("unknown size unit '" + m.group(2) + "' (use B, kB, MB, GB or TB)");
        };
        return new DataSize(Math.multiplyExact(n, unit));
    }

    @Override
    public String toString() {
        if (bytes % (1L << 30) == 0 && bytes != 0) return bytes / (1L << 30) + "GB";
        if (bytes % (1L << 20) == 0 && bytes != 0) return bytes / (1L << 20) + "MB";
        if (bytes % (1L << 10) == 0 && bytes != 0) return bytes / (1L << 10) + "kB";
        return bytes + "B";
    }
}
