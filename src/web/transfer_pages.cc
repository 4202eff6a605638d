// The file transfer pages (clause 6(3)②, docs/transfer.md): a person sends files from the zone
// they act from, receives what was rebuilt for them, decides what waits for a role they hold; the
// holder of a one-time link downloads an approved outgoing transfer on the internet side. Every
// page works with plain forms (no script). Each acts only through transfer::TransferService, which
// decides and records; these pages add two refusals of their own, both recorded: a page used from
// an address outside the person's zone, and a form that is not the session's.
#include <zip.h>

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "cdr/cdr.h"
#include "config/config.h"
#include "core/log.h"
#include "core/private_file.h"
#include "core/text.h"
#include "mail/identifiers.h"
#include "mime/header.h"
#include "policy/policy.h"
#include "transfer/transfer.h"
#include "web/console.h"
#include "web/internal/console_server.h"
#include "web/internal/form_upload.h"
#include "web/internal/transfer_pages.h"
#include "web/internal/transfer_upload.h"
#include "web/multipart.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

const Wording& transfer_wording() {
  static const Wording kWords = {
      {"nav_transfer", {"ファイル受け渡し", "File transfer"}},
      {"nav_approvals", {"承認の受信箱", "Approvals"}},
      {"tr_side", {"操作する側", "Acting from"}},
      {"tr_send_in", {"LGWAN 接続系へファイルを送る（無害化されます）", "Send files to the LGWAN side (they are sanitised)"}},
      {"tr_send_out", {"インターネット側へファイルを持ち出す（理由が必要です）", "Send files out to the internet side (a reason is needed)"}},
      {"tr_recipient", {"受取人", "Recipient"}},
      {"tr_recipient_out", {"受取人（委託先など、リンクを渡す相手）", "Recipient (the contractor, say, who gets the link)"}},
      {"tr_reason", {"理由（業務上の必要性）", "Reason (the business need)"}},
      {"tr_files", {"ファイル", "Files"}},
      {"tr_send", {"送信", "Send"}},
      {"tr_drop", {"ここにファイルをドラッグ＆ドロップできます（複数可）。", "Drop files here (several at once)."}},
      {"tr_too_many", {"ファイルの数が上限を超えています。減らしてから送信してください。", "Too many files; remove some before sending."}},
      {"tr_too_large", {"ファイルの大きさが上限を超えています。何も送っていません。", "Over the size limit; nothing was sent."}},
      {"tr_upload_failed", {"送信できませんでした（接続が切れました）。もう一度送信してください。", "The upload failed (the connection broke); send again."}},
      {"tr_limits", {"上限: 1 ファイル {{file}}、1 回 {{files}} ファイル・合計 {{total}}。", "Limits: {{file}} a file, {{files}} files and {{total}} in all per transfer."}},
      {"tr_incoming", {"受け取ったファイル", "Received"}},
      {"tr_outgoing", {"送ったファイル", "Sent"}},
      {"tr_none", {"ありません。", "None."}},
      {"tr_id", {"受け渡しID", "Transfer id"}},
      {"tr_created", {"日時", "Time"}},
      {"tr_sender", {"送信者", "Sender"}},
      {"tr_route", {"経路", "Route"}},
      {"tr_state", {"状態", "State"}},
      {"tr_count", {"ファイル数", "Files"}},
      {"tr_rule", {"適用された規則", "Rule applied"}},
      {"tr_hold", {"承認待ちの理由", "Why it waits for approval"}},
      {"tr_approver", {"承認者の役割", "Approver role"}},
      {"tr_decided", {"判断", "Decision"}},
      {"tr_verdict", {"判定", "Verdict"}},
      {"tr_findings", {"検出内容", "Findings"}},
      {"tr_download", {"ダウンロード", "Download"}},
      {"tr_blocked_note", {"ブロックされたファイルは渡されません。原本は隔離保管されています。", "Blocked files are not handed over; the originals are kept in quarantine."}},
      {"tr_note", {"判断の理由", "Reason for the decision"}},
      {"tr_own", {"申請者本人は承認・却下できません。", "The sender cannot decide their own transfer."}},
      {"tr_second_factor", {"確認コード（二要素認証）", "One-time code (second factor)"}},
      {"tr_bad_code", {"確認コードが正しくないか、使用済みです。承認は行われていません。", "The one-time code is wrong or was used already; nothing was approved."}},
      {"tr_issue_link", {"ダウンロードリンクを発行", "Issue the download link"}},
      {"tr_link_password", {"リンクのパスワード（任意、別の経路で伝えてください）", "Password for the link (optional; tell it by another channel)"}},
      {"tr_link_once", {"このリンクは一度だけ表示されます。インターネット側で一度だけダウンロードできます:", "This link is shown once; it downloads once, on the internet side:"}},
      {"tr_link_title", {"ファイルの受け取り", "Collect files"}},
      {"ppap_title", {"パスワード付き添付ファイルの解除", "Unlock a password-protected attachment"}},
      {"ppap_intro",
       {"お送りいただいたパスワード付きファイルのパスワードを入力してください。ファイルは隔離された環境で復号・無害化され、無害化したものだけが受取人に渡ります。パスワードは保存・記録されず、受取人にも伝わりません。",
        "Enter the password of the password-protected file you sent. It is decrypted and rebuilt (無害化) in an isolated sandbox, and only the rebuilt file reaches the recipient. The password is neither kept nor logged, and never passed to the recipient."}},
      {"ppap_file", {"ファイル", "File"}},
      {"ppap_done", {"解除しました。無害化したファイルが受取人に渡されます。", "Unlocked: the rebuilt file is handed to the recipient."}},
      {"ppap_none", {"パスワードを待っているファイルはありません。", "No file of this link waits for a password."}},
      {"tr_link_intro", {"受け渡されたファイルをダウンロードします（一度だけ）。", "Download the files handed to you (once)."}},
      {"tr_password", {"パスワード（指定された場合）", "Password (if you were given one)"}},
      {"tr_next_page", {"次のページ", "Next page"}},
      {"tr_unlock_password", {"パスワード（送信者だけが入力できます。保存・記録はしません）", "Password (only the sender gives it; it is neither kept nor logged)"}},
      {"tr_unlock", {"パスワードを解除して無害化", "Unlock and sanitise"}},
      {"tr_locked_note", {"パスワード付きファイルです。送信者がインターネット側でパスワードを入力すると無害化して渡されます。",
                          "A password-protected file: once its sender gives the password on the internet side it is sanitised and handed over."}},
      {"done_unlocked", {"パスワードを解除し、無害化しました。判定は次のとおりです。", "Unlocked and sanitised; the verdict is below."}},
      {"done_sent", {"受け付けました。各ファイルの判定は次のとおりです。", "Received; each file's verdict is below."}},
      {"done_transfer_approved", {"承認しました。", "Approved."}},
      {"done_transfer_denied", {"却下しました。", "Denied."}},
      {"err_zone_address",
       {"この端末のアドレスは、あなたが操作する領域のものではありません。受け渡しの画面は自分の領域の端末からだけ使えます。",
        "This computer's address is not in the zone you act from; the transfer pages work only from computers of your own zone."}},
      {"err_listener_zone",
       {"この画面は別の領域のためのものです。あなたの領域の端末から、その領域の画面を使ってください。",
        "These pages serve another zone; use your own zone's pages from a computer of your zone."}},
      {"err_no_zone", {"あなたの領域が設定されていないため、ファイル受け渡しは使えません（[[users]] の zone）。", "You have no zone ([[users]] zone), so you take no part in transfers."}},
      {"err_upload_malformed", {"送信されたフォームが正しくありません（途中で切れたか、形式の誤り）。何も保存していません。", "The form sent is not valid (cut off or malformed); nothing was stored."}},
      {"err_upload_too_large", {"上限を超えています。何も保存していません。", "Over the limit; nothing was stored."}},
      {"err_transfer_refused", {"受け渡しは受け付けられませんでした。", "The transfer was refused."}},
      {"err_link", {"このリンクは使えません（使用済み・期限切れ・不明）。", "This link cannot be used (used, expired or unknown)."}},
      {"err_link_password", {"パスワードが違います。誤りが続くとリンクは無効になります。", "Wrong password; repeated mistakes revoke the link."}},
      {"err_length_required", {"送信の長さが分かりません（Content-Length が必要です）。", "The request must say its length (Content-Length)."}},
  };
  return kWords;
}

const Templates& transfer_templates() {
  static const Templates kPages = {
      {PageTemplate::kTransferHome, R"html(<p>{{t.tr_side}}: <strong id="side">{{zone}}</strong>{{#approver}} — <a href="/approvals">{{t.nav_approvals}}</a>{{/approver}}</p>
<form method="post" action="/transfer/send" enctype="multipart/form-data" class="card" id="send-form" data-max-file="{{max_file}}" data-max-files="{{max_files}}" data-max-total="{{max_total}}">
<h2>{{#to_lgwan}}{{t.tr_send_in}}{{/to_lgwan}}{{^to_lgwan}}{{t.tr_send_out}}{{/to_lgwan}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{#to_lgwan}}{{t.tr_recipient}}{{/to_lgwan}}{{^to_lgwan}}{{t.tr_recipient_out}}{{/to_lgwan}} <input name="recipient" required maxlength="200" list="recipients" value="{{recipient}}"></label>
<datalist id="recipients">{{#recipients}}<option value="{{name}}">{{display}}</option>{{/recipients}}</datalist>
<label>{{t.tr_reason}} <textarea name="reason" maxlength="2000"{{^to_lgwan}} required{{/to_lgwan}}>{{reason}}</textarea></label>
<label>{{t.tr_files}} <input type="file" name="files" multiple required></label>
<div id="drop-zone" class="drop-zone" hidden data-too-many="{{t.tr_too_many}}" data-too-large="{{t.tr_too_large}}" data-failed="{{t.tr_upload_failed}}">{{t.tr_drop}}</div>
<ul id="file-list"></ul>
<progress id="upload-progress" max="100" value="0" hidden></progress>
<p id="upload-status" aria-live="polite"></p>
<p class="hint">{{limits}}</p>
<button type="submit" id="send">{{t.tr_send}}</button>
</form>
<script src="/static/transfer.js" defer></script>
<h2>{{t.tr_incoming}}</h2>
{{^has_incoming}}<p>{{t.tr_none}}</p>{{/has_incoming}}
{{#has_incoming}}<table id="incoming"><tr><th>{{t.tr_id}}</th><th>{{t.tr_created}}</th><th>{{t.tr_sender}}</th><th>{{t.tr_count}}</th><th>{{t.tr_state}}</th></tr>
{{#incoming}}<tr><td><a href="/transfer/{{id}}">{{id}}</a></td><td>{{created}}</td><td>{{sender}}</td><td>{{count}}</td><td>{{state}}</td></tr>{{/incoming}}
</table>{{/has_incoming}}
<h2>{{t.tr_outgoing}}</h2>
{{^has_outgoing}}<p>{{t.tr_none}}</p>{{/has_outgoing}}
{{#has_outgoing}}<table id="outgoing"><tr><th>{{t.tr_id}}</th><th>{{t.tr_created}}</th><th>{{t.tr_recipient}}</th><th>{{t.tr_count}}</th><th>{{t.tr_state}}</th></tr>
{{#outgoing}}<tr><td><a href="/transfer/{{id}}">{{id}}</a></td><td>{{created}}</td><td>{{recipient}}</td><td>{{count}}</td><td>{{state}}</td></tr>{{/outgoing}}
</table>{{/has_outgoing}}
{{#next}}<p><a href="/transfer?after={{next}}" id="next-page">{{t.tr_next_page}}</a></p>{{/next}}
)html"},
      {PageTemplate::kTransfer, R"html(<dl>
<dt>{{t.tr_id}}</dt><dd id="transfer-id">{{id}}</dd>
<dt>{{t.tr_state}}</dt><dd id="state" data-state="{{state_key}}">{{state}}</dd>
<dt>{{t.tr_route}}</dt><dd>{{from}} → {{to}}</dd>
<dt>{{t.tr_sender}}</dt><dd>{{sender}}</dd>
<dt>{{t.tr_recipient}}</dt><dd>{{recipient}}</dd>
{{#reason}}<dt>{{t.tr_reason}}</dt><dd>{{reason}}</dd>{{/reason}}
{{#rule}}<dt>{{t.tr_rule}}</dt><dd id="rule">{{rule}}</dd>{{/rule}}
{{#hold}}<dt>{{t.tr_hold}}</dt><dd id="hold">{{hold}}</dd>{{/hold}}
{{#approver}}<dt>{{t.tr_approver}}</dt><dd>{{approver}}</dd>{{/approver}}
{{#decided_by}}<dt>{{t.tr_decided}}</dt><dd id="decision">{{decided_by}} {{decided_at}} {{note}}</dd>{{/decided_by}}
</dl>
<table id="files"><tr><th>{{t.tr_files}}</th><th>{{t.size}}</th><th>{{t.tr_verdict}}</th><th>{{t.tr_findings}}</th><th></th></tr>
{{#files}}<tr class="file" data-verdict="{{verdict_key}}"><td>{{name}}</td><td>{{size}}</td><td class="verdict">{{verdict}}{{#reason}}<br><small>{{reason}}</small>{{/reason}}</td>
<td class="findings">{{#findings}}<div>{{label}}{{#location}} <small>({{location}})</small>{{/location}}</div>{{/findings}}</td>
<td>{{#download}}<a href="/transfer/{{id}}/file/{{position}}" class="download">{{t.tr_download}}</a>{{/download}}
{{#unlock}}<form method="post" action="/transfer/{{transfer}}/unlock" class="unlock-form"><input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="position" value="{{position}}">
<label>{{t.tr_unlock_password}} <input name="password" type="password" autocomplete="off" maxlength="1024" required class="unlock-password"></label>
<button type="submit" class="unlock">{{t.tr_unlock}}</button></form>{{/unlock}}{{#locked}}<small class="locked">{{t.tr_locked_note}}</small>{{/locked}}</td></tr>{{/files}}
</table>
{{#has_blocked}}<p class="hint">{{t.tr_blocked_note}}</p>{{/has_blocked}}
{{#can_decide}}<form method="post" action="/transfer/{{id}}/decide" class="card" id="decide-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.tr_note}} <textarea name="note" maxlength="2000"></textarea></label>
{{#needs_code}}<label>{{t.tr_second_factor}} <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></label>{{/needs_code}}
<button type="submit" name="decision" value="approve" id="approve">{{t.approve}}</button>
<button type="submit" name="decision" value="deny" id="deny">{{t.deny}}</button>
<p class="hint">{{t.tr_own}}</p>
</form>{{/can_decide}}
{{#can_link}}<form method="post" action="/transfer/{{id}}/link" class="card" id="link-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.tr_link_password}} <input name="password" type="password" autocomplete="new-password" maxlength="200"></label>
<button type="submit">{{t.tr_issue_link}}</button>
</form>{{/can_link}}
{{#link}}<p class="notice">{{t.tr_link_once}} <code id="link">{{link}}</code></p>{{/link}}
)html"},
      {PageTemplate::kPpap, R"html(<p>{{t.ppap_intro}}</p>
{{#has_files}}<form method="post" action="/ppap/{{token}}" class="card" id="ppap-unlock">
<input type="hidden" name="form" value="{{form}}">
<label>{{t.ppap_file}} <select name="position">{{#files}}<option value="{{position}}">{{name}}</option>{{/files}}</select></label>
<label>{{t.tr_password}} <input name="password" type="password" autocomplete="off" maxlength="1024"></label>
<button type="submit">{{t.tr_unlock}}</button>
</form>{{/has_files}}
{{^has_files}}{{^done}}<p>{{t.ppap_none}}</p>{{/done}}{{/has_files}}
)html"},
      {PageTemplate::kLink, R"html(<p>{{t.tr_link_intro}}</p>
<form method="post" action="/link/{{token}}" class="card" id="link-download">
<label>{{t.tr_password}} <input name="password" type="password" autocomplete="off" maxlength="200"></label>
<button type="submit">{{t.tr_download}}</button>
</form>
)html"},
  };
  return kPages;
}

}  // namespace internal

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

std::string lang_code(Lang lang) { return lang == Lang::kEn ? "en" : "ja"; }

transfer::Person person_of(const Context& ctx) {
  return transfer::Person{ctx.session.name, ctx.session.roles, ctx.session.zone,
                          "console session " + ctx.session.id + " from " + ctx.source, ""};
}

// A finding's label in the page's language; a word this engine does not know is shown as it is.
std::string finding_label(const std::string& kind, Lang lang) {
  auto parsed = cdr::parse_finding_kind(kind, "transfer");
  return parsed ? std::string(cdr::label(*parsed, lang_code(lang))) : kind;
}

std::string verdict_label(const std::string& verdict, Lang lang) {
  static const std::map<std::string, std::pair<std::string, std::string>> kLabels = {
      {"clean", {"問題なし", "Clean"}},     {"sanitized", {"無害化済み", "Sanitised"}}, {"blocked", {"ブロック", "Blocked"}},
      {"held", {"承認待ち", "Held for approval"}}, {"allowed", {"そのまま", "Allowed as is"}},
  };
  auto it = kLabels.find(verdict);
  if (it == kLabels.end()) return visible_text(verdict);
  return lang == Lang::kEn ? it->second.second : it->second.first;
}

std::string state_text(transfer::State s, Lang lang) { return std::string(transfer::state_label(s, lang_code(lang))); }

json row_of(const transfer::Transfer& t, Lang lang) {
  return {{"id", t.id},
          {"created", local_time(t.created_at)},
          {"sender", visible_text(t.sender)},
          {"recipient", visible_text(t.recipient)},
          {"from", t.from_zone},
          {"to", t.to_zone},
          {"reason", visible_text(mail::mask_identification_numbers(t.reason))},
          {"hold", visible_text(t.hold_reason)},
          {"count", std::to_string(t.files.size())},
          {"state", state_text(t.state, lang)}};
}

int status_of(const Error& e) {
  if (e.code == "transfer.not-found" || e.code == "transfer.link") return 404;
  if (e.code == "transfer.denied" || e.code == "transfer.own" || e.code == "transfer.role" || e.code == "transfer.zone") return 403;
  if (e.code == "transfer.limit" || e.code == "transfer.quota" || e.code == "upload.too-large") return 413;
  if (e.code == "transfer.expired") return 410;
  if (e.code == "transfer.directory") return 503;
  if (e.code == "transfer.state" || e.code == "transfer.locked") return 409;
  if (e.code == "transfer.rate-limited") return 429;
  if (e.code == "transfer.password" || e.code == "transfer.second-factor") return 401;
  if (e.code == "transfer.password-input") return 400;
  if (e.code == "transfer.name" || e.code == "transfer.input" || e.code == "transfer.reason" || e.code == "transfer.recipient" ||
      e.code == "transfer.unknown-recipient" || e.code == "transfer.no-zone" || e.code == "upload.malformed") {
    return 400;
  }
  return 500;
}

// What a person reads for an error: the service's own words (what and why, Japanese and
// English) for a refusal of theirs, a plain apology for anything internal.
std::string error_text(const Error& e, Lang lang) {
  const int status = status_of(e);
  if (status == 500) return wording(lang, "err_internal");
  std::string lead = e.code == "upload.malformed"   ? wording(lang, "err_upload_malformed")
                     : e.code == "upload.too-large" ? wording(lang, "err_upload_too_large")
                                                    : wording(lang, "err_transfer_refused");
  std::string where = e.where.empty() ? "" : visible_text(e.where) + ": ";
  return lead + " " + where + visible_text(e.message);
}

// An HTTP header value cannot carry every name: an ASCII stand-in for old clients and the real
// name in RFC 5987's filename*, so that no byte of a sender's name reaches the header raw.
std::string attachment(const std::string& name) { return mime::attachment_disposition(name, name); }

void send_file(httplib::Response& res, const std::string& name, std::string bytes) {
  // A file is never shown by the browser: an HTML file rendered here would run in the console's origin.
  res.set_header("Content-Disposition", attachment(name));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(std::move(bytes), "application/octet-stream");
}

// Several files for one download: one zip (stored, not compressed), each under its safe name.
Result<std::string> zip_of(const std::vector<transfer::Delivered>& files) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* target = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (target == nullptr) return make_error("web.zip", "", "cannot make a zip");
  zip_source_keep(target);
  zip_t* archive = zip_open_from_source(target, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(target);
    return make_error("web.zip", "", "cannot make a zip");
  }
  bool good = true;
  std::map<std::string, int> seen;
  for (const auto& f : files) {
    std::string name = f.name;
    if (int n = seen[name]++; n > 0) name = std::to_string(n + 1) + "-" + name;  // two files of one name
    zip_source_t* s = zip_source_buffer(archive, f.bytes.data(), f.bytes.size(), 0);
    zip_int64_t index = s == nullptr ? -1 : zip_file_add(archive, name.c_str(), s, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      if (s != nullptr) zip_source_free(s);
      good = false;
      break;
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (!good || zip_close(archive) != 0) {
    zip_discard(archive);  // not closed, or its close failed: still ours to free
    zip_source_free(target);
    return make_error("web.zip", "", "cannot make a zip");
  }
  std::string out;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(target, &st) == 0 && zip_source_open(target) == 0) {
    out.resize(st.size);
    zip_int64_t n = zip_source_read(target, out.data(), st.size);
    zip_source_close(target);
    if (n != static_cast<zip_int64_t>(st.size)) out.clear();
  }
  zip_source_free(target);
  if (out.empty()) return make_error("web.zip", "", "cannot read the zip back");
  return out;
}

}  // namespace

int internal::transfer_error_status(const Error& e) { return status_of(e); }

MultipartLimits internal::transfer_upload_limits(const config::TransferSettings& limits) {
  MultipartLimits l;
  l.max_file_bytes = static_cast<std::uint64_t>(limits.max_file_mb * kMiB);
  l.max_total_bytes = static_cast<std::uint64_t>(limits.max_total_mb * kMiB);
  l.max_files = static_cast<std::size_t>(limits.max_files);
  return l;
}

Result<std::string> internal::upload_spool(const config::ServiceConfig& config) {
  std::string dir = config.data_dir + "/tmp/uploads";
  SANSO_TRY(create_private_directories(dir));
  return dir;
}

std::vector<transfer::Upload> internal::spooled_uploads(const MultipartForm& form) {
  std::vector<transfer::Upload> uploads;
  for (const auto& f : form.files) {
    const ReceivedFile* spooled = f.get();
    uploads.push_back(transfer::Upload{f->filename(), {}, static_cast<std::int64_t>(f->size()), [spooled] { return spooled->read_all(); }});
  }
  return uploads;
}

void internal::send_attachment(httplib::Response& res, const std::string& name, std::string bytes) { send_file(res, name, std::move(bytes)); }

std::string Console::Impl::address_zone(const httplib::Request& req) const {
  const policy::Policy* policy = policy_in_force();
  const policy::Zone* zone = policy != nullptr ? policy->zone_of_address(client_address(req)) : nullptr;
  return zone != nullptr ? zone->id : std::string(policy::kZoneInternet);
}

bool Console::Impl::refused_other_side(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  if (ctx.session.zone.empty()) {
    send_error(req, res, &ctx, ctx.lang, 403, "err_no_zone");
    return true;
  }
  const std::string here = address_zone(req);
  if (here == ctx.session.zone) return false;
  // Recorded: someone's session used from the other side is worth an administrator's look.
  auto r = services.accounts.record_refused_request(ctx.session.name, req.method, local_path(req.path), "zone-address", ctx.source,
                                                    {{"zone", ctx.session.zone}, {"address_zone", here}});
  if (!r) log::error("web: recording a refused request: " + r.error().to_string());
  send_error(req, res, &ctx, ctx.lang, 403, "err_zone_address");
  return true;
}

httplib::Server::Handler Console::Impl::on_own_side(std::vector<Permission> any_of, Page page, bool post) {
  return signed_in(needs(std::move(any_of),
                         [this, page = std::move(page)](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
                           if (!refused_other_side(req, res, ctx)) page(req, res, ctx);
                         }),
                   post);
}

void Console::Impl::transfer_home(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& error, int status) {
  transfer::ListQuery query;
  query.after = field(req, "after");
  auto all = services.transfers->list(person_of(ctx), query);
  if (!all) {
    if (all.error().code == "transfer.cursor") return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    log::error("web: listing transfers: " + all.error().to_string());
    return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  }
  json incoming = json::array(), outgoing = json::array(), recipients = json::array();
  for (const auto& t : all->transfers) {
    if (t.recipient == ctx.session.name) incoming.push_back(row_of(t, ctx.lang));
    if (t.sender == ctx.session.name) outgoing.push_back(row_of(t, ctx.lang));
  }
  for (const auto& op : services.config.operators) {
    if (!op.zone.empty() && op.zone != ctx.session.zone) recipients.push_back({{"name", op.name}, {"display", op.display}});
  }
  const auto& limits = services.config.transfer;
  std::string text = wording(ctx.lang, "tr_limits");
  auto put = [&](const std::string& key, const std::string& value) {
    if (auto at = text.find(key); at != std::string::npos) text.replace(at, key.size(), value);
  };
  put("{{file}}", human_size(static_cast<std::uint64_t>(limits.max_file_mb * kMiB)));
  put("{{files}}", std::to_string(limits.max_files));
  put("{{total}}", human_size(static_cast<std::uint64_t>(limits.max_total_mb * kMiB)));
  json values = {{"zone", ctx.session.zone},
                 {"max_file", std::to_string(limits.max_file_mb * kMiB)},
                 {"max_files", std::to_string(limits.max_files)},
                 {"max_total", std::to_string(limits.max_total_mb * kMiB)},
                 {"approver", ctx.session.may(Permission::kApprovals)},
                 {"to_lgwan", ctx.session.zone == policy::kZoneInternet},
                 {"csrf", ctx.session.csrf},
                 {"recipients", recipients},
                 {"limits", text},
                 {"incoming", incoming},
                 {"has_incoming", !incoming.empty()},
                 {"outgoing", outgoing},
                 {"has_outgoing", !outgoing.empty()},
                 {"next", httplib::detail::encode_query_param(all->next)}};
  json f = frame(req, wording(ctx.lang, "nav_transfer"), &ctx);
  if (!error.empty()) f["error"] = error;
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kTransferHome, ctx.lang, values));
}

void Console::Impl::transfer_send(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
  // What signed_in() and on_own_side() check, before a byte of the body is read: a stranger's
  // upload is refused at its headers.
  Lang lang = lang_of(req);
  if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  const std::string source = client_address(req);
  auto session = services.accounts.session(cookie(req, kSessionCookie), source);
  if (!session) {
    log::error("web: reading a session: " + session.error().to_string());
    return send_error(req, res, nullptr, lang, 500, "err_internal");
  }
  if (!*session) return redirect(res, "/login?next=%2Ftransfer");
  Context ctx{std::move(**session), lang, source};
  note_actor(ctx.session.name);
  if (refused_other_listener(req, res, ctx)) return;
  if (!same_origin(req)) return refuse_form(req, res, &ctx, lang, "cross-origin");
  if (refused_without({Permission::kTransfer}, req, res, ctx) || refused_other_side(req, res, ctx)) return;

  const MultipartLimits l = transfer_upload_limits(services.config.transfer);
  auto spool = upload_spool(services.config);
  if (!spool) {
    log::error("web: " + spool.error().to_string());
    return send_error(req, res, &ctx, lang, 500, "err_internal");
  }
  const std::string& temp_dir = *spool;
  auto failed = [&](const Error& e) {
    if (status_of(e) == 500) log::error("web: an upload: " + e.to_string());
    transfer_home(req, res, ctx, error_text(e, lang), status_of(e));
  };
  auto form = receive_form(req, body, l, temp_dir);
  if (!form) return failed(form.error());
  auto value = [&](const char* key) {
    auto it = form->fields.find(key);
    return it == form->fields.end() ? std::string() : it->second;
  };
  // The form token travels in the body, so it is checked once the body is read — before
  // anything of it is handed on.
  if (!form_token_matches(*form, ctx.session.csrf)) return refuse_form(req, res, &ctx, lang, "csrf-token");
  const std::string recipient = value("recipient"), reason = value("reason");
  if (!is_valid_utf8(recipient) || !is_valid_utf8(reason)) return failed(Error{"upload.malformed", "recipient / reason", "not UTF-8 text"});
  auto sent = services.transfers->send(person_of(ctx), recipient, reason, spooled_uploads(*form));
  form->files.clear();  // the temporary files go now, not with the response
  if (!sent) return failed(sent.error());
  redirect(res, "/transfer/" + sent->id + "?done=sent");
}

void Console::Impl::transfer_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& id,
                                  const std::string& notice, const std::optional<Error>& failure, const std::string& link) {
  auto got = services.transfers->get(id, person_of(ctx));
  if (!got) {
    if (status_of(got.error()) == 500) log::error("web: a transfer: " + got.error().to_string());
    return send_error(req, res, &ctx, ctx.lang, status_of(got.error()) == 500 ? 500 : 404, status_of(got.error()) == 500 ? "err_internal" : "err_not_found");
  }
  const transfer::Transfer& t = *got;
  const bool receives = ctx.session.may(Permission::kTransfer) && t.recipient == ctx.session.name && t.to_zone == ctx.session.zone &&
                        (t.state == transfer::State::kReady || t.state == transfer::State::kDownloaded);
  json files = json::array();
  bool blocked = false;
  const bool gives_passwords = ctx.session.may(Permission::kTransfer) && t.sender == ctx.session.name && t.from_zone == policy::kZoneInternet &&
                               ctx.session.zone == policy::kZoneInternet;
  for (const auto& f : t.files) {
    json findings = json::array();
    auto parsed = json::parse(f.findings_json, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& x : parsed) {
        if (!x.is_object() || !x.contains("kind") || !x["kind"].is_string()) continue;
        findings.push_back({{"label", finding_label(x["kind"].get<std::string>(), ctx.lang)},
                            {"location", x.contains("location") && x["location"].is_string() ? visible_text(x["location"].get<std::string>()) : ""}});
      }
    }
    blocked = blocked || f.verdict == "blocked";
    files.push_back({{"name", visible_text(f.name)},
                     {"size", human_size(static_cast<std::uint64_t>(f.size))},
                     {"verdict", verdict_label(f.verdict, ctx.lang)},
                     {"verdict_key", f.verdict},
                     {"reason", visible_text(f.reason)},
                     {"findings", findings},
                     {"position", std::to_string(f.position)},
                     {"download", receives && !f.output_name.empty()},
                     // PPAP: the form is offered to the sender on the internet side only (the
                     // service refuses everyone else); the recipient sees why the file waits.
                     {"unlock", f.awaits_password() && gives_passwords},
                     {"locked", f.awaits_password() && !gives_passwords},
                     {"transfer", t.id},
                     {"csrf", ctx.session.csrf}});
  }
  const bool can_decide = ctx.session.may(Permission::kApprovals) && services.transfers->may_decide(t, person_of(ctx));
  bool needs_code = false;
  if (can_decide) {
    auto needs = decision_needs_code(ctx, t.approver_role);
    if (!needs) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    needs_code = *needs;
  }
  json values = {{"id", t.id},
                 {"csrf", ctx.session.csrf},
                 {"state", state_text(t.state, ctx.lang)},
                 {"state_key", std::string(transfer::to_string(t.state))},
                 {"from", t.from_zone},
                 {"to", t.to_zone},
                 {"sender", visible_text(t.sender)},
                 {"recipient", visible_text(t.recipient)},
                 {"reason", visible_text(mail::mask_identification_numbers(t.reason))},
                 {"rule", t.rule_id.empty() ? "" : visible_text(t.rule_id + " (" + t.clause + ")")},
                 {"hold", visible_text(t.hold_reason)},
                 {"approver", visible_text(t.approver_role)},
                 {"decided_by", visible_text(t.decided_by)},
                 {"decided_at", t.decided_at != 0 ? local_time(t.decided_at) : ""},
                 {"note", visible_text(t.decision_note)},
                 {"files", files},
                 {"has_blocked", blocked},
                 {"can_decide", can_decide},
                 {"needs_code", needs_code},
                 {"can_link", ctx.session.may(Permission::kTransfer) && t.sender == ctx.session.name && t.to_zone == policy::kZoneInternet &&
                                  (t.state == transfer::State::kApproved || t.state == transfer::State::kReady) && link.empty()},
                 {"link", link}};
  json f = frame(req, wording(ctx.lang, "tr_id") + " " + t.id, &ctx);
  if (!notice.empty()) f["notice"] = notice;
  int status = 200;
  if (failure) {
    status = status_of(*failure);
    f["error"] = error_text(*failure, ctx.lang);
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kTransfer, ctx.lang, values));
}

void Console::Impl::transfer_file(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  int position = -1;
  const std::string wanted = req.matches[2];
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), position);
  if (ec != std::errc() || p != wanted.data() + wanted.size()) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  auto t = services.transfers->get(id, person_of(ctx));
  if (!t) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  std::string output_name;
  for (const auto& f : t->files) {
    if (f.position == position) output_name = f.output_name;
  }
  if (output_name.empty()) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  auto delivered = services.transfers->fetch(id, person_of(ctx));
  if (!delivered) {
    if (status_of(delivered.error()) == 500) log::error("web: fetching a transfer: " + delivered.error().to_string());
    return transfer_page(req, res, ctx, id, "", delivered.error(), "");
  }
  for (auto& d : *delivered) {
    if (d.name == output_name) return send_file(res, d.name, std::move(d.bytes));
  }
  send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
}

void Console::Impl::transfer_decide(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  const std::string answer = field(req, "decision");
  if (answer != "approve" && answer != "deny") return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  if (answer == "approve") {
    auto t = services.transfers->get(id, person_of(ctx));
    if (!t) return transfer_page(req, res, ctx, id, "", t.error(), "");
    // Someone who may not decide it is refused by the service below, saying why; a code first
    // would only hide that reason.
    auto confirmed = services.transfers->may_decide(*t, person_of(ctx)) ? confirm_approval(ctx, t->approver_role, field(req, "code"), "transfer " + id)
                                                                       : Result<void>(ok());
    if (!confirmed) {
      if (confirmed.error().code != "web.second-factor") {
        log::error("web: " + confirmed.error().to_string());
        return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
      }
      return transfer_page(req, res, ctx, id, "", Error{"transfer.second-factor", id, wording(ctx.lang, "tr_bad_code")}, "");
    }
  }
  auto r = answer == "approve" ? services.transfers->approve(id, person_of(ctx), field(req, "note"))
                               : services.transfers->deny(id, person_of(ctx), field(req, "note"));
  if (!r) {
    if (status_of(r.error()) == 500) log::error("web: deciding a transfer: " + r.error().to_string());
    return transfer_page(req, res, ctx, id, "", r.error(), "");
  }
  // Back to the inbox: once decided, the transfer is no longer the approver's to see.
  redirect(res, std::string("/approvals?done=transfer_") + (answer == "approve" ? "approved" : "denied"));
}

void Console::Impl::transfer_issue_link(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  auto link = services.transfers->issue_link(id, person_of(ctx), field(req, "password"));
  if (!link) {
    if (status_of(link.error()) == 500) log::error("web: issuing a link: " + link.error().to_string());
    return transfer_page(req, res, ctx, id, "", link.error(), "");
  }
  // Shown once, in this answer only (never in an address the browser keeps). Whoever holds it
  // downloads on the internet side: the internet-side address when there is one.
  const std::string base = !options.internet_origin.empty() ? options.internet_origin
                           : !options.public_origin.empty() ? options.public_origin
                                                            : std::string(browser_used_tls(req) ? "https://" : "http://") + req.get_header_value("Host");
  transfer_page(req, res, ctx, id, "", std::nullopt, base + "/link/" + link->token);
}

// PPAP: the sender gives the password of one file. The password goes to the service (and from
// there to the sandbox) only, and its copy here is wiped; an error page never repeats it.
void Console::Impl::transfer_unlock(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  int position = -1;
  const std::string wanted = field(req, "position");
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), position);
  if (wanted.empty() || ec != std::errc() || p != wanted.data() + wanted.size()) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  std::string password = field(req, "password");
  auto r = services.transfers->unlock(id, position, person_of(ctx), password, "web " + ctx.source);
  sodium_memzero(password.data(), password.size());
  if (!r) {
    if (status_of(r.error()) == 500) log::error("web: unlocking a transfer file: " + r.error().to_string());
    return transfer_page(req, res, ctx, id, "", r.error(), "");
  }
  redirect(res, "/transfer/" + id + "?done=unlocked");
}

void Console::Impl::link_page(const httplib::Request& req, httplib::Response& res, const std::string& error, int status) {
  Lang lang = lang_of(req);
  json f = frame(req, wording(lang, "tr_link_title"), nullptr);
  if (!error.empty()) f["error"] = error;
  send_page(res, status, lang, f, render_page(PageTemplate::kLink, lang, {{"token", std::string(req.matches[1])}}));
}

void Console::Impl::link_download(const httplib::Request& req, httplib::Response& res) {
  Lang lang = lang_of(req);
  if (!same_origin(req)) return refuse_form(req, res, nullptr, lang, "cross-origin");
  if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  auto files = services.transfers->download(req.matches[1], form_field(req, "password"), "web " + client_address(req));
  if (!files) {
    const Error& e = files.error();
    if (e.code == "transfer.password") return link_page(req, res, wording(lang, "err_link_password"), 401);
    if (status_of(e) == 500) {
      log::error("web: a link download: " + e.to_string());
      return send_error(req, res, nullptr, lang, 500, "err_internal");
    }
    return link_page(req, res, wording(lang, "err_link"), 404);
  }
  if (files->size() == 1) return send_file(res, files->front().name, std::move(files->front().bytes));
  auto zip = zip_of(*files);
  if (!zip) {
    log::error("web: " + zip.error().to_string());
    return send_error(req, res, nullptr, lang, 500, "err_internal");
  }
  send_file(res, "files.zip", std::move(*zip));
}

namespace {

// The form token of a PPAP page: bound to its link by a key this process drew at random, so that
// a form another site builds cannot carry it (with the Origin check, the CSRF defence of a page
// that has no session).
std::string ppap_form_token(const std::string& token) {
  static const std::array<unsigned char, crypto_generichash_KEYBYTES> key = [] {
    std::array<unsigned char, crypto_generichash_KEYBYTES> k{};
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  const std::string bound = "sanso-ppap-form\n" + token;
  std::array<unsigned char, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bound.data()), bound.size(), key.data(), key.size());
  std::string hex(out.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
  hex.pop_back();
  return hex;
}

}  // namespace

void Console::Impl::ppap_page(const httplib::Request& req, httplib::Response& res, const std::string& message, int status) {
  Lang lang = lang_of(req);
  const std::string token = req.matches[1];
  json f = frame(req, wording(lang, "ppap_title"), nullptr);
  auto t = services.transfers->ppap_transfer(token);
  if (!t) {
    if (status_of(t.error()) == 500) log::error("web: a PPAP link: " + t.error().to_string());
    f["error"] = message.empty() ? wording(lang, "err_link") : message;
    return send_page(res, status == 200 ? 404 : status, lang, f, render_page(PageTemplate::kPpap, lang, {{"token", token}, {"has_files", false}}));
  }
  json files = json::array();
  for (const auto& file : t->files) {
    if (file.awaits_password()) files.push_back({{"position", file.position}, {"name", file.name}});
  }
  if (!message.empty()) f[status < 400 ? "notice" : "error"] = message;
  send_page(res, status, lang, f,
            render_page(PageTemplate::kPpap, lang, {{"token", token}, {"form", ppap_form_token(token)}, {"has_files", !files.empty()}, {"files", files}}));
}

// The password goes to the service (and from there to the sandbox) only; this copy is wiped and
// no answer repeats it.
void Console::Impl::ppap_unlock(const httplib::Request& req, httplib::Response& res) {
  Lang lang = lang_of(req);
  if (!same_origin(req)) return refuse_form(req, res, nullptr, lang, "cross-origin");
  if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  const std::string token = req.matches[1];
  const std::string form = form_field(req, "form");
  const std::string expected = ppap_form_token(token);
  if (form.size() != expected.size() || sodium_memcmp(form.data(), expected.data(), expected.size()) != 0) {
    return refuse_form(req, res, nullptr, lang, "csrf-token");
  }
  int position = -1;
  const std::string wanted = form_field(req, "position");
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), position);
  if (wanted.empty() || ec != std::errc() || p != wanted.data() + wanted.size()) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  std::string password = form_field(req, "password");
  auto r = services.transfers->unlock_with_link(token, position, password, "web " + client_address(req));
  sodium_memzero(password.data(), password.size());
  if (r) {
    // The link is spent now: the answer says what happened without looking it up again.
    json f = frame(req, wording(lang, "ppap_title"), nullptr);
    f["notice"] = wording(lang, "ppap_done");
    return send_page(res, 200, lang, f, render_page(PageTemplate::kPpap, lang, {{"token", token}, {"has_files", false}, {"done", true}}));
  }
  const Error& e = r.error();
  if (status_of(e) == 500) log::error("web: a PPAP unlock: " + e.to_string());
  const int status = e.code == "transfer.link"            ? 404
                     : e.code == "transfer.password"      ? 401
                     : e.code == "transfer.locked"        ? 409
                     : e.code == "transfer.rate-limited"  ? 429
                     : e.code == "transfer.password-input" ? 400
                     : status_of(e) == 500                ? 500
                                                          : 409;
  ppap_page(req, res, status == 500 ? wording(lang, "err_internal") : e.message, status);
}

void Console::Impl::transfer_routes() {
  httplib::Server& s = *server;
  if (services.transfers == nullptr || services.policy == nullptr) return;
  const std::vector<Permission> own{Permission::kTransfer}, approvals{Permission::kApprovals};
  s.Get("/static/transfer.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(upload_script()), "text/javascript; charset=utf-8");
  });
  s.Get("/transfer", on_own_side(own, [this](auto& req, auto& res, auto& ctx) { transfer_home(req, res, ctx, "", 200); }, false));
  s.Post("/transfer/send", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
    transfer_send(req, res, body);
  });
  // A transfer's own page: its sender and recipient see it, and an approver who decides it.
  s.Get(R"(/transfer/(t[0-9a-f]{1,64}))", on_own_side({Permission::kTransfer, Permission::kApprovals},
                                                      [this](auto& req, auto& res, auto& ctx) {
                                                        std::string done = field(req, "done");
                                                        bool known = done == "sent" || done == "unlocked";
                                                        transfer_page(req, res, ctx, req.matches[1], known ? wording(ctx.lang, "done_" + done) : "",
                                                                      std::nullopt, "");
                                                      },
                                                      false));
  s.Get(R"(/transfer/(t[0-9a-f]{1,64})/file/([0-9]{1,4}))", on_own_side(own, [this](auto& req, auto& res, auto& ctx) { transfer_file(req, res, ctx); }, false));
  s.Post(R"(/transfer/(t[0-9a-f]{1,64})/decide)", on_own_side(approvals, [this](auto& req, auto& res, auto& ctx) { transfer_decide(req, res, ctx); }, true));
  s.Post(R"(/transfer/(t[0-9a-f]{1,64})/unlock)", on_own_side(own, [this](auto& req, auto& res, auto& ctx) { transfer_unlock(req, res, ctx); }, true));
  s.Post(R"(/transfer/(t[0-9a-f]{1,64})/link)", on_own_side(own, [this](auto& req, auto& res, auto& ctx) { transfer_issue_link(req, res, ctx); }, true));
  // The link holder has no session: the page is the internet side's only (the token is the key).
  auto internet_only = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      if (address_zone(req) != policy::kZoneInternet) return send_error(req, res, nullptr, lang_of(req), 403, "err_zone_address");
      handler(req, res);
    };
  };
  s.Get(R"(/link/([0-9a-f]{64}))", internet_only([this](const httplib::Request& req, httplib::Response& res) { link_page(req, res, "", 200); }));
  s.Post(R"(/link/([0-9a-f]{64}))", internet_only([this](const httplib::Request& req, httplib::Response& res) { link_download(req, res); }));
  // PPAP from mail: the sender of a password-protected attachment, by the link mailed to them.
  s.Get(R"(/ppap/([0-9a-f]{64}))", internet_only([this](const httplib::Request& req, httplib::Response& res) { ppap_page(req, res, "", 200); }));
  s.Post(R"(/ppap/([0-9a-f]{64}))", internet_only([this](const httplib::Request& req, httplib::Response& res) { ppap_unlock(req, res); }));
}

}  // namespace sanso::web
