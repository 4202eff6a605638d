#!/usr/bin/env bash
# The gateway under load: a private Postfix with `sanso milter`, N messages from C concurrent SMTP
# clients (Postfix's smtp-source), relayed to smtp-sink. Checks delivered + held = sent with none
# lost or duplicated, and reports messages/s and the milter's CPU seconds per message.
#   bench/mail-gateway/run.sh [BUILD] [OUT] [MESSAGES] [CLIENTS]
# Needs root and Postfix (scripts/install-deps.sh). The MIMEDefang comparison is not here yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=${2:-out/bench}
messages=${3:-10000}
clients=${4:-50}
if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/postfix ] || ! command -v smtp-source >/dev/null; then
  echo "mail-gateway load test skipped: needs root, postfix and smtp-source"
  exit 0
fi
dir=$(mktemp -d /tmp/sanso-gw-bench-XXXX)
chmod 755 "$dir"
smtp_port=$(( 30000 + RANDOM % 10000 )); milter_port=$(( smtp_port + 1 )); sink_port=$(( smtp_port + 2 ))
mkdir -p "$dir/sink" && chmod 777 "$dir/sink"
cleanup() {
  bash tests/support/postfix-instance.sh stop "$dir/postfix" >/dev/null 2>&1 || true
  [ -n "${milter_pid:-}" ] && kill "$milter_pid" 2>/dev/null || true
  [ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null || true
  [ -n "${SANSO_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
/usr/sbin/smtp-sink -u nobody -d "$dir/sink/%M." "127.0.0.1:$sink_port" 256 &
sink_pid=$!
cat > "$dir/sanso.toml" <<TOML
[service]
node = "bench"
data_dir = "$dir/data"
policy = "$(pwd)/examples/minamata/policy.toml"
[mail]
strict_for_first_time_senders = false
[cdr]
attachments = "sanitize"
TOML
"$build/sanso" milter --config "$dir/sanso.toml" --listen "inet:$milter_port@127.0.0.1" 2> "$dir/milter.log" &
milter_pid=$!
sleep 1
bash tests/support/postfix-instance.sh start "$dir/postfix" "$smtp_port" "inet:127.0.0.1:$milter_port" "$sink_port"
# Postfix's default process limit (100) serves 50 clients; a larger smtpd limit is not needed.
cpu() { awk '{ print $14 + $15 }' "/proc/$milter_pid/stat"; }
ticks=$(getconf CLK_TCK)
cpu0=$(cpu)
start=$(date +%s.%N)
smtp-source -c -s "$clients" -m "$messages" -l 5000 -f sender@example.net -t kikaku@city.minamata.lg.jp "127.0.0.1:$smtp_port" > /dev/null
# Wait until the queue is empty and the sink has everything it will get.
for _ in $(seq 1 600); do
  queued=$(find "$dir/postfix/queue/active" "$dir/postfix/queue/incoming" "$dir/postfix/queue/deferred" -type f 2>/dev/null | wc -l)
  [ "$queued" -eq 0 ] && break
  sleep 0.5
done
end=$(date +%s.%N)
cpu1=$(cpu)
delivered=$(find "$dir/sink" -type f | wc -l)
held=$("$build/sanso" quarantine list --json --limit 100000 --config "$dir/sanso.toml" | grep -o '"verdict":"held"' | wc -l || true)
ids=$(cat "$dir"/sink/* | grep -o 'X-Sanso-Sanitized: [a-z]*; id=Q[0-9A-Z-]*' | sort | uniq -d | wc -l)
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
rate=$(awk -v n="$messages" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
cpu_ms=$(awk -v c0="$cpu0" -v c1="$cpu1" -v t="$ticks" -v n="$messages" 'BEGIN { printf "%.2f", (c1 - c0) / t * 1000 / n }')
verdict=PASS
[ "$((delivered + held))" -eq "$messages" ] && [ "$ids" -eq 0 ] || verdict=FAIL
{
  echo "mail gateway: $messages messages of ~5 KB from $clients concurrent SMTP clients through Postfix + sanso milter"
  echo "  delivered $delivered + held $held = $((delivered + held)) of $messages sent; duplicated deliveries: $ids  → $verdict"
  echo "  $rate msgs/s end to end (${seconds} s), milter CPU $cpu_ms ms per message (the sandboxed workers' CPU not included)"
} | tee "$out/mail-gateway-summary.txt"
