#!/usr/bin/env bash
# `sanso icap` behind a real Squid (Debian's squid), all on loopback: a private Squid with
# icap_service (bypass=off) and adaptation_access, fetching with curl from a local HTTP server
# (python3 -m http.server). A macro document arrives rebuilt, an executable gets the Japanese block
# page, a clean image passes as the engine judged it, a 300 MB download over [icap] max_body_mb is
# blocked without the service's memory growing with it, and with Sanso stopped Squid fails closed
# (no byte of the file reaches the browser). Its /metrics, scraped after those downloads, passes
# promtool check metrics and counts them.
# Usage: squid_test.sh SANSO_BINARY SOURCE_DIR. Exit 77 (skipped) only when squid cannot run here.
set -uo pipefail
sanso=$1
src=$2
skip() { echo "SKIPPED: $*"; exit 77; }
fail() {
  echo "FAIL: $*"
  if [ -n "${work:-}" ]; then
    echo "--- sanso:"; tail -20 "$work/sanso.log"
    echo "--- squid:"; grep -iE "icap|adapt|error|warn" "$work/cache.log" | tail -30
    echo "--- access:"; tail -5 "$work/access.log"
  fi
  exit 1
}
squid_bin=$(command -v squid || echo /usr/sbin/squid)
[ -x "$squid_bin" ] || skip "squid is not installed (scripts/install-deps.sh)"
command -v curl >/dev/null || skip "curl is missing"
command -v python3 >/dev/null || skip "python3 is missing (the test's web server)"

work=$(mktemp -d /tmp/sanso-squid.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$work/squid.pid" ] && kill "$(cat "$work/squid.pid")" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../support/squid-icap.sh
. "$src/tests/support/squid-icap.sh"
free_port web_port; free_port icap_port; free_port proxy_port; free_port metrics_port

# The example city's policy, with the loopback in the internet zone: curl is an internet-zone terminal.
write_loopback_internet_policy "$src" "$work/policy.toml" || fail "could not put the loopback into the internet zone"
cat > "$work/sanso.toml" <<EOF
[service]
node = "gw-squid-test"
data_dir = "data"
policy = "policy.toml"
[mail]
contact = "情報政策係（内線 2101）"
[icap]
listen = "127.0.0.1:$icap_port"
trusted_proxies = ["127.0.0.1"]
max_body_mb = 20
# A preview, as docs/icap.md recommends with Squid. Squid 5.7 (Debian 12) stalls files above 64 KB
# that the service must read whole (Squid bug 5352, docs/icap.md): the files here stay under that,
# the big one is refused on its declared length, the big page passes on its preview.
preview_bytes = 4096
[metrics]
icap = "127.0.0.1:$metrics_port"
EOF

# What the web server offers.
mkdir -p "$work/www"
cp "$src/examples/minamata/files/見積書.docm" "$work/www/mitsumori.docm"
{ printf 'MZ'; head -c 300 /dev/zero; printf 'This program cannot be run in DOS mode.'; } > "$work/www/setup.exe"
python3 - "$work/www/logo.png" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
w, h = 16, 16
rows = b"".join(b"\x00" + b"".join(bytes([x * 16, y * 16, 128]) for x in range(w)) for y in range(h))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF
truncate -s ${SANSO_BIG_MB:-300}M "$work/www/big.bin"
# A page of 300 KB, above Squid's 64 KB buffer: decided on its preview.
{ printf '<!DOCTYPE html><html><body><p>'; head -c 300000 /dev/zero | tr '\0' a; printf '</p></body></html>\n'; } > "$work/www/page.html"

# python3's http.server, and under /gzip/ a file sent gzip-compressed (Content-Encoding: gzip), as
# servers answer browsers that accept it.
cat > "$work/web.py" <<'EOF'
import gzip, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if not self.path.startswith("/gzip/"):
            return super().do_GET()
        data = gzip.compress(open(self.path[len("/gzip/"):], "rb").read())
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.ms-word.document.macroEnabled.12")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
(cd "$work/www" && exec python3 "$work/web.py" "$web_port") > "$work/web.log" 2>&1 &
pids+=($!)

SANSO_LOG=info "$sanso" icap --config "$work/sanso.toml" > "$work/sanso.log" 2>&1 &
sanso_pid=$!
pids+=($sanso_pid)

write_squid_conf "$work" "$proxy_port" "$icap_port"
"$squid_bin" -k parse -f "$work/squid.conf" > "$work/parse.log" 2>&1 || fail "squid refuses the test configuration: $(grep -i -m3 "error\|fatal" "$work/parse.log")"
"$squid_bin" -N -f "$work/squid.conf" > "$work/squid.out" 2>&1 &
pids+=($!)

wait_port "$web_port" || fail "the test's web server did not start"
wait_port "$icap_port" || fail "sanso icap did not start"
wait_port "$proxy_port" || skip "squid did not start here: $(tail -5 "$work/squid.out" "$work/cache.log")"
sleep 1  # Squid asks the ICAP services for their OPTIONS first

fetch() {  # fetch NAME → body in $work/got-NAME, status printed
  curl -s -o "$work/got-$1" -w '%{http_code}' --max-time 120 -x "http://127.0.0.1:$proxy_port" "http://127.0.0.1:$web_port/$1"
}

# A macro document arrives rebuilt: a ZIP without its VBA project, not the original.
status=$(fetch mitsumori.docm)
[ "$status" = 200 ] || fail "the macro document: HTTP $status"
[ "$(head -c 2 "$work/got-mitsumori.docm")" = PK ] || fail "the macro document did not arrive as an Office file"
cmp -s "$work/www/mitsumori.docm" "$work/got-mitsumori.docm" && fail "the macro document arrived unchanged"
python3 - "$work/got-mitsumori.docm" <<'EOF' || fail "the rebuilt document still carries its macro, or is no document"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(1 if any("vbaProject" in n for n in names) or "word/document.xml" not in names else 0)
EOF
echo "ok: the macro document arrived rebuilt"

# The same document sent gzip-compressed arrives decoded and rebuilt: no Content-Encoding, no macro.
status=$(curl -s -D "$work/gzip-head.txt" -o "$work/got-gzip.docx" -w '%{http_code}' --max-time 120 -x "http://127.0.0.1:$proxy_port" \
  "http://127.0.0.1:$web_port/gzip/mitsumori.docm")
[ "$status" = 200 ] || fail "the gzip-compressed document: HTTP $status"
grep -qi '^Content-Encoding' "$work/gzip-head.txt" && fail "the compressed document arrived still encoded: $(grep -i '^Content-Encoding' "$work/gzip-head.txt")"
python3 - "$work/got-gzip.docx" <<'EOF' || fail "the gzip-compressed document arrived with its macro, or as no document"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(1 if any("vbaProject" in n for n in names) or "word/document.xml" not in names else 0)
EOF
echo "ok: the gzip-compressed macro document arrived decoded and rebuilt"

# An executable gets the block page, naming its quarantine id.
status=$(fetch setup.exe)
[ "$status" = 403 ] || fail "the executable: HTTP $status (403 expected)"
grep -q 'このファイルは安全に受け取れないため、止めました' "$work/got-setup.exe" || fail "the executable did not get the Japanese block page"
grep -q '情報政策係（内線 2101）' "$work/got-setup.exe" || fail "the block page names no contact"
grep -q '<code>' "$work/got-setup.exe" || fail "the block page names no quarantine id"
grep -q 'MZ' "$work/got-setup.exe" && fail "bytes of the executable reached the browser"
echo "ok: the executable got the block page"

# A clean image passes: byte for byte when the engine left it so, else as the engine rebuilt it.
status=$(fetch logo.png)
[ "$status" = 200 ] || fail "the image: HTTP $status"
[ "$(head -c 4 "$work/got-logo.png" | tail -c 3)" = PNG ] || fail "the image did not arrive as a PNG"
if cmp -s "$work/www/logo.png" "$work/got-logo.png"; then echo "ok: the clean image passed unchanged"; else echo "ok: the image passed as the engine rebuilt it"; fi

# A page above 64 KB passes as it is, decided on its preview (Squid 5.7 would stall it if read whole).
status=$(fetch page.html)
[ "$status" = 200 ] || fail "the 300 KB page: HTTP $status"
cmp -s "$work/www/page.html" "$work/got-page.html" || fail "the 300 KB page did not arrive unchanged"
echo "ok: a 300 KB page passed on its preview"

# 300 MB over the 20 MB limit: the block page, at once (Sanso answers on the declared length and
# closes rather than reading the rest), and the service's memory does not follow the file.
rss_before=$(awk '/VmHWM/ {print $2}' /proc/$sanso_pid/status)
started=$(date +%s)
status=$(fetch big.bin)
took=$(( $(date +%s) - started ))
# Fail closed, always: no byte of it reaches the browser.
[ "$status" = 200 ] && fail "the ${SANSO_BIG_MB:-300} MB download over the limit arrived (HTTP 200)"
cmp -s "$work/www/big.bin" "$work/got-big.bin" && fail "the ${SANSO_BIG_MB:-300} MB download over the limit arrived whole"
[ "$status" = 403 ] || fail "the ${SANSO_BIG_MB:-300} MB download over the limit got HTTP $status, not the 403 block page (after ${took} s)"
grep -q 'ファイルが大きすぎるため受け取れません' "$work/got-big.bin" || fail "the download over the limit did not get the block page naming the reason"
[ "$took" -lt 30 ] || fail "the block page for the download over the limit took ${took} s"
rss_after=$(awk '/VmHWM/ {print $2}' /proc/$sanso_pid/status)
grew=$(( (rss_after - rss_before) / 1024 ))
echo "peak memory of sanso icap: ${rss_before} kB before, ${rss_after} kB after the 300 MB download (+${grew} MB)"
[ "$grew" -lt 64 ] || fail "the service's memory grew by $grew MB with a 300 MB download"
echo "ok: the ${SANSO_BIG_MB:-300} MB download did not pass and was not held in memory"

# /metrics: what the downloads above did, in a format Prometheus takes.
curl -s --max-time 10 -o "$work/metrics.txt" "http://127.0.0.1:$metrics_port/metrics" || fail "sanso icap's /metrics did not answer"
if command -v promtool >/dev/null; then
  promtool check metrics < "$work/metrics.txt" > "$work/promtool.txt" 2>&1 || fail "promtool rejects /metrics: $(head -5 "$work/promtool.txt")"
fi
metric() { awk -v s="$1" '$1 == s {print $2}' "$work/metrics.txt"; }
[ "$(metric 'sanso_icap_requests_total{method="respmod",outcome="blocked"}')" -ge 2 ] 2>/dev/null || fail "/metrics does not count the two blocked downloads: $(grep icap_requests "$work/metrics.txt")"
[ "$(metric 'sanso_icap_requests_total{method="respmod",outcome="sanitized"}')" -ge 1 ] 2>/dev/null || fail "/metrics does not count the rebuilt document: $(grep icap_requests "$work/metrics.txt")"
[ "$(metric 'sanso_icap_request_duration_seconds_count{method="respmod"}')" -ge 4 ] 2>/dev/null || fail "/metrics has no latency of the downloads"
grep -q '^sanso_icap_connections ' "$work/metrics.txt" || fail "/metrics has no connection gauge"
echo "ok: /metrics counts the downloads and promtool accepts it"

# Sanso stopped: Squid (bypass=off) fails closed.
kill "$sanso_pid"
wait "$sanso_pid" 2>/dev/null
status=$(fetch mitsumori.docm)
[ "$status" = 200 ] && fail "with Sanso stopped the document still arrived (HTTP 200)"
cmp -s "$work/www/mitsumori.docm" "$work/got-mitsumori.docm" && fail "with Sanso stopped the original reached the browser"
echo "ok: with Sanso stopped Squid answered HTTP $status and passed nothing"
echo "PASS"
