// The JSON API (docs/api.md, docs/api/openapi.json): the policy engine for other systems, the
// quarantine's and the approvals' actions, flow findings, and /metrics. A request proves itself
// only by "Authorization: Bearer" (web/api_tokens.h); cookies are never read here, so a browser's
// console session cannot be borrowed by another site's page, and no form token is needed. The
// actions go through the same services as the console's pages, which record what they do.
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "audit/log.h"
#include "mail/identifiers.h"
#include "config/config.h"
#include "core/log.h"
#include "core/text.h"
#include "metrics/metrics.h"
#include "monitor/finding_store.h"
#include "policy/decide.h"
#include "policy/network.h"
#include "store/database.h"
#include "policy/policy.h"
#include "transfer/transfer.h"
#include "transfer/transfer_json.h"
#include "web/api_tokens.h"
#include "web/internal/audit_event.h"
#include "web/internal/console_server.h"
#include "web/internal/form_upload.h"
#include "web/internal/transfer_upload.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace {

// Envelope addresses as the API shows them: a 個人番号 in one masked (the item keeps them whole
// for the release to deliver to).
std::vector<std::string> masked_all(const std::vector<std::string>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(mail::mask_identification_numbers(a));
  return out;
}

constexpr int kMaxDepth = 4;  // no request of ours nests deeper

// What went wrong, for the client: a stable code, what was refused, where, and why.
struct ApiError {
  int status;
  std::string code;
  std::string what;
  std::string where;
  std::string why;
};

json error_body(const ApiError& e) {
  return {{"error", {{"code", e.code}, {"what", e.what}, {"where", e.where}, {"why", e.why}}}};
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

void send_api_error(httplib::Response& res, const ApiError& e) { send_json(res, e.status, error_body(e)); }

// A field a request may carry: its JSON type and, for strings, a length limit in bytes.
struct FieldSpec {
  const char* name;
  json::value_t type;
  bool required;
  std::size_t max_bytes = 1000;
};

// The body as an object of exactly the fields of `spec`, each of its type: anything else (a
// duplicate key, an unknown field, a wrong type, invalid UTF-8, nesting) is an error naming the
// field. The body's size was bounded before routing (kMaxBody).
std::variant<json, ApiError> strict_body(const httplib::Request& req, std::initializer_list<FieldSpec> spec) {
  std::string type = ascii_lower(req.get_header_value("Content-Type"));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  if (req.get_header_value_count("Content-Type") != 1 || (type != "application/json" && type != "application/json;charset=utf-8")) {
    return ApiError{415, "api.content-type", "the request body", "Content-Type", "send the body as application/json (UTF-8)"};
  }
  // Keys seen per open object, so that {"to":"a","to":"b"} is refused rather than read as either.
  std::vector<std::set<std::string>> seen;
  std::string duplicate;
  bool too_deep = false;
  auto watch = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxDepth) too_deep = true;
    if (event == json::parse_event_t::object_start) seen.emplace_back();
    if (event == json::parse_event_t::object_end && !seen.empty()) seen.pop_back();
    if (event == json::parse_event_t::key && !seen.empty() && !seen.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json body;
  try {
    body = json::parse(req.body, watch, true, false);
  } catch (const json::parse_error& e) {
    return ApiError{400, "api.json", "the request body", "byte " + std::to_string(e.byte), std::string("not valid JSON: ") + e.what()};
  }
  if (too_deep) return ApiError{400, "api.json", "the request body", "", "nested deeper than any request of this API"};
  if (!duplicate.empty()) {
    return ApiError{400, "api.field", visible_text(duplicate), "/" + visible_text(duplicate), "the field is given twice"};
  }
  if (!body.is_object()) return ApiError{400, "api.json", "the request body", "/", "the body must be a JSON object"};
  for (const auto& item : body.items()) {
    // Named, not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string& key = item.key();
    const json& value = item.value();
    auto known = std::find_if(spec.begin(), spec.end(), [&](const FieldSpec& f) { return key == f.name; });
    if (known == spec.end()) {
      std::string names;
      for (const auto& f : spec) names += (names.empty() ? "" : ", ") + std::string(f.name);
      return ApiError{400, "api.field", visible_text(key), "/" + visible_text(key), "not a field of this request (its fields: " + names + ")"};
    }
    if (value.type() != known->type) {
      return ApiError{400, "api.type", key, "/" + key,
                      std::string("must be a JSON ") + (known->type == json::value_t::string ? "string" : known->type == json::value_t::boolean ? "boolean" : "number")};
    }
    if (value.is_string() && value.get_ref<const std::string&>().size() > known->max_bytes) {
      return ApiError{400, "api.length", key, "/" + key, "longer than " + std::to_string(known->max_bytes) + " bytes"};
    }
  }
  for (const auto& f : spec) {
    if (f.required && !body.contains(f.name)) return ApiError{400, "api.missing", f.name, std::string("/") + f.name, "the field is required"};
  }
  return body;
}

std::string text_of(const json& body, const char* key) { return body.contains(key) ? body[key].get<std::string>() : std::string(); }

// A quarantine or transfer error as the client hears it; the status follows the console's pages.
ApiError service_error(const Error& e, const std::string& subject) {
  const int status = error_status(e);
  if (status == 500) return ApiError{500, "api.internal", subject, "", "an internal error; the service's log has the cause"};
  return ApiError{status, e.code, subject, e.where, e.message};
}

std::string iso_time(std::int64_t t) {
  if (t == 0) return "";
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json item_json(const quarantine::Item& it) {
  json findings = json::parse(it.report_json, nullptr, false);
  return {{"id", it.id},
          {"kind", std::string(quarantine::to_string(it.origin.kind))},
          {"state", std::string(quarantine::to_string(it.state))},
          {"verdict", std::string(quarantine::to_string(it.verdict))},
          {"reason", it.reason},
          {"label", quarantine::label_of(it)},
          {"envelope_from", mail::mask_identification_numbers(it.origin.envelope_from)},  // kept whole for the release only
          {"envelope_to", masked_all(it.origin.envelope_to)},
          {"subject", it.origin.subject},
          {"file_name", it.origin.file_name},
          {"classification", it.classification},
          {"size", it.size},
          {"sha256", it.sha256},
          {"received_at", iso_time(it.received_at)},
          {"expires_at", iso_time(it.expires_at)},
          {"findings", findings.is_array() ? findings : json::array()}};
}

json release_json(const quarantine::ReleaseRequest& r) {
  return {{"requested_by", r.requested_by}, {"requested_at", iso_time(r.requested_at)}, {"reason", r.reason},
          {"decision", std::string(quarantine::to_string(r.decision))}, {"decided_by", r.decided_by},
          {"decided_at", iso_time(r.decided_at)}, {"note", r.decision_note}, {"released_by", r.released_by},
          {"released_at", iso_time(r.released_at)}, {"released_to", r.released_to}};
}

// The bounded label of an endpoint, for metrics (never the raw path, which a client chooses).
std::string endpoint_label(const httplib::Request& req) {
  for (const char* known : {"/api/v1/decide", "/api/v1/quarantine", "/api/v1/findings", "/api/v1/transfers", "/metrics"}) {
    if (req.path.rfind(known, 0) == 0) return known;
  }
  return "other";
}

}  // namespace

// The compiled policy for /api/v1/decide, compiled again when a day brings an exception into or
// out of force; and the series this API updates.
struct ApiState {
  std::mutex mu;
  std::optional<policy::CompiledPolicy> compiled;
  metrics::Registry& registry = metrics::Registry::global();
  metrics::Counter& store_errors = registry.counter("sanso_store_errors_total", "Store operations that failed", {{"service", "web"}});
  std::vector<policy::Cidr> metrics_from;
};

void Console::Impl::send_json_error(const httplib::Request& req, httplib::Response& res, int status, const std::string& key) const {
  (void)req;
  const char* code = status == 404 ? "api.not-found" : status == 411 ? "api.length-required" : status == 413 ? "api.too-large" : status >= 500 ? "api.internal" : "api.bad-request";
  send_api_error(res, ApiError{status, code, "the request", "", wording(Lang::kEn, key)});
}

Result<const policy::CompiledPolicy*> Console::Impl::decision_table() {
  std::lock_guard lock(api->mu);
  const Date today = system_clock().today();
  const bool stale = !api->compiled || api->compiled->as_of() != today;
  if (stale) api->compiled = SANSO_TRY(policy::CompiledPolicy::compile(*services.policy, today));
  return &*api->compiled;
}

httplib::Server::Handler Console::Impl::api_call(const char* scope, std::vector<Permission> any_of, ApiHandler handler) {
  return [this, scope, any_of = std::move(any_of), handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    const auto started = std::chrono::steady_clock::now();
    const std::string endpoint = endpoint_label(req);
    auto done = [&] {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      api->registry.histogram("sanso_api_request_duration_seconds", "Time to answer a JSON API request", {{"endpoint", endpoint}}).observe(seconds);
      api->registry.counter("sanso_api_requests_total", "JSON API requests by endpoint and HTTP status",
                            {{"endpoint", endpoint}, {"code", std::to_string(res.status)}}).inc();
    };
    auto client = authenticate_api(req, res, scope, any_of);
    if (client) handler(req, res, *client);
    done();
  };
}

std::optional<ApiClient> Console::Impl::authenticate_api(const httplib::Request& req, httplib::Response& res, const char* scope,
                                                         const std::vector<Permission>& any_of) {
  if (services.api_tokens == nullptr) {
    send_api_error(res, ApiError{404, "api.off", "the JSON API", "", "this console serves no API (no token store)"});
    return std::nullopt;
  }
  const std::string source = client_address(req);
  if (req.get_header_value_count("Authorization") != 1) {
    res.set_header("WWW-Authenticate", "Bearer");
    send_api_error(res, ApiError{401, "api.unauthenticated", "the request", "Authorization",
                                 "send exactly one \"Authorization: Bearer <token>\" header (see `sanso api token create`)"});
    return std::nullopt;
  }
  auto outcome = services.api_tokens->authenticate(req.get_header_value("Authorization"), source);
  if (!outcome) {
    api->store_errors.inc();
    log::error("web: api: checking a token: " + outcome.error().to_string());
    send_api_error(res, ApiError{500, "api.internal", "the request", "", "an internal error; the service's log has the cause"});
    return std::nullopt;
  }
  if (auto* refusal = std::get_if<TokenRefusal>(&*outcome)) {
    if (*refusal == TokenRefusal::kRateLimited) {
      res.set_header("Retry-After", "300");
      send_api_error(res, ApiError{429, "api.rate-limited", "the request", "Authorization", "too many refused tokens from this address; wait"});
    } else {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      // Every refusal reads the same: nobody learns whether a token exists or was revoked.
      send_api_error(res, ApiError{401, "api.unauthenticated", "the token", "Authorization", "the token is not valid"});
    }
    return std::nullopt;
  }
  ApiClient client = std::get<ApiClient>(std::move(*outcome));
  note_actor(client.person + " (api token " + client.name + ")");
  if (!client.may(scope)) {
    send_api_error(res, ApiError{403, "api.scope", "the token", "Authorization",
                                 "the token of '" + client.name + "' lacks the scope '" + scope + "' this endpoint needs"});
    return std::nullopt;
  }
  // A scope opens an endpoint to the token, never beyond its person: what they could not do in
  // the console (not a console person, or without the page group) the token cannot do either.
  if (!client.person_may(any_of)) {
    std::string needs;
    for (Permission p : any_of) needs += (needs.empty() ? "" : " or ") + std::string(to_string(p));
    if (needs.empty()) needs = "console";
    auto recorded = services.api_tokens->record_refused_call(client, req.method, req.path, needs);
    if (!recorded) {
      api->store_errors.inc();
      log::error("web: api: recording a refused call: " + recorded.error().to_string());
      send_api_error(res, ApiError{500, "api.internal", "the request", "", "an internal error; the service's log has the cause"});
      return std::nullopt;
    }
    const std::string why = !client.console_person
                                ? "'" + client.person + "', for whom the token of '" + client.name + "' acts, holds none of [web] roles, so may not use the console"
                                : "'" + client.person + "', for whom the token of '" + client.name + "' acts, may not use the console's " + needs +
                                      " pages ([web.permissions])";
    send_api_error(res, ApiError{403, "api.permission", "the token", "Authorization", why});
    return std::nullopt;
  }
  return client;
}

void Console::Impl::api_decide(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  auto parsed = strict_body(req, {{"who", json::value_t::string, true, 200},
                                  {"from", json::value_t::string, true, 100},
                                  {"to", json::value_t::string, true, 100},
                                  {"channel", json::value_t::string, true, 100},
                                  {"role", json::value_t::string, false, 100},
                                  {"confidentiality", json::value_t::string, false, 100},
                                  {"asset", json::value_t::string, false, 200}});
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
  const json& body = std::get<json>(parsed);
  if (services.policy == nullptr) return send_api_error(res, ApiError{503, "api.no-policy", "the policy", "", "this console has no policy loaded"});
  auto table = decision_table();
  if (!table) {
    log::error("web: api: compiling the policy: " + table.error().to_string());
    return send_api_error(res, ApiError{500, "api.internal", "the policy", "", "the policy does not compile; the service's log has the cause"});
  }
  const std::string who = text_of(body, "who"), from = text_of(body, "from"), to = text_of(body, "to"), channel = text_of(body, "channel"),
                    role = text_of(body, "role"), level = text_of(body, "confidentiality"), asset = text_of(body, "asset");
  auto decision = (*table)->decide(policy::RequestNames{from, to, channel, level, role, asset});
  if (!decision) return send_api_error(res, ApiError{400, "api.input", decision.error().where, "", decision.error().message});
  store::AuditEvent e;
  e.time = unix_seconds(system_clock());
  e.actor = "api:" + client.name;
  e.action = "api.decide";
  e.subject = who;
  e.outcome = std::string(policy::to_string(decision->action));
  e.rule_id = std::string(decision->rule_id());
  e.clause = std::string(decision->clause());
  e.details = {{"from", from}, {"to", to}, {"channel", channel}, {"source", client.source}};
  if (!role.empty()) e.details.emplace_back("role", role);
  if (!level.empty()) e.details.emplace_back("confidentiality", level);
  if (!asset.empty()) e.details.emplace_back("asset", asset);
  if (decision->is_default) e.details.emplace_back("default", "true");
  // A decision nobody can find later is no decision: without its audit record there is no answer.
  auto recorded = services.api_tokens->record(e);
  if (!recorded) {
    api->store_errors.inc();
    log::error("web: api: recording a decision: " + recorded.error().to_string());
    return send_api_error(res, ApiError{500, "api.internal", "the decision", "", "the decision could not be recorded, so none is given"});
  }
  api->registry.counter("sanso_policy_decisions_total", "Policy decisions answered by the JSON API, by action",
                        {{"action", e.outcome}}).inc();
  send_json(res, 200, {{"decision", e.outcome},
                       {"rule_id", e.rule_id},
                       {"clause", e.clause},
                       {"reason", {{"ja", std::string(decision->reason("ja"))}, {"en", std::string(decision->reason("en"))}}},
                       {"approver", std::string(decision->approver())},
                       {"default", decision->is_default},
                       {"audit_index", *recorded}});
}

void Console::Impl::api_quarantine_list(const httplib::Request& req, httplib::Response& res, const ApiClient&) {
  quarantine::ListFilter filter;
  filter.limit = 100;
  for (const auto& [key, value] : req.params) {
    if (key != "state" && key != "limit") return send_api_error(res, ApiError{400, "api.field", visible_text(key), "?" + visible_text(key), "not a parameter of this request (state, limit)"});
    if (req.get_param_value_count(key.c_str()) != 1) return send_api_error(res, ApiError{400, "api.field", key, "?" + key, "the parameter is given twice"});
  }
  if (req.has_param("state")) {
    auto state = quarantine::parse_state(req.get_param_value("state"), "state");
    if (!state) return send_api_error(res, ApiError{400, "api.input", "state", "?state", state.error().message});
    filter.state = *state;
  }
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    std::int64_t limit = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || p != text.data() + text.size() || limit < 1 || limit > 500) {
      return send_api_error(res, ApiError{400, "api.input", "limit", "?limit", "a whole number from 1 to 500"});
    }
    filter.limit = limit;
  }
  auto items = services.quarantine.list(filter);
  if (!items) {
    api->store_errors.inc();
    log::error("web: api: listing the quarantine: " + items.error().to_string());
    return send_api_error(res, service_error(items.error(), "the quarantine"));
  }
  json out = json::array();
  for (const auto& it : *items) out.push_back(item_json(it));
  send_json(res, 200, {{"items", out}});
}

void Console::Impl::api_item(httplib::Response& res, const ApiClient& client, const std::string& id) {
  auto item = services.quarantine.get(id);
  if (!item) return send_api_error(res, service_error(item.error(), id));
  auto history = services.quarantine.releases(id);
  if (!history) return send_api_error(res, service_error(history.error(), id));
  // What the client may do is the quarantine's answer for the person the token acts for.
  auto allowed = services.quarantine.allowed_actions(id, client.actor());
  if (!allowed) return send_api_error(res, service_error(allowed.error(), id));
  json out = item_json(*item);
  out["releases"] = json::array();
  for (const auto& r : *history) out["releases"].push_back(release_json(r));
  out["allowed"] = {{"request_release", allowed->request_release}, {"decide", allowed->decide}, {"release", allowed->release}};
  send_json(res, 200, out);
}

void Console::Impl::api_quarantine_action(const httplib::Request& req, httplib::Response& res, const ApiClient& client,
                                          const std::string& action) {
  const std::string id = req.matches[1];
  const quarantine::Actor actor = client.actor();
  Result<quarantine::ReleaseRequest> r = make_error("api.internal", id, "no action");
  if (action == "request") {
    auto parsed = strict_body(req, {{"reason", json::value_t::string, true, kMaxField}});
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
    r = services.quarantine.request_release(id, actor, text_of(std::get<json>(parsed), "reason"));
  } else if (action == "decide") {
    auto parsed = strict_body(req, {{"decision", json::value_t::string, true, 20}, {"note", json::value_t::string, false, kMaxField}});
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
    const json& body = std::get<json>(parsed);
    const std::string decision = text_of(body, "decision");
    if (decision != "approve" && decision != "deny") {
      return send_api_error(res, ApiError{400, "api.input", "decision", "/decision", "either \"approve\" or \"deny\""});
    }
    if (decision == "approve") {
      // A bearer token carries no second factor: a release whose approver role the policy asks one
      // of is approved in the console, where the code is asked (denying lets nothing through).
      auto item = services.quarantine.get(id);
      if (!item) return send_api_error(res, service_error(item.error(), id));
      const policy::Policy* p = policy_in_force();
      const policy::Role* role = p != nullptr && !item->approver_role.empty() ? p->find_role(item->approver_role) : nullptr;
      if (role != nullptr && role->mfa) {
        if (auto recorded = services.api_tokens->record_refused_call(client, req.method, req.path, "a second factor (" + item->approver_role + ")"); !recorded) {
          api->store_errors.inc();
          log::error("web: api: recording a refused call: " + recorded.error().to_string());
          return send_api_error(res, ApiError{500, "api.internal", "the request", "", "an internal error; the service's log has the cause"});
        }
        return send_api_error(res, ApiError{403, "api.second-factor", "decision", "/decision",
                                            "the approver role " + item->approver_role +
                                                " needs a second factor, which a token cannot give: approve it in the console"});
      }
    }
    r = decision == "approve" ? services.quarantine.approve(id, actor, text_of(body, "note")) : services.quarantine.deny(id, actor, text_of(body, "note"));
  } else {
    auto parsed = strict_body(req, {});
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
    r = services.quarantine.release(id, actor, [&](const quarantine::Item& it, const std::string& original) { return services.deliver(it, original, actor); });
    // A quarantine error is about the item; anything else came from delivering it.
    if (!r && r.error().code.rfind("quarantine.", 0) != 0) r = Error{"quarantine.delivery", id, r.error().message};
  }
  if (!r) return send_api_error(res, service_error(r.error(), id));
  api_item(res, client, id);
}

void Console::Impl::api_findings(const httplib::Request& req, httplib::Response& res, const ApiClient&) {
  std::string state = "open";
  std::int64_t limit = 100;
  for (const auto& [key, value] : req.params) {
    if (key != "state" && key != "limit") return send_api_error(res, ApiError{400, "api.field", visible_text(key), "?" + visible_text(key), "not a parameter of this request (state, limit)"});
    if (req.get_param_value_count(key.c_str()) != 1) return send_api_error(res, ApiError{400, "api.field", key, "?" + key, "the parameter is given twice"});
  }
  if (req.has_param("state")) {
    state = req.get_param_value("state");
    if (state != "open" && state != "acknowledged" && state != "all") {
      return send_api_error(res, ApiError{400, "api.input", "state", "?state", "open, acknowledged or all"});
    }
  }
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || p != text.data() + text.size() || limit < 1 || limit > 1000) {
      return send_api_error(res, ApiError{400, "api.input", "limit", "?limit", "a whole number from 1 to 1000"});
    }
  }
  // The flow monitor's findings, read as the console's findings page reads them: newest first.
  monitor::FindingFilter filter;
  filter.state = state == "all" ? "" : state;
  filter.limit = limit;
  auto found = [&]() -> Result<std::vector<monitor::StoredFinding>> {
    auto db = services.store.use();
    return monitor::list_findings(*db, filter);
  }();
  if (!found) {
    api->store_errors.inc();
    log::error("web: api: reading findings: " + found.error().to_string());
    return send_api_error(res, ApiError{500, "api.internal", "the findings", "", "an internal error; the service's log has the cause"});
  }
  json out = json::array();
  for (const auto& f : *found) {
    out.push_back({{"id", f.id}, {"rule", f.rule}, {"clause", f.clause}, {"src", f.src}, {"dst", f.dst},
                   {"dport", f.dport}, {"proto", f.proto}, {"src_zone", f.src_zone}, {"dst_zone", f.dst_zone},
                   {"first_seen", iso_time(f.first_seen)}, {"last_seen", iso_time(f.last_seen)}, {"count", f.count},
                   {"source", f.source}, {"detail", f.detail}, {"node", f.node}, {"state", f.state},
                   {"acknowledged_by", f.acknowledged_by}, {"acknowledged_at", iso_time(f.acknowledged_at)}});
  }
  send_json(res, 200, {{"findings", out}});
}

void Console::Impl::metrics_page(const httplib::Request& req, httplib::Response& res) {
  // Open to the configured addresses (a Prometheus server), else only with a token of scope
  // "metrics"; the numbers say how busy the gateway is and what it refuses, which is not public.
  const std::string source = client_address(req);
  const bool listed = [&] {
    auto address = policy::parse_ip(source);
    if (!address) return false;
    return std::any_of(api->metrics_from.begin(), api->metrics_from.end(), [&](const policy::Cidr& c) { return c.contains(address->value); });
  }();
  if (!listed && !authenticate_api(req, res, "metrics", {})) return;
  metrics::Registry& registry = api->registry;
  // What the store holds is read at the scrape, so that every console of a shared store reports it.
  auto by_state = services.quarantine.count_by_state();
  if (by_state) {
    for (quarantine::ItemState st : quarantine::all_states()) {
      auto n = by_state->find(st);
      registry.gauge("sanso_quarantine_items", "Items kept in the quarantine, by state", {{"state", std::string(quarantine::to_string(st))}})
          .set(static_cast<double>(n == by_state->end() ? 0 : n->second));
    }
  } else {
    api->store_errors.inc();
  }
  auto size = [&]() -> Result<std::uint64_t> {
    auto db = services.store.use();
    return audit::tree_size(*db);
  }();
  if (size) {
    registry.gauge("sanso_audit_log_entries", "Entries in the audit log").set(static_cast<double>(*size));
  } else {
    api->store_errors.inc();
  }
  res.status = 200;
  res.set_content(registry.render(), "text/plain; version=0.0.4; charset=utf-8");
}

void Console::Impl::api_routes() {
  api = std::make_shared<ApiState>();
  for (const auto& text : options.metrics_from) {
    if (auto c = policy::parse_cidr(text)) api->metrics_from.push_back(*c);
  }
  httplib::Server& s = *server;
  // The page groups a person needs in the console for the same thing (console.cc routes): none
  // for a decision or the metrics, which no page offers (the person must still be one of the
  // console's); the quarantine's pages for every quarantine action, as in the console.
  const std::vector<Permission> console_only;
  const std::vector<Permission> quarantine_pages{Permission::kQuarantine};
  const std::vector<Permission> findings_pages{Permission::kFindings};
  s.Post("/api/v1/decide", api_call("decide", console_only, [this](auto& req, auto& res, auto& client) { api_decide(req, res, client); }));
  s.Get("/api/v1/quarantine",
        api_call("quarantine", quarantine_pages, [this](auto& req, auto& res, auto& client) { api_quarantine_list(req, res, client); }));
  s.Get(R"(/api/v1/quarantine/([A-Za-z0-9._-]{1,64}))",
        api_call("quarantine", quarantine_pages, [this](auto& req, auto& res, auto& client) { api_item(res, client, req.matches[1]); }));
  s.Post(R"(/api/v1/quarantine/([A-Za-z0-9._-]{1,64})/request)",
         api_call("quarantine", quarantine_pages, [this](auto& req, auto& res, auto& client) { api_quarantine_action(req, res, client, "request"); }));
  s.Post(R"(/api/v1/quarantine/([A-Za-z0-9._-]{1,64})/decide)",
         api_call("approvals", quarantine_pages, [this](auto& req, auto& res, auto& client) { api_quarantine_action(req, res, client, "decide"); }));
  s.Post(R"(/api/v1/quarantine/([A-Za-z0-9._-]{1,64})/release)",
         api_call("approvals", quarantine_pages, [this](auto& req, auto& res, auto& client) { api_quarantine_action(req, res, client, "release"); }));
  s.Get("/api/v1/findings", api_call("findings", findings_pages, [this](auto& req, auto& res, auto& client) { api_findings(req, res, client); }));
  s.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) { metrics_page(req, res); });
  api_transfer_routes();
}

// ---- transfers ----

namespace {

transfer::Person transfer_person(const ApiClient& client) {
  return transfer::Person{client.person, client.roles, client.zone, client.actor().via, ""};
}

// A transfer's error as the client hears it: the console's statuses, except a wrong PPAP password,
// which is not this request's authentication (401 is the token's answer here).
ApiError transfer_error(const Error& e, const std::string& subject) {
  if (e.code == "transfer.password") return ApiError{422, e.code, subject, e.where, e.message};
  return service_error(e, subject);
}

json transfer_detail(const transfer::Transfer& t, bool decide, bool download, bool unlock) {
  json out = transfer::to_json(t);
  out["allowed"] = {{"decide", decide}, {"download", download}, {"unlock", unlock}};
  return out;
}

}  // namespace

bool Console::Impl::refused_api_side(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  std::string why;
  if (client.zone.empty()) {
    why = "'" + client.person + "' acts from no zone ([[users]] zone), so takes no part in transfers";
  } else if (!options.zone.empty() && client.zone != options.zone) {
    why = "this console serves the " + options.zone + " zone; '" + client.person + "' acts from " + client.zone;
  } else if (const std::string here = address_zone(req); here != client.zone) {
    // The address as the console reads it (X-Forwarded-For only from a trusted proxy), never a
    // zone the client claims: the same rule as the transfer pages.
    why = "the client's address " + client.source + " is in the " + here + " zone, not " + client.zone + ", the zone '" + client.person + "' acts from";
  } else {
    return false;
  }
  if (auto recorded = services.api_tokens->record_refused_call(client, req.method, req.path, "zone " + (client.zone.empty() ? "(none)" : client.zone), "zone");
      !recorded) {
    api->store_errors.inc();
    log::error("web: api: recording a refused call: " + recorded.error().to_string());
    send_api_error(res, ApiError{500, "api.internal", "the request", "", "an internal error; the service's log has the cause"});
    return true;
  }
  send_api_error(res, ApiError{403, "api.zone", "the token", "Authorization", why});
  return true;
}

void Console::Impl::api_transfers_list(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  transfer::ListQuery query;
  for (const auto& item : req.params) {
    const std::string& key = item.first;
    if (key != "after" && key != "limit" && key != "awaiting") {
      return send_api_error(res, ApiError{400, "api.field", visible_text(key), "?" + visible_text(key), "not a parameter of this request (after, limit, awaiting)"});
    }
    if (req.get_param_value_count(key.c_str()) != 1) return send_api_error(res, ApiError{400, "api.field", key, "?" + key, "the parameter is given twice"});
  }
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), query.limit);
    if (ec != std::errc() || p != text.data() + text.size() || query.limit < 1 || query.limit > 500) {
      return send_api_error(res, ApiError{400, "api.input", "limit", "?limit", "a whole number from 1 to 500"});
    }
  }
  if (req.has_param("awaiting")) {
    const std::string text = req.get_param_value("awaiting");
    if (text != "true" && text != "false") return send_api_error(res, ApiError{400, "api.input", "awaiting", "?awaiting", "true or false"});
    query.awaiting_decision = text == "true";
  }
  query.after = req.get_param_value("after");
  auto listed = services.transfers->list(transfer_person(client), query);
  if (!listed) {
    if (listed.error().code == "transfer.cursor") return send_api_error(res, ApiError{400, "api.input", "after", "?after", "not a `next` this API gave"});
    log::error("web: api: listing transfers: " + listed.error().to_string());
    return send_api_error(res, transfer_error(listed.error(), "the transfers"));
  }
  json out = json::array();
  for (const auto& t : listed->transfers) out.push_back(transfer::to_json(t));
  send_json(res, 200, {{"transfers", out}, {"next", listed->next}});
}

void Console::Impl::api_transfer_get(httplib::Response& res, const ApiClient& client, const std::string& id) {
  const transfer::Person person = transfer_person(client);
  auto t = services.transfers->get(id, person);
  if (!t) {
    if (transfer_error_status(t.error()) == 500) log::error("web: api: a transfer: " + t.error().to_string());
    return send_api_error(res, transfer_error(t.error(), id));
  }
  // What the console would offer the same person on the transfer's page.
  const bool decide = client.person_may({Permission::kApprovals}) && services.transfers->may_decide(*t, person);
  const bool download = client.person_may({Permission::kTransfer}) && t->recipient == client.person && t->to_zone == client.zone &&
                        (t->state == transfer::State::kReady || t->state == transfer::State::kDownloaded);
  const bool unlock = client.person_may({Permission::kTransfer}) && t->sender == client.person && t->from_zone == policy::kZoneInternet &&
                      client.zone == policy::kZoneInternet &&
                      std::any_of(t->files.begin(), t->files.end(), [](const transfer::TransferFile& f) { return f.awaits_password(); });
  send_json(res, 200, transfer_detail(*t, decide, download, unlock));
}

void Console::Impl::api_transfer_send(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
  // The token, its scope, its person's page group and zone are checked at the headers, before a
  // byte of the body is read: a stranger's upload costs nothing.
  auto client = authenticate_api(req, res, "transfer", {Permission::kTransfer});
  if (!client || refused_api_side(req, res, *client)) return;
  auto spool = upload_spool(services.config);
  if (!spool) {
    log::error("web: api: " + spool.error().to_string());
    return send_api_error(res, ApiError{500, "api.internal", "the upload", "", "an internal error; the service's log has the cause"});
  }
  // Read as it arrives into unlinked private files, every limit checked at every byte: an upload
  // over a limit or cut short keeps nothing and sends nothing on.
  auto form = receive_form(req, body, transfer_upload_limits(services.config.transfer), *spool);
  if (!form) return send_api_error(res, transfer_error(form.error(), "the upload"));
  for (const auto& field_value : form->fields) {
    const std::string& key = field_value.first;
    if (key != "recipient" && key != "reason") {
      return send_api_error(res, ApiError{400, "api.field", visible_text(key), visible_text(key), "not a field of this request (recipient, reason, and the files)"});
    }
  }
  auto value = [&](const char* key) {
    auto it = form->fields.find(key);
    return it == form->fields.end() ? std::string() : it->second;
  };
  const std::string recipient = value("recipient"), reason = value("reason");
  if (recipient.empty()) return send_api_error(res, ApiError{400, "api.missing", "recipient", "recipient", "the field is required"});
  if (!is_valid_utf8(recipient) || !is_valid_utf8(reason)) return send_api_error(res, ApiError{400, "api.input", "recipient / reason", "", "not UTF-8 text"});
  if (form->files.empty()) return send_api_error(res, ApiError{400, "api.missing", "files", "files", "send one or more files"});
  auto sent = services.transfers->send(transfer_person(*client), recipient, reason, spooled_uploads(*form));
  form->files.clear();  // the temporary files go now, not with the response
  if (!sent) {
    if (transfer_error_status(sent.error()) == 500) log::error("web: api: an upload: " + sent.error().to_string());
    return send_api_error(res, transfer_error(sent.error(), "the transfer"));
  }
  send_json(res, 201, transfer_detail(*sent, false, false, false));
}

void Console::Impl::api_transfer_file(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  const std::string id = req.matches[1];
  int position = -1;
  const std::string wanted = req.matches[2];
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), position);
  if (ec != std::errc() || p != wanted.data() + wanted.size()) return send_api_error(res, ApiError{400, "api.input", "position", "", "a file's position"});
  const transfer::Person person = transfer_person(client);
  auto t = services.transfers->get(id, person);
  if (!t) return send_api_error(res, transfer_error(t.error(), id));
  std::string output_name;
  for (const auto& f : t->files) {
    if (f.position == position) output_name = f.output_name;
  }
  if (output_name.empty()) {
    return send_api_error(res, ApiError{404, "transfer.not-found", id + "/" + wanted, "", "no file to download at this position (blocked, or none)"});
  }
  // The service hands files to their recipient only, and records the download.
  auto delivered = services.transfers->fetch(id, person);
  if (!delivered) {
    if (transfer_error_status(delivered.error()) == 500) log::error("web: api: fetching a transfer: " + delivered.error().to_string());
    return send_api_error(res, transfer_error(delivered.error(), id));
  }
  for (auto& d : *delivered) {
    if (d.name == output_name) return send_attachment(res, d.name, std::move(d.bytes));
  }
  send_api_error(res, ApiError{404, "transfer.not-found", id + "/" + wanted, "", "no file to download at this position"});
}

void Console::Impl::api_transfer_decide(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  const std::string id = req.matches[1];
  auto parsed = strict_body(req, {{"decision", json::value_t::string, true, 20}, {"note", json::value_t::string, false, kMaxField}});
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
  const json& body = std::get<json>(parsed);
  const std::string decision = text_of(body, "decision");
  if (decision != "approve" && decision != "deny") return send_api_error(res, ApiError{400, "api.input", "decision", "/decision", "either \"approve\" or \"deny\""});
  const transfer::Person person = transfer_person(client);
  if (decision == "approve") {
    auto t = services.transfers->get(id, person);
    if (!t) return send_api_error(res, transfer_error(t.error(), id));
    // As for the quarantine: a token carries no second factor, so what the approver role must
    // confirm with one is approved in the console. Someone who may not decide it at all hears
    // the service's own reason below (their own transfer, not their role), not this one.
    const policy::Policy* p = policy_in_force();
    const policy::Role* role = p != nullptr && !t->approver_role.empty() ? p->find_role(t->approver_role) : nullptr;
    if (role != nullptr && role->mfa && services.transfers->may_decide(*t, person)) {
      if (auto recorded = services.api_tokens->record_refused_call(client, req.method, req.path, "a second factor (" + t->approver_role + ")"); !recorded) {
        api->store_errors.inc();
        log::error("web: api: recording a refused call: " + recorded.error().to_string());
        return send_api_error(res, ApiError{500, "api.internal", "the request", "", "an internal error; the service's log has the cause"});
      }
      return send_api_error(res, ApiError{403, "api.second-factor", "decision", "/decision",
                                          "the approver role " + t->approver_role + " needs a second factor, which a token cannot give: approve it in the console"});
    }
  }
  auto r = decision == "approve" ? services.transfers->approve(id, person, text_of(body, "note")) : services.transfers->deny(id, person, text_of(body, "note"));
  if (!r) {
    if (transfer_error_status(r.error()) == 500) log::error("web: api: deciding a transfer: " + r.error().to_string());
    return send_api_error(res, transfer_error(r.error(), id));
  }
  send_json(res, 200, transfer_detail(*r, false, false, false));
}

// PPAP: the password travels in the JSON body only (never in the address, which logs keep), goes
// to the service and from there to the sandbox, and the copies here are wiped.
void Console::Impl::api_transfer_unlock(const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
  const std::string id = req.matches[1];
  auto parsed = strict_body(req, {{"position", json::value_t::number_unsigned, true}, {"password", json::value_t::string, true, 1024}});
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_api_error(res, *e);
  json& body = std::get<json>(parsed);
  const std::uint64_t position = body["position"].get<std::uint64_t>();
  std::string& password = body["password"].get_ref<std::string&>();
  if (position > 9999) {
    sodium_memzero(password.data(), password.size());
    return send_api_error(res, ApiError{400, "api.input", "position", "/position", "a file's position in the transfer"});
  }
  auto r = services.transfers->unlock(id, static_cast<int>(position), transfer_person(client), password, "api " + client.source);
  sodium_memzero(password.data(), password.size());
  if (!r) {
    if (transfer_error_status(r.error()) == 500) log::error("web: api: unlocking a transfer file: " + r.error().to_string());
    return send_api_error(res, transfer_error(r.error(), id));
  }
  api_transfer_get(res, client, id);
}

void Console::Impl::api_transfer_routes() {
  if (services.transfers == nullptr || services.policy == nullptr) return;
  httplib::Server& s = *server;
  // The page groups as on the console's transfer pages: transfer for sending, receiving and
  // unlocking, approvals for deciding, either for reading one; and the person's zone as there.
  const std::vector<Permission> own{Permission::kTransfer}, approvals{Permission::kApprovals},
      either{Permission::kTransfer, Permission::kApprovals};
  auto on_side = [this](ApiHandler handler) {
    return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res, const ApiClient& client) {
      if (!refused_api_side(req, res, client)) handler(req, res, client);
    };
  };
  s.Get(kApiUploadPath, api_call("transfer", own, on_side([this](auto& req, auto& res, auto& client) { api_transfers_list(req, res, client); })));
  s.Post(kApiUploadPath, [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
    const auto started = std::chrono::steady_clock::now();
    api_transfer_send(req, res, body);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    api->registry.histogram("sanso_api_request_duration_seconds", "Time to answer a JSON API request", {{"endpoint", kApiUploadPath}}).observe(seconds);
    api->registry.counter("sanso_api_requests_total", "JSON API requests by endpoint and HTTP status",
                          {{"endpoint", kApiUploadPath}, {"code", std::to_string(res.status)}}).inc();
  });
  s.Get(R"(/api/v1/transfers/(t[0-9a-f]{1,64}))",
        api_call("transfer", either, on_side([this](auto& req, auto& res, auto& client) { api_transfer_get(res, client, req.matches[1]); })));
  s.Get(R"(/api/v1/transfers/(t[0-9a-f]{1,64})/files/([0-9]{1,4}))",
        api_call("transfer", own, on_side([this](auto& req, auto& res, auto& client) { api_transfer_file(req, res, client); })));
  s.Post(R"(/api/v1/transfers/(t[0-9a-f]{1,64})/decide)",
         api_call("approvals", approvals, on_side([this](auto& req, auto& res, auto& client) { api_transfer_decide(req, res, client); })));
  s.Post(R"(/api/v1/transfers/(t[0-9a-f]{1,64})/unlock)",
         api_call("transfer", own, on_side([this](auto& req, auto& res, auto& client) { api_transfer_unlock(req, res, client); })));
}

}  // namespace sanso::web
