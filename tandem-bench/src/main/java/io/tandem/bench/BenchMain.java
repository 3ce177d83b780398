package io.tandem.bench;

/** Entry point of `./tandem bench`; the benchmarks themselves follow. */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) {
        System.err.println("tandem bench: usage: tandem bench control-plane [--runs N]");
        System.exit(2);
    }
}
