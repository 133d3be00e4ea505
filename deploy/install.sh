#!/usr/bin/env bash
# Install Shardis as a systemd service. Idempotent: running it again upgrades the binary,
# unit and sysctl file, and never overwrites an existing /etc/shardis/shardis.yaml.
#
#   sudo deploy/install.sh                  # build with cargo, then install
#   sudo deploy/install.sh --binary PATH    # install a prebuilt binary
#   deploy/install.sh --dry-run             # print what would be done; changes nothing
#
# It does not start or enable the service; it prints the commands for that at the end.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"

BIN_DEST=/usr/local/bin/shardis
CONF_DIR=/etc/shardis
CONF_FILE=$CONF_DIR/shardis.yaml
DATA_DIR=/var/lib/shardis
UNIT_DEST=/etc/systemd/system/shardis.service
SYSCTL_DEST=/etc/sysctl.d/90-shardis.conf
DOC_DIR=/usr/local/share/doc/shardis
SVC_USER=shardis
SVC_GROUP=shardis

BINARY=""
DRY_RUN=0

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    echo "Options: --binary PATH, --dry-run, -h|--help"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary)
            [[ $# -ge 2 ]] || { echo "install.sh: --binary needs a path" >&2; exit 2; }
            BINARY="$2"; shift 2 ;;
        --binary=*) BINARY="${1#--binary=}"; shift ;;
        --dry-run|-n) DRY_RUN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*"; }

# Run a command, or only print it under --dry-run.
run() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '[dry-run]'; printf ' %q' "$@"; printf '\n'
    else
        "$@"
    fi
}

if [[ $DRY_RUN -eq 0 && $EUID -ne 0 ]]; then
    echo "install.sh: must run as root (or use --dry-run)" >&2
    exit 1
fi

for f in shardis.service shardis.yaml sysctl.d/90-shardis.conf; do
    [[ -f "$DEPLOY_DIR/$f" ]] || { echo "install.sh: missing $DEPLOY_DIR/$f" >&2; exit 1; }
done

# 1. The binary: given, or built from this checkout.
if [[ -z "$BINARY" ]]; then
    log "building shardis-server (release) in $REPO_DIR"
    if [[ $DRY_RUN -eq 0 ]]; then
        command -v cargo >/dev/null || { echo "install.sh: cargo not found; pass --binary PATH" >&2; exit 1; }
        # Build as the invoking user when run through sudo, so target/ stays theirs.
        if [[ -n "${SUDO_USER:-}" && "$SUDO_USER" != root ]]; then
            sudo -u "$SUDO_USER" -H bash -lc "cd '$REPO_DIR' && cargo build --release -p shardis-server"
        else
            (cd "$REPO_DIR" && cargo build --release -p shardis-server)
        fi
    else
        printf '[dry-run] (cd %s && cargo build --release -p shardis-server)\n' "$REPO_DIR"
    fi
    BINARY="${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/shardis"
fi
if [[ $DRY_RUN -eq 0 && ! -x "$BINARY" ]]; then
    echo "install.sh: $BINARY is not an executable file" >&2
    exit 1
fi

log "installing binary $BINARY -> $BIN_DEST"
# install(1) writes a new file and renames it, so a running server keeps its old inode.
run install -D -m 0755 -o root -g root "$BINARY" "$BIN_DEST"

# 2. The system user and group (no login shell, no home beyond the data directory).
if getent group "$SVC_GROUP" >/dev/null; then
    log "group $SVC_GROUP exists"
else
    log "creating system group $SVC_GROUP"
    run groupadd --system "$SVC_GROUP"
fi
if getent passwd "$SVC_USER" >/dev/null; then
    log "user $SVC_USER exists"
else
    log "creating system user $SVC_USER"
    run useradd --system --gid "$SVC_GROUP" --home-dir "$DATA_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "Shardis data store" "$SVC_USER"
fi

# 3. Configuration: install the annotated default only if none exists.
run install -d -m 0755 -o root -g root "$CONF_DIR"
if [[ -e "$CONF_FILE" ]]; then
    log "keeping existing $CONF_FILE (new default is $DEPLOY_DIR/shardis.yaml)"
else
    log "installing default configuration -> $CONF_FILE"
    run install -m 0640 -o root -g "$SVC_GROUP" "$DEPLOY_DIR/shardis.yaml" "$CONF_FILE"
fi

# 4. Data directory, writable only by the service user.
log "ensuring data directory $DATA_DIR"
run install -d -m 0750 -o "$SVC_USER" -g "$SVC_GROUP" "$DATA_DIR"

# 5. Unit, sysctl recommendations, documentation.
log "installing unit -> $UNIT_DEST"
run install -D -m 0644 -o root -g root "$DEPLOY_DIR/shardis.service" "$UNIT_DEST"
log "installing sysctl recommendations -> $SYSCTL_DEST (not applied; see below)"
run install -D -m 0644 -o root -g root "$DEPLOY_DIR/sysctl.d/90-shardis.conf" "$SYSCTL_DEST"
run install -D -m 0644 -o root -g root "$DEPLOY_DIR/README.md" "$DOC_DIR/README.md"

# 6. Make systemd see the new or changed unit.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system || $DRY_RUN -eq 1 ]]; then
    log "reloading systemd"
    run systemctl daemon-reload
else
    log "systemd is not running here; skipped daemon-reload"
fi

cat <<NEXT

Shardis is installed$([[ $DRY_RUN -eq 1 ]] && echo " (dry run: nothing was changed)").
Next steps:
  1. Review $CONF_FILE (bind address, port, shards).
  2. Apply the kernel settings:    sysctl --system
     and disable THP (see $SYSCTL_DEST):
       echo never > /sys/kernel/mm/transparent_hugepage/enabled
  3. Start now and at boot:        systemctl enable --now shardis
  4. Check:                        systemctl status shardis; journalctl -u shardis -f
                                   redis-cli -p 6379 ping
  Metrics for Prometheus: http://HOST:9121/metrics (see $DEPLOY_DIR/prometheus/).
  After an upgrade (re-running this script): systemctl restart shardis
NEXT
