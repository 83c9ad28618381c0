#!/usr/bin/env bash
# Proves each file of deploy/ on this machine (run by .ci/run; needs root for nginx's proxy_bind):
#  1. systemd/rongrian.service, with and without the network drop-in, rates 2.0 or better in
#     `systemd-analyze security --offline=true`, and the drop-in opens the SMTP relay and PostgreSQL host;
#  2. nginx/rongrian.conf passes `nginx -t` (Debian's nginx) and carries real requests to the service:
#     the client's own address reaches the service's limiter (one client limited, another not), and
#     neither nginx nor the service logs an address or a path;
#  3. tor/torrc.snippet passes `tor --verify-config`, and its onion port is nginx's onion server, which
#     carries requests to the service through the same limits;
#  4. backup/backup.sh and backup/restore.sh: a backup restored into a fresh data directory opens an old
#     case with its token, and `rongrian verify-audit` passes there.
# What it cannot show here: the unit running under systemd as PID 1 (no systemd in this machine),
# Tor publishing the onion address (no Tor network), the container files (no container engine).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${BIN_UNDER_TEST:-$root/target/debug/rongrian}
[ -x "$bin" ] || cargo build
work=$(mktemp -d /tmp/rongrian-deploy-test.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deploy test FAILED: $*" >&2; exit 1; }
ok() { echo "deploy test: $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; fail "nothing answers at $1"; }

# --- 1. systemd ----------------------------------------------------------------------------------
exposure() { systemd-analyze security --offline=true "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
unit=deploy/systemd/rongrian.service
score=$(exposure "$unit")
[ -n "$score" ] || fail "systemd-analyze gave no rating for $unit"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "$unit rates $score, worse than 2.0"
mkdir -p "$work/unit"
cat "$unit" deploy/systemd/rongrian.service.d/network.conf.example > "$work/unit/rongrian.service"
merged=$(exposure "$work/unit/rongrian.service")
awk -v s="$merged" 'BEGIN { exit !(s <= 2.0) }' || fail "with the network drop-in the unit rates $merged"
grep -q '^RestrictAddressFamilies=.*AF_INET ' "$unit" || fail "the unit cannot open IPv4 sockets (SMTP, PostgreSQL)"
for a in 192.0.2.25 198.51.100.10; do
  grep -q "^IPAddressAllow=$a$" deploy/systemd/rongrian.service.d/network.conf.example || fail "drop-in lacks $a"
done
ok "systemd unit exposure $score, with the SMTP/PostgreSQL drop-in $merged (both ≤ 2.0)"

# --- a service instance for the proxies ----------------------------------------------------------
app_port=$(free_port)
data="$work/data"
cat > "$work/app.toml" <<TOML
[server]
listen = "127.0.0.1:$app_port"
public_base_url = "https://rongrian.example.go.th"
trusted_proxies = ["127.0.0.2"]
[staff]
argon2_memory_kib = 1024
argon2_iterations = 1
[limits.browse]
burst = 3
period_ms = 600000
TOML
export RONGRIAN_DATABASE_URL=
"$bin" --config "$work/app.toml" init --data-dir "$data" --escrow-identity-out "$work/escrow.txt" > "$work/init.log"
"$bin" --config "$work/app.toml" serve --data-dir "$data" > "$work/app.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$app_port/healthz"

# --- 2. nginx --------------------------------------------------------------------------------------
https_port=$(free_port); http_port=$(free_port); onion_port=$(free_port)
n="$work/nginx"
mkdir -p "$n/conf/snippets" "$n/logs" "$work/acme"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rongrian.example.go.th \
  -keyout "$n/key.pem" -out "$n/cert.pem" >/dev/null 2>&1
cp deploy/nginx/rongrian-proxy.inc "$n/conf/snippets/"
sed -e "s#listen 443 #listen 127.0.0.1:$https_port #; s#listen 80 default_server#listen 127.0.0.1:$http_port default_server#" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#; /listen \[::\]/d" \
    -e "s#127.0.0.1:8080#127.0.0.1:$app_port#; s#listen 127.0.0.1:8081;#listen 127.0.0.1:$onion_port;#" \
    -e "s#/etc/letsencrypt/live/rongrian.example.go.th/fullchain.pem#$n/cert.pem#" \
    -e "s#/etc/letsencrypt/live/rongrian.example.go.th/privkey.pem#$n/key.pem#" \
    -e "s#/var/log/nginx/#$n/logs/#g; s#/var/www/acme#$work/acme#" \
    deploy/nginx/rongrian.conf > "$n/conf/rongrian.conf"
cat > "$n/conf/nginx.conf" <<NGINX
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/main-error.log emerg;
events { worker_connections 64; }
http {
    access_log off;
    include $n/conf/rongrian.conf;
}
NGINX
nginx -t -q -p "$n" -c conf/nginx.conf || fail "nginx -t refuses deploy/nginx/rongrian.conf"
nginx -p "$n" -c conf/nginx.conf
for _ in $(seq 1 50); do [ -s "$n/nginx.pid" ] && break; sleep 0.1; done
site=(--resolve "rongrian.example.go.th:$https_port:127.0.0.1" -k -s)
get() { curl "${site[@]}" --interface "$1" -o "$work/body" -w '%{http_code}' "https://rongrian.example.go.th:$https_port$2"; }
[ "$(get 127.0.0.3 /)" = 200 ] || fail "no page through nginx"
get 127.0.0.3 /follow-up >/dev/null; get 127.0.0.3 /privacy >/dev/null
code=$(get 127.0.0.3 /)
[ "$code" = 429 ] || fail "client 127.0.0.3 was not limited by the service (got $code)"
grep -q '<center>nginx</center>' "$work/body" && fail "the 429 came from nginx, not from the service's limiter"
[ "$(get 127.0.0.4 /)" = 200 ] || fail "another client (127.0.0.4) was limited too: the limiter sees the proxy, not the client"
curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.5 -H 'X-Forwarded-For: 127.0.0.4' "${site[@]}" \
  "https://rongrian.example.go.th:$https_port/" | grep -q 200 || fail "a forged X-Forwarded-For chose another client's bucket"
# nginx keeps neither addresses nor paths; the service logs route templates, never an address.
for log in "$n"/logs/*; do
  if grep -Eq '127\.0\.0\.[2-9]|/follow-up|/privacy' "$log"; then fail "$log records an address or a path"; fi
done
if grep -Eq '127\.0\.0\.[2-9]' "$work/app.log"; then fail "the service's log records a client address"; fi
ok "nginx -t passes; through nginx the service limits 127.0.0.3 and not 127.0.0.4; no address or path in any log"

# --- 3. the onion service goes through nginx -------------------------------------------------------
target=$(sed -n 's/^HiddenServicePort 80 \(.*\)$/\1/p' deploy/tor/torrc.snippet)
grep -q "listen $target;" deploy/nginx/rongrian.conf || fail "the onion port $target is not an nginx server"
[ "$target" != 127.0.0.1:8080 ] || fail "the onion service points at the application directly"
mkdir -p "$work/tor/hs" "$work/tor/data"; chmod 700 "$work/tor/hs" "$work/tor/data"
sed -e "s#^HiddenServiceDir .*#HiddenServiceDir $work/tor/hs#" deploy/tor/torrc.snippet > "$work/tor/torrc"
printf 'SocksPort 0\nDataDirectory %s\n' "$work/tor/data" >> "$work/tor/torrc"
tor --verify-config -f "$work/tor/torrc" >/dev/null || fail "tor refuses tor/torrc.snippet"
headers=$(curl -s -D - -o /dev/null "http://127.0.0.1:$onion_port/")
echo "$headers" | grep -q '^HTTP/1.1 200' || fail "the onion server does not reach the service"
echo "$headers" | grep -qi '^server: nginx' || fail "the onion request did not pass nginx"
ok "tor --verify-config passes; the onion port $target is nginx's, which reaches the service"

# --- 4. backup and restore into a fresh instance ----------------------------------------------------
receipt=$(curl -fsS -H 'Content-Type: application/json' --interface 127.0.0.6 "http://127.0.0.1:$app_port/api/v1/complaints" \
  -d '{"track":"corruption","category":"bribery","subject":"ทดสอบการสำรองข้อมูล","description":"เรื่องที่ต้องเปิดได้หลังกู้คืน","relationship":"victim"}')
token=$(echo "$receipt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
reference=$(echo "$receipt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reference"])')
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
bash deploy/backup/backup.sh -d "$data" -o "$work/backups" > "$work/backup.log" 2> "$work/backup.err"
archive=$(tail -n 1 "$work/backup.log")
if [ -s "$work/backup.err" ]; then fail "backup.sh left something out: $(cat "$work/backup.err")"; fi
[ -f "$archive" ] || fail "backup.sh made no archive"
fresh="$work/fresh"
bash deploy/backup/restore.sh -u "$(id -un)" -d "$fresh" "$archive" > "$work/restore.log" 2>&1 || fail "restore.sh: $(tail -3 "$work/restore.log")"
sed -i "s/^listen = .*/listen = \"127.0.0.1:$(free_port)\"/" "$work/app.toml"
fresh_port=$(sed -n 's/^listen = "127.0.0.1:\([0-9]*\)"/\1/p' "$work/app.toml")
"$bin" --config "$work/app.toml" serve --data-dir "$fresh" > "$work/fresh.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$fresh_port/healthz"
status=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$fresh_port/api/v1/complaints/status")
echo "$status" | grep -q "\"reference\":\"$reference\"" || fail "the old token does not open $reference after the restore"
echo "$status" | grep -q 'ทดสอบการสำรองข้อมูล' || fail "the restored case's content does not open"
"$bin" --config "$work/app.toml" verify-audit --data-dir "$fresh" > "$work/verify.log" 2>&1 || fail "verify-audit fails after the restore: $(cat "$work/verify.log")"
[ -f "$fresh/audit-anchor" ] || fail "the audit anchor was not restored"
[ -d "$fresh/evidence" ] || fail "the evidence directory was not restored"
ok "backup restored into a fresh data directory: the old token opens $reference, verify-audit passes"
