# Shared helpers for the benchmark scripts in bench/ (sourced, not run).
#
# The sourcing script sets, before `source "$SCRIPT_DIR/lib.sh"`:
#   ME            script name for messages (e.g. keys.sh)
#   LOG_TAG       prefix of log lines (e.g. keys)
#   SCRIPT_DIR    bench/ ; REPO_ROOT: the repository
# and, before calling the functions that use them:
#   OUT, CMDS     output directory and the file commands are recorded in
#   SERVER_CPU    taskset -c list the servers run on
#   READY_TIMEOUT seconds a server gets to become ready
#   SELFTEST, BUILD, SHARDIS_BIN (optional)
#
# Nothing here touches port 6379 or any process this script did not start.

# ---------------------------------------------------------------- messages
log()  { printf '[%s %s] %s\n' "$LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[%s %s] WARNING: %s\n' "$LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }
record_cmd() { printf '%s\n' "$*" >>"$CMDS"; }
# one line, no tabs, at most 300 characters (for TSV fields)
clean() { local s=${1//$'\t'/ }; s=${s//$'\r'/}; s=${s//$'\n'/; }; printf '%s' "${s:0:300}"; }

# ---------------------------------------------------------------- processes (only our own)
STARTED_PIDS=()
lib_cleanup() {
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
lib_traps() {
    trap lib_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Remember a background process so that the EXIT trap stops it.
track_pid() { STARTED_PIDS+=("$1"); }
untrack_pid() {
    local i keep=()
    for i in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do [[ $i == "$1" ]] || keep+=("$i"); done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
}

# run_tracked <stdout file> <stderr file> <command...>: runs the command in the background and
# waits for it, so that a SIGTERM/SIGINT to this script is handled at once and the EXIT trap
# stops the command too (bash defers traps while a foreground command runs). Returns its status.
run_tracked() {
    local o=$1 e=$2 pid rc=0
    shift 2
    "$@" >"$o" 2>"$e" &
    pid=$!
    track_pid "$pid"
    wait "$pid" || rc=$?
    untrack_pid "$pid"
    return "$rc"
}

stop_server() {  # pid: SIGTERM, 5 s, then SIGKILL
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then warn "pid $pid ignored SIGTERM for 5 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    untrack_pid "$pid"
}

alive() {  # pid: running and not a zombie
    kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X) != Z ]]
}

# ---------------------------------------------------------------- prerequisites
require_tools() {  # tool... (installs redis-server/redis-tools with apt-get when missing)
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        log "redis-server/redis-cli missing: installing redis-server redis-tools"
        local SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
        $SUDO apt-get update -qq || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools || die "apt-get install redis-server redis-tools failed"
    fi
    local t
    for t in redis-server redis-cli python3 taskset timeout awk "$@"; do
        command -v "$t" >/dev/null || die "required tool '$t' not found"
    done
    [[ -r /proc/self/status ]] || die "/proc is needed to read VmRSS"
}

check_cpus() {  # cpu...: each must exist
    local c n; n=$(nproc)
    for c in "$@"; do
        [[ $c =~ ^[0-9]+$ ]] || die "CPU '$c' is not a CPU number"
        ((c < n)) || die "CPU $c does not exist (nproc=$n); set SERVER_CPU/CLIENT_CPU"
    done
}

# Sets SHARDIS_BIN: the self-test stand-in, a given binary, or the release build (built unless --no-build).
ensure_shardis() {
    if [[ ${SELFTEST:-0} == 1 && -z ${SHARDIS_BIN:-} ]]; then
        # Stand-in "Shardis": redis-server behind the Shardis command line (every other
        # --name value pair is passed through as Redis config). Checks the script, not Shardis.
        SHARDIS_BIN=$OUT/fake-shardis.sh
        cat >"$SHARDIS_BIN" <<'EOF'
#!/usr/bin/env bash
port=6399 bind=127.0.0.1 shards=1 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;; --bind) bind=$2; shift 2 ;; --shards) shards=$2; shift 2 ;;
    --metrics-port|--config) shift 2 ;; *) extra+=("$1"); shift ;;
  esac
done
echo "shardis listening on $bind:$port shards=$shards"
exec redis-server --port "$port" --bind "$bind" --save "" --appendonly no --protected-mode no "${extra[@]}"
EOF
        chmod +x "$SHARDIS_BIN"
        warn "SELF-TEST: 'shardis' is redis-server behind a wrapper ($SHARDIS_BIN)"
    fi
    if [[ -n ${SHARDIS_BIN:-} ]]; then
        [[ -x $SHARDIS_BIN ]] || die "SHARDIS_BIN=$SHARDIS_BIN is not executable"
        log "using SHARDIS_BIN=$SHARDIS_BIN (not building)"
        return 0
    fi
    SHARDIS_BIN=${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/shardis
    if [[ ${BUILD:-1} == 1 ]]; then
        command -v cargo >/dev/null || die "cargo not found (set SHARDIS_BIN or install Rust)"
        log "building: cargo build --release -p shardis-server"
        (cd "$REPO_ROOT" && cargo build --release -p shardis-server) || die "cargo build failed"
        record_cmd "cargo build --release -p shardis-server"
    fi
    [[ -x $SHARDIS_BIN ]] || die "$SHARDIS_BIN not found; build it (cargo build --release -p shardis-server) or set SHARDIS_BIN"
}

# Sets LOADGEN: bench/loadgen (standard library only, not a workspace member), built into
# LOADGEN_TARGET_DIR (default bench/out/loadgen-target) unless LOADGEN_BIN is given.
ensure_loadgen() {
    if [[ -n ${LOADGEN_BIN:-} ]]; then
        [[ -x $LOADGEN_BIN ]] || die "LOADGEN_BIN=$LOADGEN_BIN is not executable"
        LOADGEN=$LOADGEN_BIN
        return 0
    fi
    command -v cargo >/dev/null || die "cargo not found: it is needed to build bench/loadgen (or set LOADGEN_BIN)"
    local dir=${LOADGEN_TARGET_DIR:-$SCRIPT_DIR/out/loadgen-target}
    log "building the load generator: cargo build --release --manifest-path bench/loadgen/Cargo.toml"
    CARGO_TARGET_DIR=$dir cargo build --quiet --release --manifest-path "$SCRIPT_DIR/loadgen/Cargo.toml" ||
        die "building bench/loadgen failed"
    LOADGEN=$dir/release/loadgen
    [[ -x $LOADGEN ]] || die "$LOADGEN missing after the build"
}

# ---------------------------------------------------------------- servers
USED_PORTS=" 6379 "
free_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        [[ $p == 6379 || $USED_PORTS == *" $p "* ]] && continue
        if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then continue; fi
        USED_PORTS+="$p "
        echo "$p"; return 0
    done
    return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) exit 1 }' "/proc/$1/status" 2>/dev/null; }
cli_raw() { local port=$1; shift; timeout 30 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1 || true; }
cli() { cli_raw "$@" | tr -d '\r'; }
ping_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }
info_field() {  # port section field
    cli_raw "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2; exit }'
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
        ((SECONDS - t0 < ${SETTLE_MAX:-10})) || { warn "RSS of pid $pid still moving after ${SETTLE_MAX:-10}s ($a -> $b kB)"; break; }
        a=$b
    done
    echo "$b"
}

# start_server <kind: redis|shardis> <tag> <shards> [server args...]
#   -> SRV_PID, SRV_PORT, SRV_LOG; returns 1 with SRV_ERR set on failure (the pid stays tracked).
# Redis gets --save "" --appendonly no; the extra args (Redis config as --name value) go to both.
start_server() {
    local kind=$1 tag=$2 shards=$3 port logf pid deadline cmd
    shift 3
    SRV_PID="" SRV_PORT="" SRV_ERR="" SRV_LOG=/dev/null
    port=$(free_port) || { SRV_ERR="no free TCP port"; return 1; }
    logf=$OUT/$tag.log
    if [[ $kind == redis ]]; then
        cmd=(taskset -c "$SERVER_CPU" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
             --protected-mode no --dir "$OUT" --logfile "" "$@")
    else
        cmd=(taskset -c "$SERVER_CPU" "$SHARDIS_BIN" --port "$port" --bind 127.0.0.1 --shards "$shards" --metrics-port 0 "$@")
    fi
    record_cmd "$(printf "%q " "${cmd[@]}" | sed "s/ $//" | sed -E 's/--port [0-9]+/--port PORT/')"
    log "starting $tag: ${cmd[*]}"
    "${cmd[@]}" >"$logf" 2>&1 &
    pid=$!    # taskset execs the server: same pid
    track_pid "$pid"
    SRV_PID=$pid SRV_PORT=$port SRV_LOG=$logf
    deadline=$((SECONDS + READY_TIMEOUT))
    if [[ $kind == shardis ]]; then
        until grep -q "shardis listening on 127.0.0.1:$port" "$logf" 2>/dev/null; do
            alive "$pid" || { SRV_ERR="exited during start-up: $(tail -n 3 "$logf" | tr '\n' ' ')"; return 1; }
            ((SECONDS < deadline)) || { SRV_ERR="no 'shardis listening on 127.0.0.1:$port' within ${READY_TIMEOUT}s"; return 1; }
            sleep 0.1
        done
    fi
    until ping_ok "$port"; do
        alive "$pid" || { SRV_ERR="exited during start-up: $(tail -n 3 "$logf" | tr '\n' ' ')"; return 1; }
        ((SECONDS < deadline)) || { SRV_ERR="no PONG within ${READY_TIMEOUT}s"; return 1; }
        sleep 0.1
    done
    log "$tag ready: pid $pid, port $port"
}

# start_server_or_die: as start_server, one retry, then exit.
start_server_or_die() {
    local tag=$2
    start_server "$@" && return 0
    warn "$tag: start-up failed: $SRV_ERR; trying once more"
    stop_server "$SRV_PID"
    mv "$OUT/$tag.log" "$OUT/$tag.failed-start.log" 2>/dev/null || true
    start_server "$@" || die "$tag: start-up failed twice: $SRV_ERR (log: $SRV_LOG)"
}

# ---------------------------------------------------------------- numbers
# kv <file> <name>: the value of a name=value line (loadgen output)
kv() { awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"; }
# calc <awk expression> [name=value...]: prints the result (n/a when an input is empty or n/a)
calc() {
    local expr=$1 a v; shift
    local args=()
    for a in "$@"; do
        v=${a#*=}
        [[ -n $v && $v != n/a && $v != none ]] || { echo n/a; return 0; }
        args+=(-v "$a")
    done
    awk "${args[@]}" "BEGIN { print ($expr) }"
}

# ---------------------------------------------------------------- RESULTS.md
git_rev() {
    if git -C "$REPO_ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
        local rev; rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD)
        [[ -z $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] || rev="$rev (dirty working tree)"
        echo "$rev"
    else
        echo "none (no commits yet)"
    fi
}
machine_line() {
    local model
    model=$(lscpu 2>/dev/null | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')
    echo "nproc=$(nproc), CPU: ${model:-unknown}, kernel $(uname -r), $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Append this run to $RESULTS (unless --no-record), then exit with its status: 1 on
# measurement errors, or on a missed target under --strict. $1 names what was measured
# ("memory per key (bench/keys.sh)"), $2 introduces the commands; further arguments are
# extra header lines. Reads RECORD QUICK SELFTEST PASS_ALL ERRORS STRICT SHARDIS_BIN CMDS
# REPORT RESULTS.
record_and_exit() {
    local what=$1 commands_intro=$2 line title overall
    shift 2
    if [[ $PASS_ALL == 1 ]]; then overall=PASS
    elif ((ERRORS > 0)); then overall="ERROR ($ERRORS)"
    else overall=FAIL; fi
    if [[ $RECORD == 1 ]]; then
        title="## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — $what"
        if [[ $QUICK == 1 ]]; then title+=" (quick run)"; fi
        if [[ $SELFTEST == 1 ]]; then title+=" (SELF-TEST: redis-server stands in for shardis)"; fi
        {
            echo
            echo "$title"
            echo
            echo "- machine: $(machine_line)"
            echo "- $(redis-server --version)"
            echo "- shardis: $SHARDIS_BIN, git rev: $(git_rev)"
            for line in "$@"; do echo "- $line"; done
            echo "- overall: $overall"
            echo
            echo "$commands_intro"
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
}
