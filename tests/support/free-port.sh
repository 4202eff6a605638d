# free_port VAR: a loopback port for a test's server in VAR, reserved for the life of this shell as
# tests/support/free_port.h reserves one for a C++ test: below the kernel's ephemeral range,
# claimed by a lock file every test process honours (flock on a descriptor this shell keeps open),
# and only if nothing listens on it now. Call it directly, not in $(…): a subshell's lock ends with it.
free_port() {
  # Locals named so that no caller's variable (free_port port) is shadowed by them.
  local _fp_dir="${TMPDIR:-/tmp}/sanso-test-ports" _fp_low _fp_port _fp_fd _fp_try
  mkdir -p "$_fp_dir" && chmod 1777 "$_fp_dir" 2>/dev/null || true
  _fp_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _fp_try in $(seq 1 500); do
    _fp_port=$(( 10000 + (RANDOM * 32768 + RANDOM) % (_fp_low - 10000) ))
    [ -L "$_fp_dir/$_fp_port.lock" ] && continue  # a link planted for root to write through
    exec {_fp_fd}>>"$_fp_dir/$_fp_port.lock" || continue
    if flock -n "$_fp_fd" && python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", int(sys.argv[1])))' "$_fp_port" 2>/dev/null; then
      printf -v "$1" '%s' "$_fp_port"
      return 0
    fi
    exec {_fp_fd}>&-
  done
  echo "free_port: no free port found" >&2
  return 1
}
