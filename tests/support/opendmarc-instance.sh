#!/usr/bin/env bash
# The MTA's verifier for the gateway tests: Debian's OpenDMARC as a milter on 127.0.0.1:PORT,
# writing Authentication-Results under the authserv-id VERIFIER (SPF checked by OpenDMARC itself,
# DMARC from the From domain's record), its DNS answered by a private dnsmasq on DNS_ADDR:53 that
# knows only the zone given as TXT records: "NAME=TEXT" arguments. OpenDMARC reads
# /etc/resolv.conf, so it runs in a mount namespace of its own where that file names the private
# server; nothing outside the namespace changes and no query leaves the loopback.
#   opendmarc-instance.sh start DIR PORT VERIFIER DNS_ADDR NAME=TEXT...
#   opendmarc-instance.sh stop DIR
# Needs root (the mount namespace, port 53) and Debian's opendmarc and dnsmasq-base packages.
set -euo pipefail
cmd=$1
dir=$2
case "$cmd" in
start)
  port=$3 verifier=$4 dns=$5
  shift 5
  mkdir -p "$dir"
  records=()
  for r in "$@"; do records+=("--txt-record=${r%%=*},${r#*=}"); done
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address="$dns" --bind-interfaces --port=53 \
    --pid-file="$dir/dnsmasq.pid" "${records[@]}" > "$dir/dnsmasq.log" 2>&1 &
  echo "nameserver $dns" > "$dir/resolv.conf"
  # Mail from the loopback is checked too (OpenDMARC skips 127.0.0.1 by default).
  echo "192.0.2.255" > "$dir/ignore-hosts"
  cat > "$dir/opendmarc.conf" <<CONF
AuthservID $verifier
TrustedAuthservIDs $verifier
Socket inet:$port@127.0.0.1
SPFSelfValidate true
SPFIgnoreResults true
IgnoreHosts $dir/ignore-hosts
Syslog false
Background false
PidFile $dir/opendmarc.pid
UserID root
RequiredHeaders false
RejectFailures false
FailureReports false
SoftwareHeader false
DNSTimeout 5
CONF
  # dnsmasq answers before OpenDMARC starts: a port 53 that could not be had fails here, not as a
  # verifier that silently finds no records.
  for _ in $(seq 1 50); do
    if ss -lun "src $dns:53" 2>/dev/null | grep -q ":53"; then break; fi
    sleep 0.1
  done
  if ! ss -lun "src $dns:53" 2>/dev/null | grep -q ":53"; then
    echo "opendmarc-instance: dnsmasq did not listen on $dns:53" >&2
    cat "$dir/dnsmasq.log" >&2 || true
    exit 1
  fi
  unshare -m sh -c "mount --bind '$dir/resolv.conf' /etc/resolv.conf && exec opendmarc -f -c '$dir/opendmarc.conf'" > "$dir/opendmarc.log" 2>&1 &
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "opendmarc-instance: OpenDMARC did not listen on 127.0.0.1:$port" >&2
  cat "$dir/opendmarc.log" "$dir/dnsmasq.log" >&2 || true
  exit 1
  ;;
stop)
  for p in opendmarc dnsmasq; do
    if [ -f "$dir/$p.pid" ]; then kill "$(cat "$dir/$p.pid")" 2>/dev/null || true; fi
  done
  ;;
*)
  echo "usage: $0 start DIR PORT VERIFIER DNS_ADDR NAME=TEXT... | stop DIR" >&2
  exit 2
  ;;
esac
