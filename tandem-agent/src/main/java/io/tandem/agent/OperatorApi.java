package io.tandem.agent;

import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import java.io.IOException;
import java.util.Map;
import org.apache.ratis.protocol.RaftClientReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's mutations (operator role, checked by {@link ApiServer}): each records an intent in the cluster
 * state through Raft, with an audit entry, and waits for the controller to carry it out; none acts itself.
 */
final class OperatorApi {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorApi.class);
    private static final long WAIT_NANOS = 30_000_000_000L;

    private final TandemConfig config;
    private final RaftNode raft;
    private final TandemStateMachine sm;

    OperatorApi(TandemConfig config, RaftNode raft, TandemStateMachine sm) {
        this.config = config;
        this.raft = raft;
        this.sm = sm;
    }

    /** The resource a request names, or the only one; and its target site. Empty reply when both are valid. */
    private java.util.Optional<ApiServer.Reply> invalid(String resource, String to) {
        if (config.resource(resource).isEmpty()) {
            return java.util.Optional.of(ApiServer.Reply.error(400, "name the resource: one of " + config.resources().stream().map(ResourceConfig::name).toList()));
        }
        if (to == null || config.peer(to).filter(p -> !p.isWitness()).isEmpty()) {
            return java.util.Optional.of(ApiServer.Reply.error(400, "'to' must name a site: one of " + config.sites().stream().map(PeerConfig::name).toList()));
        }
        return java.util.Optional.empty();
    }

    private String resourceOrOnly(String named) {
        return named != null ? named : config.resources().size() == 1 ? config.resources().get(0).name() : "";
    }

    record NoteRequest(String text) {}

    /** POST /v1/notes: an operator's note in the audit log ("starting maintenance of kyiv"). */
    ApiServer.Reply note(io.tandem.model.config.UserConfig user, String body) {
        NoteRequest n;
        try {
            n = Json.MAPPER.readValue(body, NoteRequest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return ApiServer.Reply.error(400, "body must be JSON like {\"text\": \"...\"}: " + e.getOriginalMessage());
        }
        if (n.text() == null || n.text().isBlank() || n.text().length() > 1000) {
            return ApiServer.Reply.error(400, "'text' must be 1 to 1000 characters");
        }
        return mutate(user, "note", n.text());
    }

    record FailoverRequest(String resource, String to, boolean acceptDataLoss) {}

    /**
     * POST /v1/failover {"to": SITE[, "resource": R][, "acceptDataLoss": true]}: forces the failover of a resource whose
     * primary the quorum declared failed. Refuses a target outside the in-sync set unless the loss is accepted, and says
     * how much may be lost (the failed primary's last reported position minus the target's).
     */
    ApiServer.Reply forceFailover(io.tandem.model.config.UserConfig user, String body) {
        FailoverRequest q;
        try {
            q = Json.MAPPER.readValue(body, FailoverRequest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return ApiServer.Reply.error(400, "body must be JSON like {\"to\": \"frankfurt\", \"acceptDataLoss\": false}: " + e.getOriginalMessage());
        }
        String resource = resourceOrOnly(q.resource());
        java.util.Optional<ApiServer.Reply> bad = invalid(resource, q.to());
        if (bad.isPresent()) return bad.get();
        LeaderView v;
        try {
            RaftClientReply r = raft.status();
            if (!r.isSuccess()) throw new IOException(String.valueOf(r.getException()));
            v = Json.read(r.getMessage().getContent().toByteArray(), LeaderView.class);
        } catch (IOException | RuntimeException e) {
            return ApiServer.Reply.error(503, "no quorum reachable, nothing was changed: " + Agent.rootMessage(e));
        }
        var rs = v.state().resource(resource).orElseThrow();
        if (!rs.hasPrimary() || v.state().health(rs.primary()) != io.tandem.model.state.PeerHealth.FAILED) {
            return ApiServer.Reply.error(409, "the primary " + (rs.hasPrimary() ? rs.primary() : "(none)") + " of " + resource
                    + " is not declared failed; for a planned move use 'tandem switchover'");
        }
        boolean inSync = rs.inSync().contains(q.to());
        long primaryPos = position(v, rs.primary(), resource);
        long targetPos = position(v, q.to(), resource);
        String loss = primaryPos < 0 || targetPos < 0
                ? "an unknown amount of WAL (the leader has no position reported by " + (primaryPos < 0 ? rs.primary() : q.to())
                        + " since it took over)"
                : "up to " + Math.max(0, primaryPos - targetPos) + " bytes of WAL (" + rs.primary() + " last reported position "
                        + primaryPos + ", " + q.to() + " is at " + targetPos + ")";
        if (!inSync && !q.acceptDataLoss()) {
            return ApiServer.Reply.error(409, q.to() + " is not in the in-sync set " + rs.inSync() + ": promoting it may lose " + loss
                    + "; repeat with acceptDataLoss (tandem failover --accept-data-loss) to accept that");
        }
        try {
            RaftClientReply r = raft.append(new Command.ForceFailover(resource, q.to(), q.acceptDataLoss(), user.name(), System.currentTimeMillis()));
            if (!r.isSuccess()) return ApiServer.Reply.error(503, "the cluster did not accept the request: " + r.getException());
        } catch (IOException e) {
            return ApiServer.Reply.error(503, "no quorum reachable, nothing was changed: " + Agent.rootMessage(e));
        }
        LOG.warn("event=audit user={} action=forced-failover resource={} to={} accept_data_loss={}", user.name(), resource, q.to(), q.acceptDataLoss());
        long end = System.nanoTime() + WAIT_NANOS;
        while (System.nanoTime() < end) {
            var now = sm.state().resource(resource).orElseThrow();
            if (now.primary().equals(q.to()) && now.epoch() > rs.epoch()) {
                return ApiServer.Reply.json(200, Map.of("primary", q.to(), "epoch", now.epoch(), "mayHaveLost", inSync ? "nothing (it was in sync)" : loss));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return ApiServer.Reply.json(202, Map.of("status", "recorded; the failover is not done yet, follow it with tandem status"));
    }

    /** The site's last position the leader heard of, -1 when it heard none (it may have taken over after the site failed). */
    private static long position(LeaderView v, String site, String resource) {
        var o = v.observations().get(site);
        if (o == null || !o.heard() || o.report() == null) return -1;
        var rep = o.report().resources().get(resource);
        return rep == null ? -1 : rep.lsn();
    }

    record SwitchoverRequest(String resource, String to) {}

    /**
     * POST /v1/switchover {"to": SITE[, "resource": R]}: records the operator's intent in the cluster state,
     * then waits (up to 30 s) for the controller to carry it out and answers with the runbook's outcome.
     */
    ApiServer.Reply switchover(io.tandem.model.config.UserConfig user, String body) {
        SwitchoverRequest q;
        try {
            q = Json.MAPPER.readValue(body, SwitchoverRequest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return ApiServer.Reply.error(400, "body must be JSON like {\"to\": \"frankfurt\", \"resource\": \"db\"}: " + e.getOriginalMessage());
        }
        String resource = resourceOrOnly(q.resource());
        java.util.Optional<ApiServer.Reply> bad = invalid(resource, q.to());
        if (bad.isPresent()) return bad.get();
        ClusterState before = sm.state();
        if (before.activeRunbook(resource).isPresent()) {
            return ApiServer.Reply.json(409, Map.of("error", "a runbook is already running for " + resource, "runbook", before.activeRunbook(resource).get()));
        }
        long from = before.nextRunbookId();
        try {
            RaftClientReply r = raft.append(new Command.RequestSwitchover(resource, q.to(), user.name(), System.currentTimeMillis()));
            if (!r.isSuccess()) return ApiServer.Reply.error(503, "the cluster did not accept the request: " + r.getException());
        } catch (IOException e) {
            return ApiServer.Reply.error(503, "no quorum reachable, nothing was changed: " + Agent.rootMessage(e));
        }
        LOG.info("event=audit user={} role={} action=switchover resource={} to={}", user.name(), user.role().name().toLowerCase(), resource, q.to());
        long end = System.nanoTime() + WAIT_NANOS;
        while (System.nanoTime() < end) {
            var rb = sm.state().runbooks().stream().filter(x -> x.id() >= from && x.resource().equals(resource) && x.kind().equals(ClusterState.SWITCHOVER)).findFirst();
            if (rb.isPresent() && !rb.get().running()) {
                return ApiServer.Reply.json(rb.get().status() == io.tandem.model.state.RunbookStatus.SUCCEEDED ? 200 : 409, Map.of("runbook", rb.get()));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return ApiServer.Reply.json(202, Map.of("status", "still running; follow it with tandem status"));
    }

    /** Appends an audit entry through Raft and waits for it; the answer says who, what and when. */
    private ApiServer.Reply mutate(io.tandem.model.config.UserConfig user, String action, String detail) {
        long at = System.currentTimeMillis();
        try {
            RaftClientReply r = raft.append(new Command.Audit(user.name(), action, detail, at));
            if (!r.isSuccess()) {
                return ApiServer.Reply.error(503, "the cluster did not accept the change: " + r.getException());
            }
        } catch (IOException e) {
            return ApiServer.Reply.error(503, "no quorum reachable, nothing was changed: " + Agent.rootMessage(e));
        }
        LOG.info("event=audit user={} role={} action={}", user.name(), user.role().name().toLowerCase(), action);
        return ApiServer.Reply.json(200, Map.of("who", user.name(), "action", action, "atMs", at));
    }
}
