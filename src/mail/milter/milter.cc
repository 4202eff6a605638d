#include "mail/milter/milter.h"

#include <libmilter/mfapi.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/text.h"
#include "mail/milter/gateway.h"
#include "mime/transfer.h"

namespace sanso::mail {
namespace {

MailGateway* g_gateway = nullptr;

// One SMTP connection's state; a connection may carry several messages.
struct Session {
  Envelope envelope;
  std::string client, client_address, daemon_name;
  std::string raw;
  std::vector<std::string> header_names;  // in order, for deleting them on replace
  unsigned long no_reply = 0;             // the SMFIP_NR_* steps the MTA agreed not to wait for
  // A step's answer: none at all when the MTA agreed not to wait for one (a round trip saved).
  sfsistat answer(sfsistat status, unsigned long step) const { return (no_reply & step) != 0 ? SMFIS_NOREPLY : status; }
  void reset() {
    envelope = Envelope{};
    envelope.client = client;
    envelope.client_address = client_address;
    envelope.daemon_name = daemon_name;
    raw.clear();
    header_names.clear();
  }
};

Session* session(SMFICTX* ctx) { return static_cast<Session*>(smfi_getpriv(ctx)); }

std::string strip_brackets(const char* address) {
  std::string a = address != nullptr ? address : "";
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return a;
}

// Everything up to the end of the message only collects it: the MTA need not wait for an answer
// to each step, nor send the steps Sanso does not use. Halves the milter's reads and writes.
constexpr unsigned long kNoReplySteps = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;
constexpr unsigned long kSkippedSteps = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA;

sfsistat on_negotiate(SMFICTX* ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long, unsigned long* want_actions,
                      unsigned long* want_steps, unsigned long* f2, unsigned long* f3) {
  constexpr unsigned long kActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
  if ((actions & kActions) != kActions) return SMFIS_REJECT;  // an MTA that cannot let us rewrite mail
  auto* s = new Session();
  s->no_reply = steps & kNoReplySteps;
  smfi_setpriv(ctx, s);
  *want_actions = kActions;
  *want_steps = steps & (kNoReplySteps | kSkippedSteps);
  *f2 = 0;
  *f3 = 0;
  return SMFIS_CONTINUE;
}

// The client's address as the MTA saw the TCP connection: the fact the source zone rests on.
// Anything but an IPv4/IPv6 socket (a local submission) gives none, which counts as the internet.
std::string address_of(const _SOCK_ADDR* a) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (a == nullptr) return "";
  if (a->sa_family == AF_INET) {
    if (inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text) != nullptr) return text;
  } else if (a->sa_family == AF_INET6) {
    if (inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text) != nullptr) return text;
  }
  return "";
}

sfsistat on_connect(SMFICTX* ctx, char* host, _SOCK_ADDR* address) {
  Session* s = session(ctx);
  if (s == nullptr) {  // an MTA that did not negotiate
    s = new Session();
    smfi_setpriv(ctx, s);
  }
  s->client = host != nullptr ? host : "";
  s->client_address = address_of(address);
  // Postfix's milter_macro_daemon_name of the listener (sent with the connect macros by default).
  const char* daemon = smfi_getsymval(ctx, const_cast<char*>("{daemon_name}"));
  s->daemon_name = daemon != nullptr ? daemon : "";
  s->reset();
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_CONN);
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  Session* s = session(ctx);
  if (s == nullptr) return SMFIS_TEMPFAIL;
  s->reset();
  s->envelope.sender = strip_brackets(argv != nullptr ? argv[0] : nullptr);
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_MAIL);
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
  Session* s = session(ctx);
  if (s == nullptr) return SMFIS_TEMPFAIL;
  s->envelope.recipients.push_back(strip_brackets(argv != nullptr ? argv[0] : nullptr));
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_RCPT);
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  Session* s = session(ctx);
  if (s == nullptr) return SMFIS_TEMPFAIL;
  // Folded header values come with bare LF between their lines; the message we rebuild uses CRLF.
  s->raw += std::string(name) + ": " + mime::to_crlf(value != nullptr ? value : "") + "\r\n";
  s->header_names.emplace_back(name);
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_HDR);
}

sfsistat on_eoh(SMFICTX* ctx) {
  Session* s = session(ctx);
  if (s == nullptr) return SMFIS_TEMPFAIL;
  s->raw += "\r\n";
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_EOH);
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  Session* s = session(ctx);
  if (s == nullptr) return SMFIS_TEMPFAIL;
  s->raw.append(reinterpret_cast<const char*>(chunk), len);
  return s->answer(SMFIS_CONTINUE, SMFIP_NR_BODY);
}

// Replaces every header and the body with those of `message`.
bool replace_message(SMFICTX* ctx, Session& s, const std::string& message) {
  std::map<std::string, int> count;
  for (const auto& n : s.header_names) ++count[n];
  for (const auto& [name, n] : count) {
    for (int i = n; i >= 1; --i) {
      if (smfi_chgheader(ctx, const_cast<char*>(name.c_str()), i, nullptr) != MI_SUCCESS) return false;
    }
  }
  const auto split = message.find("\r\n\r\n");
  if (split == std::string::npos) return false;
  std::string head = message.substr(0, split + 2);
  std::string body = message.substr(split + 4);
  // Header lines, with folded continuation lines kept inside the value (LF-separated for Postfix).
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t at = 0;
  while (at < head.size()) {
    std::size_t end = head.find("\r\n", at);
    std::string line = head.substr(at, end - at);
    at = end + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !headers.empty()) {
      headers.back().second += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    headers.emplace_back(line.substr(0, colon), value);
  }
  for (auto& [name, value] : headers) {
    if (smfi_addheader(ctx, const_cast<char*>(name.c_str()), const_cast<char*>(value.c_str())) != MI_SUCCESS) return false;
  }
  return smfi_replacebody(ctx, reinterpret_cast<unsigned char*>(body.data()), static_cast<int>(body.size())) == MI_SUCCESS;
}

sfsistat on_eom(SMFICTX* ctx) {
  Session* s = session(ctx);
  if (s == nullptr || g_gateway == nullptr) return SMFIS_TEMPFAIL;
  const char* qid = smfi_getsymval(ctx, const_cast<char*>("i"));
  s->envelope.queue_id = qid != nullptr ? qid : "";
  GatewayVerdict v = g_gateway->process(s->envelope, s->raw);
  auto reply = [&](const char* code, const char* fallback) {
    std::string text = v.reply.empty() ? fallback : v.reply;
    std::string xcode = text.substr(0, text.find(' '));
    std::string rest = text.find(' ') == std::string::npos ? text : text.substr(text.find(' ') + 1);
    // '%' is special in libmilter replies.
    std::string safe;
    for (char c : rest) safe += c == '%' ? std::string("%%") : std::string(1, c);
    smfi_setreply(ctx, const_cast<char*>(code), const_cast<char*>(xcode.c_str()), const_cast<char*>(safe.c_str()));
  };
  sfsistat status = SMFIS_TEMPFAIL;
  switch (v.action) {
    case GatewayVerdict::Action::kAccept: status = SMFIS_CONTINUE; break;
    case GatewayVerdict::Action::kReplace:
      if (replace_message(ctx, *s, v.message)) {
        status = SMFIS_CONTINUE;
      } else {
        reply("451", "4.3.0 the sanitized message could not be handed back; try again later");
        status = SMFIS_TEMPFAIL;
      }
      break;
    case GatewayVerdict::Action::kReject:
      reply("550", "5.7.1 rejected by policy");
      status = SMFIS_REJECT;
      break;
    case GatewayVerdict::Action::kHold: status = SMFIS_DISCARD; break;  // kept in quarantine until approved
    case GatewayVerdict::Action::kTempfail:
      reply("451", "4.3.0 temporary failure; try again later");
      status = SMFIS_TEMPFAIL;
      break;
  }
  s->reset();
  return status;
}

sfsistat on_abort(SMFICTX* ctx) {
  if (Session* s = session(ctx)) s->reset();
  return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
  delete session(ctx);
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

// For a "unix:/path" (or "local:/path") address: nothing at the path, or a socket of this account
// that no one answers on (left by an earlier run). Anything else there is not removed.
Result<void> stale_socket_is_ours(const std::string& listen) {
  const auto address = read_milter_listen(listen);
  if (!address) return make_error("milter.listen", listen, "not a milter socket address (unix:/path or inet:port@host)");
  const std::string& path = address->path;
  if (path.empty()) return ok();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ok();
  if (!S_ISSOCK(st.st_mode)) return make_error("milter.listen", path, "something other than a socket is at this path: not removed");
  if (st.st_uid != ::geteuid()) return make_error("milter.listen", path, "another account's socket is at this path: not removed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return make_error("milter.listen", path, "the socket path is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ok();
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  if (live) return make_error("milter.listen", path, "a running milter answers on this socket: not removed (stop it first)");
  return ok();
}

}  // namespace

std::optional<MilterListen> read_milter_listen(std::string_view listen) {
  MilterListen out;
  const auto colon = listen.find(':');
  if (listen.starts_with("/") || colon == std::string_view::npos) {
    out.unix_socket = true;
    out.path = std::string(listen);
    return out;
  }
  const std::string protocol = ascii_lower(listen.substr(0, colon));
  if (protocol == "unix" || protocol == "local") {
    out.unix_socket = true;
    out.path = std::string(listen.substr(colon + 1));
    return out;
  }
  if (protocol != "inet" && protocol != "inet6") return std::nullopt;
  out.inet = std::string(listen.substr(colon + 1));
  return out;
}

Result<void> run_milter(MailGateway& gateway, const MilterOptions& options) {
  g_gateway = &gateway;
  static char name[] = "sanso";
  smfiDesc desc{};
  desc.xxfi_name = name;
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
  desc.xxfi_connect = on_connect;
  desc.xxfi_envfrom = on_envfrom;
  desc.xxfi_envrcpt = on_envrcpt;
  desc.xxfi_header = on_header;
  desc.xxfi_eoh = on_eoh;
  desc.xxfi_body = on_body;
  desc.xxfi_eom = on_eom;
  desc.xxfi_abort = on_abort;
  desc.xxfi_close = on_close;
  desc.xxfi_negotiate = on_negotiate;
  if (smfi_setconn(const_cast<char*>(options.listen.c_str())) != MI_SUCCESS) {
    return make_error("milter.listen", options.listen, "not a milter socket address (unix:/path or inet:port@host)");
  }
  smfi_settimeout(options.timeout_seconds);
  if (smfi_register(desc) != MI_SUCCESS) return make_error("milter.register", "", "libmilter refused the filter description");
  // Remove a stale Unix socket of an earlier run — ours only, and only when nothing answers on it:
  // libmilter unlinks whatever socket is at the path, and another service's (or a live milter's)
  // must not go. Fail now if the address cannot be bound.
  SANSO_TRY(stale_socket_is_ours(options.listen));
  if (smfi_opensocket(1) != MI_SUCCESS) return make_error("milter.listen", options.listen, "cannot listen on this address (in use, or no permission)");
  if (smfi_main() != MI_SUCCESS) return make_error("milter.main", options.listen, "the milter stopped with an error");
  return ok();
}

}  // namespace sanso::mail
