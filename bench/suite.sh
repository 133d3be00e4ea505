#!/usr/bin/env bash
# redis-benchmark's full default test list: Shardis (several shards) vs redis-server.
#
#   bench/suite.sh [--quick] [-n N] [-r R] [--shards S] [--no-build] [--no-record] [--self-test]
#
# Runs redis-benchmark WITHOUT -t (PING_INLINE, PING_MBULK, SET, GET, INCR, LPUSH, RPUSH, LPOP,
# RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LPUSH (needed to benchmark LRANGE), LRANGE_100/300/
# 500/600, MSET) with the same parameters against both servers, at -P 1 and -P 16, each run on
# a fresh server. Prints every test's ops/s for both and the ratio shardis/redis, flags tests
# that fail (error replies, crashes, hangs), checks the data afterwards (LLEN mylist, ...).
# See bench/README.md ("Full redis-benchmark suite").
#
# Environment:
#   N=200000          requests per test (-n; --quick: 20000)
#   KEYSPACE=100000   redis-benchmark -r
#   CLIENTS=50        redis-benchmark -c
#   PIPELINES="1 16"  the -P values to run
#   R=1               repetitions (medians reported)
#   SHARDS=2          Shardis --shards (also --shards S)
#   SERVER_CPUS=0     taskset -c list Shardis (all its shards) is confined to
#   REDIS_CPU=0       CPU redis-server is pinned to
#   CLIENT_CPU=1      CPU redis-benchmark is pinned to
#   SHARDIS_BIN=...   use this binary instead of building target/release/shardis
#   RESULTS=...       file the dated section is appended to (default bench/RESULTS.md)
#   BENCH_TIMEOUT=..  seconds one redis-benchmark invocation may take (default 120 + N/400)
#   SELFTEST_DISABLE  with --self-test: commands the stand-in refuses (e.g. "ZADD LRANGE")
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ME=suite.sh

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 SELFTEST=0
ARG_N="" ARG_R="" ARG_SHARDS=""
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        -n) ARG_N=${2:?-n needs a value}; shift ;;
        -r) ARG_R=${2:?-r needs a value}; shift ;;
        --shards) ARG_SHARDS=${2:?--shards needs a value}; shift ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$ME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $QUICK == 1 ]]; then N_DEFAULT=20000; else N_DEFAULT=200000; fi
N=${ARG_N:-${N:-$N_DEFAULT}}
R=${ARG_R:-${R:-1}}
SHARDS=${ARG_SHARDS:-${SHARDS:-2}}
KEYSPACE=${KEYSPACE:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
SERVER_CPUS=${SERVER_CPUS:-0}
REDIS_CPU=${REDIS_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$((120 + N / 400))}
READY_TIMEOUT=${READY_TIMEOUT:-60}

for v in N R SHARDS KEYSPACE CLIENTS REDIS_CPU CLIENT_CPU BENCH_TIMEOUT READY_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$ME: $v must be a non-negative integer (got '${!v}')" >&2; exit 2; }
done
((N > 0 && R > 0 && SHARDS > 0 && CLIENTS > 0)) || { echo "$ME: N, R, SHARDS and CLIENTS must be > 0" >&2; exit 2; }
[[ $SERVER_CPUS =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || { echo "$ME: SERVER_CPUS must be a taskset -c list like 0 or 0,2 or 0-3 (got '$SERVER_CPUS')" >&2; exit 2; }
read -r -a PIPES <<<"$PIPELINES"
((${#PIPES[@]} > 0)) || { echo "$ME: PIPELINES is empty" >&2; exit 2; }
for p in "${PIPES[@]}"; do [[ $p =~ ^[1-9][0-9]*$ ]] || { echo "$ME: bad pipeline depth '$p' in PIPELINES" >&2; exit 2; }; done

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/suite-$STAMP
mkdir -p "$OUT"
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md   # stand-in numbers never reach RESULTS.md
RAW=$OUT/raw.tsv        # P rep server test_key status rps invocation note
RUNS=$OUT/runs.tsv      # P rep server invocations wall_s cpu_s result
CHECKS=$OUT/checks.tsv  # P rep server check value
CMDS=$OUT/commands.txt
: >"$RAW"; : >"$RUNS"; : >"$CHECKS"; : >"$CMDS"

log()  { printf '[suite %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[suite %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[suite] ERROR: %s\n' "$*" >&2; exit 1; }
record_cmd() { printf '%s\n' "$*" >>"$CMDS"; }
clean() { local s=${1//$'\t'/ }; s=${s//$'\r'/}; s=${s//$'\n'/; }; printf '%s' "${s:0:300}"; }

# ---------------------------------------------------------------- cleanup (only our own processes)
STARTED_PIDS=()
cleanup() {
    local rc=$? pid i
    for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        wait "$pid" 2>/dev/null || true
    done
    STARTED_PIDS=()
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_server() {  # pid
    local pid=$1 i keep=()
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then warn "pid $pid ignored SIGTERM for 5 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    for i in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do [[ $i == "$pid" ]] || keep+=("$i"); done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---------------------------------------------------------------- prerequisites
NPROC=$(nproc)
cpu_list() {  # "0-2,5" -> "0 1 2 5"
    local part a b out=()
    IFS=, read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then a=${part%-*}; b=${part#*-}; for ((i = a; i <= b; i++)); do out+=("$i"); done
        else out+=("$part"); fi
    done
    echo "${out[*]}"
}
SERVER_CPU_SET=" $(cpu_list "$SERVER_CPUS") "
for c in $SERVER_CPU_SET "$REDIS_CPU" "$CLIENT_CPU"; do
    ((c < NPROC)) || die "CPU $c does not exist (nproc=$NPROC); set SERVER_CPUS/REDIS_CPU/CLIENT_CPU"
done
[[ $SERVER_CPU_SET != *" $CLIENT_CPU "* && $REDIS_CPU != "$CLIENT_CPU" ]] ||
    warn "a server shares CPU $CLIENT_CPU with redis-benchmark: numbers will be meaningless"

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server/redis-benchmark missing: installing redis-server redis-tools"
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools || die "apt-get install redis-server redis-tools failed"
fi
for t in redis-server redis-benchmark redis-cli python3 taskset timeout awk; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
LINEBUF=()
if command -v stdbuf >/dev/null; then LINEBUF=(stdbuf -oL); fi   # CSV rows survive a killed (hung) benchmark
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- shardis binary
if [[ $SELFTEST == 1 && -z ${SHARDIS_BIN:-} ]]; then
    # Stand-in "Shardis": redis-server behind the Shardis command line. Checks the script,
    # not Shardis: ratios should be ~1.0. SELFTEST_DISABLE renames commands away to check
    # how failing tests are reported.
    SHARDIS_BIN=$OUT/fake-shardis.sh
    {
        echo '#!/bin/sh'
        echo 'port=6399; bind=127.0.0.1; shards=1'
        echo 'while [ $# -gt 0 ]; do case "$1" in --port) port=$2; shift 2 ;; --bind) bind=$2; shift 2 ;;'
        echo '  --shards) shards=$2; shift 2 ;; --config) shift 2 ;; *) shift ;; esac; done'
        echo 'echo "shardis listening on $bind:$port shards=$shards"'
        printf 'exec redis-server --port "$port" --bind "$bind" --save "" --appendonly no --protected-mode no'
        for c in ${SELFTEST_DISABLE:-}; do printf ' --rename-command %s ""' "$c"; done
        echo
    } >"$SHARDIS_BIN"
    chmod +x "$SHARDIS_BIN"
    warn "SELF-TEST: 'shardis' is redis-server behind a wrapper ($SHARDIS_BIN)${SELFTEST_DISABLE:+, refusing: $SELFTEST_DISABLE}"
fi
if [[ -n ${SHARDIS_BIN:-} ]]; then
    [[ -x $SHARDIS_BIN ]] || die "SHARDIS_BIN=$SHARDIS_BIN is not executable"
    log "using SHARDIS_BIN=$SHARDIS_BIN (not building)"
else
    SHARDIS_BIN=$REPO_ROOT/target/release/shardis
    if [[ $BUILD == 1 ]]; then
        command -v cargo >/dev/null || die "cargo not found (set SHARDIS_BIN or install Rust)"
        log "building: cargo build --release -p shardis-server"
        (cd "$REPO_ROOT" && cargo build --release -p shardis-server) || die "cargo build failed"
        record_cmd "cargo build --release -p shardis-server"
    fi
    [[ -x $SHARDIS_BIN ]] || die "$SHARDIS_BIN not found; build it (cargo build --release -p shardis-server) or set SHARDIS_BIN"
fi

# ---------------------------------------------------------------- the test list
# key | -t token | name printed by redis-benchmark --csv (up to the first " (")
TESTS=(PING_INLINE PING_MBULK SET GET INCR LPUSH RPUSH LPOP RPOP SADD HSET SPOP ZADD ZPOPMIN
       LPUSH_LRANGE LRANGE_100 LRANGE_300 LRANGE_500 LRANGE_600 MSET)
token_of() { [[ $1 == LPUSH_LRANGE ]] && return 0; echo "${1,,}"; }
label_of() {
    case "$1" in
        LPUSH_LRANGE) echo "LPUSH (needed to benchmark LRANGE)" ;;
        LRANGE_*) echo "$1 (first ${1#LRANGE_} elements)" ;;
        MSET) echo "MSET (10 keys)" ;;
        *) echo "$1" ;;
    esac
}
# CSV test name -> key
csv_keys() {  # csv file -> "KEY rps" lines
    awk -F'","' 'NR > 1 && NF >= 2 {
        name = $1; rps = $2; gsub(/"/, "", name); gsub(/"/, "", rps)
        if (name ~ /^LPUSH \(needed/) key = "LPUSH_LRANGE"; else { key = name; sub(/ .*/, "", key) }
        print key, rps
    }' "$1"
}

# ---------------------------------------------------------------- helpers
USED_PORTS=" 6379 "
free_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        [[ $USED_PORTS == *" $p "* ]] && continue
        if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then continue; fi
        USED_PORTS+="$p "
        echo "$p"; return 0
    done
    return 1
}
alive() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X) != Z ]]; }
cpu_ticks() {  # pid -> utime+stime, all threads
    local s f
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return 0; }
    s=${s##*) }; read -r -a f <<<"$s"; echo $((f[11] + f[12]))
}
cli() { local port=$1; shift; { timeout 30 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1 || true; } | tr -d '\r'; }
ping_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

check_affinity() {  # pid name allowed-set
    local t a c
    for t in /proc/"$1"/task/*; do
        a=$(awk '/^Cpus_allowed_list/ {print $2}' "$t/status" 2>/dev/null || true)
        [[ -n $a ]] || continue
        for c in $(cpu_list "$a"); do
            [[ $3 == *" $c "* ]] || { warn "$2 thread ${t##*/} may run on CPUs '$a', outside '${3# }'"; break; }
        done
    done
}

# start_server <kind> <tag> -> SRV_PID SRV_PORT SRV_LOG, or return 1 with SRV_ERR
start_server() {
    local kind=$1 tag=$2 port logf pid deadline cmd
    SRV_PID="" SRV_ERR="" SRV_LOG=/dev/null
    port=$(free_port) || { SRV_ERR="no free TCP port"; return 1; }
    logf=$OUT/$tag.log
    if [[ $kind == redis ]]; then
        cmd=(taskset -c "$REDIS_CPU" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
             --protected-mode no --dir "$OUT" --logfile "")
    else
        cmd=(taskset -c "$SERVER_CPUS" "$SHARDIS_BIN" --port "$port" --bind 127.0.0.1 --shards "$SHARDS" --metrics-port 0)
    fi
    record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//" | sed -E 's/--port [0-9]+/--port PORT/')"
    log "starting $tag: ${cmd[*]}"
    "${cmd[@]}" >"$logf" 2>&1 &
    pid=$!    # taskset execs the server: same pid
    STARTED_PIDS+=("$pid")
    SRV_PID=$pid SRV_PORT=$port SRV_LOG=$logf
    deadline=$((SECONDS + READY_TIMEOUT))
    if [[ $kind == shardis ]]; then
        until grep -q "shardis listening on 127.0.0.1:$port" "$logf" 2>/dev/null; do
            alive "$pid" || { SRV_ERR="exited during start-up (log $logf)"; return 1; }
            ((SECONDS < deadline)) || { SRV_ERR="no 'shardis listening on 127.0.0.1:$port' within ${READY_TIMEOUT}s"; return 1; }
            sleep 0.1
        done
        grep -F "shardis listening on" "$logf" | head -n 1 | grep -q "shards=$SHARDS" ||
            warn "$tag's listening line does not say shards=$SHARDS: $(grep -F 'shardis listening on' "$logf" | head -n 1)"
    fi
    until ping_ok "$port"; do
        alive "$pid" || { SRV_ERR="exited during start-up (log $logf)"; return 1; }
        ((SECONDS < deadline)) || { SRV_ERR="no PONG within ${READY_TIMEOUT}s"; return 1; }
        sleep 0.1
    done
    if [[ $kind == redis ]]; then check_affinity "$pid" "$tag" " $REDIS_CPU "; else check_affinity "$pid" "$tag" "$SERVER_CPU_SET"; fi
    log "$tag ready: pid $pid, port $port"
}

# record <P> <rep> <server> <key> <status OK|ERROR|NOTRUN> <rps> <invocation> <note>
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$(clean "$8")" >>"$RAW"; }

# run_suite <server> <P> <rep>: fresh server, the whole list without -t; when a test fails,
# redis-benchmark exits at once, so the remaining tests are resumed with -t and the failure noted.
run_suite() {
    local server=$1 P=$2 rep=$3 tag="$1-P$2-r$3" inv=0 rc t0 t1 c0 c1 w0 csv err key rps first_missing msg
    local remaining=("${TESTS[@]}") expected tokens got k t i result="ok"
    if ! start_server "$server" "$tag"; then
        warn "$tag: start-up failed: $SRV_ERR; log tail: $(tail -n 5 "$SRV_LOG" 2>/dev/null | tr '\n' ' '); trying once more"
        [[ -z $SRV_PID ]] || stop_server "$SRV_PID"
        mv "$OUT/$tag.log" "$OUT/$tag.failed-start.log" 2>/dev/null || true
        start_server "$server" "$tag" || true
    fi
    if [[ -n $SRV_ERR ]]; then
        warn "$tag: start-up failed again: $SRV_ERR"
        [[ -z $SRV_PID ]] || { tail -n 20 "$SRV_LOG" >&2 || true; stop_server "$SRV_PID"; }
        for k in "${TESTS[@]}"; do record "$P" "$rep" "$server" "$k" NOTRUN "" 0 "server did not start: $SRV_ERR"; done
        printf '%s\t%s\t%s\t0\t0\t0\tstart-up failed\n' "$P" "$rep" "$server" >>"$RUNS"
        return 0
    fi
    local pid=$SRV_PID port=$SRV_PORT slog=$SRV_LOG
    c0=$(cpu_ticks "$pid"); w0=$(date +%s.%N)
    while ((${#remaining[@]} > 0)); do
        inv=$((inv + 1))
        csv=$OUT/$tag-$inv.csv err=$OUT/$tag-$inv.err
        local cmd=(taskset -c "$CLIENT_CPU" redis-benchmark -h 127.0.0.1 -p "$port" -n "$N" -r "$KEYSPACE" -c "$CLIENTS" -P "$P" --csv)
        expected=("${remaining[@]}")
        if ((inv > 1)); then
            tokens=""
            for k in "${remaining[@]}"; do t=$(token_of "$k"); [[ -z $t ]] || tokens+="${tokens:+,}$t"; done
            cmd+=(-t "$tokens")
            # -t lrange_* re-runs "LPUSH (needed to benchmark LRANGE)" first
            if [[ $tokens == *lrange_* && " ${remaining[*]} " != *" LPUSH_LRANGE "* ]]; then
                expected=()
                for k in "${remaining[@]}"; do
                    [[ $k == LRANGE_* && " ${expected[*]} " != *" LPUSH_LRANGE "* ]] && expected+=(LPUSH_LRANGE)
                    expected+=("$k")
                done
            fi
        fi
        record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//" | sed -E 's/-p [0-9]+/-p PORT/; s/\\,/,/g')"
        log "$tag: ${cmd[*]:3}"
        rc=0
        timeout "$BENCH_TIMEOUT" "${LINEBUF[@]}" "${cmd[@]}" >"$csv" 2>"$err" || rc=$?
        # rows of this invocation, in order
        declare -A rows=()
        while read -r key rps; do
            [[ -n $key ]] || continue
            [[ -z ${rows[$key]:-} ]] || continue
            rows[$key]=$rps
            # the LPUSH re-run for resumed LRANGE tests is not recorded twice
            if [[ " ${remaining[*]} " == *" $key "* ]]; then
                if [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
                    record "$P" "$rep" "$server" "$key" OK "$rps" "$inv" "$([[ $inv -gt 1 ]] && echo "resumed with -t")"
                else
                    record "$P" "$rep" "$server" "$key" ERROR "" "$inv" "unparsable ops/s '$rps'"
                fi
            fi
        done < <(csv_keys "$csv")
        # what is left
        first_missing=""
        for k in "${expected[@]}"; do [[ -n ${rows[$k]:-} ]] || { first_missing=$k; break; }; done
        local left=()
        for k in "${remaining[@]}"; do [[ -n ${rows[$k]:-} ]] || left+=("$k"); done
        unset rows
        if ((rc == 0)); then
            for k in "${left[@]+"${left[@]}"}"; do
                record "$P" "$rep" "$server" "$k" ERROR "" "$inv" "redis-benchmark exited 0 without a CSV row for it"
                result="missing rows"
            done
            break
        fi
        msg=$(grep -m1 -E 'Error from server|[Ee]rror' "$err" || true)
        [[ -n $msg ]] || msg=$(head -c 300 "$err")
        if ! alive "$pid"; then
            msg="server died (exit status of redis-benchmark $rc); log: $slog: $(tail -n 3 "$slog" | tr '\n' ' ')"
            warn "$tag: $msg"
            for k in "${left[@]+"${left[@]}"}"; do
                if [[ $k == "$first_missing" ]]; then record "$P" "$rep" "$server" "$k" ERROR "" "$inv" "$msg"
                else record "$P" "$rep" "$server" "$k" NOTRUN "" "$inv" "server died during ${first_missing:-?}"; fi
            done
            result="server died during ${first_missing:-?}"
            break
        fi
        if ((rc == 124 || rc == 137)); then
            msg="no result within ${BENCH_TIMEOUT}s (hang?)"
            warn "$tag: $msg during ${first_missing:-?}"
            for k in "${left[@]+"${left[@]}"}"; do
                if [[ $k == "$first_missing" ]]; then record "$P" "$rep" "$server" "$k" ERROR "" "$inv" "$msg"
                else record "$P" "$rep" "$server" "$k" NOTRUN "" "$inv" "not run after a hang in $first_missing"; fi
            done
            result="hang during ${first_missing:-?}"
            break
        fi
        [[ -n $first_missing ]] || { first_missing=${left[0]:-}; }
        [[ -n $first_missing ]] || { warn "$tag: redis-benchmark exited $rc after every test: $msg"; result="exit $rc"; break; }
        warn "$tag: $(label_of "$first_missing") failed: $msg"
        result="errors"
        record "$P" "$rep" "$server" "$first_missing" ERROR "" "$inv" "$msg"
        remaining=()
        for k in "${left[@]}"; do
            [[ $k == "$first_missing" ]] && continue
            if [[ $first_missing == LPUSH_LRANGE && $k == LRANGE_* ]]; then
                record "$P" "$rep" "$server" "$k" NOTRUN "" "$inv" "LPUSH (needed to benchmark LRANGE) failed"
                continue
            fi
            remaining+=("$k")
        done
        ((inv < 2 * ${#TESTS[@]})) || { warn "$tag: too many resumed invocations; giving up"; break; }
    done
    c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
    local cpu_s="n/a (server died)"
    if alive "$pid"; then
        cpu_s=$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }')
        verify "$server" "$P" "$rep" "$port"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$P" "$rep" "$server" "$inv" \
        "$(awk -v a="$w0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" "$cpu_s" "$result" >>"$RUNS"
    stop_server "$pid"
}

# verify <server> <P> <rep> <port>: what the data looks like after the suite (compared with Redis in the report)
verify() {
    local server=$1 P=$2 rep=$3 port=$4 v key
    chk() { printf '%s\t%s\t%s\t%s\t%s\n' "$P" "$rep" "$server" "$1" "$(clean "$2")" >>"$CHECKS"; }
    chk "TYPE mylist" "$(cli "$port" TYPE mylist)"
    chk "LLEN mylist" "$(cli "$port" LLEN mylist)"
    v=$(cli "$port" LRANGE mylist 0 599)
    chk "LRANGE mylist 0 599: elements equal to VXK" "$(grep -cx VXK <<<"$v" || true)"
    chk "LINDEX mylist 0" "$(cli "$port" LINDEX mylist 0)"
    chk "TYPE myhash" "$(cli "$port" TYPE myhash)"
    chk "HLEN myhash" "$(cli "$port" HLEN myhash)"
    chk "TYPE myset (SPOP emptied it)" "$(cli "$port" TYPE myset)"
    chk "TYPE myzset (ZPOPMIN emptied it)" "$(cli "$port" TYPE myzset)"
    key=$(cli "$port" SCAN 0 MATCH 'key:*' COUNT 1000 | sed -n 2p)
    if [[ -n $key ]]; then chk "GET <a key:* from SCAN>" "$(cli "$port" GET "$key")"; else chk "GET <a key:* from SCAN>" "(no key:* found by SCAN)"; fi
    key=$(cli "$port" SCAN 0 MATCH 'counter:*' COUNT 1000 | sed -n 2p)
    if [[ -n $key ]]; then chk "GET <a counter:* from SCAN> is a positive integer" "$(v=$(cli "$port" GET "$key"); [[ $v =~ ^[1-9][0-9]*$ ]] && echo yes || echo "no: $v")"
    else chk "GET <a counter:* from SCAN> is a positive integer" "(no counter:* found by SCAN)"; fi
    chk "DBSIZE" "$(cli "$port" DBSIZE)"
}

# ---------------------------------------------------------------- run
log "N=$N R=$R -r $KEYSPACE -c $CLIENTS -P {${PIPES[*]}}; shardis --shards $SHARDS on CPUs $SERVER_CPUS; redis on CPU $REDIS_CPU; redis-benchmark on CPU $CLIENT_CPU; out=$OUT"
for ((rep = 1; rep <= R; rep++)); do
    if ((rep % 2)); then order=(redis shardis); else order=(shardis redis); fi
    for P in "${PIPES[@]}"; do
        for server in "${order[@]}"; do run_suite "$server" "$P" "$rep"; done
    done
done

# ---------------------------------------------------------------- report
median() {  # P server key -> median ops/s of OK rows, or "nan"
    awk -F'\t' -v p="$1" -v s="$2" -v k="$3" '
        $1 == p && $3 == s && $4 == k && $5 == "OK" { v[n++] = $6 }
        END {
            if (n == 0) { print "nan"; exit }
            for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
            printf "%.2f\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
        }' "$RAW"
}
status_of() {  # P server key -> OK | ERROR | NOTRUN (worst over repetitions)
    awk -F'\t' -v p="$1" -v s="$2" -v k="$3" '
        $1 == p && $3 == s && $4 == k { if ($5 == "ERROR") e = 1; else if ($5 == "NOTRUN") nr = 1; else ok = 1 }
        END { print (e ? "ERROR" : (nr ? "NOTRUN" : (ok ? "OK" : "NOTRUN"))) }' "$RAW"
}
resumed() { awk -F'\t' -v p="$1" -v s="$2" -v k="$3" '$1 == p && $3 == s && $4 == k && $7 > 1 && $5 == "OK" { f = 1 } END { exit !f }' "$RAW"; }
cell() {  # P server key
    local st; st=$(status_of "$1" "$2" "$3")
    case "$st" in
        ERROR) echo "**ERROR**" ;;
        NOTRUN) echo "not run" ;;
        *) awk -v x="$(median "$1" "$2" "$3")" 'BEGIN { printf "%.0f", x }'; if resumed "$1" "$2" "$3"; then echo "†"; fi ;;
    esac
}
REPORT=$OUT/report.md
FAILED=0 WINS=0 COMPARED=0
{
    echo "### Full redis-benchmark suite: Shardis (--shards $SHARDS, CPUs $SERVER_CPUS) vs redis-server (CPU $REDIS_CPU)"
    echo
    echo "redis-benchmark (CPU $CLIENT_CPU) with no -t: -n $N -r $KEYSPACE -c $CLIENTS --csv; a fresh server for every run;"
    echo "ops/s$( ((R > 1)) && echo " (median of $R runs)"); ratio = shardis / redis."
    echo
    hdr="| test |" sep="|---|"
    for P in "${PIPES[@]}"; do hdr+=" redis -P $P | shardis -P $P | ratio -P $P |"; sep+="---:|---:|---:|"; done
    echo "$hdr"; echo "$sep"
    for k in "${TESTS[@]}"; do
        line="| $(label_of "$k") |"
        for P in "${PIPES[@]}"; do
            rc=$(cell "$P" redis "$k"); sc=$(cell "$P" shardis "$k")
            ratio=$(awk -v a="$(median "$P" shardis "$k")" -v b="$(median "$P" redis "$k")" \
                'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }')
            [[ $(status_of "$P" shardis "$k") == OK && $(status_of "$P" redis "$k") == OK ]] || ratio="n/a"
            if [[ $ratio != n/a ]]; then
                COMPARED=$((COMPARED + 1))
                awk -v r="$ratio" 'BEGIN { exit !(r >= 1.0) }' && WINS=$((WINS + 1))
            fi
            line+=" $rc | $sc | $ratio |"
        done
        echo "$line"
    done
    echo
    if awk -F'\t' '$7 > 1 && $5 == "OK" { f = 1 } END { exit !f }' "$RAW"; then
        echo "† measured in a resumed invocation (\`-t\` with the tests left after a failure: redis-benchmark exits on the first error reply)."
        echo
    fi
    if awk -F'\t' '$5 != "OK" { f = 1 } END { exit !f }' "$RAW"; then
        FAILED=1
        echo "Failures:"
        echo
        awk -F'\t' '$5 != "OK" { printf "- %s -P %s run %s: %s %s: %s\n", $3, $1, $2, $4, ($5 == "ERROR" ? "ERROR" : "not run"), $8 }' "$RAW"
        echo
    fi
    echo "Runs (wall time and server CPU for the whole suite):"
    echo
    echo "| server | -P | run | redis-benchmark invocations | wall s | server CPU s | result |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $3, $1, $2, $4, $5, $6, $7 }' "$RUNS"
    awk -F'\t' '$7 != "ok" { f = 1 } END { exit !f }' "$RUNS" && FAILED=1
    echo
    echo "Data after the suite (run 1):"
    echo
    hdr="| check |" sep="|---|"
    for P in "${PIPES[@]}"; do hdr+=" redis -P $P | shardis -P $P | match |"; sep+="---|---|---|"; done
    echo "$hdr"; echo "$sep"
    mapfile -t CHECK_NAMES < <(awk -F'\t' '!seen[$4]++ { print $4 }' "$CHECKS")
    for c in "${CHECK_NAMES[@]+"${CHECK_NAMES[@]}"}"; do
        line="| $c |"
        for P in "${PIPES[@]}"; do
            rv=$(awk -F'\t' -v p="$P" -v c="$c" '$1 == p && $2 == 1 && $3 == "redis" && $4 == c { print $5; exit }' "$CHECKS")
            sv=$(awk -F'\t' -v p="$P" -v c="$c" '$1 == p && $2 == 1 && $3 == "shardis" && $4 == c { print $5; exit }' "$CHECKS")
            # counts that depend on random keys may differ a little; the rest must match
            if [[ -z $rv || -z $sv ]]; then
                ok="n/a"
            elif [[ $c == "HLEN myhash" || $c == DBSIZE || $c == "LLEN mylist" ]]; then
                ok=$(awk -v a="$rv" -v b="$sv" 'BEGIN { if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/ || a == 0) { print (a == b ? "ok" : "**differs**"); exit }
                                                    d = (a - b) / a; if (d < 0) d = -d; print (d <= 0.05 ? "ok" : "**differs**") }')
            else
                if [[ $rv == "$sv" ]]; then ok=ok; else ok="**differs**"; fi
            fi
            [[ $ok != "**differs**" ]] || FAILED=1
            line+=" ${rv:--} | ${sv:--} | $ok |"
        done
        echo "$line"
    done
    echo
    echo "$WINS of $COMPARED comparable (test, -P) pairs have shardis ≥ redis ops/s."
    echo
} >"$REPORT"

echo
cat "$REPORT"
if [[ $FAILED == 0 ]]; then echo "OVERALL: OK (every test ran without errors on both servers; data checks agree)"
else echo "OVERALL: ERRORS (see Failures / differing data checks above)"; fi
echo "raw data and logs: $OUT"

# ---------------------------------------------------------------- RESULTS.md
if [[ $RECORD == 1 ]]; then
    if git -C "$REPO_ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
        REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD)
        [[ -z $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] || REV="$REV (dirty working tree)"
    else
        REV="none (no commits yet)"
    fi
    MODEL=$(lscpu 2>/dev/null | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')
    {
        echo
        TITLE="## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — full redis-benchmark suite (bench/suite.sh)"
        if [[ $QUICK == 1 ]]; then TITLE+=" (quick run)"; fi
        if [[ $SELFTEST == 1 ]]; then TITLE+=" (SELF-TEST: redis-server stands in for shardis)"; fi
        echo "$TITLE"
        echo
        echo "- machine: nproc=$NPROC, CPU: ${MODEL:-unknown}, kernel $(uname -r)"
        echo "- $(redis-server --version)"
        echo "- shardis: $SHARDIS_BIN, git rev: $REV, --shards $SHARDS confined to CPUs $SERVER_CPUS"
        echo "- parameters: -n $N -r $KEYSPACE -c $CLIENTS, -P ${PIPES[*]}, R=$R; redis on CPU $REDIS_CPU, redis-benchmark on CPU $CLIENT_CPU"
        echo "- overall: $([[ $FAILED == 0 ]] && echo OK || echo ERRORS)"
        echo
        echo "Commands (ports are ephemeral, picked per run):"
        echo
        echo '```'
        awk '!seen[$0]++' "$CMDS"
        echo '```'
        echo
        cat "$REPORT"
    } >>"$RESULTS"
    log "appended results to $RESULTS"
else
    log "--no-record: $RESULTS not touched"
fi

exit "$FAILED"
