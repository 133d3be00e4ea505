#!/usr/bin/env bash
# Deleting a huge key: GET latency of other clients while DEL (or UNLINK) frees 10M elements.
#
#   bench/lazyfree.sh [--quick] [--types LIST] [--no-build] [--no-record] [--strict] [--self-test]
#
# For each server (redis-server with default config, then Shardis --shards 1) and each type
# (set: SADD of 16-byte members; hash: HSET of 16-byte fields -> 8-byte values; zset: ZADD of
# 16-byte members with scattered scores), a key of N elements (default 10,000,000; --quick
# 1,000,000) is built with pipelined batches by bench/loadgen and checked (SCARD/HLEN/ZCARD).
# Then `loadgen probe` runs GET on another key in a tight loop (one connection, one request
# at a time, every GET timed) and after PRE_MS sends DEL of the big key on a second
# connection, keeping the GETs going for POST_MS more. The same is repeated with UNLINK.
# Reported per (type, server, command): the DEL's own latency, the max / p99.9 / p99 / p50 of
# the GETs that overlap [DEL sent, DEL replied + WINDOW_AFTER_MS], how many took > 5 ms, the
# same before the DEL for reference, and how long the memory took to come back (INFO
# used_memory). Target: with Shardis no GET in the window waits more than 5 ms (DEL and
# UNLINK). Redis 7.0's DEL is synchronous (lazyfree-lazy-user-del no); its UNLINK frees in a
# background thread. See bench/README.md ("Deleting a huge key").
#
# Environment: N, TYPES (default set,hash,zset), SHARDS (1), SERVER_CPU (0), CLIENT_CPU (1),
# BATCH (elements per command, 1000), PRE_MS (1000), POST_MS (2000), WINDOW_AFTER_MS (1000),
# THRESHOLD_MS (5), LOAD_TIMEOUT (s per load, 900), RECLAIM_MAX (s to wait for memory, 60),
# SHARDIS_BIN, LOADGEN_BIN, RESULTS, READY_TIMEOUT (60).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ME=lazyfree.sh LOG_TAG=lazyfree
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 STRICT=0 SELFTEST=0 ARG_TYPES=""
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --types) ARG_TYPES=${2:?--types needs a value}; shift ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --strict) STRICT=1 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$ME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $QUICK == 1 ]]; then N_DEFAULT=1000000; else N_DEFAULT=10000000; fi
N=${N:-$N_DEFAULT}
TYPES=${ARG_TYPES:-${TYPES:-set,hash,zset}}
SHARDS=${SHARDS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BATCH=${BATCH:-1000}
PRE_MS=${PRE_MS:-1000}
POST_MS=${POST_MS:-2000}
WINDOW_AFTER_MS=${WINDOW_AFTER_MS:-1000}
THRESHOLD_MS=${THRESHOLD_MS:-5}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}
RECLAIM_MAX=${RECLAIM_MAX:-60}
READY_TIMEOUT=${READY_TIMEOUT:-60}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}

for v in N SHARDS BATCH PRE_MS POST_MS THRESHOLD_MS LOAD_TIMEOUT RECLAIM_MAX READY_TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$ME: $v must be a positive integer (got '${!v}')" >&2; exit 2; }
done
[[ $WINDOW_AFTER_MS =~ ^[0-9]+$ ]] || { echo "$ME: WINDOW_AFTER_MS must be a non-negative integer" >&2; exit 2; }
((WINDOW_AFTER_MS <= POST_MS)) || { echo "$ME: WINDOW_AFTER_MS must not exceed POST_MS" >&2; exit 2; }
IFS=, read -r -a TYPE_LIST <<<"$TYPES"
((${#TYPE_LIST[@]} > 0)) || { echo "$ME: TYPES is empty" >&2; exit 2; }
for t in "${TYPE_LIST[@]}"; do
    [[ $t == set || $t == hash || $t == zset ]] || { echo "$ME: unknown type '$t' (known: set, hash, zset)" >&2; exit 2; }
done

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/lazyfree-$STAMP
mkdir -p "$OUT"
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md   # stand-in numbers never reach RESULTS.md
RAW=$OUT/raw.tsv
CMDS=$OUT/commands.txt
: >"$RAW"; : >"$CMDS"
# raw.tsv columns:
#  1 type 2 server 3 cmd 4 status 5 del_us 6 del_reply 7 window_count 8 p50 9 p99 10 p999 11 max
#  12 over_threshold 13 before_p999 14 before_max 15 used_base 16 used_loaded 17 freed_pct_at_post
#  18 reclaim_s 19 load_s 20 note

lib_traps
require_tools
check_cpus "$SERVER_CPU" "$CLIENT_CPU"
[[ $SERVER_CPU != "$CLIENT_CPU" ]] || warn "server and probe share CPU $SERVER_CPU: numbers will be meaningless"
ensure_shardis
ensure_loadgen

card_cmd() { case "$1" in set) echo SCARD ;; hash) echo HLEN ;; zset) echo ZCARD ;; esac; }
describe() {
    case "$1" in
        set) echo "set of $N 16-byte members (SADD, $BATCH per command)" ;;
        hash) echo "hash of $N 16-byte fields -> 8-byte values (HSET, $BATCH pairs per command)" ;;
        zset) echo "sorted set of $N 16-byte members with scattered integer scores (ZADD, $BATCH per command)" ;;
    esac
}

# ---------------------------------------------------------------- one probe
# probe_one <server> <type> <cmd>: build the big key on the running server, GET loop + DEL, one RAW line
probe_one() {
    local server=$1 type=$2 cmd=$3 tag=$1-$2-$3 key=big:$2 out rc got ubase uload ufree t0 freed reclaim note=""
    row_error() {
        printf '%s\t%s\t%s\tERROR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t%s\n' "$type" "$server" "$cmd" "$(clean "$1")" >>"$RAW"
        warn "$tag: $1"
    }
    alive "$SRV_PID" || { row_error "server is not running"; return 1; }
    ubase=$(info_field "$SRV_PORT" memory used_memory)
    log "$tag: building $(describe "$type")"
    record_cmd "taskset -c $CLIENT_CPU loadgen load-big --port PORT --type $type --key $key --n $N --batch $BATCH"
    rc=0
    run_tracked "$OUT/$tag.load.txt" "$OUT/$tag.load.err" timeout "$LOAD_TIMEOUT" taskset -c "$CLIENT_CPU" "$LOADGEN" load-big \
        --port "$SRV_PORT" --type "$type" --key "$key" --n "$N" --batch "$BATCH" --timeout-s 300 || rc=$?
    ((rc == 0)) || { row_error "load failed (exit $rc): $(tail -n 2 "$OUT/$tag.load.err" | tr '\n' ' ')"; alive "$SRV_PID" || return 1; cli "$SRV_PORT" DEL "$key" >/dev/null; return 0; }
    [[ $(kv "$OUT/$tag.load.txt" errors) == 0 ]] || { row_error "error replies during the load: $(kv "$OUT/$tag.load.txt" first_error)"; cli "$SRV_PORT" DEL "$key" >/dev/null; return 0; }
    got=$(cli "$SRV_PORT" "$(card_cmd "$type")" "$key")
    [[ $got == "$N" ]] || { row_error "$(card_cmd "$type") $key: expected $N, got '${got:0:100}'"; cli "$SRV_PORT" DEL "$key" >/dev/null; return 0; }
    sleep 1
    uload=$(info_field "$SRV_PORT" memory used_memory)
    log "$tag: loaded in $(kv "$OUT/$tag.load.txt" elapsed_s) s, used_memory $ubase -> $uload; GET loop + $cmd $key"
    record_cmd "taskset -c $CLIENT_CPU loadgen probe --port PORT --get-key probe:key --del-key $key --del-cmd $cmd --pre-ms $PRE_MS --post-ms $POST_MS --window-after-ms $WINDOW_AFTER_MS"
    out=$OUT/$tag.probe.txt
    rc=0
    run_tracked "$out" "$OUT/$tag.probe.err" timeout $(((PRE_MS + POST_MS) / 1000 + 600)) taskset -c "$CLIENT_CPU" "$LOADGEN" probe \
        --port "$SRV_PORT" --get-key probe:key --del-key "$key" --del-cmd "$cmd" --pre-ms "$PRE_MS" --post-ms "$POST_MS" \
        --window-after-ms "$WINDOW_AFTER_MS" --threshold-us $((THRESHOLD_MS * 1000)) --timeout-s 600 || rc=$?
    ((rc == 0)) || { row_error "probe failed (exit $rc): $(tail -n 2 "$OUT/$tag.probe.err" | tr '\n' ' ')"; alive "$SRV_PID" || return 1; return 0; }
    [[ $(kv "$out" del_reply) == 1 ]] || note="$cmd replied '$(kv "$out" del_reply)', expected 1"
    [[ $(kv "$out" get_bad_replies) == 0 ]] || note="${note:+$note; }$(kv "$out" get_bad_replies) GETs did not return the value"
    got=$(cli "$SRV_PORT" EXISTS "$key")
    [[ $got == 0 ]] || note="${note:+$note; }EXISTS $key after $cmd: $got"
    # memory: what is still held POST_MS after the DEL, then wait (bounded) for the rest
    ufree=$(info_field "$SRV_PORT" memory used_memory)
    freed=$(calc 'l > b ? sprintf("%.0f", (l - u) * 100 / (l - b)) : "n/a"' l="$uload" u="$ufree" b="$ubase")
    t0=$(date +%s.%N)
    reclaim="" first=1
    while :; do
        ufree=$(info_field "$SRV_PORT" memory used_memory)
        if [[ $(calc '(u - b) <= (l - b) * 0.05 ? 1 : 0' u="$ufree" b="$ubase" l="$uload") == 1 ]]; then
            if [[ $first == 1 ]]; then reclaim="≤ $(calc 'p / 1000' p="$POST_MS")"   # already back at the first look
            else reclaim=$(calc 'sprintf("%.1f", p / 1000 + (t1 - t0))' p="$POST_MS" t0="$t0" t1="$(date +%s.%N)"); fi
            break
        fi
        first=0
        if [[ $(calc 't1 - t0 > m ? 1 : 0' t0="$t0" t1="$(date +%s.%N)" m="$RECLAIM_MAX") == 1 ]]; then
            reclaim="> $(calc 'p / 1000 + m' p="$POST_MS" m="$RECLAIM_MAX")"
            note="${note:+$note; }used_memory still $ufree (base $ubase, loaded $uload) $reclaim s after $cmd"
            break
        fi
        sleep 0.1
    done
    printf '%s\t%s\t%s\tOK\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$type" "$server" "$cmd" \
        "$(kv "$out" del_us)" "$(kv "$out" del_reply)" "$(kv "$out" window_count)" "$(kv "$out" window_p50_us)" \
        "$(kv "$out" window_p99_us)" "$(kv "$out" window_p999_us)" "$(kv "$out" window_max_us)" "$(kv "$out" window_over_threshold)" \
        "$(kv "$out" before_p999_us)" "$(kv "$out" before_max_us)" "$ubase" "$uload" "$freed" "$reclaim" \
        "$(kv "$OUT/$tag.load.txt" elapsed_s)" "$(clean "$note")" >>"$RAW"
    [[ -z $note ]] || warn "$tag: $note"
    log "$(printf '%s: %s took %.1f ms; GETs in the window: %s, max %.1f ms, p99.9 %.1f ms, %s over %s ms; memory back after %s s' \
        "$tag" "$cmd" "$(calc 'x / 1000' x="$(kv "$out" del_us)")" "$(kv "$out" window_count)" \
        "$(calc 'x / 1000' x="$(kv "$out" window_max_us)")" "$(calc 'x / 1000' x="$(kv "$out" window_p999_us)")" \
        "$(kv "$out" window_over_threshold)" "$THRESHOLD_MS" "$reclaim")"
}

# ---------------------------------------------------------------- run
SERVERS=(redis shardis)
CMD_LIST=(DEL UNLINK)
log "N=$N types: ${TYPE_LIST[*]}; shardis --shards $SHARDS; servers on CPU $SERVER_CPU, loadgen on CPU $CLIENT_CPU; out=$OUT"
for server in "${SERVERS[@]}"; do
    if [[ $server == redis ]]; then kind=redis; shards=1; else kind=shardis; shards=$SHARDS; fi
    start_server_or_die "$kind" "$server" "$shards"
    [[ $(cli "$SRV_PORT" SET probe:key probe-value) == OK ]] || die "$server: SET probe:key failed"
    if [[ $kind == redis ]]; then
        log "redis lazyfree-lazy-user-del: $(cli "$SRV_PORT" CONFIG GET lazyfree-lazy-user-del | sed -n 2p)"
    fi
    dead=0
    for type in "${TYPE_LIST[@]}"; do
        for cmd in "${CMD_LIST[@]}"; do
            if [[ $dead == 1 ]]; then
                printf '%s\t%s\t%s\tERROR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t%s\n' "$type" "$server" "$cmd" "not run: the server died earlier" >>"$RAW"
                continue
            fi
            probe_one "$server" "$type" "$cmd" || {
                dead=1
                warn "$server died; log: $SRV_LOG: $(tail -n 5 "$SRV_LOG" | tr '\n' ' ')"
            }
        done
    done
    stop_server "$SRV_PID"; SRV_PID=""
done

# ---------------------------------------------------------------- report
REPORT=$OUT/report.md
PASS_ALL=1 ERRORS=0
ms() { calc 'sprintf("%.2f", x / 1000)' x="$1"; }
{
    echo "### Deleting a huge key: GET latency while DEL/UNLINK frees $N elements (Shardis --shards $SHARDS vs redis-server)"
    echo
    echo "One client GETs another key in a tight loop (one request at a time, each timed); a second client sends"
    echo "DEL or UNLINK of the big key ${PRE_MS} ms later. Window = GETs overlapping [DEL sent, DEL replied + ${WINDOW_AFTER_MS} ms]."
    echo "\"before\" = GETs that finished before the DEL was sent (the machine's own noise). Freed = share of the big"
    echo "key's used_memory released ${POST_MS} ms after the DEL; memory back = seconds after the DEL until INFO used_memory"
    echo "is within 5 % of the big key's size from the baseline (first checked at +$((POST_MS / 1000)) s, hence \"≤\")."
    echo "Target: Shardis, no GET in the window over $THRESHOLD_MS ms. Redis runs with its defaults (lazyfree-lazy-user-del no)."
    echo
    echo "| type | server | command | DEL/UNLINK ms | GETs in window | max ms | p99.9 ms | p99 ms | p50 ms | GETs > $THRESHOLD_MS ms | before: p99.9 / max ms | freed at +$(calc 'p / 1000' p="$POST_MS") s | memory back s | load s | result |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    while IFS=$'\t' read -r type server cmd status del_us del_reply wc p50 p99 p999 max over bp999 bmax ubase uload freed reclaim load_s note; do
        label=$([[ $server == redis ]] && echo redis-server || echo "shardis --shards $SHARDS")
        if [[ $status != OK ]]; then
            ERRORS=$((ERRORS + 1)); PASS_ALL=0
            echo "| $type | $label | $cmd | | | | | | | | | | | | **ERROR** |"
            continue
        fi
        if [[ $server == redis ]]; then
            res="(reference)"
        elif [[ $(calc 'm <= t * 1000 ? 1 : 0' m="$max" t="$THRESHOLD_MS") == 1 && -z $note ]]; then
            res="**PASS**"
        else
            res="**FAIL**"; PASS_ALL=0
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s %% | %s | %s | %s |\n' "$type" "$label" "$cmd" \
            "$(ms "$del_us")" "$wc" "$(ms "$max")" "$(ms "$p999")" "$(ms "$p99")" "$(ms "$p50")" "$over" \
            "$(ms "$bp999")" "$(ms "$bmax")" "$freed" "$reclaim" "$load_s" "$res"
    done <"$RAW"
    echo
    if awk -F'\t' '$20 != "" { f = 1 } END { exit !f }' "$RAW"; then
        echo "Problems:"
        echo
        awk -F'\t' '$20 != "" { printf "- %s %s %s: %s\n", $1, $2, $3, $20 }' "$RAW"
        echo
    fi
    if awk -F'\t' -v t="$THRESHOLD_MS" '$4 == "OK" && $14 > t * 1000 { f = 1 } END { exit !f }' "$RAW"; then
        echo "Note: some GETs took over $THRESHOLD_MS ms even BEFORE the DEL (\"before\" column): the machine is noisy"
        echo "(other processes on CPU $SERVER_CPU?); rerun on a quiet machine before trusting the window figures."
        echo
    fi
} >"$REPORT"

echo
cat "$REPORT"
if [[ $PASS_ALL == 1 ]]; then echo "OVERALL: PASS (with Shardis no GET waited more than $THRESHOLD_MS ms around DEL/UNLINK)"
elif ((ERRORS > 0)); then echo "OVERALL: ERROR ($ERRORS measurement(s) failed)"
else echo "OVERALL: FAIL (some GET waited more than $THRESHOLD_MS ms, or a check failed)"; fi
echo "raw data and logs: $OUT"

# ---------------------------------------------------------------- RESULTS.md
record_and_exit "deleting a huge key (bench/lazyfree.sh)" "Commands (ports are ephemeral):" "servers on CPU $SERVER_CPU, bench/loadgen on CPU $CLIENT_CPU"
