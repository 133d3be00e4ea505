#!/usr/bin/env bash
# Shardis vs Redis benchmark.
#
#   bench/bench.sh [--quick] [-n N] [-r R] [--no-build] [--no-record] [--strict] [--self-test]
#
# See bench/README.md for what each scenario measures and how to read the output.
#
# Environment overrides:
#   N=...            requests per redis-benchmark invocation (default 2000000; --quick: 200000)
#   R=...            repetitions per (server, test), medians are reported (default 3)
#   KEYSPACE=...     redis-benchmark -r (default 1000000)
#   CLIENTS=...      redis-benchmark -c (default 50)
#   SHARDS=...       --shards for Shardis in scenarios A/B (default 1: one core, one shard)
#   SERVER_CPU=0     CPU the servers are pinned to (taskset -c)
#   CLIENT_CPU=1     CPU redis-benchmark is pinned to
#   SHARDIS_BIN=...  use this binary instead of building target/release/shardis
#   RESULTS=...      markdown file the dated section is appended to (default bench/RESULTS.md)
#   BENCH_TIMEOUT=.. seconds before one redis-benchmark invocation is considered hung
#   SCENARIOS=ABC    subset of scenarios to run
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

# ---------------------------------------------------------------- arguments
QUICK=0 BUILD=1 RECORD=1 STRICT=0 SELFTEST=0
ARG_N="" ARG_R=""
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        -n) ARG_N=${2:?-n needs a value}; shift ;;
        -r) ARG_R=${2:?-r needs a value}; shift ;;
        --no-build) BUILD=0 ;;
        --no-record) RECORD=0 ;;
        --strict) STRICT=1 ;;
        --self-test) SELFTEST=1; QUICK=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $QUICK == 1 ]]; then N_DEFAULT=200000; else N_DEFAULT=2000000; fi
N=${ARG_N:-${N:-$N_DEFAULT}}
R=${ARG_R:-${R:-3}}
KEYSPACE=${KEYSPACE:-1000000}
CLIENTS=${CLIENTS:-50}
SHARDS=${SHARDS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SCENARIOS=${SCENARIOS:-ABC}
RESULTS=${RESULTS:-$SCRIPT_DIR/RESULTS.md}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$((120 + N / 2000))}
READY_TIMEOUT=30

for v in N R KEYSPACE CLIENTS SHARDS SERVER_CPU CLIENT_CPU BENCH_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench.sh: $v must be a non-negative integer (got '${!v}')" >&2; exit 2; }
done
[[ $N -gt 0 && $R -gt 0 ]] || { echo "bench.sh: N and R must be > 0" >&2; exit 2; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$SCRIPT_DIR/out/$STAMP
mkdir -p "$OUT"
# A self-test must never pollute the real results file.
[[ $SELFTEST == 0 ]] || RESULTS=$OUT/RESULTS.selftest.md
RAW=$OUT/raw.tsv          # scenario test label rep n rps cpu_ticks
CMDS=$OUT/commands.txt
: >"$RAW"; : >"$CMDS"

log()  { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[bench %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
record_cmd() { printf '%s\n' "$*" >>"$CMDS"; }

# ---------------------------------------------------------------- cleanup
STARTED_PIDS=()
cleanup() {
    local rc=$? pid i
    for pid in "${STARTED_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
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
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for i in "${STARTED_PIDS[@]}"; do [[ $i == "$pid" ]] || keep+=("$i"); done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---------------------------------------------------------------- prerequisites
NPROC=$(nproc)
if ((SERVER_CPU >= NPROC || CLIENT_CPU >= NPROC)); then
    die "need CPUs $SERVER_CPU (server) and $CLIENT_CPU (client) but nproc=$NPROC; set SERVER_CPU/CLIENT_CPU"
fi
[[ $SERVER_CPU != "$CLIENT_CPU" ]] || warn "server and client share CPU $SERVER_CPU: numbers will be meaningless"

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server/redis-benchmark missing: installing redis-server redis-tools"
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools
fi
for t in redis-server redis-benchmark redis-cli taskset timeout awk; do
    command -v "$t" >/dev/null || die "required tool '$t' not found"
done
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- shardis binary
if [[ $SELFTEST == 1 && -z ${SHARDIS_BIN:-} ]]; then
    # Stand-in "Shardis": redis-server behind the Shardis command line. Validates the
    # script (parsing, CPU accounting, tables), not Shardis. Ratios should be ~1.0.
    SHARDIS_BIN=$OUT/fake-shardis.sh
    cat >"$SHARDIS_BIN" <<'EOF'
#!/bin/sh
port=6399; bind=127.0.0.1; shards=1
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;; --bind) bind=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;; --config) shift 2 ;; *) shift ;;
  esac
done
echo "shardis listening on $bind:$port shards=$shards"
exec redis-server --port "$port" --bind "$bind" --save "" --appendonly no --protected-mode no
EOF
    chmod +x "$SHARDIS_BIN"
    warn "SELF-TEST: 'shardis' is redis-server behind a wrapper ($SHARDIS_BIN)"
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
    [[ -x $SHARDIS_BIN ]] || die "$SHARDIS_BIN not found; build it or set SHARDIS_BIN"
fi

# ---------------------------------------------------------------- helpers
USED_PORTS=" 6379 "
free_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        if command -v python3 >/dev/null; then
            p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        else
            p=$((20000 + RANDOM % 40000))
        fi
        [[ $USED_PORTS == *" $p "* ]] && continue
        if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then continue; fi
        USED_PORTS+="$p "
        echo "$p"; return 0
    done
    die "could not find a free TCP port"
}

cpu_ticks() {  # pid -> utime+stime of the whole process (all threads), clock ticks
    local s f
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }           # drop "pid (comm) ": comm may contain spaces
    read -r -a f <<<"$s"  # f[0] is field 3 (state) -> field k is f[k-3]
    echo $((f[11] + f[12]))
}

check_alive() {  # pid name log
    if ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X) == Z ]]; then
        echo "----- last lines of $3 -----" >&2; tail -n 30 "$3" >&2 || true
        die "$2 (pid $1) died; log: $3"
    fi
}

ping_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

check_affinity() {  # pid name: every thread must stay on SERVER_CPU
    local t a bad=0
    for t in /proc/"$1"/task/*; do
        a=$(awk '/^Cpus_allowed_list/ {print $2}' "$t/status" 2>/dev/null || true)
        [[ -z $a || $a == "$SERVER_CPU" ]] || { bad=1; warn "$2 thread ${t##*/} allowed on CPUs '$a' (expected $SERVER_CPU): did it reset its affinity?"; }
    done
    return 0
}

idle_check() {  # pid name: CPU burnt over 1 s while idle (busy-polling would skew every number)
    local a b
    a=$(cpu_ticks "$1"); sleep 1; b=$(cpu_ticks "$1")
    if (( (b - a) * 100 > 5 * CLK_TCK )); then
        warn "$2 used $(( (b - a) * 100 / CLK_TCK ))% of a core while idle; it competes with the other server on CPU $SERVER_CPU"
    fi
}

# start_server <label> <kind: redis|shardis> <shards> -> sets SRV_PID_<label>, SRV_PORT_<label>, SRV_LOG_<label>
start_server() {
    local label=$1 kind=$2 shards=$3 port logf pid deadline cmd
    port=$(free_port)
    logf=$OUT/$label.log
    if [[ $kind == redis ]]; then
        cmd=(taskset -c "$SERVER_CPU" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
             --protected-mode no --dir "$OUT" --logfile "")
    else
        cmd=(taskset -c "$SERVER_CPU" "$SHARDIS_BIN" --port "$port" --bind 127.0.0.1 --shards "$shards" --metrics-port 0)
    fi
    record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//")"
    log "starting $label: ${cmd[*]}"
    "${cmd[@]}" >"$logf" 2>&1 &
    pid=$!        # taskset execs the server: same pid
    STARTED_PIDS+=("$pid")
    deadline=$((SECONDS + READY_TIMEOUT))
    if [[ $kind == shardis ]]; then
        until grep -q "shardis listening on 127.0.0.1:$port" "$logf" 2>/dev/null; do
            check_alive "$pid" "$label" "$logf"
            ((SECONDS < deadline)) || die "$label did not print 'shardis listening on 127.0.0.1:$port' within ${READY_TIMEOUT}s; log: $logf"
            sleep 0.1
        done
        grep -F "shardis listening on" "$logf" | head -n 1 | grep -q "shards=$shards" ||
            warn "$label listening line does not say shards=$shards: $(grep -F 'shardis listening on' "$logf" | head -n 1)"
    fi
    until ping_ok "$port"; do
        check_alive "$pid" "$label" "$logf"
        if ((SECONDS >= deadline)); then
            [[ $kind == shardis ]] || die "$label did not answer PING within ${READY_TIMEOUT}s; log: $logf"
            warn "$label printed its listening line but does not answer PING with PONG; continuing"
            break
        fi
        sleep 0.1
    done
    check_alive "$pid" "$label" "$logf"
    check_affinity "$pid" "$label"
    idle_check "$pid" "$label"
    printf -v "SRV_PID_$label" '%s' "$pid"
    printf -v "SRV_PORT_$label" '%s' "$port"
    printf -v "SRV_LOG_$label" '%s' "$logf"
    log "$label ready: pid $pid ($(cat /proc/"$pid"/comm)), port $port"
}

# run_one <scenario> <label> <test> <pipeline> <rep>
run_one() {
    local scen=$1 label=$2 test=$3 pipe=$4 rep=$5
    local pidv=SRV_PID_$label portv=SRV_PORT_$label logv=SRV_LOG_$label
    local pid=${!pidv} port=${!portv} slog=${!logv}
    local csv=$OUT/$scen-$label-$test-r$rep.csv err=$OUT/$scen-$label-$test-r$rep.err
    local cmd=(taskset -c "$CLIENT_CPU" redis-benchmark -h 127.0.0.1 -p "$port" -t "$test"
               -n "$N" -r "$KEYSPACE" -c "$CLIENTS" -P "$pipe" --csv)
    local t0 t1 rc=0 rps
    record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//")"
    check_alive "$pid" "$label" "$slog"
    t0=$(cpu_ticks "$pid") || die "cannot read /proc/$pid/stat ($label)"
    timeout "$BENCH_TIMEOUT" "${cmd[@]}" >"$csv" 2>"$err" || rc=$?
    t1=$(cpu_ticks "$pid") || { check_alive "$pid" "$label" "$slog"; die "cannot read /proc/$pid/stat ($label)"; }
    check_alive "$pid" "$label" "$slog"
    if ((rc != 0)); then
        cat "$err" >&2
        ((rc == 124)) && die "redis-benchmark against $label hung (> ${BENCH_TIMEOUT}s); see $csv $err"
        die "redis-benchmark against $label exited with $rc; see $csv $err"
    fi
    rps=$(awk -F'","' -v t="${test^^}" 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2); if ($1 == t) { print $2; exit } }' "$csv")
    [[ $rps =~ ^[0-9]+(\.[0-9]+)?$ ]] || { cat "$csv" "$err" >&2; die "could not parse ops/s from redis-benchmark --csv ($csv)"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$test" "$label" "$rep" "$N" "$rps" "$((t1 - t0))" >>"$RAW"
    log "$(printf '%-3s %-8s %-3s P=%-2s rep %s: %12.0f ops/s  %6.3f us CPU/req' "$scen" "$label" "$test" "$pipe" "$rep" \
        "$rps" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v n="$N" 'BEGIN { printf "%.6f", t * 1e6 / h / n }')")"
}

# median <scenario> <test> <label> <rps|cpu>
median() {
    awk -F'\t' -v s="$1" -v t="$2" -v l="$3" -v what="$4" -v h="$CLK_TCK" '
        $1 == s && $2 == t && $3 == l { v[n++] = (what == "rps") ? $6 : $7 * 1e6 / h / $5 }
        END {
            if (n == 0) { print "nan"; exit }
            for (i = 1; i < n; i++) { x = v[i]; for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
            printf "%.6f\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
        }' "$RAW"
}
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "nan") print "n/a"; else printf f, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "nan"; else printf "%.6f\n", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && a + 0 <= b + 0) }'; }

# ---------------------------------------------------------------- run
log "N=$N R=$R keyspace=$KEYSPACE clients=$CLIENTS shards(A/B)=$SHARDS server CPU $SERVER_CPU, client CPU $CLIENT_CPU, CLK_TCK=$CLK_TCK, out=$OUT"

if [[ $SCENARIOS == *A* || $SCENARIOS == *B* ]]; then
    start_server redis redis 1
    start_server shardis shardis "$SHARDS"
    for ((rep = 1; rep <= R; rep++)); do
        if ((rep % 2)); then order=(redis shardis); else order=(shardis redis); fi
        for sc in A B; do
            [[ $SCENARIOS == *$sc* ]] || continue
            if [[ $sc == A ]]; then P=16; else P=1; fi
            for label in "${order[@]}"; do
                run_one "$sc" "$label" set "$P" "$rep"
                run_one "$sc" "$label" get "$P" "$rep"
            done
        done
    done
    stop_server "$SRV_PID_redis"
    stop_server "$SRV_PID_shardis"
fi

if [[ $SCENARIOS == *C* ]]; then
    start_server s1 shardis 1
    start_server s2 shardis 2
    for ((rep = 1; rep <= R; rep++)); do
        if ((rep % 2)); then order=(s1 s2); else order=(s2 s1); fi
        for P in 16 1; do
            for label in "${order[@]}"; do
                run_one "C$P" "$label" set "$P" "$rep"
                run_one "C$P" "$label" get "$P" "$rep"
            done
        done
    done
    stop_server "$SRV_PID_s1"
    stop_server "$SRV_PID_s2"
fi

# ---------------------------------------------------------------- report
REPORT=$OUT/report.md
PASS_ALL=1
{
    if [[ $SCENARIOS == *A* || $SCENARIOS == *B* ]]; then
        echo "### Shardis (--shards $SHARDS) vs Redis, both on CPU $SERVER_CPU; redis-benchmark on CPU $CLIENT_CPU"
        echo
        echo "Medians of $R runs; -n $N -r $KEYSPACE -c $CLIENTS. CPU/req = server utime+stime (all threads) / requests."
        echo
        echo "| scenario | test | redis ops/s | shardis ops/s | ratio | redis µs CPU/req | shardis µs CPU/req | ratio | target | result |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---|---|"
        for sc in A B; do
            [[ $SCENARIOS == *$sc* ]] || continue
            if [[ $sc == A ]]; then P=16; else P=1; fi
            for test in set get; do
                rr=$(median "$sc" "$test" redis rps); sr=$(median "$sc" "$test" shardis rps)
                rc=$(median "$sc" "$test" redis cpu); scpu=$(median "$sc" "$test" shardis cpu)
                tr=$(ratio "$sr" "$rr"); cr=$(ratio "$scpu" "$rc")
                if [[ $sc == A ]]; then
                    target="ops ratio ≥ 1.3"
                    if ge "$tr" 1.3; then res=PASS; else res=FAIL; fi
                else
                    target="ops ratio ≥ ~1.0 (0.97), CPU ratio ≤ 0.8"
                    if ge "$tr" 0.97 && le "$cr" 0.8; then res=PASS; else res=FAIL; fi
                fi
                [[ $res == PASS ]] || PASS_ALL=0
                printf '| %s (-P %s) | %s | %s | %s | %s | %s | %s | %s | %s | **%s** |\n' "$sc" "$P" "${test^^}" \
                    "$(fmt "$rr" %.0f)" "$(fmt "$sr" %.0f)" "$(fmt "$tr" %.2f)" \
                    "$(fmt "$rc" %.3f)" "$(fmt "$scpu" %.3f)" "$(fmt "$cr" %.2f)" "$target" "$res"
            done
        done
        echo
        echo "Note: at -P 1 redis-benchmark saturates its own core (CPU $CLIENT_CPU), so ops/s mostly measures the client;"
        echo "the server's CPU µs/request is the meaningful efficiency figure there."
        echo
    fi
    if [[ $SCENARIOS == *C* ]]; then
        echo "### Cross-shard forwarding cost: Shardis --shards 1 vs --shards 2, both confined to CPU $SERVER_CPU"
        echo
        echo "Both configurations do the same work on one core. With 2 shards and random keys, about half of the"
        echo "commands arrive on the shard that does not own the key and are forwarded over the inter-shard ring,"
        echo "so the extra CPU per request is ≈ 0.5 × (cost of one forwarded round trip)."
        echo
        echo "| -P | test | 1 shard ops/s | 2 shards ops/s | 1 shard µs CPU/req (all local) | 2 shards µs CPU/req (~50% remote) | Δ µs/req | Δ % | est. µs per forwarded cmd (Δ/0.5) |"
        echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
        for P in 16 1; do
            for test in set get; do
                r1=$(median "C$P" "$test" s1 rps); r2=$(median "C$P" "$test" s2 rps)
                c1=$(median "C$P" "$test" s1 cpu); c2=$(median "C$P" "$test" s2 cpu)
                d=$(awk -v a="$c2" -v b="$c1" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.6f\n", a - b }')
                dp=$(awk -v d="$d" -v b="$c1" 'BEGIN { if (d == "nan" || b + 0 == 0) print "nan"; else printf "%.6f\n", 100 * d / b }')
                fw=$(awk -v d="$d" 'BEGIN { if (d == "nan") print "nan"; else printf "%.6f\n", d / 0.5 }')
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$P" "${test^^}" \
                    "$(fmt "$r1" %.0f)" "$(fmt "$r2" %.0f)" "$(fmt "$c1" %.3f)" "$(fmt "$c2" %.3f)" \
                    "$(fmt "$d" %+.3f)" "$(fmt "$dp" %+.1f%%)" "$(fmt "$fw" %+.3f)"
            done
        done
        echo
        echo "CPU tick resolution is 1/$CLK_TCK s; with -n $N each figure is resolved to about" \
             "$(awk -v h="$CLK_TCK" -v n="$N" 'BEGIN { printf "%.4f", 1e6 / h / n }') µs/req."
        echo
    fi
} >"$REPORT"

echo
cat "$REPORT"
if [[ $SCENARIOS == *A* || $SCENARIOS == *B* ]]; then
    if [[ $PASS_ALL == 1 ]]; then echo "OVERALL: PASS (all targets met)"; else echo "OVERALL: FAIL (some targets missed)"; fi
fi
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
        TITLE="## $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        if [[ $QUICK == 1 ]]; then TITLE+=" (quick run)"; fi
        if [[ $SELFTEST == 1 ]]; then TITLE+=" (SELF-TEST: redis-server stands in for shardis)"; fi
        echo "$TITLE"
        echo
        echo "- machine: nproc=$NPROC, CPU: ${MODEL:-unknown}, kernel $(uname -r)"
        echo "- $(redis-server --version)"
        echo "- shardis: $SHARDIS_BIN, git rev: $REV"
        echo "- parameters: N=$N R=$R keyspace=$KEYSPACE clients=$CLIENTS shards(A/B)=$SHARDS server CPU=$SERVER_CPU client CPU=$CLIENT_CPU"
        echo "- overall: $([[ $SCENARIOS == *A* || $SCENARIOS == *B* ]] && { [[ $PASS_ALL == 1 ]] && echo PASS || echo FAIL; } || echo 'n/a (A/B not run)')"
        echo
        echo "Commands (ports are ephemeral, picked per run):"
        echo
        echo '```'
        awk '!seen[$0]++' "$CMDS"
        echo '```'
        echo
        cat "$REPORT"
        echo "<details><summary>raw runs (scenario, test, server, rep, n, ops/s, server CPU ticks)</summary>"
        echo
        echo '```'
        cat "$RAW"
        echo '```'
        echo
        echo "</details>"
    } >>"$RESULTS"
    log "appended results to $RESULTS"
fi

if [[ $STRICT == 1 && $PASS_ALL != 1 ]]; then exit 1; fi
exit 0
