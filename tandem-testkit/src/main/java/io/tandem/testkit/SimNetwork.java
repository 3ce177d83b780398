package io.tandem.testkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The network between peers (indexed 0..n-1): each directed link can be cut on its own, so partitions may be
 * one-way; messages may be dropped with a probability and are delayed by a bounded random amount. A message
 * also needs its link up when it arrives. A peer always reaches itself, at once.
 */
public final class SimNetwork {
    /** A message in flight. {@code seq} orders messages that arrive in the same millisecond, so delivery is deterministic. */
    public record Message(long deliverAt, long seq, int from, int to, Object payload) {}

    private final int n;
    private final int stepMs;
    private final boolean[][] cut;
    private final PriorityQueue<Message> inFlight = new PriorityQueue<>(
            Comparator.comparingLong(Message::deliverAt).thenComparingLong(Message::seq));
    private long seq;
    private double dropProbability;
    private int maxDelayMs;

    public SimNetwork(int n, int stepMs, int maxDelayMs) {
        this.n = n;
        this.stepMs = stepMs;
        this.cut = new boolean[n][n];
        this.maxDelayMs = maxDelayMs;
    }

    public int size() {
        return n;
    }

    public boolean up(int from, int to) {
        return from == to || !cut[from][to];
    }

    /** Both directions up. */
    public boolean connected(int a, int b) {
        return up(a, b) && up(b, a);
    }

    public void cut(int from, int to) {
        if (from != to) cut[from][to] = true;
    }

    public void heal(int from, int to) {
        cut[from][to] = false;
    }

    public void healAll() {
        for (boolean[] row : cut) java.util.Arrays.fill(row, false);
    }

    public void setDropProbability(double p) {
        dropProbability = p;
    }

    public double dropProbability() {
        return dropProbability;
    }

    public void setMaxDelayMs(int ms) {
        maxDelayMs = ms;
    }

    public int maxDelayMs() {
        return maxDelayMs;
    }

    public void send(int from, int to, Object payload, long now, Random rnd) {
        if (!up(from, to)) return;
        long delay = 0;
        if (from != to) {
            if (dropProbability > 0 && rnd.nextDouble() < dropProbability) return;
            delay = (long) stepMs * rnd.nextInt(maxDelayMs / stepMs + 1);
        }
        inFlight.add(new Message(now + delay, seq++, from, to, payload));
    }

    /** Messages due by {@code now} whose link is still up, in arrival order. */
    public List<Message> due(long now) {
        List<Message> out = new ArrayList<>();
        while (!inFlight.isEmpty() && inFlight.peek().deliverAt() <= now) {
            Message m = inFlight.poll();
            if (up(m.from(), m.to())) out.add(m);
        }
        return out;
    }

    public String describeCuts(List<String> names) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (cut[i][j]) b.append(b.isEmpty() ? "" : " ").append(names.get(i)).append("->").append(names.get(j));
            }
        }
        return b.isEmpty() ? "none" : b.toString();
    }
}
