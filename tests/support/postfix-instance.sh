#!/usr/bin/env bash
# A private Postfix instance for the gateway tests: its own config, queue and log under DIR,
# listening on 127.0.0.1:SMTP_PORT, every message through the milter at MILTER (inet:port@host),
# relaying everything (the city's domain included) to smtp-sink on 127.0.0.1:SINK_PORT.
#   postfix-instance.sh start DIR SMTP_PORT MILTER SINK_PORT [REINJECT_PORT [LGWAN_PORT]]
# REINJECT_PORT: a second listener without the milter, for mail the gateway itself sends (releases,
# notices), as docs/postfix.md sets up. LGWAN_PORT: a listener for the LGWAN mail servers, named
# LGWAN to the milter ({daemon_name}), which the test's sanso.toml maps to the lgwan zone; the
# first listener stands for the internet.
#   postfix-instance.sh stop DIR
# SANSO_POSTFIX_HEADER_CHECKS (optional): a regexp table for header_checks, as docs/postfix.md has
# the MTA strip arriving Authentication-Results fields that claim the verifier's id.
# SANSO_POSTFIX_MAIN_EXTRA (optional): more main.cf lines (a test's own transport table, bounces
# through the milter as docs/postfix.md sets them).
# Needs root (Postfix drops to its own user) and Debian's postfix package.
set -euo pipefail
cmd=$1
dir=$2
case "$cmd" in
start)
  smtp_port=$3 milter=$4 sink_port=$5 reinject_port=${6:-} lgwan_port=${7:-}
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/sink"
  cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = gateway.test
mydomain = test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = city.minamata.lg.jp
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_milters = $milter
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 30s
milter_content_timeout = 120s
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
alias_maps =
alias_database =
local_recipient_maps =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
${SANSO_POSTFIX_HEADER_CHECKS:+header_checks = regexp:$SANSO_POSTFIX_HEADER_CHECKS}
${SANSO_POSTFIX_MAIN_EXTRA:-}
CF
  cat > "$dir/etc/master.cf" <<CF
127.0.0.1:$smtp_port inet n - n - - smtpd
${reinject_port:+127.0.0.1:$reinject_port inet n - n - - smtpd -o smtpd_milters= -o non_smtpd_milters=}
${lgwan_port:+127.0.0.1:$lgwan_port inet n - n - - smtpd -o milter_macro_daemon_name=LGWAN}
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
  chown -R postfix "$dir/data"
  postfix -c "$dir/etc" check >/dev/null 2>&1 || postfix -c "$dir/etc" check
  postfix -c "$dir/etc" start >/dev/null 2>&1 || { postfix -c "$dir/etc" start; exit 1; }
  # Ready when smtpd answers.
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "postfix-instance: smtpd did not start on 127.0.0.1:$smtp_port" >&2
  cat "$dir/maillog" >&2 || true
  exit 1
  ;;
stop)
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start DIR SMTP_PORT MILTER SINK_PORT | stop DIR" >&2
  exit 2
  ;;
esac
