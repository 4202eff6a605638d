#!/usr/bin/env bash
# Issue #20's ICAP benchmark: downloads through one private Squid (Debian's squid, loopback only)
# from a local HTTP origin, in the same run, one case after the other on the same files:
#   (a) Squid alone, no ICAP — the floor;
#   (b) Squid → `sanso icap` (BUILD/sanso, its own data dir and configuration), which rebuilds the
#       document (its macro project removed), keeps the original in quarantine and audits it;
#   (c) Squid → c-icap with its virus_scan service (libc-icap-mod-virus-scan) on a private clamd
#       holding the tests' one signature (so it starts in seconds), the field's usual ICAP server.
# Per document (a Word document with a macro, ~100 KB and ~5 MB as the issue asks, and ~48 KB, which
# Squid 5.7 passes to an ICAP service without stalling — bug 5352, docs/icap.md): CLIENTS concurrent clients on
# persistent connections for SECONDS; requests/s and the latency p50/p99 added over (a), as a table
# and as ratios sanso : c-icap in OUT/icap-summary.txt. Every response is checked (bench/icap/load.py):
# HTTP 200 and the original's bytes for (a) and (c), a rebuilt document without its macro for (b).
# Exits non-zero when any response was wrong or a server did not start.
#   run.sh BUILD OUT [SECONDS] [CLIENTS]
# SANSO_ICAP_REQUEST_TIMEOUT (s, default 30) bounds one request; SANSO_ICAP_SQUID_EXTRA adds lines
# (printf %b) to squid.conf, for trying Squid settings; SANSO_ICAP_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
out=$2
seconds=${3:-15}
clients=${4:-${SANSO_ICAP_CLIENTS:-4}}
src=$PWD
sanso="$build/sanso"
squid_bin=$(command -v squid || echo /usr/sbin/squid)
for need in "$squid_bin" /usr/bin/c-icap /usr/sbin/clamd /usr/lib/x86_64-linux-gnu/c_icap/virus_scan.so; do
  [ -x "$need" ] || [ -f "$need" ] || { echo "icap benchmark: $need is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
[ -x "$sanso" ] || { echo "icap benchmark: no $sanso (build it first)" >&2; exit 1; }
mkdir -p "$out"

work=$(mktemp -d /tmp/sanso-icap-bench.XXXXXX)
chmod 0755 "$work"
pids=()
stop_squid() {
  if [ -f "$work/squid.pid" ]; then
    local pid
    pid=$(cat "$work/squid.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$work/squid.pid"
  fi
}
cleanup() {
  stop_squid
  [ -f "$work/c-icap.pid" ] && kill "$(cat "$work/c-icap.pid")" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${SANSO_ICAP_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "icap benchmark: $*" >&2
  for log in sanso.log cache.log c-icap-server.log clamd.log; do
    [ -s "$work/$log" ] && { echo "--- $log:" >&2; tail -15 "$work/$log" >&2; }
  done
  exit 1
}

# shellcheck source=../../tests/support/squid-icap.sh
. tests/support/squid-icap.sh
web_port=$(free_port) proxy_port=$(free_port) sanso_port=$(free_port) cicap_port=$(free_port)

# The origin: the generated documents, served by python3's threading HTTP server.
python3 bench/icap/make_files.py "$work/www"
(cd "$work/www" && exec python3 -m http.server "$web_port" --bind 127.0.0.1) > "$work/web.log" 2>&1 &
pids+=($!)

# (b) sanso icap: the example city's policy with the loopback in the internet zone (curl is an
# internet-zone terminal), as tests/icap/squid_test.sh runs it.
write_loopback_internet_policy . "$work/policy.toml" || fail "could not put the loopback into the internet zone"
cat > "$work/sanso.toml" <<CONF
[service]
node = "gw-icap-bench"
data_dir = "data"
policy = "policy.toml"
[mail]
contact = "情報政策係（内線 2101）"
[icap]
listen = "127.0.0.1:$sanso_port"
trusted_proxies = ["127.0.0.1"]
max_body_mb = 20
preview_bytes = 4096
CONF
"$sanso" icap --config "$work/sanso.toml" > "$work/sanso.log" 2>&1 &
sanso_pid=$!
pids+=($sanso_pid)

# (c) c-icap and its virus_scan service on a private clamd with the tests' one signature
# (tests/support/clamd_server.h), every path in the work directory, no system service touched.
mkdir -p "$work/clamdb" "$work/cicap-tmp"
echo 'SansoTestSignature:0:*:53414e534f2d544553542d5649525553' > "$work/clamdb/sanso-test.ndb"
cat > "$work/clamd.conf" <<CONF
LocalSocket $work/clamd.sock
DatabaseDirectory $work/clamdb
Foreground yes
LogFile $work/clamd.log
StreamMaxLength 50M
MaxFileSize 50M
MaxScanSize 100M
CONF
[ "$(id -u)" = 0 ] && echo "User root" >> "$work/clamd.conf"
/usr/sbin/clamd -c "$work/clamd.conf" > /dev/null 2>&1 &
pids+=($!)
modules=/usr/lib/x86_64-linux-gnu/c_icap
cat > "$work/c-icap.conf" <<CONF
PidFile $work/c-icap.pid
CommandsSocket $work/c-icap.ctl
Port 127.0.0.1:$cicap_port
Timeout 300
MaxKeepAliveRequests 100
KeepAliveTimeout 600
StartServers 1
MaxServers 4
MinSpareThreads 10
MaxSpareThreads 20
ThreadsPerChild 20
MaxRequestsPerChild 0
TmpDir $work/cicap-tmp
MaxMemObject 131072
DebugLevel 1
Pipelining on
ModulesDir $modules
ServicesDir $modules
TemplateDir /usr/share/c_icap/templates/
TemplateDefaultLanguage en
LoadMagicFile /etc/c-icap/c-icap.magic
ServerLog $work/c-icap-server.log
AccessLog $work/c-icap-access.log
Module common clamd_mod.so
clamd_mod.ClamdSocket $work/clamd.sock
Service antivirus_module virus_scan.so
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE
virus_scan.SendPercentData 5
virus_scan.StartSendPercentDataAfter 2M
virus_scan.MaxObjectSize 20M
virus_scan.DefaultEngine clamd
CONF
if [ "$(id -u)" = 0 ]; then printf 'User root\nGroup root\n' >> "$work/c-icap.conf"; fi
for _ in $(seq 1 300); do [ -S "$work/clamd.sock" ] && break; sleep 0.1; done
[ -S "$work/clamd.sock" ] || fail "the private clamd did not start"
/usr/bin/c-icap -N -D -f "$work/c-icap.conf" > "$work/c-icap.out" 2>&1 &
pids+=($!)

wait_port "$web_port" || fail "the origin did not start"
wait_port "$sanso_port" || fail "sanso icap did not start"
wait_port "$cicap_port" || fail "c-icap did not start: $(tail -3 "$work/c-icap.out")"

# One Squid on the same port for every case, restarted with the case's ICAP service (RESPMOD
# only: the downloads are what is measured; the same 4 KB preview for both services).
start_squid() {  # start_squid CASE [ICAP_URL]
  write_squid_conf "$work" "$proxy_port" 0
  sed -i '/^icap_service\|^adaptation_access/d' "$work/squid.conf"
  if [ -n "${2:-}" ]; then
    printf 'icap_service bench_resp respmod_precache %s bypass=off\nadaptation_access bench_resp allow all\n' "$2" >> "$work/squid.conf"
  else
    sed -i 's/^icap_enable on/icap_enable off/' "$work/squid.conf"
  fi
  [ -n "${SANSO_ICAP_SQUID_EXTRA:-}" ] && printf '%b\n' "$SANSO_ICAP_SQUID_EXTRA" >> "$work/squid.conf"
  "$squid_bin" -k parse -f "$work/squid.conf" > "$work/parse.log" 2>&1 || fail "squid refuses the $1 configuration: $(grep -i -m3 "error\|fatal" "$work/parse.log")"
  "$squid_bin" -N -f "$work/squid.conf" >> "$work/squid.out" 2>&1 &
  pids+=($!)
  wait_port "$proxy_port" || fail "squid did not start for $1: $(tail -5 "$work/squid.out")"
  sleep 1  # Squid asks the ICAP service for its OPTIONS first
}

cases=("squid:same:" "sanso:rebuilt:icap://127.0.0.1:$sanso_port/respmod" "c-icap:same:icap://127.0.0.1:$cicap_port/virus_scan")
for entry in "${cases[@]}"; do
  name=${entry%%:*} rest=${entry#*:}
  expect=${rest%%:*} url=${rest#*:}
  start_squid "$name" "$url"
  for doc in doc-48k.docm doc-100k.docm doc-5m.docm; do
    echo "-- $name, $doc: $clients clients for $seconds s"
    python3 bench/icap/load.py "$proxy_port" "http://127.0.0.1:$web_port/$doc" "$work/www/$doc" "$expect" "$clients" "$seconds" \
      | tee "$work/result-$name-$doc.json"
  done
  stop_squid
done
kill -0 "$sanso_pid" 2>/dev/null || fail "sanso icap is no longer running"

python3 - "$work" "$clients" "$seconds" "$(cat /proc/loadavg)" <<'PY' | tee "$out/icap-summary.txt"
import json, os, sys
work, clients, seconds, load = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
docs = {"doc-48k.docm": "48 KB", "doc-100k.docm": "100 KB", "doc-5m.docm": "5 MB"}
r = {(c, d): json.load(open(os.path.join(work, f"result-{c}-{d}.json"))) for c in ("squid", "sanso", "c-icap") for d in docs}
print(f"ICAP downloads through Squid: {clients} clients, {seconds} s per case, load average at the end {' '.join(load.split()[:3])}")
print(f"{'document':9} {'case':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8} {'wrong':>6}")
bad = 0
for d, label in docs.items():
    floor = r[("squid", d)]
    for c in ("squid", "sanso", "c-icap"):
        x = r[(c, d)]
        bad += x["wrong"]
        add50 = x["p50_ms"] - floor["p50_ms"] if x["p50_ms"] is not None and floor["p50_ms"] is not None else float("nan")
        add99 = x["p99_ms"] - floor["p99_ms"] if x["p99_ms"] is not None and floor["p99_ms"] is not None else float("nan")
        if x["requests"]:
            print(f"{label:9} {c:8} {x['per_second']:8.1f} {x['p50_ms']:8.1f} {x['p99_ms']:8.1f} {add50:8.1f} {add99:8.1f} {x['wrong']:6}")
        else:
            print(f"{label:9} {c:8} {0:8.1f} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {x['wrong']:6}")
        for reason in x["wrong_reasons"]:
            print(f"{'':9} {'':8} wrong: {reason}")
print("ratios sanso : c-icap (requests/s: above 1 is faster; added latency: below 1 is faster)")
for d, label in docs.items():
    s, c, f = r[("sanso", d)], r[("c-icap", d)], r[("squid", d)]
    if not s["requests"] or not c["requests"]:
        print(f"  {label}: none (no response from " + " and ".join(n for n, x in (("sanso", s), ("c-icap", c)) if not x["requests"]) + ")")
        continue
    def added(key):
        a, b = s[key] - f[key], c[key] - f[key]
        return f"{a / b:.2f}x" if b > 0 else "n/a (c-icap added none)"
    print(f"  {label}: requests/s {s['per_second'] / c['per_second']:.2f}x, added p50 {added('p50_ms')}, added p99 {added('p99_ms')}")
print("every response checked: HTTP 200; the original's bytes through Squid alone and c-icap; a rebuilt document without its macro from sanso")
if bad:
    print(f"FAIL: {bad} wrong responses")
    sys.exit(1)
PY
