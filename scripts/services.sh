#!/usr/bin/env bash
# Install (if missing) and start, on loopback, the system services the test
# suite needs: Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 (role and
# database "pe365", password "pe365", role may CREATE DATABASE), and headless
# Chromium at /usr/bin/chromium with fonts (CJK included), plus npm for axe-core.
#
# Usage:
#   eval "$(scripts/services.sh)"     # start everything, export TEST_* in this shell
#   scripts/services.sh               # same, just print the export lines
#
# Human-readable progress goes to stderr; stdout carries only `export ...`
# lines, so the eval form is safe. Idempotent: a second run installs nothing,
# starts nothing that already answers, and leaves the data alone.
#
# PostgreSQL: if nothing answers on 127.0.0.1:5432, a private throw-away
# cluster is created in $PE365_PG_DIR (default /tmp/pe365-pg) with the newest
# /usr/lib/postgresql/*/bin binaries, run as the `postgres` OS user (initdb
# refuses root; as a non-root user it runs as that user), with fsync off since
# it holds test data only. If some server already answers on 5432 (e.g. Debian's
# own 15/main cluster), it is used as is and the role/database are created in it.
#
# Needs root (or sudo) only to apt-get install missing packages.
set -euo pipefail

case "${1:-}" in
    -h|--help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0 ;;
    "") ;;
    *) echo "services.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

# Everything goes to stderr by default; only the final export lines use fd 3.
exec 3>&1 1>&2

REDIS_PORT=6379
PG_PORT=5432
PG_ROLE=pe365
PG_PASSWORD=pe365
PG_DB=pe365
CHROMIUM=/usr/bin/chromium

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
    PG_OS_USER=postgres
    PE365_PG_DIR=${PE365_PG_DIR:-/tmp/pe365-pg}
else
    SUDO=(sudo)
    PG_OS_USER=$(id -un)
    PE365_PG_DIR=${PE365_PG_DIR:-/tmp/pe365-pg-$PG_OS_USER}
fi

# Run a command as the OS user that owns the private PostgreSQL cluster (from
# "/" so that a 0700 cwd such as /root does not trigger warnings).
as_pg() {
    if [ "$(id -un)" = "$PG_OS_USER" ]; then
        (cd / && "$@")
    else
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    fi
}

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

pg_bindir() {  # newest /usr/lib/postgresql/<major>/bin that has the server binaries
    local d
    # shellcheck disable=SC2012
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            printf '%s' "$d"
            return 0
        fi
    done
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 4; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    die "$what did not come up within ${secs}s"
}

# Run a server launcher with stdin from /dev/null and every inherited fd above 2
# closed. Otherwise the daemon keeps our fd 3 (the caller's stdout) open and
# `eval "$(scripts/services.sh)"`, or a `| tee`/CI log pipe, never sees EOF.
detached() {
    (
        for fd in $(ls /proc/$BASHPID/fd 2>/dev/null); do
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        "$@"
    ) </dev/null
}

redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
pg_ok() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

start_time=$SECONDS

# --- 1. packages -------------------------------------------------------------
missing=()
{ command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || missing+=(redis-server)
{ [ -n "$(pg_bindir)" ] && command -v psql && command -v pg_isready; } >/dev/null 2>&1 || missing+=(postgresql)
[ -x "$CHROMIUM" ] || missing+=(chromium)
pkg_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
# CJK glyphs for the demo data's Japanese names in browser tests and screenshots (1.8 MB;
# fonts-noto-cjk looks better but is 56 MB).
pkg_installed fonts-droid-fallback || missing+=(fonts-droid-fallback)
# npm installs axe-core (package-lock.json) for the accessibility tests.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    if [ ${#SUDO[@]} -gt 0 ] && ! command -v sudo >/dev/null 2>&1; then
        die "missing packages (${missing[*]}) and not root and no sudo: install them, then re-run"
    fi
    log "installing: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=300 update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
else
    log "packages: all present (redis-server, postgresql, chromium, fonts, npm)"
fi

# --- 2. Redis ----------------------------------------------------------------
if redis_ok; then
    log "redis: already answering on 127.0.0.1:$REDIS_PORT"
else
    redis_dir=/tmp/pe365-redis-$(id -un)
    mkdir -p "$redis_dir"
    log "redis: starting on 127.0.0.1:$REDIS_PORT (log $redis_dir/redis.log)"
    detached redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
        --save "" --appendonly no --dir "$redis_dir" \
        --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
    wait_for 30 "redis on 127.0.0.1:$REDIS_PORT" redis_ok
    log "redis: PONG"
fi

# --- 3. PostgreSQL -----------------------------------------------------------
PG_BIN=$(pg_bindir)
[ -n "$PG_BIN" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
PG_DATA=$PE365_PG_DIR/data
PG_RUN=$PE365_PG_DIR/run
PG_LOG=$PE365_PG_DIR/postgres.log

if pg_ok; then
    log "postgres: already answering on 127.0.0.1:$PG_PORT"
else
    if [ ! -s "$PG_DATA/PG_VERSION" ]; then
        log "postgres: creating private cluster in $PG_DATA ($PG_BIN)"
        mkdir -p "$PE365_PG_DIR"
        rm -rf "$PG_DATA"   # a half-made data dir from an interrupted run
        chown "$PG_OS_USER": "$PE365_PG_DIR"
        chmod 0700 "$PE365_PG_DIR"
        if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
            locale_opt=(--locale=C.UTF-8)
        else
            locale_opt=(--no-locale)
        fi
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_OS_USER" -E UTF8 "${locale_opt[@]}" \
            --auth-local=peer --auth-host=scram-sha-256 >/dev/null
        as_pg mkdir -p "$PG_RUN"
        cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- added by scripts/services.sh: loopback only, throw-away test data ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    as_pg mkdir -p "$PG_RUN"
    log "postgres: starting private cluster on 127.0.0.1:$PG_PORT (log $PG_LOG)"
    if ! detached as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null; then
        tail -n 20 "$PG_LOG" || true
        die "pg_ctl start failed (is port $PG_PORT taken by something else?)"
    fi
    wait_for 30 "postgres on 127.0.0.1:$PG_PORT" pg_ok
fi

# Superuser access over a Unix socket with peer auth: our private cluster's
# socket dir first, then Debian's default (e.g. a running 15/main cluster).
su_sock=""
for d in "$PG_RUN" /var/run/postgresql; do
    if [ -S "$d/.s.PGSQL.$PG_PORT" ] &&
        as_pg psql -X -q -h "$d" -p "$PG_PORT" -U "$PG_OS_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        su_sock=$d
        break
    fi
done

pe365_ok() {
    [ "$(PGPASSWORD=$PG_PASSWORD psql -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" -tAc \
        "select rolcreatedb from pg_roles where rolname = current_user" 2>/dev/null)" = "t" ]
}

if [ -n "$su_sock" ]; then
    su_psql() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$su_sock" -p "$PG_PORT" -U "$PG_OS_USER" -d postgres "$@"; }
    su_psql <<EOF
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
EOF
    if [ "$(su_psql -tAc "select 1 from pg_database where datname = '$PG_DB'")" != "1" ]; then
        su_psql -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE"
    fi
    log "postgres: role '$PG_ROLE' (CREATEDB) and database '$PG_DB' ready"
elif pe365_ok; then
    log "postgres: no superuser access, but role '$PG_ROLE' already logs in with CREATEDB"
else
    die "postgres answers on 127.0.0.1:$PG_PORT but it is not ours and role '$PG_ROLE' cannot log in; stop that server or create the role yourself"
fi
pe365_ok || die "role '$PG_ROLE' cannot log in to '$PG_DB' on 127.0.0.1:$PG_PORT with CREATEDB"

# --- 4. Chromium -------------------------------------------------------------
if [ -x "$CHROMIUM" ]; then
    log "chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -n1))"
    log "chromium: run as root with --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=<fresh dir>"
else
    die "chromium missing at $CHROMIUM"
fi

log "ready in $((SECONDS - start_time))s; exports (stdout):"
{
    echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/15"
    echo "export TEST_DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
} >&3
