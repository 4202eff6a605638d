# free_port VAR: a loopback port for a test's server in VAR, reserved for the life of this shell as
# tests/support/free_port.h reserves one for a C++ test: below the kernel's ephemeral range,
# claimed by a lock file every test process honours (flock on a descriptor this shell keeps open),
# and only if nothing listens on it now. Call it directly, not in $(…): a subshell's lock ends with it.
free_port() {
  local dir="${TMPDIR:-/tmp}/sanso-test-ports" low port fd try
  mkdir -p "$dir" && chmod 1777 "$dir" 2>/dev/null || true
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for try in $(seq 1 500); do
    port=$(( 10000 + (RANDOM * 32768 + RANDOM) % (low - 10000) ))
    [ -L "$dir/$port.lock" ] && continue  # a link planted for root to write through
    exec {fd}>>"$dir/$port.lock" || continue
    if flock -n "$fd" && python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", int(sys.argv[1])))' "$port" 2>/dev/null; then
      printf -v "$1" '%s' "$port"
      return 0
    fi
    exec {fd}>&-
  done
  echo "free_port: no free port found" >&2
  return 1
}
