// The registers (台帳, docs/registers.md) and the self-inspection (自己点検, docs/inspect.md) in the
// console: each register with what needs attention, an entry's history, adding and changing an
// entry, CSV/XLSX downloads; a campaign's items, answers, evidence files, evaluation, corrective
// actions, sign-off by someone else and the XLSX report. Every page works with plain forms (no
// script) and acts only through src/register and src/inspect, which validate, decide and record
// exactly as they do for the command line; these pages only translate forms into their calls.
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "audit/versions.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/private_file.h"
#include "core/text.h"
#include "directory/directory.h"
#include "inspect/campaign.h"
#include "inspect/evaluate.h"
#include "inspect/report.h"
#include "inspect/stats.h"
#include "inspect/template.h"
#include "mime/header.h"
#include "policy/check.h"
#include "policy/diff.h"
#include "register/register.h"
#include "web/console.h"
#include "web/internal/console_server.h"
#include "web/internal/form_upload.h"
#include "web/internal/prove_pages.h"
#include "web/multipart.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

const Wording& prove_wording() {
  static const Wording kWords = {
      {"nav_registers", {"台帳", "Registers"}},
      {"nav_inspect", {"自己点検", "Self-inspection"}},
      {"rg_register", {"台帳", "Register"}},
      {"rg_clause", {"条項", "Clause"}},
      {"rg_count", {"件数", "Entries"}},
      {"rg_alarms", {"要対応", "Needs attention"}},
      {"rg_id", {"識別子", "Id"}},
      {"rg_name", {"名称", "Name"}},
      {"rg_source", {"出典", "Source"}},
      {"rg_from_policy", {"ポリシー", "Policy"}},
      {"rg_own", {"台帳", "Register"}},
      {"rg_version", {"版", "Version"}},
      {"rg_changed", {"最終変更", "Last changed"}},
      {"rg_fields", {"項目", "Fields"}},
      {"rg_value", {"値", "Value"}},
      {"rg_none", {"登録はありません。", "No entries."}},
      {"rg_add", {"追加する", "Add an entry"}},
      {"rg_save", {"変更を保存", "Save the change"}},
      {"rg_edit", {"変更する", "Change this entry"}},
      {"rg_download", {"ダウンロード", "Download"}},
      {"rg_history", {"変更履歴", "History"}},
      {"rg_change", {"変更の種類", "Change"}},
      {"rg_by", {"変更者", "By"}},
      {"rg_audit", {"監査ログ", "Audit entry"}},
      {"rg_required", {"（必須）", "(required)"}},
      {"rg_policy_value", {"ポリシーの値（ポリシーファイルで変更します）", "The policy's value (changed in the policy file)"}},
      {"rg_clear_hint", {"空欄にした項目は消えます。値は CLI と同じ規則で検査され、すべて監査ログに記録されます。",
                         "A field left empty is cleared. Values are checked by the same rules as the command line, and every change is recorded in the audit log."}},
      {"rg_choose", {"（選択）", "(choose)"}},
      {"done_rg_added", {"登録しました。", "Added."}},
      {"done_rg_changed", {"変更しました。", "Changed."}},
      {"err_rg_refused", {"台帳は変更されていません。", "The register was not changed."}},
      {"rg_ck_title", {"契約条項ごとの確認の履歴", "Checks of each contract clause"}},
      {"rg_ck_clause", {"契約条項", "Contract clause"}},
      {"rg_ck_on", {"確認日", "Checked on"}},
      {"rg_ck_result", {"確認結果", "Result"}},
      {"rg_ck_by", {"確認者", "Checked by"}},
      {"rg_ck_next", {"次回確認期限", "Next check due"}},
      {"rg_ck_note", {"確認の内容", "Note"}},
      {"rg_ck_none", {"確認の記録はありません。", "No check recorded."}},
      {"rg_ck_add", {"確認を記録する", "Record a check"}},
      {"rg_ck_hint", {"確認は追記され、以前の確認は変更されません。監査ログに記録されます。",
                      "A check is appended; earlier checks stay as they were. Each is recorded in the audit log."}},
      {"rg_ck_no_clauses", {"必要な契約条項が登録されていません（上の「必要な契約条項」に ; 区切りで記入してください）。",
                            "No required contract clauses are registered (list them, separated by ;, under required contract clauses above)."}},
      {"done_rg_checked", {"確認を記録しました。", "The check was recorded."}},
      {"in_campaign", {"点検", "Campaign"}},
      {"in_body", {"実施機関", "Body"}},
      {"in_period", {"期間", "Period"}},
      {"in_section", {"課・係", "Section"}},
      {"in_section_hint", {"空欄は実施機関全体", "empty: the whole body"}},
      {"in_assignee", {"担当", "Assignee"}},
      {"in_reviewer", {"確認者", "Reviewer"}},
      {"in_state", {"状態", "State"}},
      {"in_open", {"実施中", "Open"}},
      {"in_signed", {"確認済み（確定）", "Signed off (locked)"}},
      {"in_create", {"点検を作成する", "Create a campaign"}},
      {"in_template", {"点検表", "Template"}},
      {"in_period_hint", {"月次は 2026-11、年次は年度 2026", "2026-11 for a monthly template, the fiscal year 2026 for an annual one"}},
      {"in_reviewer_hint", {"空欄なら回答者以外の誰でも", "empty: anyone but those who answered"}},
      {"in_no_templates", {"点検表を読めません", "The templates cannot be read"}},
      {"done_in_created", {"点検を作成しました。", "The campaign was created."}},
      {"err_in_not_created", {"点検は作成されていません。", "No campaign was created."}},
      {"st_title", {"運用統計", "Operations statistics"}},
      {"st_intro", {"6(7)・6(9): 監査ログの記録を数えた件数（カウンタではない）。月は日本時間。", "6(7)/6(9): counts of audit-log entries (not counters). Months in Japan Standard Time."}},
      {"st_month", {"月", "Month"}},
      {"st_show", {"表示", "Show"}},
      {"st_basis", {"この月の監査ログの記録", "Audit entries this month"}},
      {"st_measure", {"項目", "Measure"}},
      {"st_total", {"合計", "Total"}},
      {"st_chart", {"グラフ", "Chart"}},
      {"st_breakdown", {"区分別", "By outcome"}},
      {"st_trend", {"推移（12か月）", "Trend (12 months)"}},
      {"st_none", {"なし", "none"}},
      {"in_none", {"点検はまだありません（sanso inspect campaign create で作成します）。", "No campaigns yet (sanso inspect campaign create makes one)."}},
      {"in_items", {"点検項目", "Items"}},
      {"in_item", {"項目", "Item"}},
      {"in_question", {"点検内容", "Question"}},
      {"in_kind", {"種別", "Kind"}},
      {"in_manual", {"人が回答", "Answered by a person"}},
      {"in_automatic", {"自動", "Automatic"}},
      {"in_answer", {"回答", "Answer"}},
      {"in_note", {"備考", "Note"}},
      {"in_evidence", {"証跡", "Evidence"}},
      {"in_result", {"自動点検の結果", "Automatic result"}},
      {"in_pass", {"適合", "Pass"}},
      {"in_fail", {"不適合", "Fail"}},
      {"in_not_evaluated", {"未評価", "Not evaluated"}},
      {"in_unanswered", {"未回答", "Unanswered"}},
      {"in_yes", {"はい", "Yes"}},
      {"in_no", {"いいえ（指摘）", "No (a finding)"}},
      {"in_na", {"該当なし（備考に理由）", "Not applicable (say why in the note)"}},
      {"in_answer_submit", {"回答する", "Answer"}},
      {"in_file", {"ファイル（32 MiB まで）", "File (up to 32 MiB)"}},
      {"in_upload", {"証跡を追加", "Add evidence"}},
      {"in_evaluate", {"自動項目を評価", "Evaluate the automatic items"}},
      {"in_signoff", {"確認して確定する", "Sign off and lock"}},
      {"in_signoff_hint", {"確認は担当者・回答者以外の人が行います。確定後は変更できません。",
                           "Someone other than the assignee and those who answered signs off; nothing changes after it."}},
      {"in_report", {"報告書（XLSX）", "Report (XLSX)"}},
      {"in_report_pdf", {"報告書（PDF・印刷用）", "Report (PDF, for printing)"}},
      {"in_actions", {"是正措置", "Corrective actions"}},
      {"in_carried", {"引き継いだ是正措置", "Actions carried over"}},
      {"in_owner", {"担当", "Owner"}},
      {"in_due", {"期限", "Due"}},
      {"in_description", {"内容", "Description"}},
      {"in_action_add", {"是正措置を追加", "Add a corrective action"}},
      {"in_signed_by", {"確認者・日時", "Signed off by"}},
      {"in_checkpoints", {"評価の署名付きチェックポイント", "Signed checkpoints of the evaluations"}},
      {"in_checkpoint", {"チェックポイント（件数 / ルート）と検証", "Checkpoint (size / root) and its verification"}},
      {"in_proved", {"検証済み:", "Verified:"}},
      {"done_in_answered", {"回答しました。", "Answered."}},
      {"done_in_assigned", {"担当を設定しました。", "The item's assignee was set."}},
      {"in_item_assignee", {"担当", "Assignee"}},
      {"in_assign", {"項目の担当を設定する", "Assign an item"}},
      {"in_assign_hint", {"[[users]] の名前。空欄にすると点検の担当に戻ります。担当以外の回答は、点検担当の役割（inspector_roles）がなければ拒否されます。",
                          "A [[users]] name; empty gives the item back to the campaign's assignee. Someone else's item is answered only by an inspector (inspector_roles)."}},
      {"in_person", {"担当者", "Person"}},
      {"done_in_evidence", {"証跡を保存しました。", "Evidence stored."}},
      {"done_in_evaluated", {"自動項目を評価しました。", "The automatic items were evaluated."}},
      {"done_in_action", {"是正措置を追加しました。", "Corrective action added."}},
      {"done_in_signed", {"確認し、確定しました。", "Signed off and locked."}},
      {"err_in_refused", {"点検は変更されていません。", "The campaign was not changed."}},
      {"pv_title", {"ポリシーの版", "Policy versions"}},
      {"pv_intro", {"効力を持ったポリシーファイルの版（8 見直し）。各版は SHA-256 ごとに一度だけ保存され、保存の記録（policy.version）が監査ログにあります。",
                    "Every policy file that took effect (clause 8's review), kept once per SHA-256; its keeping is recorded in the audit log (policy.version)."}},
      {"pv_number", {"版", "Version"}},
      {"pv_seen_by", {"読み込んだもの", "Loaded by"}},
      {"pv_seen_at", {"初めて読まれた日時", "First loaded"}},
      {"pv_path", {"ファイル", "File"}},
      {"pv_none", {"保存された版はまだありません。", "No version has been kept yet."}},
      {"pv_compare", {"判断の違いを見る", "Compare the decisions"}},
      {"pv_previous", {"前の版との違い", "Changes from the previous version"}},
      {"pv_old", {"旧", "Old"}},
      {"pv_new", {"新", "New"}},
      {"pv_diff_title", {"ポリシーの差分（判断の変化）", "Policy diff (changed decisions)"}},
      {"pv_diff_intro", {"本文ではなく判断から計算した違いです（sanso policy diff と同じ）。", "Computed from the decisions, not the text (as sanso policy diff)."}},
      {"err_pv_refused", {"差分を計算できません。", "The difference cannot be computed."}},
      {"au_title", {"研修の対象者", "Training audience"}},
      {"au_intro", {"6(5): ディレクトリの研修対象グループ（[directory] training_groups）の人と、研修・遵守誓約記録での受講の有無。",
                    "6(5): the people of the directory's training groups ([directory] training_groups) and whether the training register has them as attended."}},
      {"au_course", {"研修・誓約（空欄はすべて）", "Course (empty: any)"}},
      {"au_since", {"この日以降", "On or after"}},
      {"au_groups", {"対象グループ", "Groups"}},
      {"au_audience", {"対象者", "Audience"}},
      {"au_attended", {"受講済み", "Attended"}},
      {"au_missing", {"未受講", "Not attended"}},
      {"au_name", {"名前", "Name"}},
      {"au_display", {"表示名", "Display name"}},
      {"au_no_directory", {"ディレクトリの研修対象グループが設定されていません（sanso.toml の [directory] training_groups と lookup_bind）。対象者はディレクトリから読みます。",
                           "No training groups are configured ([directory] training_groups and lookup_bind in sanso.toml): the audience is read from the directory."}},
      {"au_directory_down", {"ディレクトリに問い合わせられないため、対象者を表示できません:", "The audience cannot be shown: the directory cannot be asked:"}},
      {"err_au_bad_since", {"日付は 2026-04-01 の形で指定します。", "The date must look like 2026-04-01."}},
  };
  return kWords;
}

const Templates& prove_templates() {
  static const Templates kPages = {
      {PageTemplate::kRegisters, R"html(<p><a href="/policy/versions" id="policy-versions">{{t.pv_title}}</a> · <a href="/registers/training/audience" id="training-audience">{{t.au_title}}</a></p>
<table id="registers"><tr><th>{{t.rg_register}}</th><th>{{t.rg_clause}}</th><th>{{t.rg_count}}</th><th>{{t.rg_alarms}}</th></tr>
{{#kinds}}<tr data-kind="{{kind}}"><td><a href="/registers/{{kind}}">{{label}}</a></td><td>{{clause}}</td><td>{{count}}</td><td class="alarms">{{alarms}}</td></tr>{{/kinds}}
</table>
)html"},
      {PageTemplate::kRegister, R"html(<p>{{t.rg_clause}} {{clause}} — {{t.rg_download}}: <a href="/registers/{{kind}}/export.csv" id="export-csv">CSV</a> · <a href="/registers/{{kind}}/export.xlsx" id="export-xlsx">XLSX</a></p>
{{#is_reviews}}<p><a href="/policy/versions" id="policy-versions">{{t.pv_title}}</a></p>{{/is_reviews}}{{#is_training}}<p><a href="/registers/training/audience" id="training-audience">{{t.au_title}}</a></p>{{/is_training}}
{{^has_entries}}<p>{{t.rg_none}}</p>{{/has_entries}}
{{#has_entries}}<table id="register-entries"><tr><th>{{t.rg_id}}</th><th>{{t.rg_name}}</th><th>{{t.rg_source}}</th><th>{{t.rg_version}}</th><th>{{t.rg_changed}}</th><th>{{t.rg_alarms}}</th></tr>
{{#entries}}<tr data-id="{{id}}"><td><a href="/registers/{{kind}}/entry/{{id}}">{{id}}</a></td><td>{{name}}</td><td>{{source}}</td><td>{{version}}</td><td>{{changed}}</td>
<td class="alarms">{{#alarms}}<div class="alarm" data-code="{{code}}">{{text}}</div>{{/alarms}}</td></tr>{{/entries}}
</table>{{/has_entries}}
<form method="post" action="/registers/{{kind}}" class="card" id="add-form">
<h2>{{t.rg_add}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
{{{fields_html}}}
<p class="hint">{{t.rg_clear_hint}}</p>
<button type="submit">{{t.rg_add}}</button>
</form>
)html"},
      {PageTemplate::kRegisterEntry, R"html(<p><a href="/registers/{{kind}}">{{register}}</a> — {{t.rg_source}}: {{source}} — {{t.rg_version}} {{version}}</p>
{{#has_alarms}}<div class="error" id="alarms">{{#alarms}}<div class="alarm" data-code="{{code}}">{{text}}</div>{{/alarms}}</div>{{/has_alarms}}
<dl id="entry">{{#values}}<dt>{{label}}</dt><dd data-field="{{key}}">{{value}}{{#has_links}}<br>{{#links}}<a href="{{href}}" class="ref">{{text}}</a> {{/links}}{{/has_links}}</dd>{{/values}}</dl>
<h2>{{t.rg_history}}</h2>
<table id="history"><tr><th>{{t.rg_version}}</th><th>{{t.rg_change}}</th><th>{{t.rg_by}}</th><th>{{t.rg_changed}}</th><th>{{t.rg_audit}}</th><th>{{t.rg_fields}}</th></tr>
{{#history}}<tr><td>{{version}}</td><td>{{change}}</td><td>{{by}}</td><td>{{at}}</td><td><a href="/audit?from={{audit}}">#{{audit}}</a></td><td>{{fields}}</td></tr>{{/history}}
</table>
{{#is_contractor}}<h2>{{t.rg_ck_title}}</h2>
<p>{{t.rg_download}}: <a href="/registers/contractors/checks.csv" id="checks-csv">CSV</a> · <a href="/registers/contractors/checks.xlsx" id="checks-xlsx">XLSX</a></p>
{{#clauses}}<h3>{{clause}}</h3>
<table class="checks" data-clause="{{clause}}"><tr><th>{{t.rg_ck_on}}</th><th>{{t.rg_ck_result}}</th><th>{{t.rg_ck_by}}</th><th>{{t.rg_ck_next}}</th><th>{{t.rg_ck_note}}</th><th>{{t.rg_audit}}</th></tr>
{{#checks}}<tr data-number="{{number}}"><td>{{on}}</td><td data-result="{{result_name}}">{{result}}</td><td>{{by}}</td><td>{{next}}</td><td>{{note}}</td><td><a href="/audit?from={{audit}}">#{{audit}}</a></td></tr>{{/checks}}
{{^checks}}<tr><td colspan="6">{{t.rg_ck_none}}</td></tr>{{/checks}}</table>{{/clauses}}
{{#has_clauses}}<form method="post" action="/registers/contractors/entry/{{id}}/check" class="card" id="check-form">
<h2>{{t.rg_ck_add}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.rg_ck_clause}} <select name="c.clause">{{#clauses}}<option value="{{clause}}">{{clause}}</option>{{/clauses}}</select></label>
<label>{{t.rg_ck_on}} <input type="date" name="c.checked_on" required></label>
<label>{{t.rg_ck_result}} <select name="c.result">{{#results}}<option value="{{name}}">{{label}}</option>{{/results}}</select></label>
<label>{{t.rg_ck_by}} <input name="c.checked_by" maxlength="500" required></label>
<label>{{t.rg_ck_next}} <input type="date" name="c.next_check"></label>
<label>{{t.rg_ck_note}} <textarea name="c.note" maxlength="8000"></textarea></label>
<p class="hint">{{t.rg_ck_hint}}</p>
<button type="submit">{{t.rg_ck_add}}</button>
</form>{{/has_clauses}}{{^has_clauses}}<p class="hint" id="no-clauses">{{t.rg_ck_no_clauses}}</p>{{/has_clauses}}{{/is_contractor}}
<form method="post" action="/registers/{{kind}}/entry/{{id}}" class="card" id="edit-form">
<h2>{{t.rg_edit}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
{{{fields_html}}}
<p class="hint">{{t.rg_clear_hint}}</p>
<button type="submit">{{t.rg_save}}</button>
</form>
)html"},
      {PageTemplate::kFields, R"html({{#fields}}{{#policy}}<p><strong>{{label}}</strong>: {{value}} <small class="hint">{{t.rg_policy_value}}</small></p>{{/policy}}{{^policy}}<label>{{label}}{{#required}} {{t.rg_required}}{{/required}}
{{#is_long}}<textarea name="f.{{key}}" maxlength="8000">{{value}}</textarea>{{/is_long}}{{#is_choice}}<select name="f.{{key}}"><option value="">{{t.rg_choose}}</option>{{#choices}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/choices}}</select>{{/is_choice}}{{#is_plain}}<input name="f.{{key}}" value="{{value}}"{{#is_date}} type="date"{{/is_date}}{{#is_id}} pattern="[A-Za-z0-9._\-]{1,64}"{{/is_id}} maxlength="4000">{{/is_plain}}</label>
{{/policy}}{{/fields}})html"},
      {PageTemplate::kStatistics, R"html(<p>{{t.st_intro}}</p>
<form method="get" action="/inspect/stats"><label>{{t.st_month}} <input type="month" name="month" value="{{month}}" pattern="[0-9]{4}-[0-9]{2}"></label> <button type="submit">{{t.st_show}}</button></form>
<p><a href="/inspect/stats?month={{previous}}">← {{previous}}</a> · <a href="/inspect/stats?month={{next}}">{{next}} →</a></p>
<p id="stats-basis">{{t.st_basis}}: {{entries}}{{#has_entries}}（#{{first}}〜#{{last}}）{{/has_entries}}</p>
<table id="statistics"><tr><th>{{t.st_measure}}</th><th>{{t.st_total}}</th><th>{{t.st_chart}}</th><th>{{t.st_breakdown}}</th><th>{{t.st_trend}}</th></tr>
{{#measures}}<tr id="m-{{id}}"><td>{{label}}<br><small>{{actions}}</small></td><td class="total">{{total}}</td>
<td><svg width="160" height="14" viewBox="0 0 160 14" role="img" aria-label="{{label}} {{total}}"><rect x="0" y="2" width="{{bar}}" height="10" fill="#3b6ea5"></rect></svg></td>
<td>{{#outcomes}}<span class="outcome">{{name}} {{count}}</span><br>{{/outcomes}}{{^outcomes}}{{t.st_none}}{{/outcomes}}</td>
<td><svg width="144" height="40" viewBox="0 0 144 40" role="img" aria-label="{{label}} {{t.st_trend}}">{{#trend}}<rect x="{{x}}" y="{{y}}" width="10" height="{{h}}" fill="#7a9cc6"><title>{{month}}: {{count}}</title></rect>{{/trend}}</svg></td></tr>
{{/measures}}</table>
)html"},
      {PageTemplate::kCampaigns, R"html(<p><a href="/inspect/stats">{{t.st_title}}</a> · <a href="/policy/versions" id="policy-versions">{{t.pv_title}}</a></p>
{{#has_templates}}<form method="post" action="/inspect/create" class="card" id="create-form">
<h2>{{t.in_create}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.in_template}} <select name="template" required>{{#templates}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{title}}（{{id}}）</option>{{/templates}}</select></label>
<label>{{t.in_body}} <select name="body" required>{{#bodies}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/bodies}}</select></label>
<label>{{t.in_section}} <input name="section" value="{{section}}" maxlength="64"> <small class="hint">{{t.in_section_hint}}</small></label>
<label>{{t.in_period}} <input name="period" value="{{period}}" required maxlength="7" pattern="[0-9]{4}(-[0-9]{2})?"> <small class="hint">{{t.in_period_hint}}</small></label>
<label>{{t.in_assignee}} <input name="assignee" value="{{assignee}}" required maxlength="200"></label>
<label>{{t.in_reviewer}} <input name="reviewer" value="{{reviewer}}" maxlength="200"> <small class="hint">{{t.in_reviewer_hint}}</small></label>
<button type="submit">{{t.in_create}}</button>
</form>{{/has_templates}}
{{^has_templates}}<p class="hint">{{t.in_no_templates}}: {{templates_problem}}</p>{{/has_templates}}
{{^has_rows}}<p>{{t.in_none}}</p>{{/has_rows}}
{{#has_rows}}<table id="campaigns"><tr><th>{{t.in_campaign}}</th><th>{{t.in_body}}</th><th>{{t.in_section}}</th><th>{{t.in_period}}</th><th>{{t.in_assignee}}</th><th>{{t.in_reviewer}}</th><th>{{t.in_state}}</th></tr>
{{#rows}}<tr><td><a href="/inspect/c/{{id}}">{{title}}</a><br><small>{{id}}</small></td><td>{{body}}</td><td class="section">{{section}}</td><td>{{period}}</td><td>{{assignee}}</td><td>{{reviewer}}</td><td>{{state}}</td></tr>{{/rows}}
</table>{{/has_rows}}
)html"},
      {PageTemplate::kCampaign, R"html(<dl>
<dt>{{t.in_campaign}}</dt><dd id="campaign-id">{{id}}</dd>
<dt>{{t.in_body}}</dt><dd>{{body}}</dd>
{{#section}}<dt>{{t.in_section}}</dt><dd id="section">{{section}}</dd>{{/section}}
<dt>{{t.in_period}}</dt><dd>{{period}}</dd>
<dt>{{t.in_assignee}}</dt><dd>{{assignee}}</dd>
<dt>{{t.in_reviewer}}</dt><dd>{{reviewer}}</dd>
<dt>{{t.in_state}}</dt><dd id="state" data-state="{{state_key}}">{{state}}</dd>
{{#signed_by}}<dt>{{t.in_signed_by}}</dt><dd id="signed">{{signed_by}} {{signed_at}} {{signoff_note}}</dd>{{/signed_by}}
</dl>
<p><a href="/inspect/c/{{id}}/report.xlsx" id="report">{{t.in_report}}</a> · <a href="/inspect/c/{{id}}/report.pdf" id="report-pdf">{{t.in_report_pdf}}</a></p>
<table id="items"><tr><th>{{t.in_item}}</th><th>{{t.rg_clause}}</th><th>{{t.in_question}}</th><th>{{t.in_item_assignee}}</th><th>{{t.in_answer}} / {{t.in_result}}</th><th>{{t.in_evidence}}</th></tr>
{{#items}}<tr data-item="{{id}}"><td>{{id}}<br><small>{{kind}}</small></td><td>{{clause}}</td><td>{{question}}</td><td class="assignee">{{item_assignee}}</td>
<td class="outcome">{{outcome}}{{#note}}<br><small>{{note}}</small>{{/note}}{{#by}}<br><small>{{by}} {{at}}</small>{{/by}}{{#audit}}<br><small><a href="/audit?from={{audit}}">#{{audit}}</a>{{#evidence}} — {{evidence}}{{/evidence}}</small>{{/audit}}</td>
<td>{{#files}}<div><a href="/inspect/c/{{campaign}}/evidence/{{number}}" class="evidence">{{name}}</a> <small>{{size}} SHA-256 {{sha256}}</small></div>{{/files}}</td></tr>{{/items}}
</table>
{{#open}}
{{#is_assignee}}<form method="post" action="/inspect/c/{{id}}/answer" class="card" id="answer-form">
<h2>{{t.in_answer}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.in_item}} <select name="item" required>{{#manual}}<option value="{{id}}">{{id}}</option>{{/manual}}</select></label>
<label>{{t.in_answer}} <select name="answer" required><option value="yes">{{t.in_yes}}</option><option value="no">{{t.in_no}}</option><option value="na">{{t.in_na}}</option></select></label>
<label>{{t.in_note}} <textarea name="note" maxlength="2000"></textarea></label>
<button type="submit">{{t.in_answer_submit}}</button>
</form>
<form method="post" action="/inspect/evidence" enctype="multipart/form-data" class="card" id="evidence-form">
<h2>{{t.in_evidence}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="campaign" value="{{id}}">
<label>{{t.in_item}} <select name="item" required>{{#all_items}}<option value="{{id}}">{{id}}</option>{{/all_items}}</select></label>
<label>{{t.in_file}} <input type="file" name="file" required></label>
<button type="submit">{{t.in_upload}}</button>
</form>{{/is_assignee}}
{{#may_assign}}<form method="post" action="/inspect/c/{{id}}/assign" class="card" id="assign-form">
<h2>{{t.in_assign}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.in_item}} <select name="item" required>{{#manual}}<option value="{{id}}">{{id}}</option>{{/manual}}</select></label>
<label>{{t.in_person}} <input name="person" maxlength="200"></label>
<p class="hint">{{t.in_assign_hint}}</p>
<button type="submit">{{t.in_assign}}</button>
</form>{{/may_assign}}
{{#has_automatic}}<form method="post" action="/inspect/c/{{id}}/evaluate" class="card" id="evaluate-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit">{{t.in_evaluate}}</button>
</form>{{/has_automatic}}
<form method="post" action="/inspect/c/{{id}}/action" class="card" id="action-form">
<h2>{{t.in_action_add}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.in_item}} <select name="item" required>{{#all_items}}<option value="{{id}}">{{id}}</option>{{/all_items}}</select></label>
<label>{{t.in_description}} <textarea name="description" maxlength="2000" required></textarea></label>
<label>{{t.in_owner}} <input name="owner" maxlength="200" required></label>
<label>{{t.in_due}} <input name="due" type="date" required></label>
<button type="submit">{{t.in_action_add}}</button>
</form>
<form method="post" action="/inspect/c/{{id}}/signoff" class="card" id="signoff-form">
<h2>{{t.in_signoff}}</h2>
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.in_note}} <textarea name="note" maxlength="2000"></textarea></label>
<p class="hint">{{t.in_signoff_hint}}</p>
<button type="submit" id="signoff">{{t.in_signoff}}</button>
</form>
{{/open}}
{{#has_proofs}}<h2>{{t.in_checkpoints}}</h2>
<table id="proofs"><tr><th>{{t.rg_audit}}</th><th>{{t.in_checkpoint}}</th></tr>
{{#proofs}}<tr data-proved="{{#proved}}yes{{/proved}}{{^proved}}no{{/proved}}"><td><a href="/audit?from={{audit}}">#{{audit}}</a></td><td>{{text}}</td></tr>{{/proofs}}
</table>{{/has_proofs}}
<h2>{{t.in_actions}}</h2>
<table id="actions"><tr><th>#</th><th>{{t.in_item}}</th><th>{{t.in_description}}</th><th>{{t.in_owner}}</th><th>{{t.in_due}}</th><th>{{t.in_state}}</th></tr>
{{#actions}}<tr><td>{{number}}</td><td>{{item}}</td><td>{{description}}</td><td>{{owner}}</td><td>{{due}}</td><td>{{state}}</td></tr>{{/actions}}
</table>
)html"},
      {PageTemplate::kPolicyVersions, R"html(<p>{{t.pv_intro}}</p>
{{^has_versions}}<p>{{t.pv_none}}</p>{{/has_versions}}
{{#has_versions}}<table id="versions"><tr><th>{{t.pv_number}}</th><th>SHA-256</th><th>{{t.pv_seen_by}}</th><th>{{t.pv_seen_at}}</th><th>{{t.rg_audit}}</th><th>{{t.pv_path}}</th><th>{{t.pv_previous}}</th></tr>
{{#versions}}<tr data-version="{{number}}"><td>@{{number}}</td><td><code>{{sha}}</code></td><td>{{by}}</td><td>{{at}}</td><td><a href="/audit?from={{audit}}">#{{audit}}</a></td><td>{{path}}</td>
<td>{{#has_previous}}<a href="/policy/diff?old={{previous}}&amp;new={{number}}" class="diff">@{{previous}} → @{{number}}</a>{{/has_previous}}</td></tr>{{/versions}}
</table>
<form method="get" action="/policy/diff" class="card" id="diff-form">
<h2>{{t.pv_compare}}</h2>
<label>{{t.pv_old}} <select name="old">{{#versions}}<option value="{{number}}"{{#is_old}} selected{{/is_old}}>@{{number}} {{sha}}</option>{{/versions}}</select></label>
<label>{{t.pv_new}} <select name="new">{{#versions}}<option value="{{number}}"{{#is_new}} selected{{/is_new}}>@{{number}} {{sha}}</option>{{/versions}}</select></label>
<button type="submit">{{t.pv_compare}}</button>
</form>{{/has_versions}}
)html"},
      {PageTemplate::kPolicyDiff, R"html(<p><a href="/policy/versions">← {{t.pv_title}}</a></p>
<p>{{t.pv_diff_intro}}</p>
{{#has_sides}}<table id="sides"><tr><th></th><th>{{t.pv_number}}</th><th>SHA-256</th><th>{{t.pv_seen_by}}</th><th>{{t.pv_seen_at}}</th><th>{{t.rg_audit}}</th></tr>
{{#sides}}<tr><th>{{label}}</th><td>@{{number}}</td><td><code>{{sha}}</code></td><td>{{by}}</td><td>{{at}}</td><td><a href="/audit?from={{audit}}">#{{audit}}</a></td></tr>{{/sides}}
</table>
<pre id="diff">{{text}}</pre>{{/has_sides}}
)html"},
      {PageTemplate::kAudience, R"html(<p>{{t.au_intro}}</p>
<form method="get" action="/registers/training/audience" id="audience-form"><label>{{t.au_course}} <input name="course" value="{{course}}" maxlength="200"></label>
<label>{{t.au_since}} <input type="date" name="since" value="{{since}}"></label> <button type="submit">{{t.st_show}}</button></form>
{{#has_problem}}<p class="error" id="audience-problem">{{problem}}</p>{{/has_problem}}
{{#counted}}<p id="audience-summary">{{t.au_groups}} {{groups}} — {{t.au_audience}} {{audience}} — {{t.au_attended}} {{attended_count}} — {{t.au_missing}} {{missing_count}}</p>
<h2>{{t.au_missing}}</h2>
<table id="missing"><tr><th>{{t.au_name}}</th><th>{{t.au_display}}</th></tr>{{#missing}}<tr data-person="{{name}}"><td>{{name}}</td><td>{{display}}</td></tr>{{/missing}}</table>
<h2>{{t.au_attended}}</h2>
<table id="attended"><tr><th>{{t.au_name}}</th><th>{{t.au_display}}</th></tr>{{#attended}}<tr data-person="{{name}}"><td>{{name}}</td><td>{{display}}</td></tr>{{/attended}}</table>{{/counted}}
)html"},
  };
  return kPages;
}

}  // namespace internal

namespace {

constexpr std::int64_t kJstOffset = 9 * 3600;

std::string lang_code(Lang lang) { return lang == Lang::kEn ? "en" : "ja"; }

// The city reads times in Japan Standard Time wherever the server's clock is set.
std::string jst_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "";
  const std::time_t t = static_cast<std::time_t>(unix_seconds + kJstOffset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M JST", &tm);
  return out;
}

// An alarm's code in English; the register writes its message in Japanese only.
std::string alarm_text(const registers::Alarm& a, Lang lang) {
  static const std::map<std::string, std::string, std::less<>> kEnglish = {
      {"incomplete", "Required fields are missing"},     {"check-overdue", "The contract check is past due"},
      {"contract-expired", "The contract has ended"},    {"check-failed", "The latest check failed"},
      {"no-security-requirements", "The contract states no security requirements"},
      {"review-overdue", "The review is past due"},      {"no-mfa", "No multi-factor authentication"},
      {"dormant", "The account looks dormant"},          {"expired", "An expired exception is still approved"},
      {"acceptance-expired", "The risk acceptance has expired"}, {"review-due", "The next policy review is due soon"}};
  if (lang == Lang::kJa) return a.message;
  auto it = kEnglish.find(a.code);
  return (it != kEnglish.end() ? it->second : a.code) + " (" + a.message + ")";
}

// A refusal of src/register or src/inspect is the person's to read (what, where and why, as
// the command line prints it); a failure of the store is not.
int status_of(const Error& e) {
  static const std::set<std::string, std::less<>> kInternal = {"register.write",   "register.corrupt",    "register.internal",
                                                              "inspect.corrupt",  "inspect.corrupt-log", "inspect.report-write",
                                                              "upload.storage"};
  if (kInternal.count(e.code) != 0) return 500;
  if (e.code == "register.not-found" || e.code == "inspect.no-campaign" || e.code == "inspect.no-evidence") return 404;
  if (e.code == "inspect.same-person" || e.code == "inspect.not-reviewer" || e.code == "inspect.not-assignee") return 403;
  if (e.code == "inspect.locked" || e.code == "register.exists" || e.code == "inspect.evidence-damaged") return 409;
  if (e.code == "upload.too-large" || e.code == "inspect.too-large") return 413;
  if (e.code.rfind("register.", 0) == 0 || e.code.rfind("inspect.", 0) == 0 || e.code.rfind("upload.", 0) == 0) return 400;
  return 500;
}

std::string error_text(const Error& e, Lang lang, const char* lead_key) {
  if (status_of(e) == 500) return wording(lang, "err_internal");
  const std::string where = e.where.empty() ? "" : visible_text(e.where) + ": ";
  return wording(lang, lead_key) + " " + where + visible_text(e.message) + " [" + e.code + "]";
}

std::string attachment_name(const std::string& ascii_stem, const std::string& name) { return mime::attachment_disposition(name, ascii_stem); }

// A download is never shown by the browser: an HTML file rendered here would run in the console's origin.
void send_download(httplib::Response& res, const std::string& ascii_stem, const std::string& name, std::string bytes, const char* type) {
  res.set_header("Content-Disposition", attachment_name(ascii_stem, name));
  res.set_content(std::move(bytes), type);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("web.export", path, "cannot read the file written");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// What a writer of files (the register's table, the inspection report) writes, as bytes for a
// download: written to a private temporary file under a random name, read back and removed.
Result<std::string> written_bytes(const std::string& data_dir, const std::string& suffix, const std::function<Result<void>(const std::string&)>& write) {
  const std::string dir = data_dir + "/tmp/exports";
  SANSO_TRY(create_private_directories(dir));
  unsigned char random[12];
  randombytes_buf(random, sizeof random);
  std::string name;
  for (unsigned char c : random) {
    name += "0123456789abcdef"[c >> 4];
    name += "0123456789abcdef"[c & 15];
  }
  const std::string path = dir + "/" + name + "." + suffix;
  auto written = write(path);
  auto out = written ? read_file(path) : Result<std::string>(written.error());
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return out;
}

// The console acts for a person proved by their password (and second factor): the account that
// answered is theirs, so sign-off is refused to the same console account under any name.
std::string console_account(const Context& ctx) { return "console account " + ctx.session.name; }

std::string entry_name(const registers::Entry& e, Lang lang) {
  const auto& spec = registers::spec(e.kind);
  for (const char* key : {"name", "title", "threat", "rule", "person", "reviewed_on"}) {
    if (e.fields.contains(key)) return registers::format_value(*spec.find(key), e.fields[key], lang_code(lang));
  }
  return "";
}

json alarms_of(const registers::Entry& e, Date today, Lang lang, const std::vector<registers::Entry>& same_register,
               const std::vector<registers::ContractCheck>& latest_checks) {
  json out = json::array();
  for (const auto& a : registers::Registers::alarms(e, today, same_register, latest_checks)) out.push_back({{"code", a.code}, {"text", visible_text(alarm_text(a, lang))}});
  return out;
}

// The form's inputs for a register's fields, filled with `entry`'s values when it is given.
json field_inputs(registers::Kind kind, const registers::Entry* entry, Lang lang, const std::map<std::string, std::string>& typed) {
  json out = json::array();
  for (const auto& f : registers::spec(kind).fields) {
    const std::string key(f.key);
    if (entry != nullptr && key == "id") continue;  // the key is the address: it is not changed
    const json value = entry != nullptr && entry->fields.contains(key) ? entry->fields[key] : json();
    std::string text = value.is_null() ? "" : registers::format_value(f, value, "ja");
    if (auto given = typed.find(key); given != typed.end()) text = given->second;
    const bool choice = f.type == registers::FieldType::kChoice || f.type == registers::FieldType::kYesNo;
    json choices = json::array();
    if (f.type == registers::FieldType::kYesNo) {
      const bool yes = value.is_boolean() && value.get<bool>(), no = value.is_boolean() && !value.get<bool>();
      choices.push_back({{"name", "yes"}, {"label", wording(lang, "in_yes")}, {"selected", yes}});
      choices.push_back({{"name", "no"}, {"label", lang == Lang::kEn ? "No" : "いいえ"}, {"selected", no}});
    }
    for (const auto& c : f.choices) {
      const bool selected = (value.is_string() && value.get<std::string>() == c.name) || text == c.name;
      choices.push_back({{"name", std::string(c.name)}, {"label", std::string(lang == Lang::kEn ? c.en : c.ja)}, {"selected", selected}});
    }
    out.push_back({{"key", key},
                   {"label", std::string(lang == Lang::kEn ? f.en : f.ja)},
                   {"required", f.required},
                   {"policy", entry != nullptr && entry->from_policy && f.from_policy},
                   {"value", visible_text(text)},
                   {"is_long", f.type == registers::FieldType::kLongText},
                   {"is_choice", choice},
                   {"is_plain", !choice && f.type != registers::FieldType::kLongText},
                   {"is_date", f.type == registers::FieldType::kDate},
                   {"is_id", f.type == registers::FieldType::kId},
                   {"choices", choices}});
  }
  return out;
}

// An incident's links (6(7)): its audit entries to the audit log, its monitor findings (by
// number, as the findings page lists them) to the finding. Anything else in those lists stays text.
json reference_links(const registers::FieldSpec& field, const json& value) {
  json out = json::array();
  const bool audit = field.type == registers::FieldType::kEntryRefs;
  if (!value.is_array() || !(audit || field.key == "monitor_findings")) return out;
  for (const auto& item : value) {
    std::string number = item.is_number_unsigned() || item.is_number_integer() ? std::to_string(item.get<std::int64_t>())
                         : item.is_string()                                   ? item.get<std::string>()
                                                                              : std::string();
    if (!number.empty() && number[0] == '#') number.erase(0, 1);
    if (number.empty() || number.size() > 18 || number.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back({{"href", (audit ? "/audit?from=" : "/monitor/findings/") + number}, {"text", "#" + number}});
  }
  return out;
}

std::string answer_label(inspect::Answer a, Lang lang) {
  switch (a) {
    case inspect::Answer::kYes: return lang == Lang::kEn ? "Yes" : "はい";
    case inspect::Answer::kNo: return lang == Lang::kEn ? "No" : "いいえ";
    case inspect::Answer::kNotApplicable: return lang == Lang::kEn ? "Not applicable" : "該当なし";
  }
  return "";
}

}  // namespace

httplib::Server::Handler Console::Impl::proof_page(Permission needed, Page page, bool post) {
  return signed_in(needs({needed}, std::move(page)), post);
}

bool Console::Impl::offers_proof() const { return services.proof.audit != nullptr && services.proof.policy != nullptr; }

void Console::Impl::proof_failed(const httplib::Request& req, httplib::Response& res, const Context& ctx, const Error& e) {
  log::error("web: " + req.method + " " + local_path(req.path) + ": " + e.to_string());
  send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
}

void Console::Impl::registers_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  json kinds = json::array();
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    // What the policy declares is in the registers before anyone reads them, as for the CLI.
    SANSO_TRY(regs.seed_from_policy(options.node.empty() ? "sanso" : options.node));
    const Date today = system_clock().today();
    for (std::size_t i = 0; i < registers::kKindCount; ++i) {
      const auto kind = static_cast<registers::Kind>(i);
      const auto entries = SANSO_TRY(regs.list(kind));
      const auto latest = kind == registers::Kind::kContractors ? registers::latest_per_clause(SANSO_TRY(registers::contract_checks(*use))) : std::vector<registers::ContractCheck>();
      std::size_t alarms = 0;
      for (const auto& e : entries) alarms += registers::Registers::alarms(e, today, entries, latest).size();
      kinds.push_back({{"kind", std::string(registers::to_string(kind))},
                       {"label", std::string(registers::label(kind, lang_code(ctx.lang)))},
                       {"clause", std::string(registers::spec(kind).clause)},
                       {"count", std::to_string(entries.size())},
                       {"alarms", alarms == 0 ? std::string("—") : std::to_string(alarms)}});
    }
    return ok();
  }();
  if (!read) return proof_failed(req, res, ctx, read.error());
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_registers"), &ctx), render_page(PageTemplate::kRegisters, ctx.lang, {{"kinds", kinds}}));
}

void Console::Impl::register_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& notice,
                                  const std::optional<Error>& failure, const std::map<std::string, std::string>& typed) {
  auto kind = registers::parse_kind(std::string(req.matches[1]));
  if (!kind) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  json entries = json::array();
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    const Date today = system_clock().today();
    const auto listed = SANSO_TRY(regs.list(*kind));
    const auto latest = *kind == registers::Kind::kContractors ? registers::latest_per_clause(SANSO_TRY(registers::contract_checks(*use))) : std::vector<registers::ContractCheck>();
    for (const auto& e : listed) {
      entries.push_back({{"id", e.key},
                         {"name", visible_text(entry_name(e, ctx.lang))},
                         {"source", wording(ctx.lang, e.from_policy ? "rg_from_policy" : "rg_own")},
                         {"version", std::to_string(e.version)},
                         {"changed", jst_time(e.changed_at) + " " + visible_text(e.changed_by)},
                         {"alarms", alarms_of(e, today, ctx.lang, listed, latest)}});
    }
    return ok();
  }();
  if (!read) return proof_failed(req, res, ctx, read.error());
  const std::string kind_name(registers::to_string(*kind));
  json values = {{"kind", kind_name},
                 {"is_reviews", *kind == registers::Kind::kReviews},
                 {"is_training", *kind == registers::Kind::kTraining},
                 {"clause", std::string(registers::spec(*kind).clause)},
                 {"csrf", ctx.session.csrf},
                 {"entries", entries},
                 {"has_entries", !entries.empty()},
                 {"fields_html", render_page(PageTemplate::kFields, ctx.lang, {{"fields", field_inputs(*kind, nullptr, ctx.lang, typed)}})}};
  json f = frame(req, std::string(registers::label(*kind, lang_code(ctx.lang))), &ctx);
  if (!notice.empty()) f["notice"] = notice;
  int status = 200;
  if (failure) {
    status = status_of(*failure);
    f["error"] = error_text(*failure, ctx.lang, "err_rg_refused");
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kRegister, ctx.lang, values));
}

void Console::Impl::register_entry_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& notice,
                                        const std::optional<Error>& failure, const std::map<std::string, std::string>& typed) {
  auto kind = registers::parse_kind(std::string(req.matches[1]));
  if (!kind) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  const std::string key = req.matches[2];
  std::optional<registers::Entry> entry;
  std::vector<registers::Change> history;
  std::vector<registers::Entry> same_register;
  std::vector<registers::ContractCheck> checks;
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    entry = SANSO_TRY(regs.get(*kind, key));
    if (entry) history = SANSO_TRY(regs.history(*kind, key));
    if (entry) same_register = SANSO_TRY(regs.list(*kind));
    if (entry && *kind == registers::Kind::kContractors) checks = SANSO_TRY(registers::contract_checks(*use, entry->key));
    return ok();
  }();
  if (!read) return proof_failed(req, res, ctx, read.error());
  if (!entry) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  const auto& spec = registers::spec(*kind);
  json values_shown = json::array();
  for (const auto& fs : spec.fields) {
    if (fs.key == "id" || !entry->fields.contains(fs.key)) continue;
    const json& raw = entry->fields[std::string(fs.key)];
    const json links = reference_links(fs, raw);
    values_shown.push_back({{"key", std::string(fs.key)},
                            {"label", std::string(ctx.lang == Lang::kEn ? fs.en : fs.ja)},
                            {"value", visible_text(registers::format_value(fs, raw, lang_code(ctx.lang)))},
                            {"links", links},
                            {"has_links", !links.empty()}});
  }
  json rows = json::array();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    std::string fields;
    for (const auto& [k, v] : it->fields.items()) {
      const auto* fs = spec.find(k);
      if (fs == nullptr) continue;
      fields += (fields.empty() ? "" : "; ") + std::string(ctx.lang == Lang::kEn ? fs->en : fs->ja) + "=" + registers::format_value(*fs, v, lang_code(ctx.lang));
    }
    rows.push_back({{"version", std::to_string(it->version)},
                    {"change", it->change},
                    {"by", visible_text(it->changed_by)},
                    {"at", jst_time(it->changed_at)},
                    {"audit", std::to_string(it->audit_index)},
                    {"fields", visible_text(fields)}});
  }
  const json alarms = alarms_of(*entry, system_clock().today(), ctx.lang, same_register, registers::latest_per_clause(checks));
  json values = {{"kind", std::string(registers::to_string(*kind))},
                 {"register", std::string(registers::label(*kind, lang_code(ctx.lang)))},
                 {"id", entry->key},
                 {"csrf", ctx.session.csrf},
                 {"source", wording(ctx.lang, entry->from_policy ? "rg_from_policy" : "rg_own")},
                 {"version", std::to_string(entry->version)},
                 {"alarms", alarms},
                 {"has_alarms", !alarms.empty()},
                 {"values", values_shown},
                 {"history", rows},
                 {"fields_html", render_page(PageTemplate::kFields, ctx.lang, {{"fields", field_inputs(*kind, &*entry, ctx.lang, typed)}})}};
  if (*kind == registers::Kind::kContractors) {
    // Every check of each required clause, newest first; the form offers only those clauses.
    const registers::FieldSpec& result = registers::contract_check_field("result");
    json clauses = json::array();
    if (auto r = entry->fields.find("required_clauses"); r != entry->fields.end() && r->is_array()) {
      for (const auto& clause : *r) {
        json shown = json::array();
        for (auto it = checks.rbegin(); it != checks.rend(); ++it) {
          if (it->clause != clause.get<std::string>()) continue;
          shown.push_back({{"number", std::to_string(it->number)},
                           {"on", it->checked_on},
                           {"result", registers::format_value(result, it->result, lang_code(ctx.lang))},
                           {"result_name", it->result},
                           {"by", visible_text(it->checked_by)},
                           {"next", it->next_check},
                           {"note", visible_text(it->note)},
                           {"audit", std::to_string(it->audit_index)}});
        }
        clauses.push_back({{"clause", visible_text(clause.get<std::string>())}, {"checks", shown}});
      }
    }
    json results = json::array();
    for (const auto& t : result.choices) results.push_back({{"name", std::string(t.name)}, {"label", std::string(term_label(t, lang_code(ctx.lang)))}});
    values["is_contractor"] = true;
    values["clauses"] = clauses;
    values["has_clauses"] = !clauses.empty();
    values["results"] = results;
  }
  json f = frame(req, std::string(registers::label(*kind, lang_code(ctx.lang))) + " " + entry->key, &ctx);
  if (!notice.empty()) f["notice"] = notice;
  int status = 200;
  if (failure) {
    status = status_of(*failure);
    f["error"] = error_text(*failure, ctx.lang, "err_rg_refused");
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kRegisterEntry, ctx.lang, values));
}

void Console::Impl::register_put(const httplib::Request& req, httplib::Response& res, const Context& ctx, bool update) {
  auto kind = registers::parse_kind(std::string(req.matches[1]));
  if (!kind) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  // The form's fields are "f.<key>"; the same texts the CLI's --field key=value gives, checked by
  // the same parse. Every field of the form is sent, so an empty one clears its value. A field
  // that is the policy's is not in the form; sent anyway, the register refuses a value that
  // differs from the policy's.
  std::vector<std::pair<std::string, std::string>> values;
  std::map<std::string, std::string> typed;
  for (const auto& fs : registers::spec(*kind).fields) {
    const std::string name = "f." + std::string(fs.key);
    if (req.get_param_value_count(name) > 1) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    if (!req.has_param(name)) continue;
    values.emplace_back(std::string(fs.key), req.get_param_value(name));
    typed[std::string(fs.key)] = req.get_param_value(name);
  }
  std::string key;
  if (update) {
    key = req.matches[2];
    values.erase(std::remove_if(values.begin(), values.end(), [](const auto& v) { return v.first == "id"; }), values.end());
    values.emplace_back("id", key);
  }
  Result<registers::Entry> put = [&]() -> Result<registers::Entry> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    return regs.put(*kind, values, update, ctx.session.name);
  }();
  if (!put) {
    if (status_of(put.error()) == 500) return proof_failed(req, res, ctx, put.error());
    return update ? register_entry_page(req, res, ctx, "", put.error(), typed) : register_page(req, res, ctx, "", put.error(), typed);
  }
  redirect(res, "/registers/" + std::string(registers::to_string(*kind)) + "/entry/" + put->key + "?done=" + (update ? "rg_changed" : "rg_added"));
}

void Console::Impl::contract_check_post(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string key = req.matches[2];
  // The form's fields are "c.<key>", the texts the CLI's `register check --field key=value` gives.
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& fs : registers::contract_check_fields()) {
    const std::string name = "c." + std::string(fs.key);
    if (req.get_param_value_count(name) > 1) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    if (fs.key == "contractor" || !req.has_param(name)) continue;
    values.emplace_back(std::string(fs.key), req.get_param_value(name));
  }
  auto added = [&]() -> Result<registers::ContractCheck> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    return regs.add_contract_check(key, values, ctx.session.name);
  }();
  if (!added) {
    if (status_of(added.error()) == 500) return proof_failed(req, res, ctx, added.error());
    return register_entry_page(req, res, ctx, "", added.error(), {});
  }
  redirect(res, "/registers/contractors/entry/" + added->contractor + "?done=rg_checked");
}

void Console::Impl::contract_check_export(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string suffix = req.matches[1];
  const auto format = registers::parse_table_format(suffix);
  if (!format) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  auto bytes = written_bytes(services.config.data_dir, suffix, [&](const std::string& path) -> Result<void> {
    std::vector<registers::ContractCheck> checks;
    {
      auto use = services.store.use();
      checks = SANSO_TRY(registers::contract_checks(*use));
    }
    const auto [header, rows] = registers::contract_check_table(checks);
    return registers::write_table(path, *format, "契約条項の確認", header, rows);
  });
  if (!bytes) return proof_failed(req, res, ctx, bytes.error());
  send_download(res, "contract-checks." + suffix, "契約条項の確認." + suffix, std::move(*bytes),
                *format == registers::TableFormat::kCsv ? "text/csv; charset=utf-8"
                                                        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

void Console::Impl::register_export(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  auto kind = registers::parse_kind(std::string(req.matches[1]));
  if (!kind) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  const std::string suffix = req.matches[2];
  const auto format = registers::parse_table_format(suffix);
  if (!format) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  auto bytes = written_bytes(services.config.data_dir, suffix, [&](const std::string& path) -> Result<void> {
    std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> table;
    {
      auto use = services.store.use();
      registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
      table = SANSO_TRY(regs.table(*kind));
    }
    return registers::write_table(path, *format, std::string(registers::label(*kind, "ja")), table.first, table.second);
  });
  if (!bytes) return proof_failed(req, res, ctx, bytes.error());
  const std::string stem = std::string(registers::to_string(*kind)) + "." + suffix;
  send_download(res, stem, std::string(registers::label(*kind, "ja")) + "." + suffix, std::move(*bytes),
                *format == registers::TableFormat::kCsv ? "text/csv; charset=utf-8"
                                                        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

namespace {
// Someone holding one of [quarantine] inspector_roles answers any item of a campaign.
bool holds_inspector_role(const Context& ctx, const config::ServiceConfig& config) {
  for (const auto& r : ctx.session.roles) {
    if (std::find(config.quarantine.inspector_roles.begin(), config.quarantine.inspector_roles.end(), r) != config.quarantine.inspector_roles.end()) return true;
  }
  return false;
}
}  // namespace

namespace {
// The templates the console offers: inspection/ beside the policy file, as for the command line.
Result<inspect::TemplateSet> console_templates(const config::ServiceConfig& config) {
  if (config.policy_file.empty()) return make_error("inspect.no-templates", "[service] policy", "no policy file is configured");
  return inspect::load_template_dir((std::filesystem::path(config.policy_file).parent_path() / "inspection").string());
}
}  // namespace

void Console::Impl::campaigns_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::optional<Error>& failure) {
  json rows = json::array();
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    for (const auto& c : SANSO_TRY(campaigns.list())) {
      const policy::Body* body = services.proof.policy->find_body(c.body);
      rows.push_back({{"id", c.id},
                      {"title", visible_text(c.template_title)},
                      {"body", body != nullptr ? (ctx.lang == Lang::kEn && !body->name.en.empty() ? body->name.en : body->name.ja) : c.body},
                      {"section", visible_text(c.section)},
                      {"period", c.period_label},
                      {"assignee", visible_text(c.assignee)},
                      {"reviewer", visible_text(c.reviewer)},
                      {"state", wording(ctx.lang, c.state == inspect::CampaignState::kOpen ? "in_open" : "in_signed")}});
    }
    return ok();
  }();
  if (!read) return proof_failed(req, res, ctx, read.error());
  // The creation form, refilled with what was typed when a creation was refused.
  const bool again = failure.has_value();
  json templates = json::array(), bodies = json::array();
  std::string templates_problem;
  if (auto set = console_templates(services.config)) {
    for (const auto& t : set->templates) {
      templates.push_back({{"id", t.id}, {"title", visible_text(t.title.ja)}, {"selected", again && field(req, "template") == t.id}});
    }
  } else {
    templates_problem = visible_text(set.error().where) + ": " + visible_text(set.error().message);
  }
  for (const auto& b : services.proof.policy->bodies) {
    bodies.push_back({{"id", b.id},
                      {"name", ctx.lang == Lang::kEn && !b.name.en.empty() ? b.name.en : b.name.ja},
                      {"selected", again && field(req, "body") == b.id}});
  }
  json f = frame(req, wording(ctx.lang, "nav_inspect"), &ctx);
  int status = 200;
  if (failure) {
    status = status_of(*failure);
    f["error"] = error_text(*failure, ctx.lang, "err_in_not_created");
  }
  send_page(res, status, ctx.lang, f,
            render_page(PageTemplate::kCampaigns, ctx.lang,
                        {{"rows", rows},
                         {"has_rows", !rows.empty()},
                         {"csrf", ctx.session.csrf},
                         {"templates", templates},
                         {"has_templates", !templates.empty()},
                         {"templates_problem", templates_problem},
                         {"bodies", bodies},
                         {"period", again ? visible_text(field(req, "period")) : std::string()},
                         {"section", again ? visible_text(field(req, "section")) : std::string()},
                         {"assignee", again ? visible_text(field(req, "assignee")) : std::string()},
                         {"reviewer", again ? visible_text(field(req, "reviewer")) : std::string()}}));
}

// A campaign created from the form, through the same inspect::Campaigns::create as
// `sanso inspect campaign create` (its validation and its inspect.campaign.create record), by the
// signed-in person.
void Console::Impl::campaign_create(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  std::string id;
  Result<void> created = [&]() -> Result<void> {
    const inspect::TemplateSet set = SANSO_TRY(console_templates(services.config));
    const std::string wanted = field(req, "template");
    const inspect::Template* t = set.find(wanted);
    if (!t) return make_error("inspect.unknown-template", "template", "no template '" + visible_text(wanted) + "'");
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    const inspect::NewCampaign request{field(req, "body"), field(req, "period"), field(req, "assignee"), field(req, "reviewer"), field(req, "section")};
    id = SANSO_TRY(campaigns.create(*t, *services.proof.policy, request, ctx.session.name)).id;
    return ok();
  }();
  if (!created) {
    if (status_of(created.error()) == 500) return proof_failed(req, res, ctx, created.error());
    return campaigns_page(req, res, ctx, created.error());
  }
  redirect(res, "/inspect/c/" + id + "?done=in_created");
}

void Console::Impl::statistics_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  std::string month = field(req, "month");
  if (month.empty()) {
    const Date today = system_clock().today();
    char label[16];
    std::snprintf(label, sizeof label, "%04d-%02d", today.year, today.month);
    month = label;
  }
  // The trend: this month and the eleven before it, totals only (counted by the store).
  std::vector<std::string> months{month};
  while (months.size() < 12) months.insert(months.begin(), inspect::previous_month(months.front()));
  std::optional<inspect::OperationsStatistics> stats;
  std::vector<std::vector<std::uint64_t>> totals;
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    stats = SANSO_TRY(inspect::monthly_statistics(*use, month));
    for (const auto& m : months) {
      const auto [from, to] = SANSO_TRY(inspect::period_bounds(inspect::Period::kMonthly, m));
      totals.push_back(SANSO_TRY(inspect::measure_totals(*use, from, to)));
    }
    return ok();
  }();
  if (!read) {
    if (status_of(read.error()) == 500) return proof_failed(req, res, ctx, read.error());
    return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  }
  std::uint64_t largest = 1;
  for (const auto& c : stats->counts) largest = std::max(largest, c.total);
  json rows = json::array();
  for (std::size_t i = 0; i < inspect::measures().size(); ++i) {
    const auto& m = inspect::measures()[i];
    const auto& counted = stats->of(m.id);
    json outcomes = json::array();
    for (const auto& [outcome, n] : counted.by_outcome) {
      outcomes.push_back({{"name", ctx.lang == Lang::kEn ? outcome : std::string(inspect::outcome_ja(outcome))}, {"count", n}});
    }
    std::uint64_t peak = 1;
    for (const auto& t : totals) peak = std::max(peak, t[i]);
    json trend = json::array();
    for (std::size_t k = 0; k < months.size(); ++k) {
      const auto h = totals[k][i] * 36 / peak;
      trend.push_back({{"x", k * 12}, {"y", 38 - h}, {"h", h}, {"month", months[k]}, {"count", totals[k][i]}});
    }
    std::string actions;
    for (auto a : m.actions) actions += (actions.empty() ? "" : ", ") + std::string(a);
    rows.push_back({{"id", std::string(m.id)},
                    {"label", std::string(ctx.lang == Lang::kEn ? m.label_en : m.label_ja)},
                    {"actions", actions},
                    {"total", counted.total},
                    {"bar", counted.total * 160 / largest},
                    {"outcomes", outcomes},
                    {"trend", trend}});
  }
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "st_title"), &ctx),
            render_page(PageTemplate::kStatistics, ctx.lang,
                        {{"month", month}, {"previous", months[10]}, {"next", inspect::next_month(month)}, {"entries", stats->entries},
                         {"has_entries", stats->entries > 0}, {"first", stats->first_index}, {"last", stats->last_index}, {"measures", rows}}));
}

void Console::Impl::campaign_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& id,
                                  const std::string& notice, const std::optional<Error>& failure) {
  std::optional<inspect::Campaign> c;
  std::vector<inspect::AnswerRecord> answers;
  std::map<std::string, std::string> assignees;
  std::vector<inspect::AutomaticResult> results;
  std::vector<inspect::Evidence> evidence;
  std::vector<inspect::CorrectiveAction> found, carried;
  std::vector<inspect::EvaluationProof> proofs;
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    auto got = campaigns.get(id);
    if (!got) return got.error().code == "inspect.no-campaign" ? ok() : Result<void>(got.error());
    c = std::move(*got);
    answers = SANSO_TRY(campaigns.answers(id));
    assignees = SANSO_TRY(campaigns.item_assignees(id));
    results = SANSO_TRY(campaigns.results(id));
    evidence = SANSO_TRY(campaigns.evidence(id));
    found = SANSO_TRY(campaigns.actions_found(id));
    carried = SANSO_TRY(campaigns.carried_actions(id));
    if (services.proof.signing_key != nullptr) proofs = SANSO_TRY(inspect::prove_evaluations(*use, campaigns, id, services.proof.signing_key->verifier));
    return ok();
  }();
  if (!read) return proof_failed(req, res, ctx, read.error());
  if (!c) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
  json items = json::array(), manual = json::array(), all_items = json::array();
  bool has_automatic = false;
  bool answers_any = false;  // the viewer answers at least one item
  for (const auto& item : c->items) {
    json row = {{"id", item.id},
                {"clause", item.clause},
                {"question", visible_text(ctx.lang == Lang::kEn && !item.question.en.empty() ? item.question.en : item.question.ja)},
                {"kind", wording(ctx.lang, item.kind == inspect::ItemKind::kManual ? "in_manual" : "in_automatic")},
                {"campaign", c->id},
                {"files", json::array()}};
    all_items.push_back({{"id", item.id}});
    if (item.kind == inspect::ItemKind::kManual) {
      manual.push_back({{"id", item.id}});
      const std::string who = inspect::Campaigns::answerer(*c, assignees, item.id);
      row["item_assignee"] = visible_text(who);
      answers_any |= ascii_lower(who) == ascii_lower(ctx.session.name);
      row["outcome"] = wording(ctx.lang, "in_unanswered");
      for (const auto& a : answers) {
        if (a.item != item.id) continue;
        row["outcome"] = answer_label(a.answer, ctx.lang);
        row["note"] = visible_text(a.note);
        row["by"] = visible_text(a.answered_by);
        row["at"] = jst_time(a.answered_at);
      }
    } else {
      has_automatic = true;
      row["outcome"] = wording(ctx.lang, "in_not_evaluated");
      for (const auto& r : results) {
        if (r.item != item.id) continue;
        row["outcome"] = wording(ctx.lang, r.passed ? "in_pass" : "in_fail") + ": " + visible_text(r.summary);
        row["at"] = jst_time(r.evaluated_at);
        row["audit"] = std::to_string(r.audit_index);
        std::string cited;
        for (auto i : r.evidence) cited += (cited.empty() ? "#" : ", #") + std::to_string(i);
        row["evidence"] = cited;
      }
    }
    for (const auto& e : evidence) {
      if (e.item != item.id) continue;
      row["files"].push_back({{"campaign", c->id},
                              {"number", std::to_string(e.id)},
                              {"name", visible_text(e.file_name)},
                              {"size", human_size(static_cast<std::uint64_t>(e.size))},
                              {"sha256", e.sha256}});
    }
    items.push_back(std::move(row));
  }
  json actions = json::array();
  auto action_row = [&](const inspect::CorrectiveAction& a) {
    actions.push_back({{"number", std::to_string(a.id)},
                       {"item", a.item},
                       {"description", visible_text(a.description)},
                       {"owner", visible_text(a.owner)},
                       {"due", a.due.to_string()},
                       {"state", a.state == inspect::ActionState::kOpen ? wording(ctx.lang, "in_open") : visible_text(a.closed_in)}});
  };
  for (const auto& a : found) action_row(a);
  for (const auto& a : carried) action_row(a);
  json proof_rows = json::array();
  for (const auto& p : proofs) {
    proof_rows.push_back({{"audit", std::to_string(p.audit_index)},
                          {"proved", p.problem.empty()},
                          {"text", p.problem.empty() ? wording(ctx.lang, "in_proved") + " " + std::to_string(p.tree_size) + " / " + p.root + " (" +
                                                           jst_time(p.signed_at) + ")"
                                                     : visible_text(p.problem)}});
  }
  const policy::Body* body = services.proof.policy->find_body(c->body);
  const bool open = c->state == inspect::CampaignState::kOpen;
  json values = {{"id", c->id},
                 {"csrf", ctx.session.csrf},
                 {"body", body != nullptr ? (ctx.lang == Lang::kEn && !body->name.en.empty() ? body->name.en : body->name.ja) : c->body},
                 {"section", visible_text(c->section)},
                 {"period", c->period_label},
                 {"assignee", visible_text(c->assignee)},
                 {"reviewer", visible_text(c->reviewer)},
                 {"state", wording(ctx.lang, open ? "in_open" : "in_signed")},
                 {"state_key", std::string(inspect::to_string(c->state))},
                 {"signed_by", visible_text(c->signed_by)},
                 {"signed_at", jst_time(c->signed_at)},
                 {"signoff_note", visible_text(c->signoff_note)},
                 {"items", items},
                 {"manual", manual},
                 {"all_items", all_items},
                 {"has_automatic", has_automatic},
                 {"open", open},
                 {"is_assignee", answers_any || ascii_lower(c->assignee) == ascii_lower(ctx.session.name) || holds_inspector_role(ctx, services.config)},
                 {"may_assign", ascii_lower(c->assignee) == ascii_lower(ctx.session.name) || ascii_lower(c->created_by) == ascii_lower(ctx.session.name) ||
                                    holds_inspector_role(ctx, services.config)},
                 {"actions", actions},
                 {"proofs", proof_rows},
                 {"has_proofs", !proof_rows.empty()}};
  json f = frame(req, visible_text(c->template_title) + " — " + c->period_label + (c->section.empty() ? "" : " " + visible_text(c->section)), &ctx);
  if (!notice.empty()) f["notice"] = notice;
  int status = 200;
  if (failure) {
    status = status_of(*failure);
    f["error"] = error_text(*failure, ctx.lang, "err_in_refused");
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kCampaign, ctx.lang, values));
}

void Console::Impl::campaign_action(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& action) {
  const std::string id = req.matches[1];
  Result<void> done = [&]() -> Result<void> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    if (action == "answer") {
      const inspect::Answer answer = SANSO_TRY(inspect::parse_answer(field(req, "answer")));
      return campaigns.answer(id, field(req, "item"), answer, field(req, "note"), ctx.session.name, console_account(ctx), holds_inspector_role(ctx, services.config));
    }
    if (action == "assign") {
      std::vector<std::string> people;
      for (const auto& u : services.config.operators) people.push_back(u.name);
      return campaigns.assign(id, field(req, "item"), field(req, "person"), people, ctx.session.name, holds_inspector_role(ctx, services.config));
    }
    if (action == "evaluate") {
      // The registers the automatic items read (contractors, exceptions) hold what the policy declares.
      registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
      SANSO_TRY(regs.seed_from_policy(options.node.empty() ? "sanso" : options.node));
      inspect::EvaluationInputs inputs{services.proof.policy, services.proof.policy_sha256, &services.config.quarantine};
      SANSO_TRY(inspect::evaluate_campaign(*use, campaigns, id, inputs, system_clock(), ctx.session.name));
      // The evaluation under a signature at once: its page (and `sanso inspect verify`) proves it.
      if (services.proof.signing_key != nullptr) SANSO_TRY(services.proof.audit->checkpoint(*use, *services.proof.signing_key));
      return ok();
    }
    if (action == "action") {
      auto due = Date::parse(field(req, "due"));
      if (!due) return make_error("inspect.bad-due", "due", "the due date must be a date (2027-01-31)");
      SANSO_TRY(campaigns.add_action(id, field(req, "item"), field(req, "description"), field(req, "owner"), *due, ctx.session.name));
      return ok();
    }
    return campaigns.sign_off(id, field(req, "note"), ctx.session.name, console_account(ctx));
  }();
  if (!done) {
    if (status_of(done.error()) == 500) return proof_failed(req, res, ctx, done.error());
    return campaign_page(req, res, ctx, id, "", done.error());
  }
  const std::string key = action == "answer"     ? "answered"
                          : action == "evaluate" ? "evaluated"
                          : action == "action"   ? "action"
                          : action == "assign"   ? "assigned"
                                                 : "signed";
  redirect(res, "/inspect/c/" + id + "?done=in_" + key);
}

void Console::Impl::campaign_report(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  const bool pdf = req.matches[2] == "pdf";
  auto bytes = written_bytes(services.config.data_dir, pdf ? "pdf" : "xlsx", [&](const std::string& path) -> Result<void> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    const inspect::ReportSources sources{services.proof.policy, &*use, services.proof.signing_key ? &services.proof.signing_key->verifier : nullptr};
    if (!pdf) return inspect::write_xlsx_report(campaigns, id, sources, path);
    const inspect::PdfPrinter printer{services.config.cdr.chromium, std::chrono::seconds(services.config.cdr.converter_timeout_seconds)};
    return inspect::write_pdf_report(campaigns, id, sources, printer, path);
  });
  if (!bytes) {
    if (bytes.error().code == "inspect.no-campaign") return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
    return proof_failed(req, res, ctx, bytes.error());
  }
  if (pdf) return send_download(res, "report.pdf", "点検表-" + id + ".pdf", std::move(*bytes), "application/pdf");
  send_download(res, "report.xlsx", "点検表-" + id + ".xlsx", std::move(*bytes), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

void Console::Impl::campaign_evidence(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  std::int64_t number = 0;
  const std::string wanted = req.matches[2];
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), number);
  if (ec != std::errc() || p != wanted.data() + wanted.size()) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  std::string name;
  auto content = [&]() -> Result<std::string> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    for (const auto& e : SANSO_TRY(campaigns.evidence(id))) {
      if (e.id == number) name = e.file_name;
    }
    if (name.empty()) return make_error("inspect.no-evidence", id, "the campaign has no such evidence file");
    return campaigns.evidence_content(id, number);
  }();
  if (!content) {
    if (status_of(content.error()) == 500) return proof_failed(req, res, ctx, content.error());
    return campaign_page(req, res, ctx, id, "", content.error());
  }
  send_download(res, "evidence", name, std::move(*content), "application/octet-stream");
}

void Console::Impl::evidence_upload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
  // What signed_in() checks, before a byte of the body is read: a stranger's upload is refused
  // at its headers.
  Lang lang = lang_of(req);
  if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  const std::string source = client_address(req);
  auto session = services.accounts.session(cookie(req, kSessionCookie), source);
  if (!session) {
    log::error("web: reading a session: " + session.error().to_string());
    return send_error(req, res, nullptr, lang, 500, "err_internal");
  }
  if (!*session) return redirect(res, "/login?next=%2Finspect");
  Context ctx{std::move(**session), lang, source};
  note_actor(ctx.session.name);
  if (refused_other_listener(req, res, ctx) || refused_without({Permission::kInspection}, req, res, ctx)) return;
  if (!same_origin(req)) return refuse_form(req, res, &ctx, lang, "cross-origin");
  const std::string temp_dir = services.config.data_dir + "/tmp/uploads";
  if (auto made = create_private_directories(temp_dir); !made) return proof_failed(req, res, ctx, made.error());
  MultipartLimits limits;
  limits.max_file_bytes = inspect::kMaxEvidenceBytes;
  limits.max_total_bytes = inspect::kMaxEvidenceBytes;
  limits.max_files = 1;
  auto failed = [&](const Error& e) {
    if (status_of(e) == 500) return proof_failed(req, res, ctx, e);
    send_error(req, res, &ctx, lang, status_of(e), e.code == "upload.too-large" ? "err_upload_too_large" : "err_upload_malformed");
  };
  auto form = receive_form(req, body, limits, temp_dir);
  if (!form) return failed(form.error());
  auto value = [&](const char* key) {
    auto it = form->fields.find(key);
    return it == form->fields.end() ? std::string() : it->second;
  };
  if (!form_token_matches(*form, ctx.session.csrf)) return refuse_form(req, res, &ctx, lang, "csrf-token");
  const std::string id = value("campaign"), item = value("item");
  if (!is_valid_utf8(id) || !is_valid_utf8(item) || id.empty() || form->files.size() != 1) {
    return failed(Error{"upload.malformed", "campaign / item / file", "one campaign, one item and one file are needed"});
  }
  auto bytes = form->files.front()->read_all();
  if (!bytes) return failed(bytes.error());
  // A browser may send a path (old ones did); only its last part is the file's name.
  std::string name = form->files.front()->filename();
  if (auto slash = name.find_last_of("/\\"); slash != std::string::npos) name = name.substr(slash + 1);
  form->files.clear();
  auto added = [&]() -> Result<inspect::Evidence> {
    auto use = services.store.use();
    inspect::Campaigns campaigns(*use, *services.proof.audit, system_clock());
    return campaigns.add_evidence(id, item, name, *bytes, ctx.session.name);
  }();
  if (!added) {
    if (status_of(added.error()) == 500) return proof_failed(req, res, ctx, added.error());
    return campaign_page(req, res, ctx, id, "", added.error());
  }
  redirect(res, "/inspect/c/" + id + "?done=in_evidence");
}

namespace {

json version_row(const audit::FileVersion& v) {
  return {{"number", std::to_string(v.number)},
          {"sha", v.sha256.substr(0, 16)},
          {"by", visible_text(v.seen_by)},
          {"at", jst_time(v.seen_at)},
          {"audit", std::to_string(v.audit_index)},
          {"path", visible_text(v.path)}};
}

// A version as the diff page's query names it: its number ("3" or "@3") or a SHA-256 prefix,
// as `sanso policy diff @3 @9f86d0` takes them; anything else is not a reference.
std::optional<std::string> version_reference(std::string value) {
  if (!value.empty() && value[0] == '@') value.erase(0, 1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  for (char c : value) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return "@" + value;
}

}  // namespace

// Every policy version that took effect, oldest first, each with its policy.version record, a
// link to what it changed from the one before, and a form to compare any two.
void Console::Impl::policy_versions_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  auto versions = [&]() -> Result<std::vector<audit::FileVersion>> {
    auto use = services.store.use();
    return audit::file_versions(*use, "policy");
  }();
  if (!versions) return proof_failed(req, res, ctx, versions.error());
  json rows = json::array();
  for (std::size_t i = 0; i < versions->size(); ++i) {
    json row = version_row((*versions)[i]);
    row["has_previous"] = i > 0;
    row["previous"] = i > 0 ? std::to_string((*versions)[i - 1].number) : "";
    // The form offers the two newest versions by default: what the last change did.
    row["is_old"] = versions->size() >= 2 && i + 2 == versions->size();
    row["is_new"] = i + 1 == versions->size();
    rows.push_back(std::move(row));
  }
  json values = {{"versions", rows}, {"has_versions", !rows.empty()}};
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "pv_title"), &ctx), render_page(PageTemplate::kPolicyVersions, ctx.lang, values));
}

// What changes between two kept versions, decision by decision: the same computation and words
// as `sanso policy diff @OLD @NEW` (policy::diff_policies, render_diff_text), both compiled as
// of today.
void Console::Impl::policy_diff_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const auto old_ref = version_reference(field(req, "old")), new_ref = version_reference(field(req, "new"));
  if (!old_ref || !new_ref) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  struct Side {
    audit::FileVersion version;
    std::unique_ptr<policy::CompiledPolicy> policy;
  };
  const Date today = system_clock().today();
  auto side = [&](store::Database& db, const std::string& reference) -> Result<Side> {
    Side out;
    out.version = SANSO_TRY(audit::find_file_version(db, "policy", reference));
    const std::string text = SANSO_TRY(audit::file_version_text(db, "policy", out.version.number));
    policy::Policy loaded = SANSO_TRY(policy::load_checked_policy_text(
        text, "policy @" + std::to_string(out.version.number) + " (" + out.version.sha256.substr(0, 12) + ")", today));
    out.policy = std::make_unique<policy::CompiledPolicy>(SANSO_TRY(policy::CompiledPolicy::compile(std::move(loaded), today)));
    return out;
  };
  std::optional<Side> before, after;
  auto read = [&]() -> Result<void> {
    auto use = services.store.use();
    before = SANSO_TRY(side(*use, *old_ref));
    after = SANSO_TRY(side(*use, *new_ref));
    return ok();
  }();
  json f = frame(req, wording(ctx.lang, "pv_diff_title"), &ctx);
  json values = {{"has_sides", false}};
  int status = 200;
  if (!read) {
    const Error& e = read.error();
    if (e.code == "audit.version-damaged" || e.code.rfind("store.", 0) == 0) return proof_failed(req, res, ctx, e);
    status = e.code == "audit.no-version" ? 404 : 400;
    f["error"] = wording(ctx.lang, "err_pv_refused") + " " + visible_text(e.to_string());
  } else {
    const policy::PolicyDiff d = policy::diff_policies(*before->policy, *after->policy);
    json sides = json::array();
    for (const auto* s : {&*before, &*after}) {
      json row = version_row(s->version);
      row["label"] = wording(ctx.lang, s == &*before ? "pv_old" : "pv_new");
      sides.push_back(std::move(row));
    }
    values = {{"has_sides", true},
              {"sides", sides},
              {"text", policy::render_diff_text(d, *before->policy, *after->policy, lang_code(ctx.lang))}};
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kPolicyDiff, ctx.lang, values));
}

// The training audience (6(5)) as `sanso register audience` counts it: the members of [directory]
// training_groups (directory::members_of) against the training register (registers::attendance).
// Without training groups, or with the directory unreachable, the page says so and counts nothing.
void Console::Impl::audience_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string course = field(req, "course"), since_text = field(req, "since");
  json values = {{"course", visible_text(course)}, {"since", visible_text(since_text)}, {"has_problem", false}, {"counted", false}};
  json f = frame(req, wording(ctx.lang, "au_title"), &ctx);
  std::optional<Date> since;
  if (!since_text.empty()) {
    since = Date::parse(since_text);
    if (!since) {
      f["error"] = wording(ctx.lang, "err_au_bad_since");
      return send_page(res, 400, ctx.lang, f, render_page(PageTemplate::kAudience, ctx.lang, values));
    }
  }
  const directory::Settings& ds = services.config.directory;
  if (ds.training_groups.empty()) {
    values["has_problem"] = true;
    values["problem"] = wording(ctx.lang, "au_no_directory");
    return send_page(res, 200, ctx.lang, f, render_page(PageTemplate::kAudience, ctx.lang, values));
  }
  auto members = directory::members_of(ds, ds.training_groups);
  if (!members) {
    log::warn("web: the training audience: " + members.error().to_string());
    values["has_problem"] = true;
    values["problem"] = wording(ctx.lang, "au_directory_down") + " " + visible_text(members.error().to_string());
    return send_page(res, 503, ctx.lang, f, render_page(PageTemplate::kAudience, ctx.lang, values));
  }
  auto training = [&]() -> Result<std::vector<registers::Entry>> {
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    return regs.list(registers::Kind::kTraining);
  }();
  if (!training) return proof_failed(req, res, ctx, training.error());
  std::vector<std::string> names;
  std::map<std::string, std::string> display;
  for (const auto& m : *members) {
    names.push_back(m.name);
    display[m.name] = m.display_name;
  }
  const registers::Attendance counted = registers::attendance(*training, names, course, since);
  auto people = [&](const std::vector<std::string>& list) {
    json out = json::array();
    for (const auto& name : list) out.push_back({{"name", visible_text(name)}, {"display", visible_text(display[name])}});
    return out;
  };
  values["counted"] = true;
  values["groups"] = std::to_string(ds.training_groups.size());
  values["audience"] = std::to_string(names.size());
  values["attended_count"] = std::to_string(counted.attended.size());
  values["missing_count"] = std::to_string(counted.missing.size());
  values["attended"] = people(counted.attended);
  values["missing"] = people(counted.missing);
  send_page(res, 200, ctx.lang, f, render_page(PageTemplate::kAudience, ctx.lang, values));
}

void Console::Impl::proof_routes() {
  if (!offers_proof()) return;
  httplib::Server& s = *server;
  auto done_notice = [](const httplib::Request& req, Lang lang, std::initializer_list<const char*> known) {
    const std::string done = field(req, "done");
    for (const char* k : known) {
      if (done == k) return wording(lang, "done_" + done);
    }
    return std::string();
  };
  s.Get("/registers", proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { registers_page(req, res, ctx); }, false));
  s.Get(R"(/registers/([a-z]{1,20}))", proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { register_page(req, res, ctx, "", std::nullopt, {}); }, false));
  s.Post(R"(/registers/([a-z]{1,20}))", proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { register_put(req, res, ctx, false); }, true));
  s.Get(R"(/registers/([a-z]{1,20})/export\.(csv|xlsx))", proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { register_export(req, res, ctx); }, false));
  s.Get(R"(/registers/([a-z]{1,20})/entry/([A-Za-z0-9._-]{1,64}))",
        proof_page(Permission::kRegisters, 
            [this, done_notice](auto& req, auto& res, auto& ctx) {
              register_entry_page(req, res, ctx, done_notice(req, ctx.lang, {"rg_added", "rg_changed", "rg_checked"}), std::nullopt, {});
            },
            false));
  s.Post(R"(/registers/([a-z]{1,20})/entry/([A-Za-z0-9._-]{1,64}))",
         proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { register_put(req, res, ctx, true); }, true));
  s.Post(R"(/registers/(contractors)/entry/([A-Za-z0-9._-]{1,64})/check)",
         proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { contract_check_post(req, res, ctx); }, true));
  s.Get(R"(/registers/contractors/checks\.(csv|xlsx))",
        proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { contract_check_export(req, res, ctx); }, false));
  // A campaign's id is "<template>:<body>:<period>", each part of letters, digits and - _ ., then
  // ":<section key>" (12 hex digits) for a campaign of one section of the body.
  const std::string id = R"(([A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,64}:[0-9-]{4,7}(?::[0-9a-f]{12})?))";
  // Clause 8's review: whoever may see the registers or the inspection sees the policy's versions.
  auto registers_or_inspection = [this](Page page) { return signed_in(needs({Permission::kRegisters, Permission::kInspection}, std::move(page)), false); };
  s.Get("/policy/versions", registers_or_inspection([this](auto& req, auto& res, auto& ctx) { policy_versions_page(req, res, ctx); }));
  s.Get("/policy/diff", registers_or_inspection([this](auto& req, auto& res, auto& ctx) { policy_diff_page(req, res, ctx); }));
  s.Get("/registers/training/audience", proof_page(Permission::kRegisters, [this](auto& req, auto& res, auto& ctx) { audience_page(req, res, ctx); }, false));
  s.Get("/inspect/stats", proof_page(Permission::kInspection, [this](auto& req, auto& res, auto& ctx) { statistics_page(req, res, ctx); }, false));
  s.Get("/inspect", proof_page(Permission::kInspection, [this](auto& req, auto& res, auto& ctx) { campaigns_page(req, res, ctx); }, false));
  s.Post("/inspect/create", proof_page(Permission::kInspection, [this](auto& req, auto& res, auto& ctx) { campaign_create(req, res, ctx); }, true));
  s.Get("/inspect/c/" + id, proof_page(Permission::kInspection, 
                                [this, done_notice](auto& req, auto& res, auto& ctx) {
                                  campaign_page(req, res, ctx, req.matches[1],
                                                done_notice(req, ctx.lang, {"in_answered", "in_evidence", "in_evaluated", "in_action", "in_signed", "in_created", "in_assigned"}),
                                                std::nullopt);
                                },
                                false));
  for (const char* action : {"answer", "evaluate", "action", "signoff", "assign"}) {
    s.Post("/inspect/c/" + id + "/" + action,
           proof_page(Permission::kInspection, [this, action = std::string(action)](auto& req, auto& res, auto& ctx) { campaign_action(req, res, ctx, action); }, true));
  }
  s.Get("/inspect/c/" + id + R"(/report\.(xlsx|pdf))", proof_page(Permission::kInspection, [this](auto& req, auto& res, auto& ctx) { campaign_report(req, res, ctx); }, false));
  s.Get("/inspect/c/" + id + "/evidence/([0-9]{1,12})", proof_page(Permission::kInspection, [this](auto& req, auto& res, auto& ctx) { campaign_evidence(req, res, ctx); }, false));
  s.Post("/inspect/evidence", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
    evidence_upload(req, res, body);
  });
}

}  // namespace sanso::web
