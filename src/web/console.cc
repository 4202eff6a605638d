#include "web/console.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include "config/config.h"
#include "core/log.h"
#include "core/log_events.h"
#include "core/text.h"
#include "policy/policy.h"
#include "web/internal/console_server.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

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

std::string field(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : std::string();
}

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

std::string local_path(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.size() > 512 || p.find("//") != std::string::npos) return "/";
  bool plain = std::all_of(p.begin(), p.end(), [](char c) { return c > ' ' && c < 0x7f && c != '\\'; });
  return plain ? p : "/";
}

}  // namespace internal

namespace {

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

bool equal_tokens(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool Console::Impl::secure() const { return !options.tls_cert.empty(); }

bool Console::Impl::trusted_proxy(const std::string& address) const {
  return std::find(options.trusted_proxies.begin(), options.trusted_proxies.end(), address) != options.trusted_proxies.end();
}

std::string Console::Impl::peer(const httplib::Request& req) const { return config::canonical_ip(req.remote_addr).value_or(req.remote_addr); }

namespace {

// One hop of X-Forwarded-For: an address, as some proxies write it also with a port
// ("192.0.2.7:4711", "[2001:db8::7]:4711") or in brackets.
std::optional<std::string> hop_address(std::string_view hop) {
  auto digits = [](std::string_view t) { return !t.empty() && t.size() <= 5 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (auto ip = config::canonical_ip(hop)) return ip;
  if (!hop.empty() && hop.front() == '[') {
    const auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = hop.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !digits(rest.substr(1)))) return std::nullopt;
    return config::canonical_ip(hop.substr(1, close - 1));
  }
  const auto colon = hop.find(':');
  if (colon == std::string_view::npos || !digits(hop.substr(colon + 1))) return std::nullopt;
  auto ip = config::canonical_ip(hop.substr(0, colon));
  if (!ip || ip->find(':') != std::string::npos) return std::nullopt;  // "v6:port" without brackets is ambiguous
  return ip;
}

}  // namespace

std::optional<std::string> Console::Impl::forwarded_client(const httplib::Request& req) const {
  std::string address = peer(req);
  if (!trusted_proxy(address)) return address;
  auto hops = header_list(req, "X-Forwarded-For");
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    auto ip = hop_address(*hop);
    if (!ip) return std::nullopt;
    address = *ip;
    if (!trusted_proxy(address)) return address;
  }
  return address;
}

// A hop that a trusted proxy vouches for but nobody can read: the request is refused
// (refused_unreadable_forwarding), so this answer is only for the access log of that refusal.
std::string Console::Impl::client_address(const httplib::Request& req) const { return forwarded_client(req).value_or(peer(req)); }

bool Console::Impl::refused_unreadable_forwarding(const httplib::Request& req, httplib::Response& res) const {
  if (forwarded_client(req)) return false;
  send_error(req, res, nullptr, lang_of(req), 400, "err_bad_request");
  return true;
}

bool Console::Impl::browser_used_tls(const httplib::Request& req) const {
  if (secure()) return true;
  if (!trusted_proxy(peer(req))) return false;
  auto proto = header_list(req, "X-Forwarded-Proto");
  if (!proto.empty()) return ascii_lower(proto.back()) == "https";
  return options.public_origin.rfind("https://", 0) == 0;
}

json Console::Impl::frame(const httplib::Request& req, const std::string& title, const Context* ctx) const {
  json f = {{"title", title}, {"municipality", options.municipality}, {"node", options.node}, {"path", local_path(req.path)}};
  if (ctx != nullptr) {
    f["user"] = {{"name", ctx->session.name}, {"display", ctx->session.display.empty() ? ctx->session.name : ctx->session.display}, {"csrf", ctx->session.csrf}};
    // The menu offers only the page groups the person may use.
    for (Permission p : kAllPermissions) f["user"]["may_" + std::string(to_string(p))] = ctx->session.may(p);
    f["user"]["may_transfer"] = services.transfers != nullptr && ctx->session.may(Permission::kTransfer);
    // The approvals inbox holds held mail too: it is offered with or without the transfers.
  }
  return f;
}

void Console::Impl::send_page(httplib::Response& res, int status, Lang lang, json frame_values, const std::string& content) const {
  res.status = status;
  res.set_content(render_frame(lang, frame_values, content), "text/html; charset=utf-8");
}

void Console::Impl::send_error(const httplib::Request& req, httplib::Response& res, const Context* ctx, Lang lang, int status,
                const std::string& key) const {
  if (req.path.rfind("/api/", 0) == 0) return send_json_error(req, res, status, key);
  json f = frame(req, wording(lang, key), ctx);
  f["error"] = wording(lang, key);
  send_page(res, status, lang, f, render_page(PageTemplate::kMessage, lang, json::object()));
}

void Console::Impl::redirect(httplib::Response& res, const std::string& to) const {
  res.status = 303;
  res.set_header("Location", to);
}

std::string Console::Impl::session_cookie(const httplib::Request& req, const std::string& value, std::int64_t max_age) const {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (browser_used_tls(req)) c += "; Secure";
  if (max_age >= 0) c += "; Max-Age=" + std::to_string(max_age);
  return c;
}

bool Console::Impl::same_origin(const httplib::Request& req) const {
  if (req.get_header_value_count("Origin") > 1) return false;
  const std::string written = req.get_header_value("Origin");
  if (written.empty()) return true;
  // Compared as origins, not as text: "HTTPS://Files.Example:443" is "https://files.example".
  const std::string origin = config::normal_origin(written);
  if (!options.public_origin.empty() && origin == config::normal_origin(options.public_origin)) return true;
  if (!options.internet_origin.empty() && origin == config::normal_origin(options.internet_origin)) return true;
  std::string expected = std::string(browser_used_tls(req) ? "https://" : "http://") + req.get_header_value("Host");
  return origin == config::normal_origin(expected);
}

void Console::Impl::refuse_form(const httplib::Request& req, httplib::Response& res, const Context* ctx, Lang lang, const char* reason) {
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

namespace {

// The request a thread of the server is answering, for its access-log line: when its headers were
// read (the request preparer) and who it turned out to be (signed_in, the API's token check).
// Each connection is served by one thread from its headers to the logger, so these are that
// request's own; the logger clears them.
thread_local std::optional<std::chrono::steady_clock::time_point> t_request_started;
thread_local std::string t_request_actor;

}  // namespace

void internal::note_actor(const std::string& name) { t_request_actor = name; }

void Console::Impl::log_request(const httplib::Request& req, const httplib::Response& res) {
  const double seconds =
      t_request_started ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *t_request_started).count() : 0.0;
  std::vector<std::pair<std::string, std::string>> query(req.params.begin(), req.params.end());
  const std::string target = log::request_target(req.path, query);
  const std::string client = client_address(req);
  log::request({"web", req.method, target, res.status, seconds, t_request_actor, client});
  t_request_started.reset();
  t_request_actor.clear();
}

httplib::Server::Handler Console::Impl::signed_in(Page page, bool post) {
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
    note_actor(ctx.session.name);
    if (refused_other_listener(req, res, ctx)) return;
    if (post && !same_origin(req)) return refuse_form(req, res, &ctx, lang, "cross-origin");
    if (post && !equal_tokens(form_field(req, "csrf"), ctx.session.csrf)) return refuse_form(req, res, &ctx, lang, "csrf-token");
    page(req, res, ctx);
  };
}

bool Console::Impl::refused_outside_zone(const httplib::Request& req, httplib::Response& res) {
  if (options.zone.empty() || req.path == "/healthz" || req.path == "/static/console.css" || req.path == "/static/transfer.js") return false;
  const std::string here = address_zone(req);
  if (here == options.zone) return false;
  auto r = services.accounts.record_refused_request("unknown", req.method, local_path(req.path), "listener-zone", client_address(req),
                                                    {{"listener_zone", options.zone}, {"address_zone", here}});
  if (!r) log::error("web: recording a refused request: " + r.error().to_string());
  send_error(req, res, nullptr, lang_of(req), 403, "err_listener_zone");
  return true;
}

bool Console::Impl::refused_flood(const httplib::Request& req, httplib::Response& res) {
  if (req.method != "POST" || address_zone(req) != policy::kZoneInternet) return false;
  // The API checks its own tokens, with its own limit on refused ones (api_tokens.h).
  if (req.path.rfind("/api/", 0) == 0) return false;
  // What a session vouches for is counted nowhere here: a signed-in person's forms on their own
  // side. Everything else is someone nobody knows: the pages with no sign-in (/login, /link/,
  // /ppap/), a form without a session cookie, and anything a zone's console refuses outright.
  const bool open_page = req.path == "/login" || req.path.rfind("/link/", 0) == 0 || req.path.rfind("/ppap/", 0) == 0;
  const bool outside_zone = !options.zone.empty() && options.zone != policy::kZoneInternet;
  if (!open_page && !outside_zone && !cookie(req, kSessionCookie).empty()) return false;
  const std::string source = client_address(req);
  const auto admission = unauthenticated_posts.admit(source, std::chrono::steady_clock::now());
  if (admission.verdict == internal::PostLimit::Verdict::kAdmit) return false;
  if (admission.verdict == internal::PostLimit::Verdict::kFirstRefusal) {
    auto r = services.accounts.record_refused_request(
        "unknown", req.method, local_path(req.path), "rate-limited", source,
        {{"client", admission.network},
         {"limit", std::to_string(admission.allowance) + " in " + std::to_string(unauthenticated_posts.window().count()) + " s"},
         {"note", "further requests from this network are refused unrecorded until its window ends"}});
    if (!r) log::error("web: recording a rate-limited client: " + r.error().to_string());
  }
  res.set_header("Retry-After", std::to_string(unauthenticated_posts.window().count()));
  send_error(req, res, nullptr, lang_of(req), 429, "err_too_many_requests");
  return true;
}

bool Console::Impl::refused_other_listener(const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  if (options.zone.empty() || ctx.session.zone == options.zone) return false;
  auto r = services.accounts.record_refused_request(ctx.session.name, req.method, local_path(req.path), "listener-zone", ctx.source,
                                                    {{"listener_zone", options.zone}, {"zone", ctx.session.zone}});
  if (!r) log::error("web: recording a refused request: " + r.error().to_string());
  send_error(req, res, &ctx, ctx.lang, 403, "err_listener_zone");
  return true;
}

bool Console::Impl::refused_without(const std::vector<Permission>& any_of, const httplib::Request& req, httplib::Response& res, const Context& ctx) {
  if (std::any_of(any_of.begin(), any_of.end(), [&](Permission p) { return ctx.session.may(p); })) return false;
  std::string wanted;
  for (Permission p : any_of) wanted += (wanted.empty() ? "" : " or ") + std::string(to_string(p));
  // Recorded: a person trying pages beyond their work is worth an administrator's look.
  auto r = services.accounts.record_refused_request(ctx.session.name, req.method, local_path(req.path), "permission", ctx.source,
                                                    {{"session", ctx.session.id}, {"needs", wanted}});
  if (!r) log::error("web: recording a refused request: " + r.error().to_string());
  send_error(req, res, &ctx, ctx.lang, 403, "err_forbidden");
  return true;
}

Console::Impl::Page Console::Impl::needs(std::vector<Permission> any_of, Page page) {
  return [this, any_of = std::move(any_of), page = std::move(page)](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
    if (!refused_without(any_of, req, res, ctx)) page(req, res, ctx);
  };
}

void Console::Impl::routes() {
  httplib::Server& s = *server;
  // Forms are small; only the transfer upload is large, and it is read as it arrives, checked at
  // every byte against [transfer]'s limits (transfer_pages.cc), never held whole.
  const bool uploads = services.transfers != nullptr && services.policy != nullptr;
  const std::uint64_t upload_max =
      uploads ? static_cast<std::uint64_t>(std::max<std::int64_t>(services.config.transfer.max_total_mb, 1)) * 1024 * 1024 + kUploadOverhead : 0;
  // An evidence file of the self-inspection is read the same way (prove_pages.cc).
  const std::uint64_t evidence_max = offers_proof() ? kEvidenceUploadMax : 0;
  s.set_payload_max_length(std::max({kMaxBody, upload_max, evidence_max}));
  server->set_request_preparer([](httplib::Request& req) {
    t_request_started = std::chrono::steady_clock::now();
    t_request_actor.clear();
    // Multipart bodies are ours to read (MultipartReader): the library's own reader is kept
    // away from them by moving their type where it does not look. Nobody else names that header.
    req.headers.erase(kFormTypeHeader);
    const bool sends_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    bool close_after = req.has_header("Transfer-Encoding") || req.get_header_value_count("Content-Length") > 1 ||
                       (sends_body && !req.has_header("Content-Length"));
    std::vector<std::string> types;
    for (std::size_t i = 0, n = req.get_header_value_count("Content-Type"); i < n; ++i) types.push_back(req.get_header_value("Content-Type", i));
    if (std::any_of(types.begin(), types.end(), [](const std::string& t) { return ascii_lower(t).rfind("multipart/", 0) == 0; })) {
      req.headers.erase("Content-Type");
      for (auto& t : types) req.headers.emplace(kFormTypeHeader, std::move(t));
      close_after = true;  // an upload refused half-way leaves the rest of its body unread
    }
    // The upload's handler reads the body itself, or not at all when it refuses at the headers.
    if (req.path == "/transfer/send" || req.path == kEvidencePath || (req.method == "POST" && req.path == kApiUploadPath)) close_after = true;
    std::uint64_t length = 0;
    const std::string declared = req.get_header_value("Content-Length");
    auto [p, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), length);
    if (!declared.empty() && (ec != std::errc() || p != declared.data() + declared.size() || length > kMaxBody)) close_after = true;
    return close_after;
  });
  s.set_pre_routing_handler([this, uploads, upload_max, evidence_max](const httplib::Request& req, httplib::Response& res) {
    // A zone's console serves nobody outside the zone, whatever page they ask for: the other
    // side's pages are not there to be found (the health check and the style sheet excepted).
    // A flood of unauthenticated POSTs is cut before anything is recorded or stored of it.
    if (refused_unreadable_forwarding(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (refused_flood(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (refused_outside_zone(req, res)) return httplib::Server::HandlerResponse::Handled;
    const bool evidence = evidence_max > 0 && req.method == "POST" && req.path == kEvidencePath;
    const bool upload = (uploads && req.method == "POST" && (req.path == "/transfer/send" || req.path == kApiUploadPath)) || evidence;
    // Every browser states a form's length; a chunked body, or one that runs until the
    // connection closes, could only be read to learn it.
    const bool sends_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (req.has_header("Transfer-Encoding") || (sends_body && !req.has_header("Content-Length"))) {
      send_error(req, res, nullptr, lang_of(req), 411, "err_length_required");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.get_header_value_count("Content-Length") > 1) {
      send_error(req, res, nullptr, lang_of(req), 400, "err_bad_request");
      return httplib::Server::HandlerResponse::Handled;
    }
    std::uint64_t length = 0;
    const std::string declared = req.get_header_value("Content-Length");
    auto [p, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), length);
    if (!declared.empty() && (ec != std::errc() || p != declared.data() + declared.size())) {
      send_error(req, res, nullptr, lang_of(req), 400, "err_bad_request");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (length > (evidence ? evidence_max : upload ? upload_max : kMaxBody)) {
      send_error(req, res, nullptr, lang_of(req), 413, upload ? "err_upload_too_large" : "err_bad_request");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // One line per request answered, beside the audit records of what it did (docs/logging.md).
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });
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
                   "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'");
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
  const std::vector<Permission> quarantine_pages{Permission::kQuarantine};
  s.Get("/quarantine", signed_in(needs(quarantine_pages, [this](auto& req, auto& res, auto& ctx) { quarantine_list(req, res, ctx); }), false));
  s.Get(R"(/quarantine/([A-Za-z0-9._-]{1,64}))", signed_in(needs(quarantine_pages,
                                                                 [this](auto& req, auto& res, auto& ctx) {
                                                                   std::string done = field(req, "done");
                                                                   std::string notice = done == "requested" || done == "approved" ||
                                                                                                done == "denied" || done == "released"
                                                                                            ? wording(ctx.lang, "done_" + done)
                                                                                            : "";
                                                                   item_page(req, res, ctx, req.matches[1], notice, std::nullopt);
                                                                 }),
                                                           false));
  s.Get(R"(/quarantine/([A-Za-z0-9._-]{1,64})/original)",
        signed_in(needs(quarantine_pages, [this](auto& req, auto& res, auto& ctx) { download(req, res, ctx); }), false));
  for (const char* action : {"request", "decide", "release"}) {
    s.Post(std::string(R"(/quarantine/([A-Za-z0-9._-]{1,64})/)") + action,
           signed_in(needs(quarantine_pages,
                           [this, action = std::string(action)](auto& req, auto& res, auto& ctx) { item_action(req, res, ctx, action); }),
                     true));
  }
  s.Get("/audit", signed_in(needs({Permission::kAudit}, [this](auto& req, auto& res, auto& ctx) { audit_page(req, res, ctx); }), false));
  s.Get("/account", signed_in([this](auto& req, auto& res, auto& ctx) { account_page(req, res, ctx, "", "", 200); }, false));
  s.Post("/account/password", signed_in([this](auto& req, auto& res, auto& ctx) { change_password(req, res, ctx); }, true));
  transfer_routes();
  inbox_routes();
  findings_routes();
  proof_routes();
  api_routes();
}


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
  if (!o.zone.empty()) {
    const policy::Policy* policy = impl->policy_in_force();
    if (policy == nullptr) return make_error("web.zone", "[listeners] web_zones", "a zone's console needs the policy, whose cidrs place each browser");
    if (policy->find_zone(o.zone) == nullptr) {
      return make_error("web.zone", "[listeners] web_zones " + visible_text(o.zone), "the policy has no such zone");
    }
  }
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
