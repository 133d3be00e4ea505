#!/usr/bin/env bash
# Memory per key: Shardis (--shards 1 and 2) vs redis-server, one run.
#
#   bench/keys.sh [--quick] [--sizes "N ..."] [--shards "S ..."] [--no-build] [--no-record] [--strict] [--self-test]
#
# For every size (default 1,000,000 and 10,000,000 keys; --quick: 100,000) and every server
# (redis-server, Shardis --shards 1, Shardis --shards 2), a FRESH server is started, its RSS
# and INFO used_memory read once settled, N keys "key:%010d" -> 16-byte values "v%015d" loaded
# with pipelined SETs by bench/loadgen (one connection), the load checked (no error replies,
# DBSIZE = N, GET of the last key), RSS and used_memory read again, and the server stopped.
# Reports bytes per key (RSS delta and used_memory delta) and the ratio shardis/redis.
# Target: Shardis RSS bytes/key <= 0.8 x Redis's. See bench/README.md ("Memory per key").
#
# Environment: SIZES, SHARDS (list, default "1 2"), SERVER_CPU (default 0; all servers and
# all Shardis shards), CLIENT_CPU (default 1; the loader), TARGET (default 0.8), SHARDIS_BIN,
# LOADGEN_BIN, RESULTS (default bench/RESULTS.md), LOAD_TIMEOUT (s per load, default 900),
# SETTLE_MAX (s to wait for RSS to settle, default 10), READY_TIMEOUT (default 60), REHASH_MAX (s to
# wait for Redis to finish growing its main dict before the "after" reading, default 300).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ME=keys.sh LOG_TAG=keys
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 STRICT=0 SELFTEST=0
ARG_SIZES="" ARG_SHARDS=""
usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --sizes) ARG_SIZES=${2:?--sizes needs a value}; shift ;;
        --shards) ARG_SHARDS=${2:?--shards needs a value}; shift ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --strict) STRICT=1 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$ME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $QUICK == 1 ]]; then SIZES_DEFAULT="100000"; else SIZES_DEFAULT="1000000 10000000"; fi
SIZES=${ARG_SIZES:-${SIZES:-$SIZES_DEFAULT}}
SHARDS_LIST=${ARG_SHARDS:-${SHARDS:-"1 2"}}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
TARGET=${TARGET:-0.8}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}
SETTLE_MAX=${SETTLE_MAX:-10}
READY_TIMEOUT=${READY_TIMEOUT:-60}
REHASH_MAX=${REHASH_MAX:-300}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}

read -r -a SIZE_LIST <<<"${SIZES//,/ }"
read -r -a SHARD_LIST <<<"${SHARDS_LIST//,/ }"
((${#SIZE_LIST[@]} > 0 && ${#SHARD_LIST[@]} > 0)) || { echo "$ME: SIZES and SHARDS must not be empty" >&2; exit 2; }
for v in "${SIZE_LIST[@]}" "${SHARD_LIST[@]}" "$LOAD_TIMEOUT" "$SETTLE_MAX" "$READY_TIMEOUT" "$REHASH_MAX"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "$ME: sizes, shard counts and timeouts must be positive integers (got '$v')" >&2; exit 2; }
done
[[ $TARGET =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$ME: TARGET must be a number (got '$TARGET')" >&2; exit 2; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/keys-$STAMP
mkdir -p "$OUT"
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md   # stand-in numbers never reach RESULTS.md
RAW=$OUT/raw.tsv   # keys server status rss_before_kb rss_after_kb used_before used_after load_s keys_per_s note
CMDS=$OUT/commands.txt
: >"$RAW"; : >"$CMDS"

lib_traps
require_tools
check_cpus "$SERVER_CPU" "$CLIENT_CPU"
[[ $SERVER_CPU != "$CLIENT_CPU" ]] || warn "server and loader share CPU $SERVER_CPU"
ensure_shardis
ensure_loadgen

SERVERS=(redis)
for s in "${SHARD_LIST[@]}"; do SERVERS+=("shardis-s$s"); done

# ---------------------------------------------------------------- one measurement
# Redis grows its main dict incrementally: right after a load that crossed a power of two, both the
# old and the new bucket array exist until serverCron finishes the rehash (1 ms every 100 ms). Wait
# for the steady state (DEBUG HTSTATS, allowed on loopback by --enable-debug-command local).
wait_rehash() {  # tag port
    local t0=$SECONDS s
    while :; do
        s=$(cli "$2" DEBUG HTSTATS 0)
        if [[ $s != *"Hash table 0 stats"* ]]; then warn "$1: DEBUG HTSTATS unavailable ('${s:0:80}'); not waiting for a rehash"; return 0; fi
        [[ $s == *"rehashing target"* ]] || break
        ((SECONDS - t0 < REHASH_MAX)) || { warn "$1: main dict still rehashing after ${REHASH_MAX}s; measuring anyway"; return 0; }
        sleep 0.5
    done
    ((SECONDS - t0 < 1)) || log "$1: waited $((SECONDS - t0)) s for Redis to finish rehashing its main dict"
    printf '%s\t%s\n' "$1" "$((SECONDS - t0))" >>"$OUT/rehash-wait.tsv"
}

# measure <keys> <server>: appends one line to RAW
measure() {
    local n=$1 server=$2 tag=keys-$1-$2 kind shards=1 base after ubase uafter out rc problems="" want got
    if [[ $server == redis ]]; then kind=redis; else kind=shardis; shards=${server#shardis-s}; fi
    fail() {
        local note; note=$(clean "$1")
        if [[ -n ${SRV_PID:-} ]] && ! alive "$SRV_PID"; then
            note="$note; server died (log: $SRV_LOG: $(tail -n 3 "$SRV_LOG" 2>/dev/null | tr '\n' ' '))"
        fi
        printf '%s\t%s\tERROR\t\t\t\t\t\t\t%s\n' "$n" "$server" "$(clean "$note")" >>"$RAW"
        warn "$tag: $note"
        stop_server "${SRV_PID:-}"
        SRV_PID=""
    }
    if [[ $kind == redis ]]; then start_server_or_die redis "$tag" 1 --enable-debug-command local
    else start_server_or_die shardis "$tag" "$shards"; fi
    sleep 1
    base=$(settled_rss_kb "$SRV_PID") || { fail "cannot read VmRSS of pid $SRV_PID"; return 0; }
    ubase=$(info_field "$SRV_PORT" memory used_memory)
    log "$tag: baseline RSS $base kB, used_memory $ubase; loading $n keys"
    out=$OUT/$tag.load.txt
    record_cmd "taskset -c $CLIENT_CPU loadgen load-strings --port PORT --n $n   # SET key:%010d v%015d, pipelined"
    rc=0
    run_tracked "$out" "$OUT/$tag.load.err" timeout "$LOAD_TIMEOUT" taskset -c "$CLIENT_CPU" "$LOADGEN" load-strings --port "$SRV_PORT" --n "$n" || rc=$?
    if ((rc != 0)); then
        fail "load failed (exit $rc$( ((rc == 124)) && echo ": no end within ${LOAD_TIMEOUT}s")): $(tail -n 2 "$OUT/$tag.load.err" | tr '\n' ' ')"
        return 0
    fi
    [[ $(kv "$out" errors) == 0 ]] || { fail "$(kv "$out" errors) error replies during the load, first: $(kv "$out" first_error)"; return 0; }
    alive "$SRV_PID" || { fail "server exited during the load"; return 0; }
    got=$(cli "$SRV_PORT" DBSIZE)
    [[ $got == "$n" ]] || { fail "DBSIZE: expected $n, got '${got:0:100}'"; return 0; }
    want=$(printf 'v%015d' $((n - 1)))
    got=$(cli "$SRV_PORT" GET "$(printf 'key:%010d' $((n - 1)))")
    [[ $got == "$want" ]] || problems="spot check: GET $(printf 'key:%010d' $((n - 1))): expected $want, got '${got:0:100}'"
    [[ -z $problems ]] || warn "$tag: $problems"
    [[ $kind != redis ]] || wait_rehash "$tag" "$SRV_PORT"
    after=$(settled_rss_kb "$SRV_PID") || { fail "cannot read VmRSS of pid $SRV_PID"; return 0; }
    uafter=$(info_field "$SRV_PORT" memory used_memory)
    alive "$SRV_PID" || { fail "server died"; return 0; }
    printf '%s\t%s\tOK\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$server" "$base" "$after" "$ubase" "$uafter" \
        "$(kv "$out" elapsed_s)" "$(kv "$out" ops_per_s)" "$(clean "$problems")" >>"$RAW"
    log "$(printf '%s: RSS %d -> %d kB: %.1f B/key; used_memory %s -> %s: %s B/key; load %.1f s (%s keys/s)' "$tag" \
        "$base" "$after" "$(calc '(b - a) * 1024 / n' a="$base" b="$after" n="$n")" "$ubase" "$uafter" \
        "$(calc 'sprintf("%.1f", (b - a) / n)' a="$ubase" b="$uafter" n="$n")" "$(kv "$out" elapsed_s)" "$(kv "$out" ops_per_s)")"
    stop_server "$SRV_PID"; SRV_PID=""
}

# ---------------------------------------------------------------- run
log "sizes: ${SIZE_LIST[*]}; servers: ${SERVERS[*]}; servers on CPU $SERVER_CPU, loader on CPU $CLIENT_CPU; out=$OUT"
for n in "${SIZE_LIST[@]}"; do
    for server in "${SERVERS[@]}"; do measure "$n" "$server"; done
done

# ---------------------------------------------------------------- report
REPORT=$OUT/report.md
PASS_ALL=1 ERRORS=0
col() {  # keys server column(1-based)
    awk -F'\t' -v n="$1" -v s="$2" -v c="$3" '$1 == n && $2 == s { print $c; exit }' "$RAW"
}
per_key() {  # keys server before_col after_col multiplier -> bytes/key or n/a
    [[ $(col "$1" "$2" 3) == OK ]] || { echo n/a; return 0; }
    calc 'sprintf("%.1f", (b - a) * m / n)' a="$(col "$1" "$2" "$3")" b="$(col "$1" "$2" "$4")" m="$5" n="$1"
}
label() { if [[ $1 == redis ]]; then echo "redis-server"; else echo "shardis --shards ${1#shardis-s}"; fi; }
{
    echo "### Memory per key: Shardis vs redis-server, N keys \"key:%010d\" -> 16-byte values, fresh server each"
    echo
    echo "RSS B/key = (VmRSS after load − VmRSS before) / N; used_memory B/key = INFO used_memory delta / N."
    echo "Ratios are shardis / redis. Target: Shardis RSS B/key ≤ $TARGET × Redis RSS B/key."
    echo
    echo "| keys | server | RSS B/key | used_memory B/key | RSS ratio | used_memory ratio | load s | load keys/s | result |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---|"
    for n in "${SIZE_LIST[@]}"; do
        r_rss=$(per_key "$n" redis 4 5 1024); r_used=$(per_key "$n" redis 6 7 1)
        for server in "${SERVERS[@]}"; do
            rss=$(per_key "$n" "$server" 4 5 1024); used=$(per_key "$n" "$server" 6 7 1)
            if [[ $server == redis ]]; then
                ratio="1.00" uratio="1.00" res="(reference)"
                [[ $(col "$n" redis 3) == OK ]] || { res="**ERROR**"; ERRORS=$((ERRORS + 1)); PASS_ALL=0; ratio=n/a uratio=n/a; }
            else
                ratio=$(calc 'b > 0 ? sprintf("%.2f", a / b) : "n/a"' a="$rss" b="$r_rss")
                uratio=$(calc 'b > 0 ? sprintf("%.2f", a / b) : "n/a"' a="$used" b="$r_used")
                if [[ $(col "$n" "$server" 3) != OK || $(col "$n" redis 3) != OK ]]; then
                    res="**ERROR**"; PASS_ALL=0
                    [[ $(col "$n" "$server" 3) == OK ]] || ERRORS=$((ERRORS + 1))
                elif [[ $ratio != n/a ]] && awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r + 0 <= t + 0) }'; then
                    res="**PASS**"
                else
                    res="**FAIL**"; PASS_ALL=0
                fi
            fi
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(label "$server")" "$rss" "$used" "$ratio" "$uratio" \
                "$(col "$n" "$server" 8 | sed 's/^$/n\/a/')" "$(col "$n" "$server" 9 | sed 's/^$/n\/a/')" "$res"
        done
    done
    echo
    if awk -F'\t' '$10 != "" { f = 1 } END { exit !f }' "$RAW"; then
        echo "Errors and failed spot checks:"
        echo
        awk -F'\t' '$10 != "" { printf "- %s keys on %s (%s): %s\n", $1, $2, ($3 == "OK" ? "measured" : "NOT measured"), $10 }' "$RAW"
        echo
    fi
    echo "| keys | server | RSS before kB | RSS after kB | used_memory before | used_memory after |"
    echo "|---:|---|---:|---:|---:|---:|"
    awk -F'\t' '$3 == "OK" { printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $4, $5, $6, $7 }' "$RAW"
    echo
} >"$REPORT"

echo
cat "$REPORT"
if [[ $PASS_ALL == 1 ]]; then echo "OVERALL: PASS (Shardis RSS per key ≤ $TARGET × Redis's at every size and shard count)"
elif ((ERRORS > 0)); then echo "OVERALL: ERROR ($ERRORS measurement(s) failed)"
else echo "OVERALL: FAIL (Shardis RSS per key above $TARGET × Redis's somewhere)"; fi
echo "raw data and logs: $OUT"

# ---------------------------------------------------------------- RESULTS.md
record_and_exit "memory per key (bench/keys.sh)" "Commands (ports are ephemeral; every (size, server) gets a fresh server):" "servers on CPU $SERVER_CPU, loader (bench/loadgen) on CPU $CLIENT_CPU"
