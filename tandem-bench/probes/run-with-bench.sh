#!/bin/bash
# Runs `./tandem bench gateway` for one target at few connections and attaches a bpftrace probe in its
# measured window. Usage, from the repository root:
#   tandem-bench/probes/run-with-bench.sh TARGET PROBE.bt OUT    (TARGET: gateway-tcp, haproxy-tcp, ...)
# Env: WRK_CONNS (8), ATTACH_AFTER (seconds after the proxy listens; 21 = inside a 15 s warmup + the run),
# WRK_PERCENTILES=1 to put probes/wrk first in PATH (wrk's own percentiles and counts over 1/2/4/8 ms),
# GATEWAY_JVM to give the gateway other JVM flags than the bench's default (its --gateway-jvm).
set -euo pipefail
T=$1; BT=$2; OUT=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v bpftrace >/dev/null || { echo "bpftrace is missing: apt-get install bpftrace" >&2; exit 2; }
path=$PATH; [ -n "${WRK_PERCENTILES:-}" ] && path=$here:$PATH
(PATH=$path WRK_CONNS=${WRK_CONNS:-8} SIZES=1k QUIET_WAIT=5 ./tandem bench gateway --targets "$T" --rounds 1 \
    --duration 10 --warmup 15 --keep ${GATEWAY_JVM:+--gateway-jvm "$GATEWAY_JVM"} > "$OUT.bench" 2>&1) &
bench=$!
pid=""
for _ in $(seq 1 600); do
  pid=$(ss -Htlnp 'sport = :28080' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
echo "proxy pid ${pid:-none}" > "$OUT"
sleep "${ATTACH_AFTER:-21}"
BPFTRACE_MAP_KEYS_MAX=262144 bpftrace "$BT" "${pid:-0}" >> "$OUT" 2>&1 || true
wait "$bench" || true
grep -h "1KiB: rps" "$OUT.bench" >> "$OUT" || true
