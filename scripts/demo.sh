#!/usr/bin/env bash
# `make demo`: what a municipal administrator tries first — check the example city's policy, ask
# the engine a few questions, print the flow table an auditor reads, draw the zone map, review a
# draft revision decision by decision; then make
# an internet mail text-only with its attachment rebuilt (original kept in quarantine), disarm and
# rebuild a folder of hostile files (CDR), hand files across the zones (sanso transfer), release the original with four-eyes
# approval through a real SMTP relay
# (Postfix's smtp-sink), sign in to the web console (every sign-in audited), check the network's
# flow logs against the zone separation, evaluate a self-inspection from the record, and prove to an auditor — offline — that the audit log was not altered,
# and that altering it is caught. Everything runs on the embedded SQLite store under out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
sanso=${1:-build/sanso}
out=${2:-out/demo}
policy=examples/minamata/policy.toml
mkdir -p "$out"
abs=$(cd "$out" && pwd)  # $out may be relative (the default) or absolute

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. ポリシーの静的検査 / static checks: sanso policy check $policy"
"$sanso" policy check "$policy"

step "2. 判定の例 / sample decisions: sanso policy decide"
ask() {
  printf '  %-58s → ' "$*"
  "$sanso" policy decide "$policy" "$@"
}
ask --from internet --to lgwan --channel mail
ask --from lgwan --to internet --channel mail --asset budget_documents
ask --from lgwan --to internet --channel file --asset payroll
ask --from mynumber --to lgwan --channel file --asset resident_register --role ciso
ask --from lgwan --to mynumber --channel file --role system_admin

step "3. 市の回帰テスト / the city's regression cases: sanso policy test"
"$sanso" policy test "$policy" examples/minamata/policy-tests.toml | tail -n 1

step "4. 領域間の通信判定表 / cross-zone flow table: sanso policy explain --lang ja --cross-zone-only"
"$sanso" policy explain "$policy" --lang ja --cross-zone-only > "$out/flow-table.txt"
head -n 40 "$out/flow-table.txt"
echo "  … full table: $out/flow-table.txt"
"$sanso" policy explain "$policy" --format json > "$out/flow-table.json"

step "5. ゾーン図 / zone map: sanso policy graph"
"$sanso" policy graph "$policy" -o "$out/zones.svg"

step "5b. ポリシー改定の確認 (8) / reviewing a revision: sanso policy diff OLD NEW"
echo "  a draft revision adds one rule: confidentiality-2 files no longer leave LGWAN, even with approval."
echo "  What changes is computed from the decisions both policies make, not from the text:"
cp "$policy" "$out/policy-draft.toml"
cat >> "$out/policy-draft.toml" <<'TOML'

[[rules]]
id = "city.lgwan-inet-file-level2"
from = "lgwan"
to = "internet"
channels = ["file"]
min_confidentiality = "2"
action = "deny"
clause = "6(2)"
reason = "機密性2以上のファイルはインターネット接続系へ持ち出さない（改定案）"
TOML
"$sanso" policy diff "$policy" "$out/policy-draft.toml" --lang ja

# --- quarantine and audit log ------------------------------------------------------------
rm -rf "$out/data" "$out/sink" "$out/tampered" "$out/files" "$out/files-rasterized"
mkdir -p "$out/sink"
relay_port=$(( 20000 + RANDOM % 20000 ))
sink_pid=""
if [ -x /usr/sbin/smtp-sink ]; then
  chmod 777 "$out/sink"
  if [ "$(id -u)" -eq 0 ]; then sink_user=(-u nobody); else sink_user=(); fi
  /usr/sbin/smtp-sink "${sink_user[@]}" -d "$out/sink/%M." "127.0.0.1:$relay_port" 10 &
  sink_pid=$!
  trap '[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true' EXIT
fi
# The example configuration, with its data kept under $out and the relay pointed at smtp-sink.
sed -e "s|^policy = .*|policy = \"$(pwd)/$policy\"|" \
    -e "s|^data_dir = .*|data_dir = \"data\"|" \
    -e "s|^smtp_relay = .*|smtp_relay = \"127.0.0.1:$relay_port\"|" \
    -e "s|^notice_template = \"\([^\"]*\)\"|notice_template = \"$(pwd)/examples/minamata/\1\"|" \
    -e "s|^# listener_zones = .*|listener_zones = { LGWAN = \"lgwan\" }   # the demo Postfix's second listener|" \
    examples/minamata/sanso.toml > "$out/sanso.toml"
cfg=(--config "$out/sanso.toml")

step "6. ストアの準備 / the store: sanso store migrate && sanso store status"
"$sanso" store migrate "${cfg[@]}"
"$sanso" store status "${cfg[@]}"

step "7. メールの無害化 / 無害化 of an internet mail: sanso mail sanitize (parsed in the sandbox)"
echo "  in:  examples/minamata/mail/invoice.eml (multipart; invoice.docm attached: VBA, a remote template, a DDE field)"
# The envelope as the mail system delivered it (the planning section's mailbox) is kept with the
# original: a release by mail goes there, never to what the sender wrote in To or Cc.
"$sanso" mail sanitize examples/minamata/mail/invoice.eml -o "$out/invoice.sanitized.eml" \
  --sender billing@sample-shoji.example --recipient kikaku@city.minamata.lg.jp \
  --report "$out/invoice.report.json" "${cfg[@]}" 2> "$out/sanitize.log"
cat "$out/sanitize.log"
mail_id=$(sed -n 's/.*quarantine id \(Q[0-9A-Z-]*\).*/\1/p' "$out/sanitize.log")
echo "  out: $out/invoice.sanitized.eml — text body, the attachment rebuilt; what the LGWAN mailbox receives:"
tr -d '\r' < "$out/invoice.sanitized.eml" | grep -E '^(X-Sanso|Content-Type|Subject| filename)' | sed 's/^/    /'
# The first base64 block is the text part: the notice and the body. (Every filter reads all its
# input: under pipefail, one that stops early kills the writer before it with SIGPIPE.)
tr -d '\r' < "$out/invoice.sanitized.eml" | awk 'done {next} /^Content-Transfer-Encoding: base64/{on=1; next} on && /^$/ {if (seen) done=1; next} on && /^--/ {done=1; next} on {print; seen=1}' \
  | base64 -d | sed 's/\r$//; s/^/    /' | sed -n '1,16p'
echo "  the original is kept in quarantine as $mail_id:"
"$sanso" quarantine list "${cfg[@]}"

step "7b. なりすましと構造の食い違い / a borrowed identity and a structure readers disagree on"
echo "  in:  examples/minamata/mail/password-reset.eml — the display name borrows 情報政策係 and a city address,"
echo "       a forged Authentication-Results claims dkim=pass, and the HTML hides a lure (display:none, font-size:0)"
"$sanso" mail sanitize examples/minamata/mail/password-reset.eml -o "$out/password-reset.sanitized.eml" "${cfg[@]}" 2> "$out/phish.log"
cat "$out/phish.log"
echo "  what the reader sees first — Sanso's banner with the real sender and the warning, then the body:"
tr -d '\r' < "$out/password-reset.sanitized.eml" | grep -E '^Authentication-Results' | sed 's/^/    /'
tr -d '\r' < "$out/password-reset.sanitized.eml" | awk 'done {next} /^Content-Transfer-Encoding: base64/{on=1; next} on && /^$/ {if (seen) done=1; next} on && /^--/ {done=1; next} on {print; seen=1}' \
  | base64 -d | sed 's/\r$//; s/^/    /' | sed -n '1,18p'
echo "  in:  examples/minamata/mail/split-boundary.eml — boundary=\"part \" (a trailing space): GMime and other readers split it differently"
"$sanso" mail sanitize examples/minamata/mail/split-boundary.eml -o "$out/split-boundary.sanitized.eml" "${cfg[@]}" 2>&1 | sed 's/^/    /'

step "7c. 受信箱をまとめて / a mailbox at once: sanso mail sanitize --input (ready sandboxed workers, every original kept and audited)"
echo "  in:  200 messages of the benchmark's mix (HTML newsletters, ISO-2022-JP letters, PDF attachments), kept in a store of their own"
mkdir -p "$out/mailbox"
python3 - "$out/mailbox" 200 <<'PY'
import os, sys
sys.path.insert(0, "bench/mail-gateway")
from mix import message_with
pdf = open("examples/minamata/files/説明会のご案内.pdf", "rb").read()
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], f"{i:06d}.eml"), "wb") as f:
        f.write(message_with(i, pdf)[2])
PY
sed -e "s|^data_dir = .*|data_dir = \"mailbox-data\"|" "$out/sanso.toml" > "$out/mailbox.toml"
"$sanso" mail sanitize --input "$out/mailbox" --output-dir "$out/mailbox.sanitized" --attachments remove --config "$out/mailbox.toml" \
  2> "$out/mailbox.log" | sed 's/^/    /'
kept=$("$sanso" quarantine list --json --limit 1000 --config "$out/mailbox.toml" | grep -o '"id":' | wc -l)
written=$(find "$out/mailbox.sanitized" -type f | wc -l)
echo "  $written rebuilt messages written, $kept originals kept in quarantine, each with its audit record:"
"$sanso" audit verify --config "$out/mailbox.toml" 2>&1 | sed 's/^/    /'
[ "$kept" -eq 200 ] && [ "$written" -eq 200 ] || { echo "demo: expected 200 kept and written, got $kept and $written" >&2; exit 1; }
echo "  whoever can write into a mailbox folder cannot make the batch read a file of their choosing: a link"
echo "  planted among the messages (to another person's mail) is named and refused, never followed, and the run fails:"
mkdir -p "$out/mailbox2" && cp "$out/mailbox/000000.eml" "$out/mailbox2/" && ln -sf /etc/shadow "$out/mailbox2/000001.eml"
if "$sanso" mail sanitize --input "$out/mailbox2" --output-dir "$out/mailbox2.sanitized" --attachments remove --config "$out/mailbox.toml" \
  2>&1 >/dev/null | sed 's/^/    /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
  echo "demo: a planted link was taken" >&2; exit 1
fi
[ ! -e "$out/mailbox2.sanitized/000001.eml" ] || { echo "demo: the link's target came out" >&2; exit 1; }

step "8. ファイルの無害化 (CDR) / 無害化 of files: sanso file sanitize (each file parsed in the sandbox)"
echo "  in:  examples/minamata/files — a .docm with VBA, a PDF with JavaScript, a CP932 CSV with formulas,"
echo "       a program renamed 請求書.pdf, and a zip of them"
"$sanso" file sanitize examples/minamata/files -o "$out/files" --report "$out/files.report.json" --as kato "${cfg[@]}" \
  > "$out/files.summary" 2> "$out/files.log"
sed 's/^/    /' "$out/files.log"
sed 's/^/    /' "$out/files.summary"
echo "  rebuilt files (blocked ones have none; every original is in quarantine):"
(cd "$out/files" && find . -type f | sort | sed 's/^/    /')
echo "  the strictest mode, --rasterize: the PDF and the Word file become PDFs of page images"
echo "  (LibreOffice and pdftoppm run in the converter sandbox: Landlock, no network, no exec, as nobody):"
if "$sanso" file sanitize examples/minamata/files/説明会のご案内.pdf examples/minamata/files/見積書.docm --rasterize \
     -o "$out/files-rasterized" --lang en > "$out/files-rasterized.summary" 2> "$out/files-rasterized.log"; then
  sed 's/^/    /' "$out/files-rasterized.log"
  (cd "$out/files-rasterized" && for f in *.pdf; do
     echo "    → $f: $(qpdf --show-npages "$f") page(s), $(grep -a -o /DCTDecode "$f" | wc -l) page image(s), $(grep -a -o -E '/(Font|JavaScript|URI|OpenAction)' "$f" | wc -l) fonts/scripts/links/actions"
   done)
else
  echo "    (skipped: $(tail -n 1 "$out/files-rasterized.log"))"
fi

step "8b. 領域間のファイル受け渡し (6(3)②) / inter-zone transfer: sanso transfer"
echo "  yamada, on the internet-zone terminal, hands a contractor's quote and a \"PDF\" to sato in LGWAN;"
echo "  each file goes through the same intake as mail (policy → CDR in the sandbox → original kept and audited):"
incoming=$("$sanso" transfer send examples/minamata/files/見積書.docm examples/minamata/files/請求書.pdf --to sato --as yamada "${cfg[@]}" 2> "$out/transfer-in.log")
sed 's/^/    /' "$out/transfer-in.log"
echo "  sato (LGWAN) sees what arrived and why one file did not:"
"$sanso" transfer list --as sato "${cfg[@]}" | sed 's/^/    /'
echo "  sato takes the rebuilt file (the program stays in quarantine):"
"$sanso" transfer get "$incoming" -o "$out/transfer-received" --as sato "${cfg[@]}" | tail -n 1 | sed 's/^/    /'
echo "  sato sends a list with a 個人番号 out to a contractor: the outgoing scan (in the sandbox) holds it for approval:"
mkdir -p "$out/transfer-out"
printf '氏名,個人番号\n山田 太郎,1234 5678 9018\n' > "$out/transfer-out/報告.csv"
outgoing=$("$sanso" transfer send "$out/transfer-out/報告.csv" --to vendor@example.com --reason "委託先への月次報告" --as sato "${cfg[@]}" 2> "$out/transfer-out.log")
sed 's/^/    /' "$out/transfer-out.log"
echo "  sato tries to approve their own transfer (refused: never the requester):"
"$sanso" transfer approve "$outgoing" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
echo "  nor can anyone from sato's operating-system account, whatever --as says:"
"$sanso" transfer deny "$outgoing" --as tanaka "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
echo "  tanaka (情報セキュリティ管理者) denies it from an account of her own (uid 1002 here), the reason recorded:"
if [ "$(id -u)" -eq 0 ] && [ "$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)" = 4294967295 ] && command -v setpriv >/dev/null; then
  setpriv --ruid=1002 "$sanso" transfer deny "$outgoing" --reason "個人番号は外部へ出さない" --as tanaka "${cfg[@]}" 2>&1 | sed 's/^/    /'
else
  echo "    (skipped: standing in for a second account needs root in a session without a login uid)"
fi
echo "  a minutes file whose first line is its mark 自治体機密性３Ａ (no mark in its name) cannot leave: the mark inside counts (6(2)):"
printf '自治体機密性３Ａ\n議事録（庁内限り）\n' > "$out/transfer-out/議事録.txt"
"$sanso" transfer send "$out/transfer-out/議事録.txt" --to vendor@example.com --reason "議事録の共有" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
echo "  zipping the list does not take the number out: the outgoing scan reads every member of an archive (held, naming 月次.zip/報告.csv):"
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w"); z.write(sys.argv[2], "報告.csv"); z.close()' "$out/transfer-out/月次.zip" "$out/transfer-out/報告.csv"
"$sanso" transfer send "$out/transfer-out/月次.zip" --to vendor@example.com --reason "委託先への月次報告（圧縮）" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
"$sanso" transfer list --as sato "${cfg[@]}" | grep -F '月次.zip' | sed 's/^/    /' || true
echo "  a scanned copy of a 個人番号 card is a picture: OCR (Tesseract, in the converter sandbox) reads it, and the number holds it (a logo would pass):"
cp "examples/minamata/outgoing/個人番号カード写し.png" "$out/transfer-out/scan.png"
"$sanso" transfer send "$out/transfer-out/scan.png" --to vendor@example.com --reason "本人確認書類の送付" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
"$sanso" transfer list --as sato "${cfg[@]}" | grep -F 'scan.png' | sed 's/^/    /' || true
echo "  a Word report whose table was pasted from Excel as a picture (an EMF: the text it draws, not pixels) is read too:"
cp "examples/minamata/outgoing/月次報告_図表.docx" "$out/transfer-out/月次報告_図表.docx"
"$sanso" transfer send "$out/transfer-out/月次報告_図表.docx" --to vendor@example.com --reason "委託先への月次報告（図表）" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
"$sanso" transfer list --as sato "${cfg[@]}" | grep -F '月次報告_図表.docx' | sed 's/^/    /' || true
echo "  the same table pasted from a PDF: its text became outlines (curves, no character in the file), so the picture is rendered (LibreOffice) and read by OCR:"
cp "examples/minamata/outgoing/月次報告_PDF貼付.docx" "$out/transfer-out/月次報告_PDF貼付.docx"
"$sanso" transfer send "$out/transfer-out/月次報告_PDF貼付.docx" --to vendor@example.com --reason "委託先への月次報告（PDF貼付）" --as sato "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
"$sanso" transfer list --as sato "${cfg[@]}" | grep -F '月次報告_PDF貼付.docx' | sed 's/^/    /' || true

step "8c. パスワード付きファイル（PPAP）の解除 / PPAP: an encrypted zip unlocked by its sender"
echo "  yamada sends a password-protected zip (the PPAP habit): the engine cannot look inside, so it is blocked as encrypted:"
python3 scripts/ppap_zip.py examples/minamata/files/見積書.docm "$out/見積_PPAP.zip" "demo-ppap-2026"
ppap=$("$sanso" transfer send "$out/見積_PPAP.zip" --to sato --as yamada "${cfg[@]}" 2> "$out/transfer-ppap.log")
"$sanso" transfer list --as yamada "${cfg[@]}" | grep -A3 "^$ppap" | sed 's/^/    /'
echo "  yamada gives a wrong password, then the right one, on stdin (internet side only; never stored or logged):"
printf 'demo-ppap-2025\n' | "$sanso" transfer unlock "$ppap" --as yamada "${cfg[@]}" 2>&1 | sed 's/^/    /' || true
printf 'demo-ppap-2026\n' | "$sanso" transfer unlock "$ppap" --as yamada "${cfg[@]}" 2>&1 | sed 's/^/    /'
echo "  sato (LGWAN) takes the zip, its macro document rebuilt inside the sandbox:"
"$sanso" transfer get "$ppap" -o "$out/transfer-ppap" --as sato "${cfg[@]}" | tail -n 1 | sed 's/^/    /'

step "9. メールゲートウェイ / the mail gateway: a private Postfix with sanso milter"
# A minimal SMTP client over bash's /dev/tcp: prints the server's last reply to DATA (or the refusal).
smtp_send() {  # port from to file
  local port=$1 from=$2 to=$3 file=$4 line reply
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  read_reply() { while IFS= read -r -u 3 line; do reply=${line%$'\r'}; [[ ${reply:3:1} == "-" ]] || break; done; }
  read_reply
  printf 'EHLO demo.example\r\n' >&3; read_reply
  printf 'MAIL FROM:<%s>\r\n' "$from" >&3; read_reply
  printf 'RCPT TO:<%s>\r\n' "$to" >&3; read_reply
  if [[ $reply == 250* ]]; then
    printf 'DATA\r\n' >&3; read_reply
    sed -e 's/\r$//' -e 's/^\./../' -e 's/$/\r/' "$file" >&3
    printf '.\r\n' >&3; read_reply
  fi
  printf 'QUIT\r\n' >&3
  exec 3<&- 3>&-
  echo "$reply"
}
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/postfix ] && [ -n "$sink_pid" ]; then
  gw_smtp=$(( 20000 + RANDOM % 20000 )); gw_milter=$(( gw_smtp + 1 )); gw_lgwan=$(( gw_smtp + 2 ))
  "$sanso" milter "${cfg[@]}" --listen "inet:$gw_milter@127.0.0.1" 2> "$out/milter.log" &
  milter_pid=$!
  cleanup_gateway() {
    kill "$milter_pid" 2>/dev/null || true
    bash tests/support/postfix-instance.sh stop "$abs/postfix" 2>/dev/null || true
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  }
  trap cleanup_gateway EXIT
  sleep 1
  rm -rf "$out/postfix"
  bash tests/support/postfix-instance.sh start "$abs/postfix" "$gw_smtp" "inet:127.0.0.1:$gw_milter" "$relay_port" "" "$gw_lgwan"
  echo "  Postfix → sanso milter → smtp-sink. 127.0.0.1:$gw_smtp stands for the internet listener, 127.0.0.1:$gw_lgwan for the"
  echo "  LGWAN mail servers' (listener_zones = { LGWAN = \"lgwan\" }): the network gives the source zone, the recipients' domains the destination"
  printf 'From: tanaka@city.minamata.lg.jp\nTo: partner@example.com\nSubject: =?UTF-8?B?5ZCN57C/44Gu6YCB5LuY?=\nContent-Type: text/plain; charset=UTF-8\n\n個人番号 1234 5678 9018 の方の件です。\n' > "$out/outbound-mynumber.eml"
  printf 'From: tanaka@city.minamata.lg.jp\nTo: staff@mynumber.city.minamata.lg.jp\nSubject: test\n\nhello\n' > "$out/to-mynumber.eml"
  echo "  inbound  internet → LGWAN  invoice.eml:             $(smtp_send "$gw_smtp" billing@sample-shoji.example keiri@city.minamata.lg.jp examples/minamata/mail/invoice.eml)"
  echo "  internet client claiming a city sender (forged):    $(smtp_send "$gw_smtp" tanaka@city.minamata.lg.jp keiri@city.minamata.lg.jp "$out/to-mynumber.eml")"
  echo "  outbound LGWAN → internet  a 個人番号 in the body:   $(smtp_send "$gw_lgwan" tanaka@city.minamata.lg.jp partner@example.com "$out/outbound-mynumber.eml") (accepted, then held)"
  echo "  LGWAN → マイナンバー利用事務系:                       $(smtp_send "$gw_lgwan" tanaka@city.minamata.lg.jp staff@mynumber.city.minamata.lg.jp "$out/to-mynumber.eml")"
  sleep 2
  delivered=$(grep -l "X-Rcpt-Args: <keiri@city.minamata.lg.jp>" "$out"/sink/* 2>/dev/null | head -n 1)
  if [ -n "$delivered" ]; then
    echo "  what keiri@ received (headers):"
    tr -d '\r' < "$delivered" | grep -E '^(X-Sanso|Subject|Content-Type| filename)' | sed 's/^/    /'
  fi
  notice=$(grep -l "X-Rcpt-Args: <tanaka@city.minamata.lg.jp>" "$out"/sink/* 2>/dev/null | head -n 1)
  if [ -n "$notice" ]; then
    echo "  what tanaka@ (the sender of the held mail) received from the gateway:"
    tr -d '\r' < "$notice" | sed -n '/^$/,$p' | base64 -d 2>/dev/null | sed -n '1,9p' | sed 's/^/    /'
  fi
  echo "  the gateway's decisions in the audit log and the held message in quarantine:"
  "$sanso" audit tail -n 5 "${cfg[@]}" | sed "s/^/    /"
  "$sanso" quarantine list "${cfg[@]}" | grep -E "held|ID" | sed 's/^/    /'
  echo "  sanso doctor postfix: this Postfix's settings (read by postconf as Postfix applies them) held against sanso.toml and"
  echo "  the policy. The demo's Postfix is minimal; what a real gateway must add is named (不備 = mail could get past 無害化):"
  "$sanso" doctor postfix "${cfg[@]}" --postfix-config "$abs/postfix/etc" --milter "inet:$gw_milter@127.0.0.1" \
    | awk '/^(不備|注意)/ { n = 3 } n > 0 { print; n-- } /^[^ ].*: 不備 / { print }' | sed 's/^/    /' || true
  bash tests/support/postfix-instance.sh stop "$abs/postfix"
  kill "$milter_pid" 2>/dev/null || true
  wait "$milter_pid" 2>/dev/null || true
  trap '[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true' EXIT
  rm -f "$out"/sink/*   # the release below shows only its own delivery
else
  echo "  skipped: the private Postfix needs root and the postfix package (scripts/install-deps.sh)"
fi

step "10. 解放申請と承認 (四つの目の原則) / release request and four-eyes approval"
echo "  tanaka (情報セキュリティ管理者) requests the original for the planning section:"
"$sanso" quarantine request-release "$mail_id" --reason "取引先に電話で送信を確認済み" --as tanaka "${cfg[@]}"
echo "  tanaka tries to approve their own request (refused: four eyes):"
"$sanso" quarantine approve "$mail_id" --as tanaka "${cfg[@]}" || true
echo "  sato (staff) tries to approve (refused: not an approver role):"
"$sanso" quarantine approve "$mail_id" --as sato "${cfg[@]}" || true
echo "  suzuki approves from the same shell (refused: one operating-system account is one person, whatever --as says):"
"$sanso" quarantine approve "$mail_id" --as suzuki "${cfg[@]}" || true
echo "  suzuki (統括情報セキュリティ責任者) approves from an account of her own (uid 1001 here, standing in for her login):"
login_uid=$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)
approved=
if [ "$(id -u)" -eq 0 ] && [ "$login_uid" = 4294967295 ] && command -v setpriv >/dev/null; then
  setpriv --ruid=1001 "$sanso" quarantine approve "$mail_id" --note "送信元に確認済み" --as suzuki "${cfg[@]}"
  approved=1
else
  echo "  (skipped, and the release with it: standing in for a second account needs root in a session without a login uid)"
fi
if [ -z "$approved" ]; then
  :
elif [ -n "$sink_pid" ]; then
  "$sanso" quarantine release "$mail_id" --as tanaka "${cfg[@]}"
  sleep 0.5
  echo "  delivered by the relay (smtp-sink), first lines:"
  head -n 8 "$out"/sink/* | sed 's/^/    /'
else
  "$sanso" quarantine release "$mail_id" -o "$out/released.eml" --as tanaka "${cfg[@]}"
fi
"$sanso" quarantine show "$mail_id" "${cfg[@]}" | tail -n 1

step "11. 管理コンソール / the web console: sanso user passwd, sanso web (sign-ins are audited, 6(6))"
echo "  console passwords for tanaka and suzuki (Argon2id in the store; [[users]] in sanso.toml say who holds which role):"
echo "情報政策係長のデモ用パスワード" | "$sanso" user passwd tanaka --as kato "${cfg[@]}"
echo "総務部長のデモ用パスワードです" | "$sanso" user passwd suzuki --as kato "${cfg[@]}"
"$sanso" user list "${cfg[@]}" | sed 's/^/    /'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$sanso" web --listen "127.0.0.1:$port" "${cfg[@]}" 2> "$out/web.log" &
web_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
console="http://127.0.0.1:$port"
echo "  a wrong password (HTTP $(curl -s -o /dev/null -w '%{http_code}' -d 'name=tanaka&password=guess' "$console/login"); the page does not say why, the audit log does)"
jar="$out/console.cookies"
rm -f "$jar"
curl -s -c "$jar" -o /dev/null --data-urlencode name=tanaka --data-urlencode "password=情報政策係長のデモ用パスワード" "$console/login"
echo "  signed in as tanaka; the overview page says:"
curl -s -b "$jar" "$console/" | python3 -c '
import html, re, sys
page = sys.stdin.read()
heads = [html.unescape(h) for h in re.findall(r"<th><a [^>]*>([^<]*)</a></th>", page)]
counts = re.findall(r"<td id=\"count-[a-z_]+\">(\d+)</td>", page)
print("    隔離保管: " + ", ".join(f"{h} {c}" for h, c in zip(heads, counts)))
size = re.search(r"id=\"tree-size\">(\d+)<", page)
print("    監査ログの記録件数: " + (size.group(1) if size else "?"))'
echo "  suzuki gets a second factor (a TOTP key for an authenticator app) and signs in with password + code:"
key=$("$sanso" user second-factor suzuki --as kato "${cfg[@]}" | sed -n 's/^  鍵 (base32): //p')
code=$(python3 -c '
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))' "$key")
echo "    (the code an authenticator app shows now: $code) → HTTP $(curl -s -o /dev/null -w '%{http_code}' --data-urlencode name=suzuki \
  --data-urlencode "password=総務部長のデモ用パスワードです" --data-urlencode "code=$code" "$console/login")"
echo "  its audit page, filtered to console.* (newest first):"
curl -s -b "$jar" "$console/audit?action=console." | python3 -c '
import html, re, sys
for row in re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td><small>([^<]*)</small>", sys.stdin.read()):
    print("    #%s %s %-8s %-16s %-10s 条項 %s  %s" % tuple(html.unescape(x) for x in row))'
echo "  the JSON API (docs/api.md) for the city's other systems: a token for the file server (kept only as its hash),"
echo "  then POST /api/v1/decide — the same engine, rule and clause as the CLI, and the call recorded:"
api_token=$("$sanso" api token create fileserver --for tanaka --scope decide,metrics --as kato "${cfg[@]}" 2> /dev/null)
curl -s -H "Authorization: Bearer $api_token" -H 'Content-Type: application/json' \
  -d '{"who": "fileserver", "from": "internet", "to": "lgwan", "channel": "mail"}' "$console/api/v1/decide" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("    internet → lgwan (mail): %s  rule %s  条項 %s  audit #%s\n      %s" % (d["decision"], d["rule_id"], d["clause"], d["audit_index"], d["reason"]["ja"]))'
echo "  without a token: HTTP $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$console/api/v1/decide"); /metrics for the monitoring system:"
curl -s -H "Authorization: Bearer $api_token" "$console/metrics" | grep -E '^sanso_(api_requests_total|policy_decisions_total|audit_log_entries)' | head -4 | sed 's/^/    /'
kill "$web_pid"; wait "$web_pid" 2>/dev/null || true
echo "  (run it yourself: $sanso web --config $out/sanso.toml, then open http://127.0.0.1:8443/ in a browser)"

step "11b. 通信ログの監視 (6(3)③) / the network's flow logs against the zone separation: sanso monitor scan"
echo "  in:  examples/minamata/flows/conn.log — six flows from the city's Zeek sensor: an LGWAN terminal through the"
echo "       screen-transfer server (sanctioned), a マイナンバー利用事務系 host reaching the internet (twice), an LGWAN"
echo "       terminal going around the gateway, and a device in the city's ranges that belongs to no zone"
set +e
"$sanso" monitor scan examples/minamata/flows/conn.log "${cfg[@]}"
scan_rc=$?
set -e
[ "$scan_rc" -eq 1 ] || { echo "demo: expected exit 1 (deny findings) from sanso monitor scan, got $scan_rc" >&2; exit 1; }
echo "  exit 1: deny findings (usable from cron); each finding is now an audit record (monitor.finding):"
"$sanso" audit tail -n 3 "${cfg[@]}" | cut -c1-160

step "11c. 自己点検 (7) / self-inspection: sanso inspect — automatic items proven from what Sanso recorded"
echo "  kato opens this month's inspection for the mayor's office from examples/minamata/inspection/monthly.toml;"
echo "  sato is to answer its manual items and tanaka to sign it off (never the one who answered; docs/inspect.md)."
echo "  The automatic items are evaluated now from the audit log, the quarantine, the monitor's findings (step 11b)"
echo "  and the policy, each pointing at its evidence (exit 1: some items are not met):"
period=$(TZ=Asia/Tokyo date +%Y-%m)
campaign="minamata-monthly:mayor:$period"
"$sanso" inspect campaign create --template minamata-monthly --body mayor --period "$period" --assignee sato --reviewer tanaka --as kato "${cfg[@]}" | sed 's/^/    /'
echo "  the same month for one section (課/係) of the body on its own, its corrective actions carried to its own next campaign:"
"$sanso" inspect campaign create --template minamata-monthly --body mayor --section "総務課情報政策係" --period "$period" --assignee sato --reviewer tanaka --as kato "${cfg[@]}" | sed 's/^/    /'
"$sanso" inspect campaign list --body mayor "${cfg[@]}" | sed 's/^/    /'
set +e
"$sanso" inspect evaluate "$campaign" --as kato "${cfg[@]}" > "$out/inspect.txt"
eval_rc=$?
set -e
sed 's/^/    /' "$out/inspect.txt"
[ "$eval_rc" -eq 1 ] || { echo "demo: expected exit 1 (the monitor's finding of step 11b fails an item) from sanso inspect evaluate, got $eval_rc" >&2; exit 1; }
"$sanso" inspect report "$campaign" --format xlsx -o "$out/点検表.xlsx" "${cfg[@]}" > /dev/null
echo "  the 点検表 for the auditor (Japanese, formulas never written as formulas): $out/点検表.xlsx"
echo "  this month's operations in numbers (6(7)/6(9)), counted from the audit log itself (also /inspect/stats"
echo "  in the console, and a sheet of the 点検表 with the audit log's verification and its signed checkpoint):"
"$sanso" inspect stats --month "$period" "${cfg[@]}" | sed 's/^/    /'

step "11d. 台帳 (6(2), 6(8)) / the registers: sanso register — seeded from the policy, with alarms"
echo "  The policy's social-media accounts are already in their register; what the policy cannot say (MFA, last"
echo "  review) is kept here, and a missing required field is an alarm until someone records it (docs/registers.md):"
"$sanso" register list sns "${cfg[@]}" | sed 's/^/    /'
echo "  tanaka records that the city's X account uses MFA (an audited register.change):"
"$sanso" register add sns --update --field id=official_x --field mfa=はい --field last_review=2026-11-20 --as tanaka "${cfg[@]}" | sed 's/^/    /'
"$sanso" register list sns "${cfg[@]}" | sed 's/^/    /'
"$sanso" register export assets --format xlsx -f "$out/情報資産台帳.xlsx" "${cfg[@]}" | sed 's/^/    /'
echo "  a contractor's required clauses, each check appended (never overwritten), and today's reminders (--dry-run: none sent):"
"$sanso" register add contractors --update --field id=juki_vendor --field 'required_clauses=秘密保持;再委託の制限' --field responsible=tanaka --as tanaka "${cfg[@]}" > /dev/null
"$sanso" register check contractors juki_vendor --field clause=秘密保持 --field checked_on=2026-11-20 --field result=pass --field checked_by=tanaka --field next_check=2027-05-20 --as tanaka "${cfg[@]}" | sed 's/^/    /'
"$sanso" register show contractors juki_vendor "${cfg[@]}" | sed -n '/契約条項ごと/,$p' | sed 's/^/    /'
"$sanso" register remind --dry-run "${cfg[@]}" | sed 's/^/    /'

step "12. 監査ログ / the audit log: tail, checkpoint, proof, offline verification"
"$sanso" audit tail "${cfg[@]}"
"$sanso" audit checkpoint -o "$out/checkpoint.note" "${cfg[@]}"
echo "  signed checkpoint ($out/checkpoint.note):"
sed 's/^/    /' "$out/checkpoint.note"
echo "  verifier key for auditors: $("$sanso" audit pubkey "${cfg[@]}")"
"$sanso" audit prove 4 --json -o "$out/proof-4.json" "${cfg[@]}"
echo "  inclusion proof of entry #4 (the mail.sanitize decision): $out/proof-4.json"
"$sanso" audit verify --checkpoint "$out/checkpoint.note" "${cfg[@]}"

step "12b. 市の syslog サーバ (SIEM) へ / every audit entry to the city's syslog server, 個人番号 masked ([log], docs/logging.md)"
if [ -x /usr/sbin/rsyslogd ]; then
  # A private rsyslogd on loopback stands in for the city's syslog server.
  mkdir -p "$abs/siem"
  siem_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$abs/siem/rsyslog.conf" <<CONF
global(workDirectory="$abs/siem")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$siem_port")
*.* action(type="omfile" file="$abs/siem/received.log" template="RSYSLOG_SyslogProtocol23Format")
CONF
  /usr/sbin/rsyslogd -n -f "$abs/siem/rsyslog.conf" -i "$abs/siem/rsyslogd.pid" &
  siem_pid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$siem_port") 2>/dev/null && break; sleep 0.1; done
  { awk '/^\[log\]/ {skip=1; next} /^\[/ {skip=0} !skip' "$out/sanso.toml"
    printf '\n[log]\nsyslog = "tcp://127.0.0.1:%s"\nfacility = "local4"\n' "$siem_port"; } > "$out/sanso-siem.toml"
  printf '氏名,個人番号\n水俣 太郎,1234 5678 9018\n' > "$out/転入届_123456789018.csv"
  echo "  with [log] syslog = \"tcp://127.0.0.1:$siem_port\", kato sanitizes 転入届_123456789018.csv (a 個人番号 in its name):"
  "$sanso" file sanitize "$out/転入届_123456789018.csv" -o "$out/files-siem" --as kato --config "$out/sanso-siem.toml" > /dev/null 2>&1 || true
  for _ in $(seq 50); do grep -q 'file.sanitize' "$abs/siem/received.log" 2>/dev/null && break; sleep 0.1; done
  echo "  what the syslog server received (RFC 5424; seq is the audit entry's number, the number masked):"
  sed 's/^/    /' "$abs/siem/received.log" 2>/dev/null || echo "    (nothing arrived)"
  kill "$siem_pid" 2>/dev/null || true
  wait "$siem_pid" 2>/dev/null || true
else
  echo "  (skipped: rsyslogd is not installed)"
fi

step "13. 改ざんの検出 / tampering is caught: entry #2 deleted from a copy of the database"
cp -r "$out/data" "$out/tampered"
sed -e "s|^data_dir = .*|data_dir = \"tampered\"|" "$out/sanso.toml" > "$out/tampered.toml"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$out/tampered/sanso.db" "DELETE FROM audit_entries WHERE idx = 2"
  "$sanso" audit verify --checkpoint "$out/checkpoint.note" --config "$out/tampered.toml" || true
fi

cat <<MSG

Done. Open these in a browser or editor:
  $abs/zones.svg        the zone map (zones, systems, allowed / sanitized / approval flows)
  $abs/flow-table.txt   what happens to every flow between zones, and the clause it rests on
  $abs/flow-table.json  the same for reports and other tools
  $abs/checkpoint.note  a signed checkpoint of the audit log (C2SP signed note)
  $abs/invoice.sanitized.eml  the text-only mail as it reaches an LGWAN mailbox
  $abs/invoice.report.json    every MIME part and what was done with it
  $abs/files/                 the rebuilt files; $out/files.report.json says what was removed and why
  $abs/proof-4.json     an inclusion proof an auditor can check with any RFC 9162 tool
Try your own:
  $sanso policy decide $policy --from internet --to lgwan --channel file --json
  $sanso quarantine list --config $out/sanso.toml
  $sanso web --config $out/sanso.toml      # then http://127.0.0.1:8443/ (tanaka / 情報政策係長のデモ用パスワード)
  $sanso audit export --format csv -o $out/audit.csv --config $out/sanso.toml
MSG
