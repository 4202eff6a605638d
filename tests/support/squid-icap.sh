# Sourced by the tests that put a private Squid in front of `sanso icap` (tests/icap/squid_test.sh,
# tests/package/install-test.sh): everything on the loopback, Squid failing closed (bypass=off).

# shellcheck source=free-port.sh
. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

# wait_port PORT: true once something accepts connections on 127.0.0.1:PORT (up to 30 s).
wait_port() {
  for _ in $(seq 1 300); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# write_squid_conf WORK PROXY_PORT ICAP_PORT: WORK/squid.conf for a Squid whose logs and pid are in
# WORK, that proxies only to 127.0.0.1 and sends every response (RESPMOD) and request (REQMOD)
# through the ICAP service on ICAP_PORT, with a 4 KB preview.
write_squid_conf() {
  local work=$1 proxy_port=$2 icap_port=$3
  cat > "$work/squid.conf" <<CONF
http_port 127.0.0.1:$proxy_port
pid_filename $work/squid.pid
cache_log $work/cache.log
access_log $work/access.log
cache_store_log none
coredump_dir $work
cache deny all
pinger_enable off
debug_options ALL,1 93,2
visible_hostname sanso-squid-test
shutdown_lifetime 1 seconds
acl to_test_server dst 127.0.0.1
http_access allow localhost to_test_server
http_access deny all
icap_enable on
adaptation_send_client_ip on
icap_preview_enable on
icap_preview_size 4096
icap_persistent_connections on
icap_service sanso_resp respmod_precache icap://127.0.0.1:$icap_port/respmod bypass=off
icap_service sanso_req reqmod_precache icap://127.0.0.1:$icap_port/reqmod bypass=off
adaptation_access sanso_resp allow all
adaptation_access sanso_req allow all
CONF
  touch "$work/cache.log" "$work/access.log"
  chown proxy:proxy "$work/cache.log" "$work/access.log" "$work" 2>/dev/null
  return 0
}

# write_loopback_internet_policy SOURCE_DIR OUT: the example city's policy with the loopback in its
# internet zone and city ranges, so that a curl on this machine is an internet-zone terminal.
write_loopback_internet_policy() {
  sed 's|^cidrs = \["10.30.0.0/16"\]|cidrs = ["10.30.0.0/16", "127.0.0.0/8"]|' "$1/examples/minamata/policy.toml" > "$2"
  grep -q '127.0.0.0/8' "$2" || return 1
  sed -i 's|^city_ranges = \[|city_ranges = ["127.0.0.0/8", |' "$2"
}
