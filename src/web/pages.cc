#include "web/pages.h"

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <utility>

#include "web/internal/findings_page.h"
#include "web/internal/inbox_page.h"
#include "web/internal/prove_pages.h"
#include "web/internal/transfer_pages.h"

namespace sanso::web {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

// key → {ja, en}
const std::map<std::string, std::pair<std::string, std::string>, std::less<>>& words() {
  static const std::map<std::string, std::pair<std::string, std::string>, std::less<>> kWords = {
      {"app", {"Sanso 管理コンソール", "Sanso console"}},
      {"nav_dashboard", {"概要", "Overview"}},
      {"nav_quarantine", {"隔離保管", "Quarantine"}},
      {"nav_audit", {"監査ログ", "Audit log"}},
      {"nav_account", {"アカウント", "Account"}},
      {"sign_out", {"サインアウト", "Sign out"}},
      {"other_lang", {"English", "日本語"}},
      {"signed_in_as", {"サインイン中:", "Signed in as"}},
      {"sign_in", {"サインイン", "Sign in"}},
      {"user_name", {"ユーザー名", "User name"}},
      {"password", {"パスワード", "Password"}},
      {"code", {"確認コード（二要素認証を設定した人のみ、6桁）", "One-time code (only if you set up a second factor; 6 digits)"}},
      {"sign_in_note",
       {"この画面の操作はすべて監査ログに記録されます（情報セキュリティ基本方針 6(6)・6(9)）。",
        "Everything done here is recorded in the audit log (basic policy 6(6), 6(9))."}},
      {"sign_in_failed",
       {"ユーザー名・パスワード・確認コードのいずれかが正しくないか、アカウントが一時的にロックされています。",
        "Wrong user name, password or one-time code, or the account is locked for a while."}},
      {"directory_unavailable",
       {"ディレクトリ（LDAP/Active Directory）に接続できないため、サインインを確認できませんでした。障害の間は情報政策係の緊急用ローカルアカウントを使ってください。",
        "The directory (LDAP / Active Directory) could not be reached to check the sign-in. During the outage, use the emergency local accounts of the IT section."}},
      {"signed_out", {"サインアウトしました。", "You have signed out."}},
      {"session_ended", {"セッションが終了しました。もう一度サインインしてください。", "Your session has ended; please sign in again."}},
      {"state_all", {"すべて", "All"}},
      {"id", {"隔離ID", "Quarantine id"}},
      {"received", {"受信・登録日時", "Received"}},
      {"kind", {"種別", "Kind"}},
      {"kind_mail", {"メール", "Mail"}},
      {"kind_file", {"ファイル", "File"}},
      {"from", {"差出人", "From"}},
      {"to", {"宛先", "To"}},
      {"subject", {"件名", "Subject"}},
      {"target", {"対象", "Subject"}},
      {"file_name", {"ファイル名", "File name"}},
      {"uploader", {"持ち込んだ人", "Uploaded by"}},
      {"verdict", {"判定", "Verdict"}},
      {"reason", {"理由", "Reason"}},
      {"state", {"状態", "State"}},
      {"expires", {"保管期限", "Kept until"}},
      {"size", {"サイズ", "Size"}},
      {"sha256", {"SHA-256", "SHA-256"}},
      {"classification", {"機密性", "Confidentiality"}},
      {"findings", {"検出内容", "Findings"}},
      {"no_items", {"該当する項目はありません。", "No items."}},
      {"history", {"解放の履歴", "Release history"}},
      {"requested_by", {"申請者", "Requested by"}},
      {"decided_by", {"判断者", "Decided by"}},
      {"released_by", {"解放者", "Released by"}},
      {"released_to", {"解放先", "Released to"}},
      {"request_release", {"解放を申請", "Request release"}},
      {"request_reason", {"申請理由（業務上の必要性）", "Reason (the business need)"}},
      {"approve", {"承認", "Approve"}},
      {"deny", {"却下", "Deny"}},
      {"decision_note", {"判断のコメント", "Note on the decision"}},
      {"four_eyes",
       {"申請者本人は承認できません（二者確認）。承認者の役割が必要です。",
        "The requester cannot approve their own request (four-eyes); an approver role is needed."}},
      {"release", {"解放を実行", "Release now"}},
      {"release_note",
       {"メールは中継サーバーへ再送信し、ファイルは払出しフォルダーに書き出します。",
        "Mail is re-sent through the relay; files are written to the export folder."}},
      {"download", {"原本をダウンロード（調査用・記録されます）", "Download the original (for investigation; recorded)"}},
      {"done_requested", {"解放を申請しました。承認者の判断を待っています。", "Release requested; it now awaits an approver."}},
      {"done_approved", {"承認しました。", "Approved."}},
      {"done_denied", {"却下しました。", "Denied."}},
      {"done_released", {"解放しました。", "Released."}},
      {"dashboard_counts", {"隔離保管の状況", "Quarantine at a glance"}},
      {"awaiting", {"承認待ちの解放申請", "Releases awaiting a decision"}},
      {"none_awaiting", {"承認待ちの申請はありません。", "Nothing awaits a decision."}},
      {"audit_state", {"監査ログ", "Audit log"}},
      {"tree_size", {"記録件数（ツリーサイズ）", "Entries (tree size)"}},
      {"checkpoint", {"最新の署名済みチェックポイント", "Latest signed checkpoint"}},
      {"checkpoint_none", {"まだ署名されていません。", "None signed yet."}},
      {"signed_at", {"署名日時", "Signed at"}},
      {"root_hash", {"ルートハッシュ", "Root hash"}},
      {"verify_hint",
       {"改ざんがないことの検証: sanso audit verify --config FILE（オフラインで実行できます）",
        "To verify nothing was altered: sanso audit verify --config FILE (works offline)"}},
      {"index", {"番号", "Index"}},
      {"time", {"日時", "Time"}},
      {"actor", {"実行者", "Actor"}},
      {"action", {"操作", "Action"}},
      {"outcome", {"結果", "Outcome"}},
      {"clause", {"条項", "Clause"}},
      {"filter", {"絞り込み", "Filter"}},
      {"action_prefix", {"操作（前方一致）", "Action (prefix)"}},
      {"show", {"表示", "Show"}},
      {"older", {"さらに古い記録", "Older entries"}},
      {"no_entries", {"記録はありません。", "No entries."}},
      {"roles", {"役割", "Roles"}},
      {"last_login", {"前回のサインイン", "Last sign-in"}},
      {"session_started", {"このセッションの開始", "This session began"}},
      {"change_password", {"パスワードの変更", "Change password"}},
      {"current_password", {"現在のパスワード", "Current password"}},
      {"new_password", {"新しいパスワード", "New password"}},
      {"repeat_password", {"新しいパスワード（確認）", "New password again"}},
      {"password_rule",
       {"{{min}}文字以上で、ユーザー名を含まないもの。変更すると他のセッションはすべて終了します。",
        "At least {{min}} characters, not containing the user name. Your other sessions end when it changes."}},
      {"passwords_differ", {"確認用のパスワードが一致しません。", "The two new passwords differ."}},
      {"password_changed", {"パスワードを変更しました。他のセッションは終了しました。", "Password changed; your other sessions have ended."}},
      {"password_wrong", {"現在のパスワードが正しくありません。", "The current password is wrong."}},
      {"password_weak", {"新しいパスワードが条件を満たしていません: ", "The new password does not meet the rule: "}},
      {"err_forbidden", {"この操作を行う権限がありません。", "You may not do this."}},
      {"err_state", {"この項目の現在の状態では、その操作はできません。", "The item's current state does not allow this."}},
      {"err_four_eyes", {"申請者本人は承認・却下できません（二者確認）。", "The requester cannot decide their own request (four-eyes)."}},
      {"err_input", {"入力が足りないか正しくありません。", "Something is missing or wrong in the form."}},
      {"err_not_found", {"見つかりません。", "Not found."}},
      {"err_csrf",
       {"フォームの有効期限が切れたか、別のサイトから送信されました。ページを開き直してやり直してください。",
        "The form expired or came from another site; open the page again and retry."}},
      {"err_bad_request", {"リクエストが正しくありません。", "The request is not valid."}},
      {"err_too_many_requests", {"このアドレスからの送信が多すぎます。しばらく待ってからやり直してください。", "Too many requests from this address; wait a while and retry."}},
      {"err_delivery", {"解放先への送信に失敗しました。項目は承認済みのまま残っています。", "Delivery failed; the item stays approved."}},
      {"err_damaged", {"原本が破損しています（認証に失敗）。", "The original is damaged (it failed authentication)."}},
      {"err_internal", {"内部エラーが発生しました。操作は行われていません。", "An internal error occurred; nothing was done."}},
      {"detail", {"詳細", "Detail"}},
  };
  return kWords;
}

data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      data d{data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      data d{data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case nlohmann::json::value_t::boolean:
      return j.get<bool>() ? data{data::type::bool_true} : data{data::type::bool_false};
    case nlohmann::json::value_t::string:
      return data{j.get<std::string>()};
    case nlohmann::json::value_t::null:
      return data{data::type::bool_false};
    default:
      return data{j.dump()};
  }
}

data wording_data(Lang lang) {
  data t{data::type::object};
  for (const auto& [key, pair] : words()) t.set(key, lang == Lang::kJa ? pair.first : pair.second);
  for (const auto& [key, pair] : internal::transfer_wording()) t.set(key, lang == Lang::kJa ? pair.first : pair.second);
  for (const auto& [key, pair] : internal::findings_wording()) t.set(key, lang == Lang::kJa ? pair.first : pair.second);
  for (const auto& [key, pair] : internal::prove_wording()) t.set(key, lang == Lang::kJa ? pair.first : pair.second);
  for (const auto& [key, pair] : internal::inbox_wording()) t.set(key, lang == Lang::kJa ? pair.first : pair.second);
  return t;
}

constexpr const char* kFrame = R"html(<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} — {{t.app}}</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header>
  <div class="brand">{{t.app}}{{#municipality}} — {{municipality}}{{/municipality}}</div>
  {{#user}}
  <nav>
    <a href="/">{{t.nav_dashboard}}</a>
    {{#may_quarantine}}<a href="/quarantine">{{t.nav_quarantine}}</a>{{/may_quarantine}}
    {{#may_audit}}<a href="/audit">{{t.nav_audit}}</a>{{/may_audit}}
    {{#may_transfer}}<a href="/transfer">{{t.nav_transfer}}</a>{{/may_transfer}}
    {{#may_approvals}}<a href="/approvals">{{t.nav_approvals}}</a>{{/may_approvals}}
    {{#may_findings}}<a href="/monitor/findings">{{t.nav_findings}}</a>{{/may_findings}}
    {{#may_registers}}<a href="/registers">{{t.nav_registers}}</a>{{/may_registers}}
    {{#may_inspection}}<a href="/inspect">{{t.nav_inspect}}</a>{{/may_inspection}}
    <a href="/account">{{t.nav_account}}</a>
  </nav>
  <div class="who">{{t.signed_in_as}} <span id="who">{{display}}</span>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" id="sign-out">{{t.sign_out}}</button>
    </form>
  </div>
  {{/user}}
  <a class="lang" href="/lang?to={{other_lang}}&amp;back={{path}}">{{t.other_lang}}</a>
</header>
<main>
<h1>{{title}}</h1>
{{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
{{{content}}}
</main>
<footer>{{node}}</footer>
</body>
</html>
)html";

const Templates& pages() {
  static const Templates kPages = {
      {PageTemplate::kLogin, R"html(<form method="post" action="/login" class="card" id="sign-in">
  <input type="hidden" name="next" value="{{next}}">
  <label>{{t.user_name}} <input name="name" autocomplete="username" required autofocus value="{{name}}"></label>
  <label>{{t.password}} <input name="password" type="password" autocomplete="current-password" required></label>
  <label>{{t.code}} <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></label>
  <button type="submit">{{t.sign_in}}</button>
</form>
<p class="hint">{{t.sign_in_note}}</p>
)html"},
      {PageTemplate::kDashboard, R"html({{#quarantine}}<section>
<h2>{{t.dashboard_counts}}</h2>
<table class="counts"><tr>{{#counts}}<th><a href="/quarantine?state={{state}}">{{label}}</a></th>{{/counts}}</tr>
<tr>{{#counts}}<td id="count-{{state}}">{{count}}</td>{{/counts}}</tr></table>
</section>
<section>
<h2>{{t.awaiting}}</h2>
{{^awaiting}}<p>{{t.none_awaiting}}</p>{{/awaiting}}
{{#has_awaiting}}<table><tr><th>{{t.id}}</th><th>{{t.received}}</th><th>{{t.subject}}</th><th>{{t.reason}}</th></tr>
{{#awaiting}}<tr><td><a href="/quarantine/{{id}}">{{id}}</a></td><td>{{received}}</td><td>{{what}}</td><td>{{reason}}</td></tr>{{/awaiting}}
</table>{{/has_awaiting}}
</section>{{/quarantine}}
{{#audit}}<section>
<h2>{{t.audit_state}}</h2>
<dl>
<dt>{{t.tree_size}}</dt><dd id="tree-size">{{tree_size}}</dd>
<dt>{{t.checkpoint}}</dt><dd>{{#checkpoint}}{{size}} — {{t.signed_at}} {{signed_at}}<br><code>{{root}}</code>{{/checkpoint}}{{^checkpoint}}{{t.checkpoint_none}}{{/checkpoint}}</dd>
</dl>
<p class="hint">{{t.verify_hint}}</p>
</section>{{/audit}}
{{#transfer}}<p><a href="/transfer" id="to-transfer">{{t.nav_transfer}}</a></p>{{/transfer}}
)html"},
      {PageTemplate::kQuarantine, R"html(<p class="filters">{{#filters}}<a href="/quarantine{{#state}}?state={{state}}{{/state}}"{{#current}} class="current"{{/current}}>{{label}}</a> {{/filters}}</p>
{{^items}}<p>{{t.no_items}}</p>{{/items}}
{{#has_items}}<table id="items"><tr><th>{{t.id}}</th><th>{{t.received}}</th><th>{{t.kind}}</th><th>{{t.subject}} / {{t.file_name}}</th><th>{{t.verdict}}</th><th>{{t.reason}}</th><th>{{t.state}}</th></tr>
{{#items}}<tr><td><a href="/quarantine/{{id}}">{{id}}</a></td><td>{{received}}</td><td>{{kind}}</td><td>{{what}}</td><td>{{verdict}}</td><td>{{reason}}</td><td>{{state_label}}</td></tr>
{{/items}}</table>{{/has_items}}
)html"},
      {PageTemplate::kItem, R"html(<dl class="item">
<dt>{{t.state}}</dt><dd id="state">{{state_label}}</dd>
<dt>{{t.kind}}</dt><dd>{{kind}}</dd>
{{#mail}}<dt>{{t.from}}</dt><dd>{{from}}</dd><dt>{{t.to}}</dt><dd>{{to}}</dd><dt>{{t.subject}}</dt><dd>{{subject}}</dd>{{/mail}}
{{#file}}<dt>{{t.file_name}}</dt><dd>{{file_name}}</dd><dt>{{t.uploader}}</dt><dd>{{uploader}}</dd>{{/file}}
<dt>{{t.received}}</dt><dd>{{received}}</dd>
<dt>{{t.verdict}}</dt><dd>{{verdict}}</dd>
<dt>{{t.reason}}</dt><dd>{{reason}}</dd>
{{#classification}}<dt>{{t.classification}}</dt><dd>{{classification}}</dd>{{/classification}}
<dt>{{t.size}}</dt><dd>{{size}}</dd>
<dt>{{t.sha256}}</dt><dd><code>{{sha256}}</code></dd>
<dt>{{t.expires}}</dt><dd>{{expires}}</dd>
</dl>
{{#has_findings}}<h2>{{t.findings}}</h2><pre class="findings">{{findings}}</pre>{{/has_findings}}
{{#has_history}}<h2>{{t.history}}</h2>
<table id="history"><tr><th>{{t.requested_by}}</th><th>{{t.reason}}</th><th>{{t.decided_by}}</th><th>{{t.decision_note}}</th><th>{{t.released_by}}</th><th>{{t.released_to}}</th></tr>
{{#history}}<tr><td>{{requested_by}}<br><small>{{requested_at}}</small></td><td>{{reason}}</td><td>{{decision}} {{decided_by}}<br><small>{{decided_at}}</small></td><td>{{note}}</td><td>{{released_by}}<br><small>{{released_at}}</small></td><td>{{released_to}}</td></tr>{{/history}}
</table>{{/has_history}}
{{#can_request}}<form method="post" action="/quarantine/{{id}}/request" class="card" id="request-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.request_reason}} <textarea name="reason" required maxlength="2000"></textarea></label>
<button type="submit">{{t.request_release}}</button>
</form>{{/can_request}}
{{#can_decide}}<form method="post" action="/quarantine/{{id}}/decide" class="card" id="decide-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.decision_note}} <textarea name="note" maxlength="2000"></textarea></label>
{{#needs_code}}<label>{{t.tr_second_factor}} <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></label>{{/needs_code}}
<button type="submit" name="decision" value="approve" id="approve">{{t.approve}}</button>
<button type="submit" name="decision" value="deny" id="deny">{{t.deny}}</button>
<p class="hint">{{t.four_eyes}}</p>
</form>{{/can_decide}}
{{#can_release}}<form method="post" action="/quarantine/{{id}}/release" class="card" id="release-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" id="release">{{t.release}}</button>
<p class="hint">{{t.release_note}}</p>
</form>{{/can_release}}
{{#can_download}}<p><a href="/quarantine/{{id}}/original" id="download">{{t.download}}</a></p>{{/can_download}}
)html"},
      {PageTemplate::kAudit, R"html(<form method="get" action="/audit" class="filters">
<label>{{t.action_prefix}} <input name="action" value="{{action}}"></label>
<label>{{t.actor}} <input name="actor" value="{{actor}}"></label>
<button type="submit">{{t.show}}</button>
</form>
<p>{{t.tree_size}}: <span id="tree-size">{{tree_size}}</span></p>
{{^entries}}<p>{{t.no_entries}}</p>{{/entries}}
{{#has_entries}}<table id="entries"><tr><th>{{t.index}}</th><th>{{t.time}}</th><th>{{t.actor}}</th><th>{{t.action}}</th><th>{{t.target}}</th><th>{{t.outcome}}</th><th>{{t.clause}}</th><th>{{t.detail}}</th></tr>
{{#entries}}<tr><td>{{index}}</td><td>{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{subject}}</td><td>{{outcome}}</td><td>{{clause}}</td><td><small>{{details}}</small></td></tr>
{{/entries}}</table>{{/has_entries}}
{{#older}}<p><a href="/audit?before={{older}}&amp;action={{action}}&amp;actor={{actor}}">{{t.older}}</a></p>{{/older}}
)html"},
      {PageTemplate::kAccount, R"html(<dl>
<dt>{{t.user_name}}</dt><dd>{{name}}</dd>
<dt>{{t.roles}}</dt><dd>{{roles}}</dd>
<dt>{{t.session_started}}</dt><dd>{{session_started}}</dd>
</dl>
<h2>{{t.change_password}}</h2>
<form method="post" action="/account/password" class="card" id="password-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.current_password}} <input name="current" type="password" autocomplete="current-password" required></label>
<label>{{t.new_password}} <input name="password" type="password" autocomplete="new-password" required></label>
<label>{{t.repeat_password}} <input name="repeat" type="password" autocomplete="new-password" required></label>
<button type="submit">{{t.change_password}}</button>
<p class="hint">{{rule}}</p>
</form>
)html"},
      {PageTemplate::kMessage, R"html(<p><a href="/">{{t.nav_dashboard}}</a></p>
)html"},
  };
  return kPages;
}

std::string render(const std::string& text, Lang lang, const nlohmann::json& values) {
  data d = to_data(values.is_object() ? values : nlohmann::json::object());
  d.set("t", wording_data(lang));
  mustache m(text);
  std::string out = m.render(d);
  if (!m.is_valid()) return "<p class=\"error\">template: " + m.error_message() + "</p>";
  return out;
}

}  // namespace

namespace {

// The files' templates, in the order they are searched.
const std::array<const Templates*, 5>& every_file() {
  static const std::array<const Templates*, 5> kFiles = {&pages(), &internal::transfer_templates(), &internal::findings_templates(),
                                                         &internal::prove_templates(), &internal::inbox_templates()};
  return kFiles;
}

}  // namespace

std::size_t templates_for(PageTemplate page) {
  std::size_t n = 0;
  for (const Templates* file : every_file()) n += file->count(page);
  return n;
}

std::string render_page(PageTemplate page, Lang lang, const nlohmann::json& values) {
  for (const Templates* file : every_file()) {
    if (auto it = file->find(page); it != file->end()) return render(it->second, lang, values);
  }
  // Unreachable while every page has its template (tests/web: EveryPageHasOneTemplate).
  return "<p class=\"error\">template: none for this page</p>";
}

std::string render_frame(Lang lang, const nlohmann::json& frame, const std::string& content_html) {
  nlohmann::json values = frame;
  values["lang"] = lang == Lang::kJa ? "ja" : "en";
  values["other_lang"] = lang == Lang::kJa ? "en" : "ja";
  values["content"] = content_html;
  if (frame.contains("user")) {
    values["display"] = frame["user"].value("display", "");
    values["csrf"] = frame["user"].value("csrf", "");
  }
  return render(kFrame, lang, values);
}

std::string wording(Lang lang, std::string_view key) {
  for (const auto* table : {&words(), &internal::transfer_wording(), &internal::findings_wording(), &internal::prove_wording(),
                            &internal::inbox_wording()}) {
    if (auto it = table->find(key); it != table->end()) return lang == Lang::kJa ? it->second.first : it->second.second;
  }
  return {};
}

std::string_view console_css() {
  return R"css(:root { color-scheme: light; --ink: #1d2733; --line: #c9d2dc; --accent: #0b5cad; --warn: #a8200d; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", Meiryo, sans-serif; color: var(--ink); line-height: 1.6; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1.2rem; background: #eef3f8; border-bottom: 1px solid var(--line); }
header .brand { font-weight: bold; }
header nav a { margin-right: .8rem; color: var(--accent); }
header .who { margin-left: auto; }
header .lang { font-size: .9rem; }
main { padding: 1rem 1.2rem; max-width: 80rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f5f7fa; }
.counts td { font-size: 1.3rem; text-align: center; }
#entries td:nth-child(-n+4), #entries td:nth-child(6), #entries td:nth-child(7) { white-space: nowrap; }
.card { display: grid; gap: .6rem; max-width: 34rem; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; margin: 1rem 0; }
.card label { display: grid; gap: .2rem; }
.drop-zone { padding: 1.2rem; border: 2px dashed var(--line); border-radius: 6px; text-align: center; }
.drop-zone.active { border-color: var(--accent); background: #eef5fc; }
#file-list:empty { display: none; }
progress { width: 100%; }
input, textarea, button { font: inherit; padding: .35rem .5rem; }
textarea { min-height: 4rem; }
button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button#deny { background: var(--warn); }
form.inline { display: inline; } form.inline button { padding: .1rem .6rem; }
.notice { background: #e8f5e9; border-left: 4px solid #2e7d32; padding: .5rem .8rem; }
.error { background: #fdecea; border-left: 4px solid var(--warn); padding: .5rem .8rem; }
.hint { color: #5a6673; font-size: .9rem; }
.filters a.current { font-weight: bold; text-decoration: none; color: var(--ink); }
dl.item, dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
pre.findings { white-space: pre-wrap; background: #f5f7fa; padding: .6rem; }
footer { color: #7a8591; font-size: .8rem; padding: 1rem 1.2rem; }
)css";
}

}  // namespace sanso::web
