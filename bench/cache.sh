#!/usr/bin/env bash
# Cache workload: Shardis vs redis-server under maxmemory + allkeys-lru, the same trace on both.
#
#   bench/cache.sh [--quick] [-r R] [--no-build] [--no-record] [--strict] [--self-test]
#
# Both servers run with --maxmemory 100mb --maxmemory-policy allkeys-lru --maxmemory-samples 5
# (Redis also --save "" --appendonly no). bench/loadgen plays a deterministic (fixed seed)
# cache-aside trace: OPS GETs of zipfian keys (theta 0.99 over 5,000,000 keys "key:%010d");
# every miss is followed by a SET of a 1 KB value. With the defaults Redis ends up writing
# ~1 GB. Reported per server: hit ratio (client counts and INFO keyspace_hits/misses),
# evicted_keys, peak VmRSS sampled every 200 ms (and peak / maxmemory), p50/p99/p99.9/max
# latency of the requests sent once eviction started, and throughput. Targets: Shardis hit
# ratio at most 2 points below Redis's, Shardis p99 <= 1.0 x Redis's, Shardis peak RSS <=
# maxmemory + 10 %. --quick: maxmemory 20mb, ~100 MB written. See bench/README.md ("Cache").
#
# Environment: MAXMEMORY (100mb; quick 20mb), POLICY (allkeys-lru), MAXMEMORY_SAMPLES (5),
# KEYS (5000000), THETA (0.99), OPS (GETs; 2800000, quick 200000), VALUE_SIZE (1024),
# CONNS (4 connections), PIPELINE (8 GETs per batch per connection), RATE (0 = closed loop;
# else target GETs/s, latency counted from the scheduled send time), SEED, SHARDS (Shardis
# --shards, 1), SAMPLE_MS (200), SERVER_CPU (0), CLIENT_CPU (1), R (repetitions, 1; medians),
# RUN_TIMEOUT (s per trace, 1800), SHARDIS_BIN, LOADGEN_BIN, RESULTS, READY_TIMEOUT (60).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ME=cache.sh LOG_TAG=cache
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 STRICT=0 SELFTEST=0 ARG_R=""
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        -r) ARG_R=${2:?-r needs a value}; shift ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --strict) STRICT=1 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$ME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $QUICK == 1 ]]; then MM_DEFAULT=20mb OPS_DEFAULT=200000; else MM_DEFAULT=100mb OPS_DEFAULT=2800000; fi
MAXMEMORY=${MAXMEMORY:-$MM_DEFAULT}
OPS=${OPS:-$OPS_DEFAULT}
POLICY=${POLICY:-allkeys-lru}
MAXMEMORY_SAMPLES=${MAXMEMORY_SAMPLES:-5}
KEYS=${KEYS:-5000000}
THETA=${THETA:-0.99}
VALUE_SIZE=${VALUE_SIZE:-1024}
CONNS=${CONNS:-4}
PIPELINE=${PIPELINE:-8}
RATE=${RATE:-0}
SEED=${SEED:-20241124}
SHARDS=${SHARDS:-1}
SAMPLE_MS=${SAMPLE_MS:-200}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
R=${ARG_R:-${R:-1}}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
READY_TIMEOUT=${READY_TIMEOUT:-60}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}
HIT_POINTS=2 P99_TARGET=1.0 RSS_HEADROOM=1.10

for v in OPS MAXMEMORY_SAMPLES KEYS VALUE_SIZE CONNS PIPELINE SEED SHARDS SAMPLE_MS R RUN_TIMEOUT READY_TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$ME: $v must be a positive integer (got '${!v}')" >&2; exit 2; }
done
[[ $THETA =~ ^0\.[0-9]+$ ]] || { echo "$ME: THETA must be in (0, 1) (got '$THETA')" >&2; exit 2; }
[[ $RATE =~ ^[0-9]+$ ]] || { echo "$ME: RATE must be a non-negative integer (got '$RATE')" >&2; exit 2; }
[[ ${MAXMEMORY,,} =~ ^[0-9]+(b|k|kb|m|mb|g|gb)?$ ]] || { echo "$ME: MAXMEMORY must look like 100mb (got '$MAXMEMORY')" >&2; exit 2; }
((VALUE_SIZE >= 8)) || { echo "$ME: VALUE_SIZE must be >= 8" >&2; exit 2; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/cache-$STAMP
mkdir -p "$OUT"
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md   # stand-in numbers never reach RESULTS.md
CMDS=$OUT/commands.txt
: >"$CMDS"

lib_traps
require_tools
check_cpus "$SERVER_CPU" "$CLIENT_CPU"
[[ $SERVER_CPU != "$CLIENT_CPU" ]] || warn "server and load generator share CPU $SERVER_CPU: numbers will be meaningless"
ensure_shardis
ensure_loadgen

SERVER_ARGS=(--maxmemory "$MAXMEMORY" --maxmemory-policy "$POLICY" --maxmemory-samples "$MAXMEMORY_SAMPLES")
LG_ARGS=(--keys "$KEYS" --theta "$THETA" --ops "$OPS" --value-size "$VALUE_SIZE" --conns "$CONNS"
         --pipeline "$PIPELINE" --seed "$SEED" --rate "$RATE" --sample-ms "$SAMPLE_MS" --max-seconds "$RUN_TIMEOUT")

# ---------------------------------------------------------------- one trace
# run_trace <server> <rep>: fresh server, the trace, loadgen output in $OUT/<server>-r<rep>.txt
MAXMEMORY_BYTES=""
run_trace() {
    local server=$1 rep=$2 kind shards=1 tag=$1-r$2 res rc mm policy
    if [[ $server == redis ]]; then kind=redis; else kind=shardis; shards=$SHARDS; fi
    res=$OUT/$tag.txt
    start_server_or_die "$kind" "$tag" "$shards" "${SERVER_ARGS[@]}"
    mm=$(cli "$SRV_PORT" CONFIG GET maxmemory | sed -n 2p)
    policy=$(cli "$SRV_PORT" CONFIG GET maxmemory-policy | sed -n 2p)
    [[ $mm =~ ^[1-9][0-9]*$ ]] || die "$tag: CONFIG GET maxmemory gave '$mm'"
    [[ $policy == "$POLICY" ]] || die "$tag: CONFIG GET maxmemory-policy gave '$policy', expected $POLICY"
    if [[ -z $MAXMEMORY_BYTES ]]; then MAXMEMORY_BYTES=$mm
    elif [[ $mm != "$MAXMEMORY_BYTES" ]]; then die "$tag: maxmemory is $mm bytes, the other server has $MAXMEMORY_BYTES"; fi
    printf '%s\t%s\n' "$server" "$(rss_kb "$SRV_PID")" >>"$OUT/rss-start.tsv"
    record_cmd "taskset -c $CLIENT_CPU loadgen cache --port PORT --pid PID ${LG_ARGS[*]}"
    log "$tag: trace of $OPS GETs (zipf $THETA over $KEYS keys, ${VALUE_SIZE}-byte values, $CONNS conns x $PIPELINE pipelined)"
    rc=0
    run_tracked "$res" "$OUT/$tag.err" timeout $((RUN_TIMEOUT + 60)) taskset -c "$CLIENT_CPU" "$LOADGEN" cache \
        --port "$SRV_PORT" --pid "$SRV_PID" "${LG_ARGS[@]}" --timeseries "$OUT/$tag.series.tsv" || rc=$?
    if ((rc != 0)); then
        tail -n 5 "$OUT/$tag.err" >&2
        alive "$SRV_PID" || die "$tag: the server died during the trace; log: $SRV_LOG: $(tail -n 5 "$SRV_LOG" | tr '\n' ' ')"
        die "$tag: the load generator failed (exit $rc$( ((rc == 124)) && echo ", no end within $((RUN_TIMEOUT + 60))s")); see $OUT/$tag.err"
    fi
    alive "$SRV_PID" || die "$tag: the server died; log: $SRV_LOG"
    log "$(printf '%s: hit ratio %.4f (INFO %.4f), %s evicted, peak RSS %s MB, eviction p99 %s us, %s ops/s' "$tag" \
        "$(kv "$res" client_hit_ratio)" "$(kv "$res" server_hit_ratio)" "$(kv "$res" evicted_keys)" \
        "$(calc 'int(k / 1024)' k="$(kv "$res" max_rss_kb)")" "$(kv "$res" lat_evict_p99_us)" "$(kv "$res" ops_per_s)")"
    stop_server "$SRV_PID"; SRV_PID=""
}

# ---------------------------------------------------------------- run
log "maxmemory $MAXMEMORY $POLICY (samples $MAXMEMORY_SAMPLES); $OPS GETs, zipf $THETA over $KEYS keys, ${VALUE_SIZE} B values;" \
    "shardis --shards $SHARDS; servers on CPU $SERVER_CPU, loadgen on CPU $CLIENT_CPU; R=$R; out=$OUT"
for ((rep = 1; rep <= R; rep++)); do
    if ((rep % 2)); then order=(redis shardis); else order=(shardis redis); fi
    for server in "${order[@]}"; do run_trace "$server" "$rep"; done
done

# ---------------------------------------------------------------- report
med() {  # server name -> median over repetitions of a loadgen value (or n/a)
    local f vals=()
    for ((rep = 1; rep <= R; rep++)); do
        f=$OUT/$1-r$rep.txt
        vals+=("$(kv "$f" "$2")")
    done
    printf '%s\n' "${vals[@]}" | awk '
        /^-?[0-9.]+$/ { v[n++] = $1 }
        END {
            if (n == 0) { print "n/a"; exit }
            for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
            m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
            printf "%.10g\n", m
        }'
}
sum_over() {  # server name -> sum over repetitions
    local rep s=0 v
    for ((rep = 1; rep <= R; rep++)); do v=$(kv "$OUT/$1-r$rep.txt" "$2"); s=$((s + ${v:-0})); done
    echo "$s"
}
start_rss() {  # server -> median VmRSS (kB) right after start-up
    awk -F'\t' -v s="$1" '$1 == s { v[n++] = $2 }
        END { if (n == 0) { print "n/a"; exit }
              for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
              print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$OUT/rss-start.tsv"
}
pct() { calc 'sprintf("%.2f", x * 100)' x="$1"; }
REPORT=$OUT/report.md
PASS_ALL=1 PROBLEMS=()
for server in redis shardis; do
    for name in errors set_errors bad_values; do
        v=$(sum_over "$server" "$name")
        ((v == 0)) || PROBLEMS+=("$server: $name=$v ($(kv "$OUT/$server-r1.txt" first_error))")
    done
    c=$(med "$server" client_hit_ratio); s=$(med "$server" server_hit_ratio)
    if [[ $(calc '((c - s) * 100 > 0.5 || (s - c) * 100 > 0.5) ? "x" : "-"' c="$c" s="$s") == x ]]; then
        PROBLEMS+=("$server: INFO keyspace hit ratio $(pct "$s") % differs from the client's $(pct "$c") %")
    fi
    for ((rep = 1; rep <= R; rep++)); do
        [[ $(kv "$OUT/$server-r$rep.txt" truncated) == 0 ]] ||
            PROBLEMS+=("$server run $rep: the trace was cut short at RUN_TIMEOUT=${RUN_TIMEOUT}s ($(kv "$OUT/$server-r$rep.txt" gets) of $OPS GETs)")
    done
    [[ $(med "$server" eviction_start_s) != n/a ]] || PROBLEMS+=("$server: no eviction seen (evicted_keys stayed 0): the trace is too short for maxmemory $MAXMEMORY")
done
r_hit=$(med redis client_hit_ratio); s_hit=$(med shardis client_hit_ratio)
hit_diff=$(calc 'sprintf("%.2f", (s - r) * 100)' s="$s_hit" r="$r_hit")
r_p99=$(med redis lat_evict_p99_us); s_p99=$(med shardis lat_evict_p99_us)
p99_ratio=$(calc 'r > 0 ? sprintf("%.2f", s / r) : "n/a"' s="$s_p99" r="$r_p99")
r_rss=$(calc 'sprintf("%.3f", k * 1024 / m)' k="$(med redis max_rss_kb)" m="$MAXMEMORY_BYTES")
s_rss=$(calc 'sprintf("%.3f", k * 1024 / m)' k="$(med shardis max_rss_kb)" m="$MAXMEMORY_BYTES")
verdict() {  # awk condition giving 1 or 0, var=value... -> PASS/FAIL/n/a in VERDICT (PASS_ALL updated)
    case "$(calc "$@")" in 1) VERDICT="**PASS**" ;; 0) VERDICT="**FAIL**"; PASS_ALL=0 ;; *) VERDICT="n/a"; PASS_ALL=0 ;; esac
}
verdict 'd >= -h ? 1 : 0' d="$hit_diff" h="$HIT_POINTS"; V_HIT=$VERDICT
verdict 'x <= t ? 1 : 0' x="$p99_ratio" t="$P99_TARGET"; V_P99=$VERDICT
verdict 'x <= t ? 1 : 0' x="$s_rss" t="$RSS_HEADROOM"; V_RSS=$VERDICT
{
    echo "### Cache workload: Shardis (--shards $SHARDS) vs redis-server, maxmemory $MAXMEMORY, $POLICY"
    echo
    echo "Trace (same on both, seed $SEED): $OPS GETs of zipfian (theta $THETA) keys over $KEYS keys; a miss is followed"
    echo "by a SET of a ${VALUE_SIZE}-byte value. bench/loadgen on CPU $CLIENT_CPU, $CONNS connections × $PIPELINE pipelined GETs"
    if ((RATE > 0)); then echo "at $RATE GETs/s (latency counted from the scheduled send time); servers on CPU $SERVER_CPU."
    else echo "(closed loop); servers on CPU $SERVER_CPU."; fi
    echo "Latencies are per request (GET or SET), measured by the client, for requests sent after evicted_keys first"
    echo "became > 0 (INFO sampled every $SAMPLE_MS ms). Peak RSS: VmRSS sampled every $SAMPLE_MS ms during the trace."
    ((R == 1)) || echo "Medians of $R runs."
    echo
    echo "| server | hit ratio % (client) | hit ratio % (INFO) | evicted_keys | MB written | peak RSS MB | peak RSS / maxmemory | (peak − start RSS) / maxmemory | eviction from s | p50 µs | p99 µs | p99.9 µs | max µs | ops/s (GET+SET) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for server in redis shardis; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$([[ $server == redis ]] && echo redis-server || echo "shardis --shards $SHARDS")" \
            "$(pct "$(med "$server" client_hit_ratio)")" "$(pct "$(med "$server" server_hit_ratio)")" \
            "$(med "$server" evicted_keys)" "$(calc 'sprintf("%.0f", b / 1048576)' b="$(med "$server" bytes_written)")" \
            "$(calc 'sprintf("%.1f", k / 1024)' k="$(med "$server" max_rss_kb)")" \
            "$(calc 'sprintf("%.3f", k * 1024 / m)' k="$(med "$server" max_rss_kb)" m="$MAXMEMORY_BYTES")" \
            "$(calc 'sprintf("%.3f", (k - s) * 1024 / m)' k="$(med "$server" max_rss_kb)" s="$(start_rss "$server")" m="$MAXMEMORY_BYTES")" \
            "$(med "$server" eviction_start_s)" "$(med "$server" lat_evict_p50_us)" "$(med "$server" lat_evict_p99_us)" \
            "$(med "$server" lat_evict_p999_us)" "$(med "$server" lat_evict_max_us)" "$(med "$server" ops_per_s)"
    done
    echo
    echo "| comparison | redis | shardis | shardis vs redis | target | result |"
    echo "|---|---:|---:|---:|---|---|"
    echo "| hit ratio (client) | $(pct "$r_hit") % | $(pct "$s_hit") % | $(calc 'sprintf("%+.2f", d)' d="$hit_diff") points | ≥ −$HIT_POINTS points | $V_HIT |"
    echo "| p99 latency, eviction phase | $r_p99 µs | $s_p99 µs | ×$p99_ratio | ≤ ×$P99_TARGET | $V_P99 |"
    echo "| peak RSS / maxmemory | $r_rss | $s_rss | | shardis ≤ $RSS_HEADROOM | $V_RSS |"
    echo "| p99.9 latency, eviction phase | $(med redis lat_evict_p999_us) µs | $(med shardis lat_evict_p999_us) µs | ×$(calc 'r > 0 ? sprintf("%.2f", s / r) : "n/a"' s="$(med shardis lat_evict_p999_us)" r="$(med redis lat_evict_p999_us)") | (none) | |"
    echo "| throughput (GET+SET ops/s) | $(med redis ops_per_s) | $(med shardis ops_per_s) | ×$(calc 'r > 0 ? sprintf("%.2f", s / r) : "n/a"' s="$(med shardis ops_per_s)" r="$(med redis ops_per_s)") | (none) | |"
    echo
    if ((${#PROBLEMS[@]} > 0)); then
        echo "Problems:"
        echo
        printf -- '- %s\n' "${PROBLEMS[@]}"
        echo
    fi
    echo "Per run (GET-only and SET-only latencies in the eviction phase, fill-phase latencies, RSS at start):"
    echo
    echo "| run | server | GETs | SETs | GET p99 µs | SET p99 µs | fill-phase requests | fill p99 µs | RSS at start MB | final used_memory MB | s |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for ((rep = 1; rep <= R; rep++)); do
        for server in redis shardis; do
            f=$OUT/$server-r$rep.txt
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$rep" "$server" "$(kv "$f" gets)" "$(kv "$f" sets)" \
                "$(kv "$f" lat_evict_get_p99_us)" "$(kv "$f" lat_evict_set_p99_us)" "$(kv "$f" lat_fill_count)" "$(kv "$f" lat_fill_p99_us)" \
                "$(calc 'sprintf("%.1f", k / 1024)' k="$(awk -F'\t' -v s="$server" -v r="$rep" '$1 == s { if (++n == r) { print $2; exit } }' "$OUT/rss-start.tsv")")" \
                "$(calc 'sprintf("%.1f", b / 1048576)' b="$(kv "$f" final_used_memory)")" "$(kv "$f" elapsed_s)"
        done
    done
    echo
} >"$REPORT"
((${#PROBLEMS[@]} == 0)) || PASS_ALL=0
ERRORS=0
for server in redis shardis; do
    for name in errors set_errors bad_values; do
        (($(sum_over "$server" "$name") == 0)) || ERRORS=1
    done
done

echo
cat "$REPORT"
if [[ $PASS_ALL == 1 ]]; then echo "OVERALL: PASS (hit ratio, p99 and RSS targets met)"
elif ((ERRORS > 0)); then echo "OVERALL: ERROR (error replies or wrong values; see Problems)"
else echo "OVERALL: FAIL (see the result column and Problems)"; fi
echo "raw data, RSS/INFO time series and logs: $OUT"

# ---------------------------------------------------------------- RESULTS.md
record_and_exit "cache workload under maxmemory (bench/cache.sh)" "Commands (ports are ephemeral; every run gets fresh servers):"
