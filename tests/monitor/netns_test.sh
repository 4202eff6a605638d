#!/usr/bin/env bash
# The monitor's real pipeline in network namespaces: a "mynumber" host, an "lgwan" terminal and an
# "internet" host behind a router namespace; Debian's softflowd on the router's links exports
# NetFlow v9 to `sanso monitor listen` on the router's loopback. The mynumber host opening a TCP
# connection outward must give the 6(3)① finding; the LGWAN terminal on the sanctioned
# screen-transfer server must give none (and, going around it to another internet host, 6(3)②).
# Beside it, nftables in the router namespace logs new forwarded connections to port 8080 (only
# those, so that the NetFlow findings above are still NetFlow's own) with `log prefix`; the
# kernel's log lines, read from /dev/kmsg, go as RFC 3164 syslog over UDP (as rsyslog's imkmsg
# would send them) to the same listener, and an LGWAN terminal's connection to the internet seen
# there alone is a 6(3)② finding from the syslog collector. Documentation ranges only, on veth
# links between the test's own namespaces, with no route out of them: no packet leaves them or
# the loopback.
# Usage: netns_test.sh SANSO_BINARY. Exit 77 (skipped) without root, namespaces or softflowd; the
# NetFlow part passes and the test still exits 77 when the kernel cannot log from a namespace
# (no nft, or net.netfilter.nf_log_all_netns cannot be set).
set -uo pipefail
sanso=$1
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v softflowd >/dev/null && command -v softflowctl >/dev/null || skip "softflowd is not installed (scripts/install-deps.sh)"
command -v python3 >/dev/null || skip "python3 is missing (the internet host's listener)"

id=$$
mn=sanso-mn-$id lg=sanso-lg-$id in=sanso-in-$id rt=sanso-rt-$id
work=$(mktemp -d /tmp/sanso-netns.XXXXXX)
pids=()
all_netns=/proc/sys/net/netfilter/nf_log_all_netns
all_netns_was=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for ns in $mn $lg $in $rt; do ip netns del "$ns" 2>/dev/null; done
  # The host-wide setting goes back to what it was.
  [ -n "$all_netns_was" ] && echo "$all_netns_was" > $all_netns
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add $rt 2>/dev/null || skip "cannot create network namespaces here"
for ns in $mn $lg $in; do ip netns add $ns || exit 1; done
x() { ip netns exec "$@"; }  # not for background processes: $! must be the process itself

link() {  # link NS HOST_ADDR ROUTER_ADDR PREFIX NAME
  ip link add h-$5 netns $1 type veth peer name r-$5 netns $rt || exit 1
  x $1 ip addr add $2/$4 dev h-$5
  x $1 ip link set h-$5 up
  x $1 ip link set lo up
  x $1 ip route add default via $3   # the router is the only way, and it has no way out
  x $rt ip addr add $3/$4 dev r-$5
  x $rt ip link set r-$5 up
}
link $mn 192.0.2.10 192.0.2.1 25 mn
link $lg 198.51.100.20 198.51.100.1 24 lg
link $in 203.0.113.25 203.0.113.1 25 in
x $in ip addr add 203.0.113.50/25 dev h-in
x $rt ip link set lo up
x $rt sysctl -qw net.ipv4.ip_forward=1

# The kernel writes packet log lines from a namespace other than the host's only with
# net.netfilter.nf_log_all_netns (host-wide); it is set for the test and restored after.
nft_why=""
if ! command -v nft >/dev/null; then
  nft_why="nft is not installed"
elif [ ! -w $all_netns ] || [ ! -r /dev/kmsg ]; then
  nft_why="$all_netns or /dev/kmsg is not available here"
else
  all_netns_was=$(cat $all_netns)
  echo 1 > $all_netns 2>/dev/null || nft_why="$all_netns cannot be set"
fi
prefix="sanso-nft-$id: "
if [ -z "$nft_why" ]; then
  x $rt nft -f - <<NFT || nft_why="nft refused the rule set"
table inet sanso_watch {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp dport 8080 ct state new log prefix "$prefix" level warn
  }
}
NFT
fi

cp "$(dirname "$0")/../data/monitor/policy.toml" "$work/policy.toml"
cat > "$work/sanso.toml" <<TOML
[service]
node = "netns"
data_dir = "$work/data"
policy = "$work/policy.toml"
[monitor]
ipfix_udp = "127.0.0.1:0"
syslog_udp = "127.0.0.1:0"
TOML

# The internet host answers on 443 (the sanctioned server and the other one alike).
ip netns exec $in python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 443)); s.listen(16)
while True:
    c, _ = s.accept()
    while c.recv(65536): pass
    c.close()' &
pids+=($!)

ip netns exec $rt "$sanso" monitor listen --config "$work/sanso.toml" > "$work/listen.out" 2> "$work/listen.err" &
pids+=($!)
listener=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*netflow\/udp \([0-9]*\).*/\1/p' "$work/listen.err" | head -1)
  [ -n "$port" ] && [ "$port" != 0 ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "sanso monitor listen did not start:"; cat "$work/listen.err"; exit 1; }
syslog_port=$(sed -n 's/.*syslog\/udp \([0-9]*\).*/\1/p' "$work/listen.err" | head -1)

# The kernel log from now on, this test's lines only, to the syslog listener on the router's
# loopback.
if [ -z "$nft_why" ]; then
  ip netns exec $rt python3 -u -c '
import os, socket, sys, time
prefix, port = sys.argv[1], int(sys.argv[2])
fd = os.open("/dev/kmsg", os.O_RDONLY)
os.lseek(fd, 0, os.SEEK_END)
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("reading /dev/kmsg", flush=True)
while True:
    try:
        record = os.read(fd, 8192).decode("utf-8", "replace")
    except BrokenPipeError:  # records overwritten before they were read
        continue
    head, _, text = record.partition(";")
    text = text.split("\n")[0]
    if not text.startswith(prefix):
        continue
    stamp = time.strftime("%b %e %H:%M:%S", time.gmtime())
    out.sendto(("<4>%s router kernel: %s" % (stamp, text)).encode(), ("127.0.0.1", port))
    print(text, flush=True)
' "$prefix" "$syslog_port" > "$work/kmsg.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do grep -q "reading /dev/kmsg" "$work/kmsg.log" && break; sleep 0.1; done
  grep -q "reading /dev/kmsg" "$work/kmsg.log" || { echo "the kernel-log relay did not start:"; cat "$work/kmsg.log"; exit 1; }
fi

for l in mn lg; do
  ip netns exec $rt softflowd -d -i r-$l -n 127.0.0.1:$port -v 9 -c "$work/ctl-$l" -t maxlife=60 > "$work/softflowd-$l.log" 2>&1 &
  pids+=($!)
done
sleep 1.5  # pcap open

# Enough bytes that libpcap's capture blocks fill and reach softflowd (it hands packets over a
# block at a time), then the connection is closed.
talk() { x $1 timeout 10 bash -c "exec 3<>/dev/tcp/$2/443 && head -c 4000000 /dev/zero >&3" >/dev/null 2>&1; }
talk $mn 203.0.113.50 || echo "note: the mynumber host's connection failed (the flow is still seen)"
talk $lg 203.0.113.25 || { echo "the LGWAN terminal could not reach the screen-transfer server"; exit 1; }
talk $lg 203.0.113.50 || { echo "the LGWAN terminal could not reach the other internet host"; exit 1; }
# Seen by nftables: an LGWAN terminal's connection attempt to an internet host's port 8080, where
# nobody listens (the SYN is logged; the answer is a reset).
x $lg timeout 5 bash -c "exec 3<>/dev/tcp/203.0.113.50/8080" >/dev/null 2>&1
sleep 2
for l in mn lg; do
  x $rt softflowctl -c "$work/ctl-$l" statistics > "$work/stats-$l.txt" 2>&1
  x $rt softflowctl -c "$work/ctl-$l" expire-all >> "$work/stats-$l.txt" 2>&1 || echo "softflowctl expire-all failed on $l"
done
sleep 2
kill -TERM $listener; wait $listener 2>/dev/null

echo "--- findings"; cat "$work/listen.out"
echo "--- listener"; cat "$work/listen.err"
echo "--- softflowd"; cat "$work"/softflowd-*.log "$work"/stats-*.txt | tail -40
[ -z "$nft_why" ] && { echo "--- kernel log lines relayed"; cat "$work/kmsg.log"; }
status=0
if ! grep -q '"rule":"mynumber-egress".*"src":"192.0.2.10"' "$work/listen.out" && ! grep -q '"src":"192.0.2.10".*"rule":"mynumber-egress"' "$work/listen.out"; then
  echo "FAIL: no 6(3)① finding for the mynumber host's outward connection"; status=1
fi
# The LGWAN terminal's flows were seen: going around the endpoint is a 6(3)② finding ...
if ! grep '"rule":"lgwan-internet"' "$work/listen.out" | grep -q '"dst":"203.0.113.50"'; then
  echo "FAIL: no 6(3)② finding for the LGWAN terminal reaching an internet host directly"; status=1
fi
# ... and the sanctioned screen-transfer flow, in either direction, is none.
if grep '"rule":"lgwan-internet"' "$work/listen.out" | grep -q '203.0.113.25'; then
  echo "FAIL: the sanctioned screen-transfer flow gave a finding"; status=1
fi
grep -q 'netflow' "$work/listen.err" || { echo "FAIL: the listener reported nothing"; status=1; }
if [ -z "$nft_why" ]; then
  # The kernel's own line, through syslog, is the finding's first sighting (softflowd exports later).
  if ! grep '"rule":"lgwan-internet"' "$work/listen.out" | grep '"dst":"203.0.113.50"' | grep '"dport":8080' | grep -q '"file":"syslog/udp"'; then
    echo "FAIL: no 6(3)② finding from the nftables log line of the LGWAN terminal's connection to 203.0.113.50:8080"; status=1
  fi
  grep -q "SRC=198.51.100.20 DST=203.0.113.50" "$work/kmsg.log" || { echo "FAIL: the kernel logged no line for the connection"; status=1; }
fi
[ $status = 0 ] || exit $status
[ -n "$nft_why" ] && skip "NetFlow part passed; nftables to syslog not tried: $nft_why"
echo "PASS"
exit 0
