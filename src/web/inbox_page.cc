// The approvals inbox (/approvals, issue #17): every `approve` decision that waits for the
// signed-in person in one page — transfers between zones, held mail whose release someone asked
// for, and exceptions (例外措置) requested in the register — each with the approver role the policy
// names, the one-time code when that role (or the person) requires a second factor, and the
// reason the approver gives, which the owner's action records in the audit log. What a person may
// decide is asked of each owner (TransferService::may_decide, QuarantineStore::allowed_actions,
// Registers::decision_allowed), and deciding is exactly the owner's action: no rule is copied
// here. Plain forms, no script.
#include <algorithm>
#include <optional>
#include <regex>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "core/text.h"
#include "policy/policy.h"
#include "register/register.h"
#include "transfer/transfer.h"
#include "web/console.h"
#include "web/internal/console_server.h"
#include "web/internal/inbox_page.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

const Wording& inbox_wording() {
  static const Wording kWords = {
      {"ib_intro", {"あなたの判断を待っているものです。判断の理由は監査ログに記録されます。", "What waits for your decision; the reason you give is recorded in the audit log."}},
      {"ib_transfers", {"ファイル受け渡し", "File transfers"}},
      {"ib_mail", {"隔離されたメール・ファイルの解放申請", "Release requests for held mail and files"}},
      {"ib_exceptions", {"例外措置の申請", "Exception requests"}},
      {"ib_none", {"ありません。", "None."}},
      {"ib_other_side", {"ファイル受け渡しの承認は、あなたの領域（{{zone}}）の端末からだけ行えます。", "Transfers are decided only from computers of your zone ({{zone}})."}},
      {"ib_requested_by", {"申請者", "Requested by"}},
      {"ib_what", {"対象", "What"}},
      {"ib_rule", {"対象の規則", "Policy rule"}},
      {"ib_expires", {"有効期限（承認に必要）", "Expires (needed to approve)"}},
      {"ib_note", {"判断の理由（必須）", "Reason for the decision (required)"}},
      {"ib_code_hint", {"この役割の承認には二要素認証の確認コードが必要です。", "Approving for this role needs your one-time code."}},
      {"ib_no_note", {"判断の理由を書いてください。何も決定していません。", "Give the reason for the decision; nothing was decided."}},
      {"ib_bad_code",
       {"確認コードが正しくないか、使用済みか、二要素認証が設定されていません。承認は行われていません。",
        "The one-time code is wrong, was used already, or no second factor is set up; nothing was approved."}},
      {"ib_refused", {"判断できませんでした。", "The decision was refused."}},
      {"done_inbox_approved", {"承認しました。", "Approved."}},
      {"done_inbox_denied", {"却下しました。", "Denied."}},
  };
  return kWords;
}

const Templates& inbox_templates() {
  // One decision form per row: each posts to /approvals/decide with its kind and id.
  static const std::string kForm = R"html(<form method="post" action="/approvals/decide" class="decide">
<input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="kind" value="{{kind}}"><input type="hidden" name="id" value="{{id}}">
{{#expiry}}<label>{{t.ib_expires}} <input name="expires" type="date" value="{{expires}}"></label>{{/expiry}}
<label>{{t.ib_note}} <textarea name="note" required maxlength="2000"></textarea></label>
{{#needs_code}}<label>{{t.tr_second_factor}} <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></label>
<small>{{t.ib_code_hint}}</small>{{/needs_code}}
<button type="submit" name="decision" value="approve" class="approve">{{t.approve}}</button>
<button type="submit" name="decision" value="deny" class="deny">{{t.deny}}</button>
</form>)html";
  static const Templates kPages = {
      {PageTemplate::kApprovals, R"html(<p>{{t.ib_intro}}</p>
{{#offers_transfers}}<h2>{{t.ib_transfers}}</h2>
{{#other_side}}<p class="hint" id="transfers-other-side">{{other_side}}</p>{{/other_side}}
{{^other_side}}{{^has_transfers}}<p>{{t.ib_none}}</p>{{/has_transfers}}
{{#has_transfers}}<table id="approvals"><tr><th>{{t.tr_id}}</th><th>{{t.tr_created}}</th><th>{{t.tr_sender}}</th><th>{{t.tr_route}}</th><th>{{t.tr_reason}}</th><th>{{t.tr_hold}}</th><th>{{t.tr_approver}}</th><th></th></tr>
{{#transfers}}<tr data-kind="transfer" data-id="{{id}}"><td><a href="/transfer/{{id}}">{{id}}</a></td><td>{{created}}</td><td>{{sender}}</td><td>{{from}} → {{to}}</td><td>{{reason}}</td><td>{{hold}}</td><td class="role">{{role}}</td><td>)html" + kForm +
                                                 R"html(</td></tr>{{/transfers}}
</table>{{/has_transfers}}
{{#next}}<p><a href="/approvals?after={{next}}" id="next-page">{{t.tr_next_page}}</a></p>{{/next}}{{/other_side}}{{/offers_transfers}}
<h2>{{t.ib_mail}}</h2>
{{^has_mail}}<p>{{t.ib_none}}</p>{{/has_mail}}
{{#has_mail}}<table id="mail-approvals"><tr><th>{{t.id}}</th><th>{{t.tr_created}}</th><th>{{t.ib_what}}</th><th>{{t.tr_verdict}}</th><th>{{t.ib_requested_by}}</th><th>{{t.tr_reason}}</th><th>{{t.tr_approver}}</th><th></th></tr>
{{#mail}}<tr data-kind="mail" data-id="{{id}}"><td>{{#may_view}}<a href="/quarantine/{{id}}">{{id}}</a>{{/may_view}}{{^may_view}}{{id}}{{/may_view}}</td><td>{{received}}</td><td>{{what}}</td><td>{{verdict}}<br><small>{{why}}</small></td><td>{{requested_by}}</td><td>{{reason}}</td><td class="role">{{role}}</td><td>)html" + kForm +
                                                 R"html(</td></tr>{{/mail}}
</table>{{/has_mail}}
{{#offers_exceptions}}<h2>{{t.ib_exceptions}}</h2>
{{^has_exceptions}}<p>{{t.ib_none}}</p>{{/has_exceptions}}
{{#has_exceptions}}<table id="exception-approvals"><tr><th>{{t.id}}</th><th>{{t.ib_rule}}</th><th>{{t.ib_requested_by}}</th><th>{{t.tr_created}}</th><th>{{t.tr_reason}}</th><th>{{t.tr_approver}}</th><th></th></tr>
{{#exceptions}}<tr data-kind="exception" data-id="{{id}}"><td>{{id}}</td><td>{{rule}}</td><td>{{requested_by}}</td><td>{{requested_on}}</td><td>{{reason}}</td><td class="role">{{role}}</td><td>)html" + kForm +
                                                 R"html(</td></tr>{{/exceptions}}
</table>{{/has_exceptions}}{{/offers_exceptions}}
)html"},
  };
  return kPages;
}

}  // namespace internal

namespace {

constexpr const char* kKindTransfer = "transfer";
constexpr const char* kKindMail = "mail";
constexpr const char* kKindException = "exception";

std::string lang_code(Lang lang) { return lang == Lang::kEn ? "en" : "ja"; }

std::string text_of(const json& fields, const char* key) {
  auto it = fields.find(key);
  return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

transfer::Person person_of(const Context& ctx) {
  return transfer::Person{ctx.session.name, ctx.session.roles, ctx.session.zone, "console session " + ctx.session.id + " from " + ctx.source, ""};
}

// A refusal an approver can act on, in their language where the owner gave both.
std::string refusal_text(const Error& e, Lang lang) {
  return wording(lang, "ib_refused") + " " + (e.where.empty() ? "" : visible_text(e.where) + ": ") + visible_text(e.message);
}

int refusal_status(const Error& e) {
  if (e.code == "register.not-found" || e.code == "transfer.not-found" || e.code == "quarantine.not-found") return 404;
  if (e.code == "register.forbidden" || e.code == "transfer.own" || e.code == "transfer.role" || e.code == "transfer.zone" ||
      e.code == "quarantine.forbidden" || e.code == "quarantine.four-eyes" || e.code == "quarantine.same-account") {
    return 403;
  }
  if (e.code == "web.second-factor") return 401;
  if (e.code == "register.bad-value" || e.code == "register.inconsistent" || e.code == "register.bad-name" || e.code == "quarantine.input" ||
      e.code == "inbox.input") {
    return 400;
  }
  if (e.code == "transfer.state" || e.code == "transfer.expired" || e.code.rfind("quarantine.", 0) == 0) return 409;
  return 500;
}

}  // namespace

const policy::Policy* Console::Impl::policy_in_force() const { return services.policy != nullptr ? services.policy : services.proof.policy; }

std::string Console::Impl::role_label(const std::string& role, Lang lang) const {
  if (role.empty()) return visible_text(join(services.config.quarantine.approver_roles, ", "));
  const policy::Policy* p = policy_in_force();
  const policy::Role* r = p != nullptr ? p->find_role(role) : nullptr;
  return visible_text(r != nullptr ? r->name.in(lang_code(lang)) + " (" + role + ")" : role);
}

Result<bool> Console::Impl::decision_needs_code(const Context& ctx, const std::string& approver_role) {
  const policy::Policy* p = policy_in_force();
  const policy::Role* r = p != nullptr && !approver_role.empty() ? p->find_role(approver_role) : nullptr;
  if (r != nullptr && r->mfa) return true;
  return services.accounts.needs_second_factor(ctx.session);
}

Result<void> Console::Impl::confirm_approval(const Context& ctx, const std::string& approver_role, const std::string& code, const std::string& what) {
  // An approval lets something through: the approver proves again it is them, as the role asks.
  if (!SANSO_TRY(decision_needs_code(ctx, approver_role))) return ok();
  auto confirmed = services.accounts.confirm_second_factor(ctx.session, code, what, ctx.source);
  if (!confirmed && confirmed.error().code == "web.bad-code") return make_error("web.second-factor", what, wording(ctx.lang, "ib_bad_code"));
  return confirmed;
}

void Console::Impl::inbox_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& error, int status) {
  json values = {{"csrf", ctx.session.csrf}};
  auto code_for = [&](const std::string& role) -> Result<bool> { return decision_needs_code(ctx, role); };
  auto fill = [&]() -> Result<void> {
    // Transfers: decided only from a computer of the person's own zone, like every transfer page.
    const bool offers_transfers = services.transfers != nullptr && services.policy != nullptr;
    values["offers_transfers"] = offers_transfers;
    json transfers = json::array();
    if (offers_transfers) {
      if (ctx.session.zone.empty() || address_zone(req) != ctx.session.zone) {
        std::string text = wording(ctx.lang, "ib_other_side");
        if (auto at = text.find("{{zone}}"); at != std::string::npos) text.replace(at, 8, ctx.session.zone.empty() ? "—" : ctx.session.zone);
        values["other_side"] = text;
      } else {
        transfer::ListQuery query;
        query.after = field(req, "after");
        query.awaiting_decision = true;
        auto listing = SANSO_TRY(services.transfers->list(person_of(ctx), query));
        for (const auto& t : listing.transfers) {
          if (!services.transfers->may_decide(t, person_of(ctx))) continue;
          transfers.push_back({{"kind", kKindTransfer},
                               {"id", t.id},
                               {"csrf", ctx.session.csrf},
                               {"created", local_time(t.created_at)},
                               {"sender", visible_text(t.sender)},
                               {"from", t.from_zone},
                               {"to", t.to_zone},
                               {"reason", visible_text(t.reason)},
                               {"hold", visible_text(t.hold_reason)},
                               {"role", role_label(t.approver_role, ctx.lang)},
                               {"needs_code", SANSO_TRY(code_for(t.approver_role))}});
        }
        values["next"] = httplib::detail::encode_query_param(listing.next);
      }
    }
    values["transfers"] = transfers;
    values["has_transfers"] = !transfers.empty();

    // Held mail and files whose release was asked for: the quarantine says who may decide. The
    // requests waiting are few; the newest 500 are shown.
    json mail = json::array();
    quarantine::ListFilter filter;
    filter.state = quarantine::ItemState::kReleaseRequested;
    filter.limit = 500;
    for (const auto& it : SANSO_TRY(services.quarantine.list(filter))) {
      if (!SANSO_TRY(services.quarantine.allowed_actions(it.id, ctx.actor())).decide) continue;
      const auto history = SANSO_TRY(services.quarantine.releases(it.id));
      const quarantine::ReleaseRequest* asked = history.empty() ? nullptr : &history.back();
      mail.push_back({{"kind", kKindMail},
                      {"id", it.id},
                      {"csrf", ctx.session.csrf},
                      {"may_view", ctx.session.may(Permission::kQuarantine)},
                      {"received", local_time(it.received_at)},
                      {"what", visible_text(quarantine::label_of(it))},
                      {"verdict", std::string(quarantine::label(it.verdict, lang_code(ctx.lang)))},
                      {"why", visible_text(it.reason)},
                      {"requested_by", asked != nullptr ? visible_text(asked->requested_by) : ""},
                      {"reason", asked != nullptr ? visible_text(asked->reason) : ""},
                      {"role", role_label(it.approver_role, ctx.lang)},
                      {"needs_code", SANSO_TRY(code_for(it.approver_role))}});
    }
    values["mail"] = mail;
    values["has_mail"] = !mail.empty();

    // Exceptions requested in the register: the register says who may decide.
    json exceptions = json::array();
    values["offers_exceptions"] = offers_proof();
    if (offers_proof()) {
      // Read under the store's lock, which the accounts (asked for the codes below) take too.
      std::vector<registers::Entry> entries;
      {
        auto use = services.store.use();
        registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
        entries = SANSO_TRY(regs.list(registers::Kind::kExceptions));
      }
      const registers::Registers::Decider me{ctx.session.name, ctx.session.roles};
      for (const auto& e : entries) {
        if (!registers::Registers::decision_allowed(e, me)) continue;
        const std::string role = text_of(e.fields, "approver_role");
        exceptions.push_back({{"kind", kKindException},
                              {"id", visible_text(e.key)},
                              {"csrf", ctx.session.csrf},
                              {"rule", visible_text(text_of(e.fields, "rule"))},
                              {"requested_by", visible_text(text_of(e.fields, "requested_by"))},
                              {"requested_on", visible_text(text_of(e.fields, "requested_on"))},
                              {"reason", visible_text(text_of(e.fields, "reason"))},
                              {"role", role_label(role, ctx.lang)},
                              {"expiry", true},
                              {"expires", visible_text(text_of(e.fields, "expires"))},
                              {"needs_code", SANSO_TRY(code_for(role))}});
      }
    }
    values["exceptions"] = exceptions;
    values["has_exceptions"] = !exceptions.empty();
    return ok();
  }();
  if (!fill) {
    if (fill.error().code == "transfer.cursor") return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
    log::error("web: the approvals inbox: " + fill.error().to_string());
    return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
  }
  json f = frame(req, wording(ctx.lang, "nav_approvals"), &ctx);
  if (const std::string done = field(req, "done"); done == "inbox_approved" || done == "inbox_denied" || done == "transfer_approved" ||
                                                   done == "transfer_denied") {
    f["notice"] = wording(ctx.lang, "done_" + done);
  }
  if (!error.empty()) f["error"] = error;
  send_page(res, status, ctx.lang, f, render_page(PageTemplate::kApprovals, ctx.lang, values));
}

void Console::Impl::inbox_decide(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  const std::string kind = form_field(req, "kind"), id = form_field(req, "id"), answer = form_field(req, "decision");
  const std::string note = form_field(req, "note"), code = form_field(req, "code");
  static const std::regex kTransferId("t[0-9a-f]{1,64}"), kItemId("[A-Za-z0-9._-]{1,64}");
  // A register key is the city's own text: any UTF-8 without control characters.
  const bool entry_key = !id.empty() && id.size() <= 200 && is_valid_utf8(id) &&
                         std::none_of(id.begin(), id.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  const bool known = (kind == kKindTransfer && std::regex_match(id, kTransferId)) || (kind == kKindMail && std::regex_match(id, kItemId)) ||
                     (kind == kKindException && entry_key && offers_proof());
  if (!known || (answer != "approve" && answer != "deny")) return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
  const bool approve = answer == "approve";
  // The reason is what makes a decision explain itself; it goes to the owner, which records it.
  if (note.find_first_not_of(" \t\r\n") == std::string::npos || note.size() > 2000) return inbox_page(req, res, ctx, wording(ctx.lang, "ib_no_note"), 400);

  if (kind == kKindTransfer) {
    if (services.transfers == nullptr || services.policy == nullptr) return send_error(req, res, &ctx, ctx.lang, 404, "err_not_found");
    // Like every transfer page: from a computer of the person's own zone only (refusal recorded).
    if (refused_other_side(req, res, ctx)) return;
  }
  Result<void> decided = [&]() -> Result<void> {
    if (kind == kKindTransfer) {
      const transfer::Transfer t = SANSO_TRY(services.transfers->get(id, person_of(ctx)));
      // The code is asked of whoever the owner would let decide; the others hear the owner's reason.
      if (approve && services.transfers->may_decide(t, person_of(ctx))) SANSO_TRY(confirm_approval(ctx, t.approver_role, code, "transfer " + id));
      if (approve) SANSO_TRY(services.transfers->approve(id, person_of(ctx), note));
      else SANSO_TRY(services.transfers->deny(id, person_of(ctx), note));
      return ok();
    }
    if (kind == kKindMail) {
      const quarantine::Item item = SANSO_TRY(services.quarantine.get(id));
      if (approve && SANSO_TRY(services.quarantine.allowed_actions(id, ctx.actor())).decide) {
        SANSO_TRY(confirm_approval(ctx, item.approver_role, code, "quarantine " + id));
      }
      if (approve) SANSO_TRY(services.quarantine.approve(id, ctx.actor(), note));
      else SANSO_TRY(services.quarantine.deny(id, ctx.actor(), note));
      return ok();
    }
    // The store's lock is not held while the accounts check the code: they take it too.
    std::optional<registers::Entry> entry;
    {
      auto use = services.store.use();
      registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
      entry = SANSO_TRY(regs.get(registers::Kind::kExceptions, id));
    }
    if (!entry) return make_error("register.not-found", "exceptions/" + id, "there is no such exception");
    registers::Registers::Decider decider{ctx.session.name, ctx.session.roles};
    if (approve && registers::Registers::decision_allowed(*entry, decider)) {
      SANSO_TRY(confirm_approval(ctx, text_of(entry->fields, "approver_role"), code, "exception " + id));
      if (SANSO_TRY(decision_needs_code(ctx, text_of(entry->fields, "approver_role")))) decider.second_factor = "totp (console)";
    }
    auto use = services.store.use();
    registers::Registers regs(*use, *services.proof.audit, system_clock(), services.proof.policy);
    SANSO_TRY(regs.decide_exception(id, approve, decider, note, form_field(req, "expires")));
    return ok();
  }();
  if (!decided) {
    const int status = refusal_status(decided.error());
    if (status == 500) {
      log::error("web: deciding from the inbox: " + decided.error().to_string());
      return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    }
    return inbox_page(req, res, ctx, refusal_text(decided.error(), ctx.lang), status);
  }
  redirect(res, std::string("/approvals?done=inbox_") + (approve ? "approved" : "denied"));
}

void Console::Impl::inbox_routes() {
  httplib::Server& s = *server;
  const std::vector<Permission> approvals{Permission::kApprovals};
  s.Get("/approvals", signed_in(needs(approvals, [this](auto& req, auto& res, auto& ctx) { inbox_page(req, res, ctx, "", 200); }), false));
  s.Post("/approvals/decide", signed_in(needs(approvals, [this](auto& req, auto& res, auto& ctx) { inbox_decide(req, res, ctx); }), true));
  // The transfers' own inbox of before is this one now; old bookmarks land here.
  s.Get("/transfer/approvals", [this](const httplib::Request& req, httplib::Response& res) {
    std::string query;
    for (const char* key : {"after", "done"}) {
      if (req.has_param(key)) query += (query.empty() ? "?" : "&") + std::string(key) + "=" + httplib::detail::encode_query_param(req.get_param_value(key));
    }
    redirect(res, "/approvals" + query);
  });
}

}  // namespace sanso::web
