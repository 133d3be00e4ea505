#!/usr/bin/env bash
# Memory per element: Shardis vs redis-server, one run.
#
#   bench/memory.sh [--quick] [--no-build] [--no-record] [--strict] [--self-test] [--datasets LIST]
#
# For each data set, a FRESH server of each kind is started (Shardis with --shards 1),
# its RSS measured, the data loaded with redis-cli --pipe, the load verified, the RSS
# measured again, and the server stopped. Reports bytes per element (RSS delta) for both,
# Redis's INFO used_memory delta for reference, and the ratio shardis/redis (target <= 1.0).
# See bench/README.md ("Memory per element").
#
# Data sets (--datasets / DATASETS, comma separated; default all):
#   zset       one sorted set, ZSET_N members "member:N" with random scores (default 1000000)
#   bighash    BIGHASH_KEYS hashes x BIGHASH_FIELDS fields "f:N" -> 10-byte values (100 x 10000)
#   smallhash  SMALLHASH_N hashes of 5 short fields each (listpack-sized) (default 1000000)
#   list       one list, LIST_N short elements pushed with RPUSH (default 1000000)
#   intset     one set, SET_N integer members 0..SET_N-1 (default 1000000)
# --quick divides every size by 20 (bighash: 10 x 5000).
#
# Environment: SHARDIS_BIN (prebuilt binary; skips the build), SERVER_CPU (default 0),
# RESULTS (default bench/RESULTS.md), BATCH (elements per command, default 1000),
# LOAD_TIMEOUT (seconds per load, default 600), SETTLE_MAX (seconds to wait for RSS to
# settle, default 10), SELFTEST_DISABLE (with --self-test: commands the stand-in refuses,
# e.g. "ZADD HSET", to exercise the error paths).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ME=memory.sh

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 STRICT=0 SELFTEST=0
ARG_DATASETS=""
usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --strict) STRICT=1 ;;
        --self-test) SELFTEST=1 ;;
        --datasets) ARG_DATASETS=${2:?--datasets needs a value}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$ME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

ALL_DATASETS="zset,bighash,smallhash,list,intset"
DATASETS=${ARG_DATASETS:-${DATASETS:-$ALL_DATASETS}}
if [[ $QUICK == 1 ]]; then D=20; else D=1; fi
ZSET_N=${ZSET_N:-$((1000000 / D))}
BIGHASH_KEYS=${BIGHASH_KEYS:-$((100 / (D > 1 ? 10 : 1)))}
BIGHASH_FIELDS=${BIGHASH_FIELDS:-$((10000 / (D > 1 ? 2 : 1)))}
SMALLHASH_N=${SMALLHASH_N:-$((1000000 / D))}
LIST_N=${LIST_N:-$((1000000 / D))}
SET_N=${SET_N:-$((1000000 / D))}
BATCH=${BATCH:-1000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-600}
SETTLE_MAX=${SETTLE_MAX:-10}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}
READY_TIMEOUT=${READY_TIMEOUT:-60}

for v in ZSET_N BIGHASH_KEYS BIGHASH_FIELDS SMALLHASH_N LIST_N SET_N BATCH LOAD_TIMEOUT SETTLE_MAX READY_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "$ME: $v must be a positive integer (got '${!v}')" >&2; exit 2; }
done
[[ $SERVER_CPU =~ ^[0-9]+([,-][0-9]+)*$ ]] || { echo "$ME: SERVER_CPU must be a CPU list for taskset -c (got '$SERVER_CPU')" >&2; exit 2; }
IFS=, read -r -a DS_LIST <<<"$DATASETS"
for ds in "${DS_LIST[@]}"; do
    [[ ",$ALL_DATASETS," == *",$ds,"* ]] || { echo "$ME: unknown data set '$ds' (known: $ALL_DATASETS)" >&2; exit 2; }
done

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/memory-$STAMP
mkdir -p "$OUT"
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md   # stand-in numbers never reach RESULTS.md
RAW=$OUT/raw.tsv
CMDS=$OUT/commands.txt
: >"$RAW"; : >"$CMDS"

log()  { printf '[memory %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[memory %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[memory] ERROR: %s\n' "$*" >&2; exit 1; }
record_cmd() { printf '%s\n' "$*" >>"$CMDS"; }

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
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then warn "pid $pid ignored SIGTERM for 5 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    for i in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do [[ $i == "$pid" ]] || keep+=("$i"); done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---------------------------------------------------------------- prerequisites
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server/redis-cli missing: installing redis-server redis-tools"
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools || die "apt-get install redis-server redis-tools failed"
fi
for t in redis-server redis-cli python3 taskset timeout awk; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
[[ -r /proc/self/status ]] || die "/proc is needed to read VmRSS"

# ---------------------------------------------------------------- shardis binary
if [[ $SELFTEST == 1 && -z ${SHARDIS_BIN:-} ]]; then
    # Stand-in "Shardis": redis-server behind the Shardis command line. Checks the script,
    # not Shardis: ratios should be ~1.0. SELFTEST_DISABLE renames commands away.
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
    die "could not find a free TCP port"
}

alive() {  # pid: running and not a zombie
    kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X) != Z ]]
}
rss_kb() { awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) exit 1 }' "/proc/$1/status" 2>/dev/null; }
cli_raw() { local port=$1; shift; timeout 30 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1 || true; }
ping_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }
info_field() {  # port field
    cli_raw "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2; exit }'
}

# Settled RSS: sample every 0.5 s until two samples are within 0.5 % (at least 1 s, at most SETTLE_MAX s).
settled_rss_kb() {  # pid
    local pid=$1 a b t0=$SECONDS
    sleep 0.5
    a=$(rss_kb "$pid") || return 1
    while :; do
        sleep 0.5
        b=$(rss_kb "$pid") || return 1
        if awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 200 <= a) }'; then break; fi
        ((SECONDS - t0 < SETTLE_MAX)) || { warn "RSS of pid $pid still moving after ${SETTLE_MAX}s ($a -> $b kB)"; break; }
        a=$b
    done
    echo "$b"
}

# start_server <kind: redis|shardis> -> SRV_PID, SRV_PORT, SRV_LOG; returns 1 (with SRV_ERR) on failure
start_server() {
    local kind=$1 tag=$2 port logf pid deadline cmd
    SRV_PID="" SRV_ERR="" SRV_LOG=/dev/null
    port=$(free_port) || true
    [[ -n $port ]] || { SRV_ERR="no free TCP port"; SRV_PID=""; return 1; }
    logf=$OUT/$tag.log
    if [[ $kind == redis ]]; then
        cmd=(taskset -c "$SERVER_CPU" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
             --protected-mode no --dir "$OUT" --logfile "")
    else
        cmd=(taskset -c "$SERVER_CPU" "$SHARDIS_BIN" --port "$port" --bind 127.0.0.1 --shards 1 --metrics-port 0)
    fi
    record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//" | sed -E 's/--port [0-9]+/--port PORT/')"
    log "starting $tag: ${cmd[*]}"
    "${cmd[@]}" >"$logf" 2>&1 &
    pid=$!    # taskset execs the server: same pid
    STARTED_PIDS+=("$pid")
    SRV_PID=$pid SRV_PORT=$port SRV_LOG=$logf SRV_ERR=""
    deadline=$((SECONDS + READY_TIMEOUT))
    if [[ $kind == shardis ]]; then
        until grep -q "shardis listening on 127.0.0.1:$port" "$logf" 2>/dev/null; do
            alive "$pid" || { SRV_ERR="exited during start-up"; return 1; }
            ((SECONDS < deadline)) || { SRV_ERR="no 'shardis listening on 127.0.0.1:$port' within ${READY_TIMEOUT}s"; return 1; }
            sleep 0.1
        done
    fi
    until ping_ok "$port"; do
        alive "$pid" || { SRV_ERR="exited during start-up"; return 1; }
        ((SECONDS < deadline)) || { SRV_ERR="no PONG within ${READY_TIMEOUT}s"; return 1; }
        sleep 0.1
    done
    log "$tag ready: pid $pid, port $port"
}

# ---------------------------------------------------------------- data generator (RESP on stdout)
GEN=$OUT/gen.py
cat >"$GEN" <<'PY'
import random, sys

def cmd(parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)

def main():
    ds = sys.argv[1]
    a = [int(x) for x in sys.argv[2:]]
    rnd = random.Random(12345)
    w = sys.stdout.buffer.write
    if ds == "zset":                      # n, batch
        n, batch = a
        for lo in range(0, n, batch):
            parts = [b"ZADD", b"zset"]
            for i in range(lo, min(n, lo + batch)):
                parts.append(b"%.17g" % (rnd.random() * 1e6))
                parts.append(b"member:%d" % i)
            w(cmd(parts))
    elif ds == "bighash":                 # keys, fields, batch
        keys, fields, batch = a
        for k in range(keys):
            key = b"bighash:%d" % k
            for lo in range(0, fields, batch):
                parts = [b"HSET", key]
                for f in range(lo, min(fields, lo + batch)):
                    parts.append(b"f:%d" % f)
                    parts.append(b"v%09d" % rnd.randrange(10**9))   # 10 bytes
                w(cmd(parts))
    elif ds == "smallhash":               # n
        (n,) = a
        buf = []
        for i in range(n):
            buf.append(cmd([b"HSET", b"h:%d" % i,
                            b"name", b"n%d" % (i % 100000), b"age", b"%d" % (i % 90),
                            b"city", b"c%d" % (i % 500), b"score", b"%d" % rnd.randrange(1000),
                            b"flag", b"y" if i & 1 else b"n"]))
            if len(buf) >= 1000:
                w(b"".join(buf)); buf = []
        w(b"".join(buf))
    elif ds == "list":                    # n, batch
        n, batch = a
        for lo in range(0, n, batch):
            w(cmd([b"RPUSH", b"list"] + [b"item:%d" % i for i in range(lo, min(n, lo + batch))]))
    elif ds == "intset":                  # n, batch
        n, batch = a
        for lo in range(0, n, batch):
            w(cmd([b"SADD", b"set"] + [b"%d" % i for i in range(lo, min(n, lo + batch))]))
    else:
        sys.exit("unknown data set " + ds)

main()
PY

ds_args() {  # dataset -> generator arguments
    case "$1" in
        zset) echo "$ZSET_N $BATCH" ;;
        bighash) echo "$BIGHASH_KEYS $BIGHASH_FIELDS $BATCH" ;;
        smallhash) echo "$SMALLHASH_N" ;;
        list) echo "$LIST_N $BATCH" ;;
        intset) echo "$SET_N $BATCH" ;;
    esac
}
ds_elements() {  # what "one element" is, and how many
    case "$1" in
        zset) echo "$ZSET_N" ;;
        bighash) echo $((BIGHASH_KEYS * BIGHASH_FIELDS)) ;;
        smallhash) echo "$SMALLHASH_N" ;;
        list) echo "$LIST_N" ;;
        intset) echo "$SET_N" ;;
    esac
}
ds_describe() {
    case "$1" in
        zset) echo "sorted set, $ZSET_N members (member:N, random scores); element = member" ;;
        bighash) echo "$BIGHASH_KEYS hashes x $BIGHASH_FIELDS fields (f:N -> 10-byte value); element = field" ;;
        smallhash) echo "$SMALLHASH_N hashes x 5 short fields; element = one whole hash (key + 5 fields)" ;;
        list) echo "list, $LIST_N elements (item:N) by RPUSH; element = list element" ;;
        intset) echo "set, $SET_N integer members 0..$((SET_N - 1)); element = member" ;;
    esac
}
ds_sample_key() {
    case "$1" in zset) echo zset ;; bighash) echo bighash:0 ;; smallhash) echo h:0 ;; list) echo list ;; intset) echo set ;; esac
}

# verify <dataset> <port>: the load must be complete. Count checks (ZCARD/HLEN/LLEN/SCARD/DBSIZE)
# failing -> return 1 (not measured); spot checks of content failing -> printed as "spot check: ..."
# but the measurement goes on (noted in the report).
verify() {
    local ds=$1 port=$2 got k bad=0
    expect() {  # kind(count|spot) description want command...
        local kind=$1 desc=$2 want=$3; shift 3
        got=$(cli_raw "$port" "$@" | tr -d '\r')
        [[ $got == "$want" ]] && return 0
        if [[ $kind == count ]]; then bad=1; echo "$desc: expected $want, got '${got:0:160}'"
        else echo "spot check: $desc: expected $want, got '${got:0:160}'"; fi
    }
    case "$ds" in
        zset)
            expect count "ZCARD zset" "$ZSET_N" ZCARD zset
            expect count "DBSIZE" 1 DBSIZE
            got=$(cli_raw "$port" ZSCORE zset "member:$((ZSET_N - 1))" | tr -d '\r')
            [[ $got =~ ^[0-9.e+-]+$ ]] || echo "spot check: ZSCORE zset member:$((ZSET_N - 1)): expected a number, got '${got:0:160}'" ;;
        bighash)
            expect count "DBSIZE" "$BIGHASH_KEYS" DBSIZE
            for ((k = 0; k < BIGHASH_KEYS; k++)); do
                got=$(cli_raw "$port" HLEN "bighash:$k" | tr -d '\r')
                [[ $got == "$BIGHASH_FIELDS" ]] || { echo "HLEN bighash:$k: expected $BIGHASH_FIELDS, got '${got:0:160}'"; bad=1; break; }
            done
            got=$(cli_raw "$port" HGET bighash:0 f:0 | tr -d '\r')
            [[ $got =~ ^v[0-9]{9}$ ]] || echo "spot check: HGET bighash:0 f:0: expected a 10-byte value v#########, got '${got:0:160}'" ;;
        smallhash)
            expect count "DBSIZE" "$SMALLHASH_N" DBSIZE
            expect count "HLEN h:0" 5 HLEN h:0
            expect count "HLEN h:$((SMALLHASH_N - 1))" 5 HLEN "h:$((SMALLHASH_N - 1))"
            expect spot "HGET h:1 flag" y HGET h:1 flag ;;
        list)
            expect count "LLEN list" "$LIST_N" LLEN list
            expect count "DBSIZE" 1 DBSIZE
            expect spot "LINDEX list -1" "item:$((LIST_N - 1))" LINDEX list -1 ;;
        intset)
            expect count "SCARD set" "$SET_N" SCARD set
            expect count "DBSIZE" 1 DBSIZE
            expect spot "SISMEMBER set $((SET_N - 1))" 1 SISMEMBER set "$((SET_N - 1))" ;;
    esac
    return "$bad"
}

# measure <dataset> <kind>: appends one line to RAW:
#   dataset kind status elements base_rss_kb after_rss_kb base_used after_used encoding load_s note
measure() {
    local ds=$1 kind=$2 tag=$1-$2 base after ubase="" uafter="" enc="" t0 t1 loadout problems rc note=""
    local n; n=$(ds_elements "$ds")
    fail() {  # note
        local note=${1//$'\t'/ }; note=${note//$'\n'/; }
        if [[ -n ${SRV_PID:-} ]] && ! alive "$SRV_PID"; then
            note="$note; server died (log: ${SRV_LOG:-?})"
            echo "----- last lines of ${SRV_LOG:-?} -----" >&2; tail -n 20 "${SRV_LOG:-/dev/null}" >&2 || true
        fi
        printf '%s\t%s\tERROR\t%s\t\t\t\t\t%s\t\t%s\n' "$ds" "$kind" "$n" "${enc:--}" "$note" >>"$RAW"
        warn "$tag: $note"
        [[ -n ${SRV_PID:-} ]] && stop_server "$SRV_PID"
        SRV_PID=""
        return 0
    }
    SRV_PID=""
    if ! start_server "$kind" "$tag"; then
        warn "$tag: start-up failed: $SRV_ERR; log tail: $(tail -n 5 "$SRV_LOG" 2>/dev/null | tr '\n' ' '); trying once more"
        [[ -z $SRV_PID ]] || stop_server "$SRV_PID"
        mv "$OUT/$tag.log" "$OUT/$tag.failed-start.log" 2>/dev/null || true
        start_server "$kind" "$tag" || { fail "start-up failed twice: $SRV_ERR"; return 0; }
    fi
    sleep 1
    base=$(settled_rss_kb "$SRV_PID") || { fail "cannot read VmRSS of pid $SRV_PID"; return 0; }
    if [[ $kind == redis ]]; then ubase=$(info_field "$SRV_PORT" used_memory); fi
    log "$tag: baseline RSS ${base} kB; loading $(ds_describe "$ds")"
    record_cmd "python3 gen.py $ds $(ds_args "$ds") | redis-cli -h 127.0.0.1 -p PORT --pipe   # gen.py: see bench/memory.sh"
    t0=$(date +%s.%N)
    rc=0
    # shellcheck disable=SC2046
    loadout=$(set -o pipefail; timeout "$LOAD_TIMEOUT" python3 "$GEN" "$ds" $(ds_args "$ds") |
              timeout "$LOAD_TIMEOUT" redis-cli -h 127.0.0.1 -p "$SRV_PORT" --pipe --pipe-timeout 60 2>&1) || rc=$?
    t1=$(date +%s.%N)
    printf '%s\n' "$loadout" >"$OUT/$tag.load.txt"
    if ((rc != 0)) || ! grep -q '^errors: 0, replies:' <<<"$loadout"; then
        fail "load failed (exit $rc): $(grep -m1 -E '^errors:' <<<"$loadout" || true) first error: $(grep -m1 -vE '^(All data transferred|Last reply received|errors: )' <<<"$loadout" | head -c 200 || true)"
        return 0
    fi
    alive "$SRV_PID" || { fail "server exited during load"; return 0; }
    enc=$(cli_raw "$SRV_PORT" OBJECT ENCODING "$(ds_sample_key "$ds")" | tr -d '\r' | head -n 1 | head -c 80)
    problems=$(verify "$ds" "$SRV_PORT") || { fail "verification failed: $problems"; return 0; }
    if [[ -n $problems ]]; then warn "$tag: $problems"; note=${problems//$'\t'/ }; note=${note//$'\n'/; }; fi
    after=$(settled_rss_kb "$SRV_PID") || { fail "cannot read VmRSS of pid $SRV_PID"; return 0; }
    if [[ $kind == redis ]]; then uafter=$(info_field "$SRV_PORT" used_memory); fi
    alive "$SRV_PID" || { fail "server died"; return 0; }
    printf '%s\t%s\tOK\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n' "$ds" "$kind" "$n" "$base" "$after" "$ubase" "$uafter" "$enc" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$note" >>"$RAW"
    log "$(printf '%s: RSS %d -> %d kB (%+.1f MB), %.1f bytes/element, encoding %s, load %.1f s' "$tag" "$base" "$after" \
        "$(awk -v a="$base" -v b="$after" 'BEGIN { print (b - a) / 1024 }')" \
        "$(awk -v a="$base" -v b="$after" -v n="$n" 'BEGIN { print (b - a) * 1024 / n }')" "$enc" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")"
    stop_server "$SRV_PID"; SRV_PID=""
}

# ---------------------------------------------------------------- run
log "data sets: $DATASETS; server CPU $SERVER_CPU; batch $BATCH; out=$OUT"
for ds in "${DS_LIST[@]}"; do
    measure "$ds" redis
    measure "$ds" shardis
done

# ---------------------------------------------------------------- report
REPORT=$OUT/report.md
PASS_ALL=1 ERRORS=0
field() {  # ds kind column(1-based)
    awk -F'\t' -v d="$1" -v k="$2" -v c="$3" '$1 == d && $2 == k { print $c; exit }' "$RAW"
}
{
    echo "### Memory per element: Shardis (--shards 1) vs redis-server, RSS delta after loading into a fresh server"
    echo
    echo "bytes/element = (VmRSS after load − VmRSS before) / elements. Redis used_memory Δ is Redis's own allocator"
    echo "count, for reference. Target: Shardis RSS bytes/element ≤ 1.0 × Redis RSS bytes/element."
    echo
    echo "| data set | elements | redis RSS B/elem | redis used_memory B/elem | shardis RSS B/elem | ratio (RSS) | redis encoding | shardis encoding | result |"
    echo "|---|---:|---:|---:|---:|---:|---|---|---|"
    for ds in "${DS_LIST[@]}"; do
        n=$(ds_elements "$ds")
        rs=$(field "$ds" redis 3); ss_=$(field "$ds" shardis 3)
        per() { awk -v a="$1" -v b="$2" -v n="$n" -v m="$3" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.1f", (b - a) * m / n }'; }
        r_rss=$(per "$(field "$ds" redis 5)" "$(field "$ds" redis 6)" 1024)
        r_used=$(per "$(field "$ds" redis 7)" "$(field "$ds" redis 8)" 1)
        s_rss=$(per "$(field "$ds" shardis 5)" "$(field "$ds" shardis 6)" 1024)
        ratio=$(awk -v a="$s_rss" -v b="$r_rss" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 <= 0) print "n/a"; else printf "%.2f", a / b }')
        if [[ $rs != OK || $ss_ != OK ]]; then
            res="**ERROR**"; ERRORS=$((ERRORS + 1)); PASS_ALL=0
        elif awk -v r="$ratio" 'BEGIN { exit !(r != "n/a" && r + 0 <= 1.0) }'; then
            res="**PASS**"
        else
            res="**FAIL**"; PASS_ALL=0
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$ds" "$n" "$r_rss" "$r_used" "$s_rss" "$ratio" \
            "$(field "$ds" redis 9)" "$(field "$ds" shardis 9)" "$res"
    done
    echo
    echo "Data sets:"
    echo
    for ds in "${DS_LIST[@]}"; do echo "- **$ds**: $(ds_describe "$ds")"; done
    echo
    if awk -F'\t' '$11 != "" { f = 1 } END { exit !f }' "$RAW"; then
        echo "Errors and failed spot checks:"
        echo
        awk -F'\t' '$11 != "" { printf "- %s on %s (%s): %s\n", $1, $2, ($3 == "OK" ? "measured" : "NOT measured"), $11 }' "$RAW"
        echo
    fi
    echo "| data set | server | RSS before kB | RSS after kB | used_memory before | used_memory after | load s |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '$3 == "OK" { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $5, $6, ($7 == "" ? "-" : $7), ($8 == "" ? "-" : $8), $10 }' "$RAW"
    echo
} >"$REPORT"

echo
cat "$REPORT"
if [[ $PASS_ALL == 1 ]]; then echo "OVERALL: PASS (Shardis uses no more memory than Redis on every data set)"
elif ((ERRORS > 0)); then echo "OVERALL: ERROR ($ERRORS data set(s) could not be measured)"
else echo "OVERALL: FAIL (some data sets use more memory than Redis)"; fi
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
        TITLE="## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — memory per element (bench/memory.sh)"
        if [[ $QUICK == 1 ]]; then TITLE+=" (quick run)"; fi
        if [[ $SELFTEST == 1 ]]; then TITLE+=" (SELF-TEST: redis-server stands in for shardis)"; fi
        echo "$TITLE"
        echo
        echo "- machine: nproc=$(nproc), CPU: ${MODEL:-unknown}, kernel $(uname -r), $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
        echo "- $(redis-server --version)"
        echo "- shardis: $SHARDIS_BIN, git rev: $REV"
        echo "- servers on CPU $SERVER_CPU; batch $BATCH elements per command"
        echo "- overall: $(if [[ $PASS_ALL == 1 ]]; then echo PASS; elif ((ERRORS > 0)); then echo "ERROR ($ERRORS data sets)"; else echo FAIL; fi)"
        echo
        echo "Commands (ports are ephemeral, picked per run; every data set gets a fresh server of each kind):"
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

if ((ERRORS > 0)); then exit 1; fi
if [[ $STRICT == 1 && $PASS_ALL != 1 ]]; then exit 1; fi
exit 0
