// The flow monitor's findings in the console (6(3)③, docs/monitor.md): what the collectors
// stored — zone pair, rule and clause, first and last seen, count, where it was seen — with
// filters (open or acknowledged, a zone, a period of JST days), and acknowledging a finding with
// a reason. Everything shown came from the network (addresses, the collector's source, an
// indicator list's detail) and is shown with controls and invisible characters made visible.
// Acknowledging acts through monitor::acknowledge_finding, which changes the finding and writes
// its audit record in one transaction.
#include <algorithm>
#include <charconv>
#include <ctime>

#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "monitor/finding_store.h"
#include "web/console.h"
#include "web/internal/console_server.h"
#include "web/internal/findings_page.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

const Wording& findings_wording() {
  static const Wording kWords = [] {
    Wording words = {
      {"nav_findings", {"監視の検知", "Monitor findings"}},
      {"fd_state", {"状態", "State"}},
      {"fd_open", {"未確認", "Open"}},
      {"fd_acknowledged", {"確認済み", "Acknowledged"}},
      {"fd_all", {"すべて", "All"}},
      {"fd_zone", {"領域", "Zone"}},
      {"fd_any_zone", {"すべての領域", "Any zone"}},
      {"fd_from", {"期間の開始（日本時間の日付）", "From (a date, Japan time)"}},
      {"fd_to", {"期間の終了（日本時間の日付、その日を含む）", "To (a date, Japan time, inclusive)"}},
      {"fd_filter", {"絞り込む", "Filter"}},
      {"fd_none", {"該当する検知はありません。", "No findings match."}},
      {"fd_id", {"番号", "No."}},
      {"fd_rule", {"規則", "Rule"}},
      {"fd_clause", {"条項", "Clause"}},
      {"fd_pair", {"領域の組（送信元 → 宛先）", "Zone pair (source → destination)"}},
      {"fd_flow", {"通信", "Flow"}},
      {"fd_first", {"初回検知", "First seen"}},
      {"fd_last", {"最終検知", "Last seen"}},
      {"fd_count", {"回数", "Count"}},
      {"fd_source", {"検知した場所（ログ・収集器）", "Where it was seen (log, collector)"}},
      {"fd_detail", {"詳細", "Detail"}},
      {"fd_node", {"収集したノード", "Collector node"}},
      {"fd_acked_by", {"確認した人", "Acknowledged by"}},
      {"fd_acked_at", {"確認日時", "Acknowledged at"}},
      {"fd_reason", {"確認の理由（調査の結果と対応）", "Reason (what was found out and what was done)"}},
      {"fd_acknowledge", {"確認済みにする", "Acknowledge"}},
      {"fd_not_allowed", {"検知を確認済みにできるのは、承認者の役割を持つ人だけです。", "Only holders of an approver role may acknowledge findings."}},
      {"fd_older", {"さらに古い検知", "Older findings"}},
      {"fd_times", {"時刻は日本時間です。", "Times are Japan time (JST)."}},
      {"done_acknowledged", {"確認済みにしました。監査ログに記録されています。", "Acknowledged; the audit log records it."}},
      {"err_fd_date", {"日付は YYYY-MM-DD の形で入力してください（例: 2026-12-05）。", "Dates must be YYYY-MM-DD (e.g. 2026-12-05)."}},
      {"err_fd_reason", {"理由を入力してください（2000 バイトまで）。何も変更していません。", "Give a reason (up to 2000 bytes); nothing was changed."}},
      {"err_fd_acknowledged", {"この検知は既に確認済みです。", "This finding was acknowledged already."}},
      {"err_fd_readonly", {"この画面からは確認できません（監査ログが使えません）。", "Findings cannot be acknowledged here (no audit log)."}},
      {"fd_map", {"領域マップ（検知のある経路）", "Zone map (paths with findings)"}},
      {"fd_pair_filter", {"領域の組で絞り込み中", "Showing one zone pair"}},
    };
    words.insert(zone_map_wording().begin(), zone_map_wording().end());
    return words;
  }();
  return kWords;
}

const Templates& findings_templates() {
  static const Templates kPages = [] {
    Templates pages = {
      {PageTemplate::kFindings, R"html(<form method="get" action="/monitor/findings" class="card" id="findings-filter">
<label>{{t.fd_state}} <select name="state">{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select></label>
<label>{{t.fd_zone}} <select name="zone"><option value="">{{t.fd_any_zone}}</option>{{#zones}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/zones}}</select></label>
{{#pair}}<input type="hidden" name="src_zone" value="{{src_zone}}"><input type="hidden" name="dst_zone" value="{{dst_zone}}">{{/pair}}
<label>{{t.fd_from}} <input type="date" name="from" value="{{from}}"></label>
<label>{{t.fd_to}} <input type="date" name="to" value="{{to}}"></label>
<button type="submit">{{t.fd_filter}}</button>
</form>
<p class="hint">{{t.fd_times}} <a id="zone-map-link" href="/monitor/zones">{{t.fd_map}}</a></p>
{{#pair}}<p id="pair-filter">{{t.fd_pair_filter}}: {{src_zone}} → {{dst_zone}} <a href="/monitor/findings">×</a></p>{{/pair}}
{{^has_rows}}<p id="no-findings">{{t.fd_none}}</p>{{/has_rows}}
{{#has_rows}}<table id="findings"><tr><th>{{t.fd_id}}</th><th>{{t.fd_rule}}</th><th>{{t.fd_clause}}</th><th>{{t.fd_pair}}</th><th>{{t.fd_flow}}</th><th>{{t.fd_first}}</th><th>{{t.fd_last}}</th><th>{{t.fd_count}}</th><th>{{t.fd_state}}</th></tr>
{{#rows}}<tr class="finding" data-id="{{id}}" data-rule="{{rule_id}}" data-state="{{state_key}}"><td><a href="/monitor/findings/{{id}}">{{id}}</a></td><td>{{rule}}</td><td>{{clause}}</td><td>{{src_zone}} → {{dst_zone}}</td><td>{{src}} → {{dst}}:{{dport}}/{{proto}}</td><td>{{first}}</td><td>{{last}}</td><td>{{count}}</td><td>{{state}}</td></tr>{{/rows}}
</table>{{/has_rows}}
{{#older}}<p><a id="older" href="/monitor/findings?{{older}}">{{t.fd_older}}</a></p>{{/older}}
)html"},
      {PageTemplate::kFinding, R"html(<dl>
<dt>{{t.fd_id}}</dt><dd id="finding-id">{{id}}</dd>
<dt>{{t.fd_rule}}</dt><dd id="rule" data-rule="{{rule_id}}">{{rule}} ({{rule_id}})</dd>
<dt>{{t.fd_clause}}</dt><dd id="clause">{{clause}}</dd>
<dt>{{t.fd_pair}}</dt><dd id="pair">{{src_zone}} → {{dst_zone}}</dd>
<dt>{{t.fd_flow}}</dt><dd id="flow">{{src}} → {{dst}}:{{dport}}/{{proto}}</dd>
<dt>{{t.fd_first}}</dt><dd>{{first}}</dd>
<dt>{{t.fd_last}}</dt><dd>{{last}}</dd>
<dt>{{t.fd_count}}</dt><dd id="count">{{count}}</dd>
<dt>{{t.fd_source}}</dt><dd id="source"><code>{{source}}</code></dd>
{{#detail}}<dt>{{t.fd_detail}}</dt><dd id="detail"><code>{{detail}}</code></dd>{{/detail}}
<dt>{{t.fd_node}}</dt><dd>{{node}}</dd>
<dt>{{t.fd_state}}</dt><dd id="state" data-state="{{state_key}}">{{state}}</dd>
{{#acked_by}}<dt>{{t.fd_acked_by}}</dt><dd id="acked-by">{{acked_by}}</dd><dt>{{t.fd_acked_at}}</dt><dd>{{acked_at}}</dd>
<dt>{{t.fd_reason}}</dt><dd id="acked-reason">{{acked_reason}}</dd>{{/acked_by}}
</dl>
{{#can_acknowledge}}<form method="post" action="/monitor/findings/{{id}}/acknowledge" class="card" id="acknowledge-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.fd_reason}} <textarea name="reason" required maxlength="2000"></textarea></label>
<button type="submit" id="acknowledge">{{t.fd_acknowledge}}</button>
</form>{{/can_acknowledge}}
{{#not_allowed}}<p class="hint" id="not-allowed">{{t.fd_not_allowed}}</p>{{/not_allowed}}
<p><a href="/monitor/findings">{{t.nav_findings}}</a></p>
)html"},
    };
    pages.insert(zone_map_templates().begin(), zone_map_templates().end());
    return pages;
  }();
  return kPages;
}

}  // namespace internal

namespace {

constexpr std::int64_t kJstOffset = 9 * 3600;
constexpr std::int64_t kPageSize = 100;

// Findings are dated in Japan time whatever the server's zone: the period filter is in JST days.
std::string jst_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds + kJstOffset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S JST", &tm);
  return buf;
}

// The first second of the JST day `text` (YYYY-MM-DD); nullopt for anything else.
std::optional<std::int64_t> jst_day_start(const std::string& text) {
  auto date = Date::parse(text);
  if (!date) return std::nullopt;
  std::tm tm{};
  tm.tm_year = date->year - 1900;
  tm.tm_mon = date->month - 1;
  tm.tm_mday = date->day;
  return static_cast<std::int64_t>(timegm(&tm)) - kJstOffset;
}

std::string rule_label(const std::string& id, Lang lang) {
  for (int i = 0; i < monitor::kRuleCount; ++i) {
    const auto& r = monitor::info(static_cast<monitor::Rule>(i));
    if (r.id == id) return std::string(lang == Lang::kEn ? r.en : r.ja);
  }
  return visible_text(id);
}

json values_of(const monitor::StoredFinding& f, Lang lang) {
  const bool open = f.state == "open";
  json v = {{"id", std::to_string(f.id)},
            {"rule_id", visible_text(f.rule)},
            {"rule", rule_label(f.rule, lang)},
            {"clause", visible_text(f.clause)},
            {"src", visible_text(f.src)},
            {"dst", visible_text(f.dst)},
            {"dport", std::to_string(f.dport)},
            {"proto", visible_text(f.proto)},
            {"src_zone", visible_text(f.src_zone)},
            {"dst_zone", visible_text(f.dst_zone)},
            {"first", jst_time(f.first_seen)},
            {"last", jst_time(f.last_seen)},
            {"count", std::to_string(f.count)},
            {"source", visible_text(f.source)},
            {"detail", visible_text(f.detail)},
            {"node", visible_text(f.node)},
            {"state_key", open ? "open" : "acknowledged"},
            {"state", wording(lang, open ? "fd_open" : "fd_acknowledged")}};
  if (!open) {
    v["acked_by"] = visible_text(f.acknowledged_by);
    v["acked_at"] = jst_time(f.acknowledged_at);
    v["acked_reason"] = visible_text(f.acknowledged_reason);
  }
  return v;
}

std::optional<std::int64_t> finding_id(const std::string& text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

// The one place that says who may acknowledge a finding: the people who decide on releases from
// quarantine ([quarantine] approver_roles: the security manager and the officer above them).
bool Console::Impl::may_acknowledge_findings(const Context& ctx) const {
  return ctx.actor().has_any_role(services.config.quarantine.approver_roles);
}

void Console::Impl::findings_routes() {
  httplib::Server& s = *server;
  s.Get("/monitor/findings", signed_in(needs({Permission::kFindings},
                                 [this](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
                                   monitor::FindingFilter filter;
                                   filter.limit = kPageSize;
                                   std::string state = field(req, "state");
                                   if (state.empty()) state = "open";
                                   if (state != "open" && state != "acknowledged" && state != "all") {
                                     return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
                                   }
                                   filter.state = state == "all" ? "" : state;
                                   filter.zone = field(req, "zone");
                                   filter.src_zone = field(req, "src_zone");  // one edge of the zone map
                                   filter.dst_zone = field(req, "dst_zone");
                                   const std::string from = field(req, "from"), to = field(req, "to");
                                   auto from_start = jst_day_start(from), to_start = jst_day_start(to);
                                   if ((!from.empty() && !from_start) || (!to.empty() && !to_start)) {
                                     return send_error(req, res, &ctx, ctx.lang, 400, "err_fd_date");
                                   }
                                   if (from_start) filter.from = *from_start;
                                   if (to_start) filter.until = *to_start + 86400;  // the whole of that day
                                   if (std::string before = field(req, "before"); !before.empty()) {
                                     auto id = finding_id(before);
                                     if (!id) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
                                     filter.before_id = *id;
                                   }
                                   std::vector<monitor::StoredFinding> found;
                                   std::vector<std::string> zones;
                                   auto read = [&]() -> Result<void> {
                                     auto db = services.store.use();
                                     found = SANSO_TRY(monitor::list_findings(*db, filter));
                                     zones = SANSO_TRY(monitor::finding_zones(*db));
                                     return ok();
                                   }();
                                   if (!read) {
                                     log::error("web: reading monitor findings: " + read.error().to_string());
                                     return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
                                   }
                                   json rows = json::array();
                                   for (const auto& f : found) rows.push_back(values_of(f, ctx.lang));
                                   json states = json::array();
                                   for (const char* st : {"open", "acknowledged", "all"}) {
                                     states.push_back({{"value", st}, {"label", wording(ctx.lang, std::string("fd_") + st)}, {"selected", state == st}});
                                   }
                                   json zone_options = json::array();
                                   for (const auto& z : zones) zone_options.push_back({{"value", visible_text(z)}, {"selected", z == filter.zone}});
                                   json values = {{"rows", rows}, {"has_rows", !rows.empty()}, {"states", states}, {"zones", zone_options},
                                                  {"from", from_start ? from : ""}, {"to", to_start ? to : ""},
                                                  {"pair", !filter.src_zone.empty() || !filter.dst_zone.empty()},
                                                  {"src_zone", visible_text(filter.src_zone)}, {"dst_zone", visible_text(filter.dst_zone)}};
                                   if (static_cast<std::int64_t>(found.size()) == kPageSize) {
                                     values["older"] = "state=" + state + "&zone=" + httplib::detail::encode_query_param(filter.zone) +
                                                       "&src_zone=" + httplib::detail::encode_query_param(filter.src_zone) +
                                                       "&dst_zone=" + httplib::detail::encode_query_param(filter.dst_zone) +
                                                       "&from=" + (from_start ? from : "") + "&to=" + (to_start ? to : "") +
                                                       "&before=" + std::to_string(found.back().id);
                                   }
                                   send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_findings"), &ctx),
                                             render_page(PageTemplate::kFindings, ctx.lang, values));
                                 }),
                                 false));
  auto show = [this](const httplib::Request& req, httplib::Response& res, const Context& ctx, std::int64_t id, const std::string& notice,
                     const std::string& error, int status) {
    std::optional<monitor::StoredFinding> f;
    auto read = [&]() -> Result<void> {
      auto db = services.store.use();
      f = SANSO_TRY(monitor::get_finding(*db, id));
      return ok();
    }();
    if (!read) {
      log::error("web: reading a monitor finding: " + read.error().to_string());
      return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    }
    if (!f) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
    json values = values_of(*f, ctx.lang);
    const bool open = f->state == "open";
    const bool allowed = may_acknowledge_findings(ctx);
    values["can_acknowledge"] = open && allowed && services.audit_log != nullptr;
    values["not_allowed"] = open && !allowed;
    values["csrf"] = ctx.session.csrf;
    json fr = frame(req, wording(ctx.lang, "nav_findings") + " " + std::to_string(id), &ctx);
    if (!notice.empty()) fr["notice"] = notice;
    if (!error.empty()) fr["error"] = error;
    send_page(res, status, ctx.lang, fr, render_page(PageTemplate::kFinding, ctx.lang, values));
  };
  s.Get(R"(/monitor/findings/([0-9]{1,18}))", signed_in(needs({Permission::kFindings},
                                                   [this, show](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
                                                     auto id = finding_id(req.matches[1]);
                                                     if (!id) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
                                                     const bool done = field(req, "done") == "acknowledged";
                                                     show(req, res, ctx, *id, done ? wording(ctx.lang, "done_acknowledged") : "", "", 200);
                                                   }),
                                                   false));
  s.Post(R"(/monitor/findings/([0-9]{1,18})/acknowledge)",
         signed_in(needs({Permission::kFindings},
             [this, show](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
               auto id = finding_id(req.matches[1]);
               if (!id) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
               if (!may_acknowledge_findings(ctx)) {
                 // Recorded: someone tried to close a finding about a breach without the role to.
                 auto r = services.accounts.record_refused_request(ctx.session.name, req.method, local_path(req.path), "role", ctx.source,
                                                                   {{"finding", std::to_string(*id)}});
                 if (!r) log::error("web: recording a refused request: " + r.error().to_string());
                 return send_error(req, res, &ctx, ctx.lang, 403, "err_forbidden");
               }
               if (services.audit_log == nullptr) return send_error(req, res, &ctx, ctx.lang, 503, "err_fd_readonly");
               const monitor::Acknowledger who{ctx.session.name, ctx.session.roles, "console session " + ctx.session.id + " from " + ctx.source};
               const std::string reason = form_field(req, "reason");
               const auto now = static_cast<std::int64_t>(std::time(nullptr));
               auto done = services.store.commit([&](store::Database& db) {
                 return monitor::acknowledge_finding(db, *services.audit_log, *id, who, reason, services.config.quarantine.approver_roles, now);
               });
               if (done) return redirect(res, "/monitor/findings/" + std::to_string(*id) + "?done=acknowledged");
               const Error& e = done.error();
               if (e.code == "monitor.not-found") return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
               if (e.code == "monitor.forbidden") return send_error(req, res, &ctx, ctx.lang, 403, "err_forbidden");
               if (e.code == "monitor.input") return show(req, res, ctx, *id, "", wording(ctx.lang, "err_fd_reason"), 400);
               if (e.code == "monitor.state") return show(req, res, ctx, *id, "", wording(ctx.lang, "err_fd_acknowledged"), 409);
               log::error("web: acknowledging a monitor finding: " + e.to_string());
               send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
             }),
             true));
  zone_map_routes();
}

}  // namespace sanso::web
