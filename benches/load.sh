#!/usr/bin/env bash
# The load benchmark: a release build on loopback, driven by wrk (Debian's package), on SQLite or,
# with --postgres URL, on PostgreSQL. Prints one table: submissions/s through the API and the form
# (sealing included), status checks/s and /healthz/s, p50/p99 at the given concurrency, peak RSS,
# start-up time, and in the same run the two ceilings (sealing alone on all cores; seal+insert on
# one connection) with the ratios.
#
#   benches/load.sh                                   # SQLite, 50 connections, 10 s per run
#   benches/load.sh --postgres postgres://postgres@127.0.0.1:5432/test --duration 30
#
# Long runs are for a quiet machine; CI does not run this script (it prints figures, it does not
# judge them).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
connections=50
threads=2
postgres=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --postgres) postgres="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --bin rongrian
bin=target/release/rongrian
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
cat >"$work/load.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
secure_cookies = false
[log]
filter = "warn"
$(for g in submit lookup follow_up browse login ops unknown; do
  printf '[limits.%s]\nburst = 100000000\nperiod_ms = 1\nglobal_burst = 100000000\nglobal_period_ms = 1\n' "$g"
done)
TOML
db_url=""
if [ -n "$postgres" ]; then
  name="rongrian_load_$$"
  psql "$postgres" -qc "CREATE DATABASE $name" >/dev/null
  db_url="${postgres%/*}/$name"
  trap 'cleanup; psql "$postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null' EXIT
fi
export RONGRIAN_DATABASE_URL="$db_url"
"$bin" --config "$work/load.toml" init --data-dir "$work/data" --escrow-identity-out "$work/escrow.txt" >/dev/null

started=$(date +%s%N)
"$bin" --config "$work/load.toml" serve --data-dir "$work/data" >"$work/serve.log" 2>&1 &
server=$!
until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.01; done
startup_ms=$(( ($(date +%s%N) - started) / 1000000 ))

# One line of figures from wrk's --latency output: requests/s, p50, p99 (in ms), non-2xx count.
run() {
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@")
  echo "$out" >>"$work/wrk.log"
  local rps p50 p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  echo "$rps ${p50:-?} ${p99:-?} ${bad:-0}"
}

api=$(run -s benches/load/post.lua "$base/api/v1/complaints")
token=$(curl -fs -H 'Content-Type: application/json' -d '{"track":"general","category":"nuisance","subject":"ก","description":"ข","relationship":"witness"}' \
  "$base/api/v1/complaints" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
status=$(run -H "Authorization: Bearer $token" "$base/api/v1/complaints/status")
health=$(run "$base/healthz")
# Forms: each post needs a fetched form (one-time nonce); fetch more than the run can use.
api_rps=$(echo "$api" | awk '{printf "%d", $1}')
forms=$(( (api_rps > 0 ? api_rps : 500) * duration * 2 ))
python3 benches/load/prefetch.py 127.0.0.1 "$port" "$forms" "$work/forms.tsv"
form=$(FORMS="$work/forms.tsv" THREADS="$threads" run -s benches/load/form.lua "$base")
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill "$server"; wait "$server" 2>/dev/null || true; server=""

# The ceilings, in the same run and on the same database kind.
if [ -n "$db_url" ]; then
  ceilings=$(BENCH_POSTGRES_URL="$db_url" cargo bench --quiet --bench ceilings 2>/dev/null | grep '=')
else
  ceilings=$(env -u BENCH_POSTGRES_URL cargo bench --quiet --bench ceilings 2>/dev/null | grep '=')
fi
seal=$(echo "$ceilings" | awk -F= '/^seal_per_s/ {print $2}')
insert=$(echo "$ceilings" | awk -F= '/^seal_insert_one_connection_per_s/ {print $2}')
cores=$(echo "$ceilings" | awk -F= '/^cores/ {print $2}')

python3 - "$api" "$form" "$status" "$health" "$seal" "$insert" "$rss_kib" "$startup_ms" "$cores" \
  "${postgres:+PostgreSQL}" "$connections" "$duration" <<'PY'
import sys
api, form, status, health = (a.split() for a in sys.argv[1:5])
seal, insert, rss, startup, cores = (float(x) for x in sys.argv[5:10])
backend = sys.argv[10] or "SQLite (synchronous=FULL)"
conns, dur = sys.argv[11], sys.argv[12]
def ms(v):
    if v.endswith("us"): return float(v[:-2]) / 1000
    if v.endswith("ms"): return float(v[:-2])
    if v.endswith("s"): return float(v[:-1]) * 1000
    return float("nan")
print(f"\nRongrian load benchmark: {backend}, {conns} connections, {dur} s per run, {int(cores)} cores\n")
print(f"| {'what':<42} | {'per second':>10} | {'p50 ms':>8} | {'p99 ms':>8} | {'p99/p50':>7} | {'non-2xx':>7} |")
print(f"|{'-'*44}|{'-'*12}|{'-'*10}|{'-'*10}|{'-'*9}|{'-'*9}|")
for name, row in [("submissions, JSON API (sealing included)", api), ("submissions, report form", form),
                  ("status checks (token look-up)", status), ("/healthz", health)]:
    rps, p50, p99, bad = float(row[0]), ms(row[1]), ms(row[2]), row[3]
    print(f"| {name:<42} | {rps:>10.0f} | {p50:>8.2f} | {p99:>8.2f} | {p99/p50 if p50 else float('nan'):>7.1f} | {bad:>7} |")
print(f"| {'ceiling: sealing alone, all cores':<42} | {seal:>10.0f} | {'':>8} | {'':>8} | {'':>7} | {'':>7} |")
print(f"| {'ceiling: seal+insert, one connection':<42} | {insert:>10.0f} | {'':>8} | {'':>8} | {'':>7} | {'':>7} |")
a = float(api[0])
print(f"\npeak RSS {rss/1024:.0f} MiB; start-up to /readyz {startup:.0f} ms")
print(f"ratios: API submissions / sealing ceiling = {a/seal:.0%}; / one-connection ceiling = {a/insert:.0%}; "
      f"status checks / healthz = {float(status[0])/float(health[0]):.0%}")
print("targets (issue 8): submissions >= 50% of sealing; p99 <= 4x p50; status >= 15,000/s and >= 25% of healthz; RSS < 150 MB")
PY
