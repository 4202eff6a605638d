#include "web/console.h"

#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "web/accounts.h"
#include "web/guarded_server.h"
#include "web/pages.h"

namespace sanso::web {
namespace {

using nlohmann::json;
using quarantine::Actor;
using quarantine::Item;
using quarantine::ItemState;

constexpr const char* kSessionCookie = "sanso_session";
constexpr const char* kLangCookie = "sanso_lang";
constexpr std::size_t kMaxBody = 64 * 1024;  // forms only: a reason or a note, never a file
constexpr std::size_t kMaxField = 4000;

// Every value of a comma-separated header, in order, over all its lines (a proxy appends to
// what it received).
std::vector<std::string> header_list(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  for (std::size_t i = 0, n = req.get_header_value_count(name); i < n; ++i) {
    const std::string value = req.get_header_value(name, i);
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      out.emplace_back(item);
    }
  }
  return out;
}

// Header text for an audit record: bounded, and never invalid UTF-8 (which JSON cannot carry).
std::string recordable(const std::string& text) {
  std::size_t end = std::min<std::size_t>(text.size(), 200);
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not mid-character
  std::string cut = text.substr(0, end);
  return is_valid_utf8(cut) ? cut : "(not UTF-8)";
}

// What every page of a signed-in person knows.
struct Context {
  Session session;
  Lang lang = Lang::kJa;
  std::string source;
  Actor actor() const { return Actor{session.name, session.roles, "console session " + session.id + " from " + source}; }
};

std::string cookie(const httplib::Request& req, std::string_view name) {
  std::string header = req.get_header_value("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return {};
}

Lang lang_of(const httplib::Request& req) {
  std::string chosen = cookie(req, kLangCookie);
  if (chosen == "en") return Lang::kEn;
  if (chosen == "ja") return Lang::kJa;
  std::string accept = ascii_lower(req.get_header_value("Accept-Language"));
  return accept.rfind("en", 0) == 0 ? Lang::kEn : Lang::kJa;
}

// A form or query field; "" when absent. Invalid UTF-8 was refused before any handler ran.
std::string field(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : std::string();
}

// A field of the form in the body only: the form token must never be taken from the address,
// where it would leak into logs, history and Referer headers.
std::string form_field(const httplib::Request& req, const char* key) {
  std::string type = ascii_lower(req.get_header_value("Content-Type"));
  if (type.substr(0, type.find(';')) != "application/x-www-form-urlencoded") return {};
  httplib::Params params;
  httplib::detail::parse_query_text(req.body, params);
  auto found = params.find(key);
  return found != params.end() && params.count(key) == 1 ? found->second : std::string();
}

bool fields_are_text(const httplib::Request& req) {
  return std::all_of(req.params.begin(), req.params.end(), [](const auto& kv) {
    return kv.first.size() <= 64 && kv.second.size() <= kMaxField && is_valid_utf8(kv.first) && is_valid_utf8(kv.second);
  });
}

// A local path to return to after a language switch or sign-in: never another site. Only a plain
// path of visible ASCII: browsers drop tabs and newlines from a Location and read "\\" as "/",
// so "/\t/evil.example" or "/\\evil.example" would lead away; "//" anywhere is refused too.
std::string local_path(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.size() > 512 || p.find("//") != std::string::npos) return "/";
  bool plain = std::all_of(p.begin(), p.end(), [](char c) { return c > ' ' && c < 0x7f && c != '\\'; });
  return plain ? p : "/";
}

bool equal_tokens(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The quarantine's own words for its states, so the console and the CLI say the same.
std::string state_label(Lang lang, std::string_view state) {
  const auto parsed = quarantine::parse_state(state);
  return parsed ? std::string(quarantine::state_label(*parsed, lang == Lang::kEn ? "en" : "ja")) : std::string(state);
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
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
  return "err_internal";
}

int error_status(const Error& e) {
  if (e.code == "quarantine.forbidden" || e.code == "quarantine.four-eyes") return 403;
  if (e.code == "quarantine.not-found") return 404;
  if (e.code == "quarantine.delivery") return 502;
  if (e.code == "quarantine.input") return 400;
  if (e.code.rfind("quarantine.", 0) == 0 && e.code != "quarantine.damaged") return 409;
  return 500;
}

}  // namespace

struct Console::Impl {
  ConsoleOptions options;
  ConsoleServices services;
  std::unique_ptr<GuardedServer> server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;

  Impl(ConsoleOptions o, ConsoleServices s) : options(std::move(o)), services(std::move(s)) {}

  bool secure() const { return !options.tls_cert.empty(); }

  bool trusted_proxy(const std::string& address) const {
    return std::find(options.trusted_proxies.begin(), options.trusted_proxies.end(), address) != options.trusted_proxies.end();
  }

  std::string peer(const httplib::Request& req) const { return config::canonical_ip(req.remote_addr).value_or(req.remote_addr); }

  // The browser's address: the peer's, unless the peer is a trusted proxy; then the nearest
  // address in X-Forwarded-For that is not one (addresses further left were written by the
  // client, or proxies nobody vouches for, and prove nothing).
  std::string client_address(const httplib::Request& req) const {
    std::string address = peer(req);
    if (!trusted_proxy(address)) return address;
    auto hops = header_list(req, "X-Forwarded-For");
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
      auto ip = config::canonical_ip(*hop);
      if (!ip) return address;  // a hop we cannot read: stop at the last one we can vouch for
      address = *ip;
      if (!trusted_proxy(address)) return address;
    }
    return address;
  }

  // Whether the browser spoke HTTPS: to this console, or to a trusted proxy that says so.
  bool browser_used_tls(const httplib::Request& req) const {
    if (secure()) return true;
    if (!trusted_proxy(peer(req))) return false;
    auto proto = header_list(req, "X-Forwarded-Proto");
    if (!proto.empty()) return ascii_lower(proto.back()) == "https";
    return options.public_origin.rfind("https://", 0) == 0;
  }

  // ---- responses ----

  json frame(const httplib::Request& req, const std::string& title, const Context* ctx) const {
    json f = {{"title", title}, {"municipality", options.municipality}, {"node", options.node}, {"path", local_path(req.path)}};
    if (ctx != nullptr) f["user"] = {{"name", ctx->session.name}, {"display", ctx->session.display.empty() ? ctx->session.name : ctx->session.display}, {"csrf", ctx->session.csrf}};
    return f;
  }

  void send_page(httplib::Response& res, int status, Lang lang, json frame_values, const std::string& content) const {
    res.status = status;
    res.set_content(render_frame(lang, frame_values, content), "text/html; charset=utf-8");
  }

  void send_error(const httplib::Request& req, httplib::Response& res, const Context* ctx, Lang lang, int status,
                  const std::string& key) const {
    json f = frame(req, wording(lang, key), ctx);
    f["error"] = wording(lang, key);
    send_page(res, status, lang, f, render_page("message", lang, json::object()));
  }

  void redirect(httplib::Response& res, const std::string& to) const {
    res.status = 303;
    res.set_header("Location", to);
  }

  std::string session_cookie(const httplib::Request& req, const std::string& value, std::int64_t max_age) const {
    std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
    if (browser_used_tls(req)) c += "; Secure";
    if (max_age >= 0) c += "; Max-Age=" + std::to_string(max_age);
    return c;
  }

  // A state-changing request must come from one of our own pages: an Origin, when the browser
  // sends one, names this console — as [web] public_origin, or as the browser reached it.
  bool same_origin(const httplib::Request& req) const {
    if (req.get_header_value_count("Origin") > 1) return false;
    std::string origin = req.get_header_value("Origin");
    if (origin.empty()) return true;
    if (!options.public_origin.empty() && origin == options.public_origin) return true;
    std::string expected = std::string(browser_used_tls(req) ? "https://" : "http://") + req.get_header_value("Host");
    return origin == expected;
  }

  // A refused form is evidence (someone's page tried to act for a signed-in person): recorded.
  void refuse_form(const httplib::Request& req, httplib::Response& res, const Context* ctx, Lang lang, const char* reason) {
    std::vector<std::pair<std::string, std::string>> more;
    if (ctx != nullptr) more.emplace_back("session", ctx->session.id);
    if (req.has_header("Origin")) more.emplace_back("origin", recordable(req.get_header_value("Origin")));
    auto r = services.accounts.record_refused_request(ctx != nullptr ? ctx->session.name : "unknown", req.method, recordable(req.path), reason,
                                                      client_address(req), std::move(more));
    if (!r) {
      log::error("web: recording a refused form: " + r.error().to_string());
      return send_error(req, res, ctx, lang, 500, "err_internal");
    }
    send_error(req, res, ctx, lang, 403, "err_csrf");
  }

  // ---- the signed-in part ----

  using Page = std::function<void(const httplib::Request&, httplib::Response&, const Context&)>;

  httplib::Server::Handler signed_in(Page page, bool post) {
    return [this, page = std::move(page), post](const httplib::Request& req, httplib::Response& res) {
      Lang lang = lang_of(req);
      if (!fields_are_text(req)) return send_error(req, res, nullptr, lang, 400, "err_bad_request");
      const std::string token = cookie(req, kSessionCookie);
      const std::string source = client_address(req);
      auto session = services.accounts.session(token, source);
      if (!session) {
        log::error("web: reading a session: " + session.error().to_string());
        return send_error(req, res, nullptr, lang, 500, "err_internal");
      }
      if (!*session) {
        std::string next = "next=" + httplib::detail::encode_query_param(post ? "/" : local_path(req.target));
        if (token.empty()) return redirect(res, "/login?" + next);
        res.set_header("Set-Cookie", session_cookie(req, "", 0));  // a session that ended: forget it
        return redirect(res, "/login?ended=1&" + next);
      }
      Context ctx{std::move(**session), lang, source};
      if (post && !same_origin(req)) return refuse_form(req, res, &ctx, lang, "cross-origin");
      if (post && !equal_tokens(form_field(req, "csrf"), ctx.session.csrf)) return refuse_form(req, res, &ctx, lang, "csrf-token");
      page(req, res, ctx);
    };
  }

  // ---- pages ----

  void login_page(const httplib::Request& req, httplib::Response& res) {
    Lang lang = lang_of(req);
    json f = frame(req, wording(lang, "sign_in"), nullptr);
    if (req.has_param("ended")) f["notice"] = wording(lang, "session_ended");
    if (req.has_param("out")) f["notice"] = wording(lang, "signed_out");
    send_page(res, 200, lang, f, render_page("login", lang, {{"next", local_path(field(req, "next"))}}));
  }

  void login(const httplib::Request& req, httplib::Response& res) {
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
      f["error"] = wording(lang, "sign_in_failed");
      return send_page(res, 401, lang, f,
                       render_page("login", lang, {{"name", name.size() <= 64 ? name : ""}, {"next", local_path(field(req, "next"))}}));
    }
    res.set_header("Set-Cookie", session_cookie(req, result->token, -1));
    std::string next = local_path(field(req, "next"));
    redirect(res, next == "/login" ? "/" : next);
  }

  void logout(const httplib::Request& req, httplib::Response& res, const Context&) {
    auto r = services.accounts.sign_out(cookie(req, kSessionCookie), client_address(req));
    if (!r) log::error("web: sign-out: " + r.error().to_string());
    res.set_header("Set-Cookie", session_cookie(req, "", 0));
    redirect(res, "/login?out=1");
  }

  void dashboard(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
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
    std::uint64_t size = 0;
    std::optional<audit::SignedCheckpoint> checkpoint;
    auto read = services.quarantine.with_database([&](store::Database& db) -> Result<void> {
      size = SANSO_TRY(audit::tree_size(db));
      checkpoint = SANSO_TRY(audit::latest_checkpoint(db));
      return ok();
    });
    if (!read) return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
    json values = {{"counts", counts}, {"awaiting", awaiting}, {"has_awaiting", !awaiting.empty()}, {"tree_size", std::to_string(size)}};
    if (checkpoint) {
      values["checkpoint"] = {{"size", std::to_string(checkpoint->checkpoint.size)},
                              {"signed_at", local_time(checkpoint->signed_at)},
                              {"root", audit::to_base64(checkpoint->checkpoint.root)}};
    }
    send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_dashboard"), &ctx), render_page("dashboard", ctx.lang, values));
  }

  void quarantine_list(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
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
                      {"verdict", visible_text(it.verdict)},
                      {"reason", visible_text(it.reason)},
                      {"state_label", state_label(ctx.lang, quarantine::to_string(it.state))}});
    }
    json values = {{"filters", filters}, {"items", rows}, {"has_items", !rows.empty()}};
    send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_quarantine"), &ctx), render_page("quarantine", ctx.lang, values));
  }

  void item_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& id,
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
    json values = {{"id", it.id},
                   {"csrf", ctx.session.csrf},
                   {"state_label", state_label(ctx.lang, quarantine::to_string(it.state))},
                   {"kind", wording(ctx.lang, mail ? "kind_mail" : "kind_file")},
                   {"mail", mail},
                   {"file", !mail},
                   {"from", visible_text(it.origin.envelope_from)},
                   {"to", visible_text(joined(it.origin.envelope_to, ", "))},
                   {"subject", visible_text(it.origin.subject)},
                   {"file_name", visible_text(it.origin.file_name)},
                   {"uploader", visible_text(it.origin.uploader)},
                   {"received", local_time(it.received_at)},
                   {"verdict", visible_text(it.verdict)},
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
                   {"can_release", allowed->release},
                   {"can_download", allowed->export_original}};
    json f = frame(req, wording(ctx.lang, "id") + " " + it.id, &ctx);
    if (!notice.empty()) f["notice"] = notice;
    int status = 200;
    if (failure) {
      status = error_status(*failure);
      f["error"] = wording(ctx.lang, error_key(*failure)) + " (" + visible_text(failure->message) + ")";
    }
    send_page(res, status, ctx.lang, f, render_page("item", ctx.lang, values));
  }

  // After a successful action: back to the item (post/redirect/get), with what happened.
  void acted(httplib::Response& res, const std::string& id, const char* done) {
    redirect(res, "/quarantine/" + httplib::detail::encode_query_param(id) + "?done=" + done);
  }

  void item_action(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& action) {
    const std::string id = req.matches[1];
    Actor actor = ctx.actor();
    if (action == "request") {
      auto r = services.quarantine.request_release(id, actor, field(req, "reason"));
      if (!r) return item_page(req, res, ctx, id, "", r.error());
      return acted(res, id, "requested");
    }
    if (action == "decide") {
      std::string decision = field(req, "decision");
      if (decision != "approve" && decision != "deny") return send_error(req, res, &ctx, ctx.lang, 400, "err_bad_request");
      auto r = decision == "approve" ? services.quarantine.approve(id, actor, field(req, "note"))
                                     : services.quarantine.deny(id, actor, field(req, "note"));
      if (!r) return item_page(req, res, ctx, id, "", r.error());
      return acted(res, id, decision == "approve" ? "approved" : "denied");
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

  void download(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
    const std::string id = req.matches[1];
    auto original = services.quarantine.export_original(id, ctx.actor());
    if (!original) return send_error(req, res, &ctx, ctx.lang, error_status(original.error()), error_key(original.error()));
    auto item = services.quarantine.get(id);
    bool mail = item && item->origin.kind == quarantine::Origin::Kind::kMail;
    // The original is evidence, not a page: it is never rendered by the browser.
    res.set_header("Content-Disposition", "attachment; filename=\"" + id + (mail ? ".eml" : ".bin") + "\"");
    res.set_content(*original, "application/octet-stream");
  }

  void audit_page(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
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
    auto read = services.quarantine.with_database([&](store::Database& db) -> Result<void> {
      entries = SANSO_TRY(audit::find_entries(db, q));
      size = SANSO_TRY(audit::tree_size(db));
      return ok();
    });
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
    send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "nav_audit"), &ctx), render_page("audit", ctx.lang, values));
  }

  void account_page(const httplib::Request& req, httplib::Response& res, const Context& ctx, const std::string& notice,
                    const std::string& error, int status) {
    std::string rule = wording(ctx.lang, "password_rule");
    rule.replace(rule.find("{{min}}"), 7, std::to_string(services.config.web.min_password_length));
    json values = {{"name", ctx.session.name},
                   {"roles", joined(ctx.session.roles, ", ")},
                   {"session_started", local_time(ctx.session.created_at)},
                   {"csrf", ctx.session.csrf},
                   {"rule", rule}};
    json f = frame(req, wording(ctx.lang, "nav_account"), &ctx);
    if (!notice.empty()) f["notice"] = notice;
    if (!error.empty()) f["error"] = error;
    send_page(res, status, ctx.lang, f, render_page("account", ctx.lang, values));
  }

  void change_password(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
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

  // ---- wiring ----

  void routes() {
    httplib::Server& s = *server;
    s.set_payload_max_length(kMaxBody);
    // Only SO_REUSEADDR: the library's default SO_REUSEPORT would let a second console start
    // on a taken port and silently share its connections.
    s.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      // Pages of personal data: never cached, framed, or allowed to load anything from elsewhere.
      res.set_header("Cache-Control", "no-store");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("X-Frame-Options", "DENY");
      // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with our
      // own forms, and the same-origin check needs the real one.
      res.set_header("Referrer-Policy", "same-origin");
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    });
    s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty() || res.status == 303) return;
      const char* key = res.status == 404 ? "err_not_found" : res.status >= 500 ? "err_internal" : "err_bad_request";
      send_error(req, res, nullptr, lang_of(req), res.status, key);
    });
    s.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        log::error(std::string("web: ") + req.method + " " + req.path + ": " + e.what());
      } catch (...) {
        log::error("web: " + req.method + " " + req.path + ": unknown exception");
      }
      send_error(req, res, nullptr, lang_of(req), 500, "err_internal");
    });

    s.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(console_css()), "text/css; charset=utf-8");
    });
    s.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    s.Get("/lang", [](const httplib::Request& req, httplib::Response& res) {
      if (!fields_are_text(req)) {
        res.status = 400;  // the error handler explains
        return;
      }
      std::string to = field(req, "to") == "en" ? "en" : "ja";
      res.set_header("Set-Cookie", std::string(kLangCookie) + "=" + to + "; Path=/; SameSite=Strict; Max-Age=31536000");
      res.status = 303;
      res.set_header("Location", local_path(field(req, "back")));
    });
    s.Get("/login", [this](const httplib::Request& req, httplib::Response& res) { login_page(req, res); });
    s.Post("/login", [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
    s.Post("/logout", signed_in([this](auto& req, auto& res, auto& ctx) { logout(req, res, ctx); }, true));
    s.Get("/", signed_in([this](auto& req, auto& res, auto& ctx) { dashboard(req, res, ctx); }, false));
    s.Get("/quarantine", signed_in([this](auto& req, auto& res, auto& ctx) { quarantine_list(req, res, ctx); }, false));
    s.Get(R"(/quarantine/([A-Za-z0-9._-]{1,64}))", signed_in(
                                                       [this](auto& req, auto& res, auto& ctx) {
                                                         std::string done = field(req, "done");
                                                         std::string notice =
                                                             done == "requested" || done == "approved" || done == "denied" || done == "released"
                                                                 ? wording(ctx.lang, "done_" + done)
                                                                 : "";
                                                         item_page(req, res, ctx, req.matches[1], notice, std::nullopt);
                                                       },
                                                       false));
    s.Get(R"(/quarantine/([A-Za-z0-9._-]{1,64})/original)",
          signed_in([this](auto& req, auto& res, auto& ctx) { download(req, res, ctx); }, false));
    for (const char* action : {"request", "decide", "release"}) {
      s.Post(std::string(R"(/quarantine/([A-Za-z0-9._-]{1,64})/)") + action,
             signed_in([this, action = std::string(action)](auto& req, auto& res, auto& ctx) { item_action(req, res, ctx, action); }, true));
    }
    s.Get("/audit", signed_in([this](auto& req, auto& res, auto& ctx) { audit_page(req, res, ctx); }, false));
    s.Get("/account", signed_in([this](auto& req, auto& res, auto& ctx) { account_page(req, res, ctx, "", "", 200); }, false));
    s.Post("/account/password", signed_in([this](auto& req, auto& res, auto& ctx) { change_password(req, res, ctx); }, true));
  }
};

Result<ConsoleOptions> console_address(const std::string& listen) {
  ConsoleOptions o;
  std::string port_text = listen;
  if (auto colon = listen.rfind(':'); colon != std::string::npos) {
    o.host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  }
  int port = -1;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (listen.empty() || o.host.empty() || ec != std::errc() || p != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return make_error("web.listen", listen, "the console's address must be host:port, e.g. 127.0.0.1:8443 ([listeners] web)");
  }
  o.port = port;
  return o;
}

Console::Console(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Console::~Console() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<Console>> Console::start(ConsoleOptions options, ConsoleServices services) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(services));
  const ConsoleOptions& o = impl->options;
  bool loopback = o.host == "127.0.0.1" || o.host == "::1" || o.host == "localhost";
  if (o.tls_cert.empty() && !loopback) {
    // Passwords and residents' data must not cross the network in clear text.
    return make_error("web.tls", o.host + ":" + std::to_string(o.port),
                      "the console listens beyond this machine, so it needs [web] tls_cert and tls_key (or listen on 127.0.0.1 "
                      "behind a TLS reverse proxy)");
  }
  TlsContext tls;
  if (!o.tls_cert.empty()) tls = SANSO_TRY(load_tls_context(o.tls_cert, o.tls_key));
  ConnectionLimits limits;
  limits.request = std::chrono::milliseconds(o.request_timeout_ms);
  limits.read = std::chrono::milliseconds(o.read_timeout_ms);
  limits.per_address = static_cast<std::size_t>(std::max(1, o.max_connections_per_address));
  limits.threads = static_cast<std::size_t>(std::max(2, o.threads));
  limits.backlog = o.listen_backlog;
  limits.exempt = o.trusted_proxies;
  impl->server = std::make_unique<GuardedServer>(std::move(limits), std::move(tls));
  impl->routes();
  int port = o.port == 0 ? impl->server->bind_to_any_port(o.host) : (impl->server->bind_to_port(o.host, o.port) ? o.port : -1);
  if (port >= 0 && !impl->server->widen_backlog()) port = -1;
  if (port < 0) {
    return make_error("web.listen", o.host + ":" + std::to_string(o.port),
                      "cannot listen there: the port is taken, the address is not this machine's, or it needs privileges");
  }
  impl->port = port;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server->listen_after_bind();
    std::lock_guard lock(raw->mu);
    raw->stopped = true;
    raw->stopped_cv.notify_all();
  });
  return std::unique_ptr<Console>(new Console(std::move(impl)));
}

int Console::port() const { return impl_->port; }
bool Console::tls() const { return impl_->secure(); }

void Console::stop() {
  if (!impl_->server) return;
  // A stop that comes before the server thread is listening would be lost: wait for either.
  for (;;) {
    if (impl_->server->is_running()) break;
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    std::this_thread::yield();
  }
  impl_->server->stop();
}

void Console::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace sanso::web
