// The console's pages: sign-in and sign-out, the overview, the quarantine's list and items and
// their four-eyes actions, the download of an original, the audit log, one's own account. Each
// acts only through the quarantine, the accounts and the audit log, which record what they do.
#include "web/console.h"
#include "mail/identifiers.h"

#include <algorithm>
#include <charconv>

#include "audit/log.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "web/internal/console_server.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;
using quarantine::Actor;
using quarantine::Item;
using quarantine::ItemState;

namespace {

// The quarantine's own words for its states, so the console and the CLI say the same.
std::string state_label(Lang lang, std::string_view state) {
  const auto parsed = quarantine::parse_state(state, "state");
  return parsed ? std::string(quarantine::state_label(*parsed, lang == Lang::kEn ? "en" : "ja")) : std::string(state);
}

// The wording key for an error the quarantine or the accounts return.
std::string error_key(const Error& e) {
  if (e.code == "quarantine.forbidden") return "err_forbidden";
  if (e.code == "quarantine.state" || e.code == "quarantine.conflict" || e.code == "quarantine.changed") return "err_state";
  if (e.code == "quarantine.four-eyes") return "err_four_eyes";
  if (e.code == "quarantine.input") return "err_input";
  if (e.code == "quarantine.not-found") return "err_not_found";
  if (e.code == "quarantine.damaged") return "err_damaged";
  if (e.code == "quarantine.delivery") return "err_delivery";
  if (e.code == "quarantine.second-factor") return "tr_bad_code";
  return "err_internal";
}


}  // namespace

int internal::error_status(const Error& e) {
  if (e.code.rfind("transfer.", 0) == 0 || e.code.rfind("upload.", 0) == 0) return transfer_error_status(e);
  if (e.code == "quarantine.forbidden" || e.code == "quarantine.four-eyes") return 403;
  if (e.code == "quarantine.not-found") return 404;
  if (e.code == "quarantine.delivery") return 502;
  if (e.code == "quarantine.input") return 400;
  if (e.code == "quarantine.second-factor") return 401;
  if (e.code.rfind("quarantine.", 0) == 0 && e.code != "quarantine.damaged") return 409;
  return 500;
}

void Console::Impl::login_page(const httplib::Request& req, httplib::Response& res) {
  Lang lang = lang_of(req);
  json f = frame(req, wording(lang, "sign_in"), nullptr);
  if (req.has_param("ended")) f["notice"] = wording(lang, "session_ended");
  if (req.has_param("out")) f["notice"] = wording(lang, "signed_out");
  send_page(res, 200, lang, f, render_page(PageTemplate::kLogin, lang, {{"next", local_path(field(req, "next"))}}));
}

void Console::Impl::login(const httplib::Request& req, httplib::Response& res) {
  Lang lang = lang_of(req);
  if (!same_origin(req)) return refuse_form(req, res, nullptr, lang, "cross-origin");
  if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
  std::string name = form_field(req, "name");
  auto result = services.accounts.sign_in(name, form_field(req, "password"), client_address(req), form_field(req, "code"));
  if (!result) {
    log::error("web: sign-in: " + result.error().to_string());
    return send_error(req, res, nullptr, lang, 500, "err_internal");
  }
  if (!result->session) {
    json f = frame(req, wording(lang, "sign_in"), nullptr);
    // An outage is told as one, so that people turn to the emergency accounts; every other
    // failure reads the same, so that nobody learns which names exist or are locked.
    f["error"] = wording(lang, result->reason == "directory-unavailable" ? "directory_unavailable" : "sign_in_failed");
    return send_page(res, 401, lang, f,
                     render_page(PageTemplate::kLogin, lang, {{"name", name.size() <= 64 ? name : ""}, {"next", local_path(field(req, "next"))}}));
  }
  if (!options.zone.empty() && result->session->zone != options.zone) {
    // A zone's console is not this person's: the session ends at once, the refusal is recorded.
    if (auto out = services.accounts.sign_out(result->token, client_address(req)); !out) log::error("web: sign-out: " + out.error().to_string());
    Context ctx{*result->session, lang, client_address(req)};
    refused_other_listener(req, res, ctx);
    return;
  }
  res.set_header("Set-Cookie", session_cookie(req, result->token, -1));
  std::string next = local_path(field(req, "next"));
  redirect(res, next == "/login" ? "/" : next);
}

void Console::Impl::logout(const httplib::Request& req, httplib::Response& res, const Context&) {
  auto r = services.accounts.sign_out(cookie(req, kSessionCookie), client_address(req));
  if (!r) log::error("web: sign-out: " + r.error().to_string());
  res.set_header("Set-Cookie", session_cookie(req, "", 0));
  redirect(res, "/login?out=1");
}

void Console::Impl::dashboard(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  // Each summary only for those who may open its pages: staff who only exchange files see
  // neither the quarantine's contents nor the audit log's state.
  json values = {{"quarantine", ctx.session.may(Permission::kQuarantine)},
                 {"audit", ctx.session.may(Permission::kAudit)},
                 {"transfer", services.transfers != nullptr && ctx.session.may(Permission::kTransfer)}};
  if (ctx.session.may(Permission::kQuarantine)) {
    auto by_state = services.quarantine.count_by_state();
    if (!by_state) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    json counts = json::array();
    for (ItemState st : quarantine::all_states()) {
      std::string s(quarantine::to_string(st));
      auto n = by_state->find(st);
      counts.push_back({{"state", s}, {"label", state_label(ctx.lang, s)}, {"count", std::to_string(n == by_state->end() ? 0 : n->second)}});
    }
    quarantine::ListFilter awaiting_filter;
    awaiting_filter.state = ItemState::kReleaseRequested;
    auto awaiting_items = services.quarantine.list(awaiting_filter);
    if (!awaiting_items) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    json awaiting = json::array();
    for (const auto& it : *awaiting_items) {
      auto history = services.quarantine.releases(it.id);
      std::string reason = history && !history->empty() ? history->back().reason : "";
      awaiting.push_back({{"id", it.id}, {"received", local_time(it.received_at)}, {"what", visible_text(quarantine::label_of(it))}, {"reason", visible_text(reason)}});
    }
    values["counts"] = counts;
    values["awaiting"] = awaiting;
    values["has_awaiting"] = !awaiting.empty();
  }
  if (ctx.session.may(Permission::kAudit)) {
    std::uint64_t size = 0;
    std::optional<audit::SignedCheckpoint> checkpoint;
    auto read = [&]() -> Result<void> {
      auto db = services.store.use();
      size = SANSO_TRY(audit::tree_size(*db));
      checkpoint = SANSO_TRY(audit::latest_checkpoint(*db));
      return ok();
    }();
    if (!read) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    values["tree_size"] = std::to_string(size);
    if (checkpoint) {
      values["checkpoint"] = {{"size", std::to_string(checkpoint->checkpoint.size)},
                              {"signed_at", local_time(checkpoint->signed_at)},
                              {"root", audit::to_base64(checkpoint->checkpoint.root)}};
    }
  }
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_dashboard"), &ctx), render_page(PageTemplate::kDashboard, ctx.lang, values));
}

void Console::Impl::quarantine_list(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  quarantine::ListFilter filter;
  filter.limit = 500;
  std::string state = field(req, "state");
  json filters = json::array({{{"state", ""}, {"label", wording(ctx.lang, "state_all")}, {"current", state.empty()}}});
  for (ItemState st : quarantine::all_states()) {
    std::string s(quarantine::to_string(st));
    if (state == s) filter.state = st;
    filters.push_back({{"state", s}, {"label", state_label(ctx.lang, s)}, {"current", state == s}});
  }
  if (!state.empty() && !filter.state) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  auto items = services.quarantine.list(filter);
  if (!items) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  json rows = json::array();
  for (const auto& it : *items) {
    bool mail = it.origin.kind == quarantine::Origin::Kind::kMail;
    rows.push_back({{"id", it.id},
                    {"received", local_time(it.received_at)},
                    {"kind", wording(ctx.lang, mail ? "kind_mail" : "kind_file")},
                    {"what", visible_text(quarantine::label_of(it))},
                    {"verdict", std::string(quarantine::label(it.verdict, ctx.lang == Lang::kEn ? "en" : "ja"))},
                    {"reason", visible_text(it.reason)},
                    {"state_label", state_label(ctx.lang, quarantine::to_string(it.state))}});
  }
  json values = {{"filters", filters}, {"items", rows}, {"has_items", !rows.empty()}};
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_quarantine"), &ctx), render_page(PageTemplate::kQuarantine, ctx.lang, values));
}

void Console::Impl::item_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& id,
               const std::string& notice, const std::optional<Error>& failure) {
  auto item = services.quarantine.get(id);
  if (!item) return send_error(req, res, &ctx, ctx.lang, error_status(item.error()), error_key(item.error()));
  auto history = services.quarantine.releases(id);
  if (!history) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  const Item& it = *item;
  bool mail = it.origin.kind == quarantine::Origin::Kind::kMail;
  json rows = json::array();
  for (const auto& r : *history) {
    rows.push_back({{"requested_by", visible_text(r.requested_by)},
                    {"requested_at", local_time(r.requested_at)},
                    {"reason", visible_text(r.reason)},
                    {"decision", quarantine::decision_label(r.decision, ctx.lang == Lang::kEn ? "en" : "ja")},
                    {"decided_by", visible_text(r.decided_by)},
                    {"decided_at", r.decided_at != 0 ? local_time(r.decided_at) : ""},
                    {"note", visible_text(r.decision_note)},
                    {"released_by", visible_text(r.released_by)},
                    {"released_at", r.released_at != 0 ? local_time(r.released_at) : ""},
                    {"released_to", visible_text(r.released_to)}});
  }
  std::string findings;
  if (auto report = json::parse(it.report_json, nullptr, false); report.is_array() && !report.empty()) {
    // Line by line: the layout's line breaks stay, whatever the findings quote is neutralised.
    std::string dumped = report.dump(2, ' ', false, json::error_handler_t::replace);
    for (std::size_t start = 0; start <= dumped.size();) {
      std::size_t end = std::min(dumped.find('\n', start), dumped.size());
      findings += visible_text(std::string_view(dumped).substr(start, end - start));
      if (end < dumped.size()) findings += '\n';
      start = end + 1;
    }
  }
  // What the person may do is the quarantine's answer, not a second copy of its rules here.
  auto allowed = services.quarantine.allowed_actions(it.id, ctx.actor());
  if (!allowed) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  bool needs_code = false;
  if (allowed->decide) {
    auto needs = decision_needs_code(ctx, it.approver_role);
    if (!needs) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    needs_code = *needs;
  }
  json values = {{"id", it.id},
                 {"csrf", ctx.session.csrf},
                 {"state_label", state_label(ctx.lang, quarantine::to_string(it.state))},
                 {"kind", wording(ctx.lang, mail ? "kind_mail" : "kind_file")},
                 {"mail", mail},
                 {"file", !mail},
                 {"from", visible_text(mail::mask_identification_numbers(it.origin.envelope_from))},  // the envelope stays whole for the release; shown masked
                 {"to", visible_text(mail::mask_identification_numbers(join(it.origin.envelope_to, ", ")))},
                 {"subject", visible_text(it.origin.subject)},
                 {"file_name", visible_text(it.origin.file_name)},
                 {"uploader", visible_text(it.origin.uploader)},
                 {"received", local_time(it.received_at)},
                 {"verdict", std::string(quarantine::label(it.verdict, ctx.lang == Lang::kEn ? "en" : "ja"))},
                 {"reason", visible_text(it.reason)},
                 {"classification", it.classification.empty() ? json() : json(visible_text(it.classification))},
                 {"size", human_size(static_cast<std::uint64_t>(it.size))},
                 {"sha256", it.sha256},
                 {"expires", local_time(it.expires_at)},
                 {"findings", findings},
                 {"has_findings", !findings.empty()},
                 {"history", rows},
                 {"has_history", !rows.empty()},
                 {"can_request", allowed->request_release},
                 {"can_decide", allowed->decide},
                 {"needs_code", needs_code},
                 {"can_release", allowed->release},
                 {"can_download", allowed->export_original}};
  json f = frame(req, wording(ctx.lang, "id") + " " + it.id, &ctx);
  if (!notice.empty()) f["notice"] = notice;
  int status = 200;
  if (failure) {
    status = error_status(*failure);
    f["error"] = wording(ctx.lang, error_key(*failure)) + " (" + visible_text(failure->message) + ")";
  }
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kItem, ctx.lang, values));
}

void Console::Impl::acted(httplib::Response& res, const std::string& id, const char* done) {
  redirect(res, "/quarantine/" + httplib::detail::encode_query_param(id) + "?done=" + done);
}

void Console::Impl::item_action(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& action) {
  const std::string id = req.matches[1];
  Actor actor = ctx.actor();
  if (action == "request") {
    auto r = services.quarantine.request_release(id, actor, field(req, "reason"));
    if (!r) return item_page(req, res, ctx, id, "", r.error());
    return acted(res, id, "requested");
  }
  if (action == "decide") {
    // The form's two buttons say "approve" and "deny"; anything else is not a decision.
    const std::string answer = field(req, "decision");
    const quarantine::ReleaseDecision decision = answer == "approve" ? quarantine::ReleaseDecision::kApproved
                                                 : answer == "deny"  ? quarantine::ReleaseDecision::kDenied
                                                                     : quarantine::ReleaseDecision::kNone;
    if (decision == quarantine::ReleaseDecision::kNone) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    if (decision == quarantine::ReleaseDecision::kApproved) {
      // The same second factor as from the approvals inbox: the role the item names may require it.
      auto item = services.quarantine.get(id);
      if (!item) return item_page(req, res, ctx, id, "", item.error());
      auto allowed = services.quarantine.allowed_actions(id, actor);
      if (!allowed) return item_page(req, res, ctx, id, "", allowed.error());
      // Someone who may not decide hears the quarantine's reason, not a request for a code.
      auto confirmed = allowed->decide ? confirm_approval(ctx, item->approver_role, field(req, "code"), "quarantine " + id) : Result<void>(ok());
      if (!confirmed && confirmed.error().code != "web.second-factor") {
        log::error("web: " + confirmed.error().to_string());
        return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
      }
      if (!confirmed) return item_page(req, res, ctx, id, "", Error{"quarantine.second-factor", id, "one-time code / 確認コード"});
    }
    auto r = decision == quarantine::ReleaseDecision::kApproved ? services.quarantine.approve(id, actor, field(req, "note"))
                                                               : services.quarantine.deny(id, actor, field(req, "note"));
    if (!r) return item_page(req, res, ctx, id, "", r.error());
    return acted(res, id, std::string(quarantine::to_string(decision)).c_str());
  }
  // release
  auto r = services.quarantine.release(id, actor, [&](const Item& it, const std::string& original) {
    return services.deliver(it, original, actor);
  });
  if (!r) {
    // A quarantine error is about the item; anything else came from delivering it.
    bool delivery = r.error().code.rfind("quarantine.", 0) != 0;
    return item_page(req, res, ctx, id, "", delivery ? Error{"quarantine.delivery", id, r.error().message} : r.error());
  }
  acted(res, id, "released");
}

void Console::Impl::download(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string id = req.matches[1];
  auto original = services.quarantine.export_original(id, ctx.actor());
  if (!original) return send_error(req, res, &ctx, ctx.lang, error_status(original.error()), error_key(original.error()));
  auto item = services.quarantine.get(id);
  bool mail = item && item->origin.kind == quarantine::Origin::Kind::kMail;
  // The original is evidence, not a page: it is never rendered by the browser.
  res.set_header("Content-Disposition", "attachment; filename=\"" + id + (mail ? ".eml" : ".bin") + "\"");
  res.set_content(*original, "application/octet-stream");
}

void Console::Impl::audit_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  audit::EntryQuery q;
  q.limit = options.audit_page;
  q.action_prefix = field(req, "action");
  q.actor = field(req, "actor");
  if (std::string before = field(req, "before"); !before.empty()) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(before.data(), before.data() + before.size(), v);
    if (ec != std::errc() || p != before.data() + before.size()) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    q.before = v;
  }
  std::vector<audit::Entry> entries;
  std::uint64_t size = 0;
  auto read = [&]() -> Result<void> {
    auto db = services.store.use();
    entries = SANSO_TRY(audit::find_entries(*db, q));
    size = SANSO_TRY(audit::tree_size(*db));
    return ok();
  }();
  if (!read) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  json rows = json::array();
  for (const auto& e : entries) {
    json r = json::parse(e.record, nullptr, false);
    if (!r.is_object()) r = json::object();
    std::string details;
    if (r.contains("details") && r["details"].is_object()) {
      for (const auto& [k, v] : r["details"].items()) details += (details.empty() ? "" : "; ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    rows.push_back({{"index", std::to_string(e.index)},
                    {"time", local_time(e.time)},
                    {"actor", visible_text(r.value("actor", ""))},
                    {"action", visible_text(e.action)},
                    {"subject", visible_text(r.value("subject", ""))},
                    {"outcome", visible_text(r.value("outcome", ""))},
                    {"clause", visible_text(r.value("clause", ""))},
                    {"details", visible_text(details)}});
  }
  json values = {{"entries", rows}, {"has_entries", !rows.empty()}, {"tree_size", std::to_string(size)}, {"action", q.action_prefix}, {"actor", q.actor}};
  if (entries.size() == q.limit && entries.back().index > 0) values["older"] = std::to_string(entries.back().index);
  send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_audit"), &ctx), render_page(PageTemplate::kAudit, ctx.lang, values));
}

void Console::Impl::account_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& notice,
                  const std::string& error, int status) {
  std::string rule = wording(ctx.lang, "password_rule");
  rule.replace(rule.find("{{min}}"), 7, std::to_string(services.config.web.min_password_length));
  json values = {{"name", ctx.session.name},
                 {"roles", join(ctx.session.roles, ", ")},
                 {"session_started", local_time(ctx.session.created_at)},
                 {"csrf", ctx.session.csrf},
                 {"rule", rule}};
  json f = frame(req, wording(ctx.lang, "nav_account"), &ctx);
  if (!notice.empty()) f["notice"] = notice;
  if (!error.empty()) f["error"] = error;
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kAccount, ctx.lang, values));
}

void Console::Impl::change_password(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  std::string password = field(req, "password");
  if (password != field(req, "repeat")) return account_page(req, res, ctx, "", wording(ctx.lang, "passwords_differ"), 400);
  auto r = services.accounts.change_password(ctx.session, field(req, "current"), password, ctx.source);
  if (!r) {
    if (r.error().code == "web.bad-password" || r.error().code == "web.locked") {
      return account_page(req, res, ctx, "", wording(ctx.lang, "password_wrong"), 400);
    }
    if (r.error().code == "web.password") return account_page(req, res, ctx, "", wording(ctx.lang, "password_weak") + r.error().message, 400);
    log::error("web: changing a password: " + r.error().to_string());
    return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  }
  account_page(req, res, ctx, wording(ctx.lang, "password_changed"), "", 200);
}

}  // namespace sanso::web
