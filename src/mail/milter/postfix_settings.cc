#include "mail/milter/postfix_settings.h"

#include <algorithm>
#include <optional>
#include <set>

#include "core/text.h"
#include "core/vocabulary.h"
#include "mail/milter/milter.h"
#include "policy/network.h"
#include "policy/policy.h"

namespace sanso::mail {
namespace {

constexpr Vocabulary<SettingVerdict, 3> kVerdicts{{{
                                                      {"ok", "問題なし", "ok"},
                                                      {"warning", "注意", "warning"},
                                                      {"failure", "不備", "failure"},
                                                  }},
                                                  "a setting check verdict",
                                                  "doctor.verdict"};

// "name = value" or "name =" (postconf prints an empty value so); nullopt for anything else.
std::optional<std::pair<std::string, std::string>> name_and_value(std::string_view line) {
  const auto eq = line.find(" =");
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  std::string_view value = line.substr(eq + 2);
  if (!value.empty() && value.front() != ' ') return std::nullopt;
  return std::make_pair(std::string(trim_blanks(line.substr(0, eq))), std::string(trim_blanks(value)));
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!trim_blanks(line).empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != ',') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

// A Postfix milter list: addresses, or "{ address, name=value, … }" groups, separated by white
// space or commas.
struct MilterEntry {
  std::string address;
  std::map<std::string, std::string> attributes;  // default_action, connect_timeout, …
};

std::vector<MilterEntry> milter_entries(std::string_view list) {
  std::vector<MilterEntry> out;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
    if (i >= list.size()) break;
    if (list[i] == '{') {
      const auto close = list.find('}', i);
      std::string_view inner = list.substr(i + 1, close == std::string_view::npos ? std::string_view::npos : close - i - 1);
      MilterEntry e;
      bool first = true;
      std::size_t k = 0;
      while (k <= inner.size()) {
        const auto comma = inner.find(',', k);
        std::string_view part = trim_blanks(inner.substr(k, comma == std::string_view::npos ? std::string_view::npos : comma - k));
        if (!part.empty()) {
          if (first) {
            e.address = std::string(part);
            first = false;
          } else if (const auto eq = part.find('='); eq != std::string_view::npos) {
            e.attributes[ascii_lower(trim_blanks(part.substr(0, eq)))] = std::string(trim_blanks(part.substr(eq + 1)));
          }
        }
        if (comma == std::string_view::npos) break;
        k = comma + 1;
      }
      out.push_back(std::move(e));
      i = close == std::string_view::npos ? list.size() : close + 1;
      continue;
    }
    std::size_t j = i;
    while (j < list.size() && list[j] != ' ' && list[j] != '\t' && list[j] != ',') ++j;
    out.push_back({std::string(list.substr(i, j - i)), {}});
    i = j;
  }
  return out;
}

// A socket address in one spelling for both sides: "unix:/abs/path" or "inet:host:port" with the
// host "*" when any address is meant.
struct Socket {
  bool unix_socket = false;
  std::string path;
  std::string host;
  int port = 0;
};

std::string canonical_host(std::string_view host) {
  std::string h = ascii_lower(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost" || h == "localhost.localdomain") return "127.0.0.1";
  if (h.empty() || h == "0.0.0.0" || h == "::" || h == "*" || h == "inaddr_any") return "*";
  return h;
}

std::optional<int> port_of(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return std::nullopt;
  return port;
}

// As libmilter reads sanso's --listen (read_milter_listen), with inet's "port@host" or "port".
std::optional<Socket> libmilter_socket(std::string_view listen) {
  const auto address = read_milter_listen(listen);
  if (!address) return std::nullopt;
  Socket s;
  if (address->unix_socket) {
    s.unix_socket = true;
    s.path = address->path;
    return s;
  }
  std::string_view rest = address->inet;
  const auto at = rest.find('@');
  auto port = port_of(rest.substr(0, at));
  if (!port) return std::nullopt;
  s.port = *port;
  s.host = canonical_host(at == std::string_view::npos ? std::string_view("*") : rest.substr(at + 1));
  return s;
}

// As Postfix reads a milter address: "unix:path" (relative to the queue directory; absolute ones
// inside it when the daemon runs chrooted), "inet:host:port", "inet:[v6]:port".
std::optional<Socket> postfix_socket(std::string_view address, const std::string& queue_directory, bool chroot) {
  Socket s;
  const auto colon = address.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string protocol = ascii_lower(address.substr(0, colon));
  std::string_view rest = address.substr(colon + 1);
  if (protocol == "unix" || protocol == "local") {
    s.unix_socket = true;
    if (rest.starts_with("/")) s.path = chroot ? queue_directory + std::string(rest) : std::string(rest);
    else s.path = queue_directory + "/" + std::string(rest);
    return s;
  }
  if (protocol != "inet") return std::nullopt;
  auto hp = split_host_port(rest);
  if (!hp) return std::nullopt;
  s.port = hp->port;
  s.host = canonical_host(hp->host);
  return s;
}

std::string normal_path(std::string path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool same_socket(const Socket& sanso, const Socket& postfix) {
  if (sanso.unix_socket != postfix.unix_socket) return false;
  if (sanso.unix_socket) return normal_path(sanso.path) == normal_path(postfix.path);
  return sanso.port == postfix.port && (sanso.host == "*" || sanso.host == postfix.host);
}

// Postfix's time values: a number with an optional unit (s, m, h, d, w; seconds by default).
std::optional<long> seconds_of(std::string_view value) {
  value = trim_blanks(value);
  if (value.empty()) return std::nullopt;
  long unit = 1;
  const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(value.back())));
  if (last < '0' || last > '9') {
    switch (last) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 604800; break;
      default: return std::nullopt;
    }
    value.remove_suffix(1);
  }
  if (value.empty() || value.size() > 9) return std::nullopt;
  long n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n * unit;
}

bool has_word(std::string_view list, std::string_view word) {
  for (const auto& w : words_of(list)) {
    if (ascii_lower(w) == word) return true;
  }
  return false;
}

class Checker {
 public:
  Checker(const PostfixSettings& postfix, const policy::Policy& policy, const GatewayDeployment& sanso)
      : postfix_(postfix), policy_(policy), sanso_(sanso), milter_(libmilter_socket(sanso.milter_listen)) {
    queue_directory_ = main("queue_directory");
    if (queue_directory_.empty()) queue_directory_ = "/var/spool/postfix";
    if (auto hp = split_host_port(sanso.release_relay)) release_ = Socket{false, "", canonical_host(hp->host), hp->port};
  }

  std::vector<SettingCheck> run() {
    if (!milter_) {
      add("postfix.sanso-milter-address", SettingVerdict::kFailure, "", "[listeners] milter = " + sanso_.milter_listen,
          "sanso.toml の [listeners] milter が milter のアドレスとして読めないため、Postfix の設定と照合できない（unix:/パス または inet:ポート@ホスト）",
          "sanso.toml's [listeners] milter is not a milter address (unix:/path or inet:port@host), so Postfix cannot be compared with it");
    }
    smtp_listeners();
    locally_made_mail();
    timeouts();
    domains();
    loopback_zone();
    verifier_header_checks();
    return std::move(checks_);
  }

 private:
  std::string main(const std::string& name) const {
    auto it = postfix_.main.find(name);
    return it == postfix_.main.end() ? std::string() : it->second;
  }
  std::string effective(const PostfixService* s, const std::string& name) const {
    if (s != nullptr) {
      if (auto it = s->overrides.find(name); it != s->overrides.end()) return it->second;
    }
    return main(name);
  }
  static std::string shown(const std::string& name, const std::string& value) { return value.empty() ? name + " =" : name + " = " + value; }

  void add(std::string id, SettingVerdict verdict, std::string service, std::string setting, std::string ja, std::string en) {
    checks_.push_back({std::move(id), verdict, std::move(service), std::move(setting), std::move(ja), std::move(en)});
  }

  // Sanso's entry in a milter list, or nullptr.
  const MilterEntry* sanso_entry(const std::vector<MilterEntry>& entries, bool chroot) const {
    if (!milter_) return nullptr;
    for (const auto& e : entries) {
      auto s = postfix_socket(e.address, queue_directory_, chroot);
      if (s && same_socket(*milter_, *s)) return &e;
    }
    return nullptr;
  }

  bool is_release_listener(const PostfixService& s) const {
    if (!release_ || s.type != "inet") return false;
    auto hp = split_host_port(s.name);
    const int port = hp ? hp->port : port_of(s.name).value_or(0);
    const std::string host = hp ? canonical_host(hp->host) : "*";
    return port == release_->port && (host == release_->host || host == "*" || release_->host == "*");
  }

  // What Postfix does with mail when Sanso's milter does not answer, for this entry: its own
  // default_action, else the service's or main.cf's milter_default_action.
  void default_action(const PostfixService* s, const MilterEntry& entry, const std::string& where) {
    std::string action;
    std::string setting;
    if (auto it = entry.attributes.find("default_action"); it != entry.attributes.end()) {
      action = ascii_lower(it->second);
      setting = "{ " + entry.address + ", default_action=" + it->second + " }";
    } else {
      action = ascii_lower(effective(s, "milter_default_action"));
      setting = shown("milter_default_action", action);
    }
    if (action == "tempfail" || action == "reject") {
      add("postfix.milter-default-action", SettingVerdict::kOk, where, setting, "milter が応答しないときメールは受け取られない（" + action + "）",
          "mail is not taken when the milter does not answer (" + action + ")");
      return;
    }
    add("postfix.milter-default-action", SettingVerdict::kFailure, where, setting,
        "milter が止まっている間、メールが無害化も検査もされずに通過する（" + action + "）。milter_default_action = tempfail にする",
        "while the milter is down mail passes unfiltered and unchecked (" + action + "): set milter_default_action = tempfail");
  }

  void no_milters(const PostfixService* s, const std::string& where) {
    const std::string value = effective(s, "receive_override_options");
    if (has_word(value, "no_milters")) {
      add("postfix.no-milters", SettingVerdict::kFailure, where, shown("receive_override_options", value),
          "receive_override_options の no_milters により、ここで受け取るメールは milter を通らない",
          "receive_override_options has no_milters: mail received here bypasses the milter");
    }
  }

  void smtp_listeners() {
    bool any = false;
    bool release_seen = false;
    for (const auto& s : postfix_.services) {
      if (s.command != "smtpd") continue;
      any = true;
      const std::string where = s.name + "/" + s.type;
      const std::string milters = effective(&s, "smtpd_milters");
      const std::vector<MilterEntry> entries = milter_entries(milters);
      const MilterEntry* entry = sanso_entry(entries, s.chroot);
      if (is_release_listener(s)) {
        release_seen = true;
        release_listener(s, where, entry != nullptr);
        continue;
      }
      if (entry == nullptr) {
        add("postfix.smtpd-milter", SettingVerdict::kFailure, where, shown("smtpd_milters", milters),
            "この SMTP 受付口のメールは Sanso の milter（" + sanso_.milter_listen + "）を通らない：インターネットのメールが無害化されずに届く",
            "mail arriving on this SMTP listener does not pass Sanso's milter (" + sanso_.milter_listen + "): internet mail arrives unfiltered");
        continue;
      }
      add("postfix.smtpd-milter", SettingVerdict::kOk, where, shown("smtpd_milters", milters), "受け取るメールは Sanso の milter を通る",
          "mail received here passes Sanso's milter");
      default_action(&s, *entry, where);
      no_milters(&s, where);
      const std::string maps = effective(&s, "smtpd_milter_maps");
      if (!maps.empty()) {
        add("postfix.smtpd-milter-maps", SettingVerdict::kWarning, where, shown("smtpd_milter_maps", maps),
            "接続元ごとに milter を差し替える表がある：表にある送信元（DISABLE など）は Sanso を通らないことがある。表の中身を確認する",
            "a per-client milter table is set: clients it lists (DISABLE, other milters) may bypass Sanso; check its entries");
      }
    }
    if (!any) {
      add("postfix.smtpd-milter", SettingVerdict::kWarning, "", "master.cf",
          "master.cf に smtpd の受付口がない（別の設定ディレクトリを見ている可能性）", "master.cf has no smtpd listener (is this the right configuration directory?)");
    }
    if (release_ && !release_seen) {
      add("postfix.release-listener", SettingVerdict::kWarning, "", "[quarantine] smtp_relay = " + sanso_.release_relay,
          "解放したメールと通知を送る受付口（" + sanso_.release_relay + "）が master.cf にない：別のホストでなければ、解放や通知が milter で再び止められる",
          "the listener for released mail and notices (" + sanso_.release_relay +
              ") is not in master.cf: unless it is on another host, releases and notices are held by the milter again");
    }
  }

  void release_listener(const PostfixService& s, const std::string& where, bool has_sanso) {
    auto hp = split_host_port(s.name);
    std::optional<policy::IpAddress> ip;
    if (hp) ip = policy::parse_ip(hp->host);
    const bool loopback = hp && (canonical_host(hp->host) == "127.0.0.1" || (ip && policy::is_loopback(*ip)));
    if (!loopback) {
      add("postfix.release-listener", SettingVerdict::kFailure, where, "master.cf " + s.name,
          "milter を通らない解放用の受付口がループバック以外でも待ち受けている：ネットワークから誰でも無害化されないメールを LGWAN に入れられる。127.0.0.1:ポート で待ち受ける",
          "the milter-free listener for releases listens beyond loopback: anyone on the network can put unfiltered mail into LGWAN; bind it to 127.0.0.1:port");
    } else {
      add("postfix.release-listener", SettingVerdict::kOk, where, "master.cf " + s.name,
          "解放用の受付口はこのホストの中からだけ使える", "the release listener is reachable from this host only");
    }
    if (has_sanso) {
      add("postfix.release-listener-milter", SettingVerdict::kWarning, where, shown("smtpd_milters", effective(&s, "smtpd_milters")),
          "解放用の受付口にも Sanso の milter がある：解放したメールや通知が再び検査・保留される。-o smtpd_milters= を付ける",
          "the release listener runs Sanso's milter too: released mail and notices are checked and held again; add -o smtpd_milters=");
    }
  }

  void locally_made_mail() {
    // Mail submitted on this host (sendmail, pickup) and Postfix's own bounces pass cleanup(8),
    // which runs non_smtpd_milters; bounces only when internal_mail_filter_classes names them.
    // main.cf's settings, then every cleanup or pickup service that overrides one of them.
    std::vector<const PostfixService*> cleanups = {nullptr};
    for (const auto& s : postfix_.services) {
      if (s.command != "cleanup" && s.command != "pickup") continue;
      for (const char* name : {"non_smtpd_milters", "internal_mail_filter_classes", "milter_default_action", "receive_override_options"}) {
        if (s.overrides.count(name) != 0) {
          cleanups.push_back(&s);
          break;
        }
      }
    }
    for (const PostfixService* s : cleanups) {
      const std::string where = s == nullptr ? "" : s->name + "/" + s->type;
      if (s != nullptr && s->command == "pickup") {
        no_milters(s, where);
        continue;
      }
      const std::string milters = effective(s, "non_smtpd_milters");
      const std::vector<MilterEntry> entries = milter_entries(milters);
      const MilterEntry* entry = sanso_entry(entries, s != nullptr && s->chroot);
      if (entry == nullptr) {
        add("postfix.non-smtpd-milter", SettingVerdict::kFailure, where, shown("non_smtpd_milters", milters),
            "このホストで投入されたメールと Postfix 自身のエラー通知（bounce）が milter を通らない。non_smtpd_milters = $smtpd_milters にする",
            "mail submitted on this host and Postfix's own bounces do not pass the milter: set non_smtpd_milters = $smtpd_milters");
      } else {
        add("postfix.non-smtpd-milter", SettingVerdict::kOk, where, shown("non_smtpd_milters", milters),
            "このホストで投入されたメールも Sanso の milter を通る", "mail submitted on this host passes Sanso's milter too");
        default_action(s, *entry, where.empty() ? "non_smtpd" : where);
      }
      const std::string classes = effective(s, "internal_mail_filter_classes");
      if (!has_word(classes, "bounce")) {
        add("postfix.bounces-filtered", SettingVerdict::kFailure, where, shown("internal_mail_filter_classes", classes),
            "Postfix が作るエラー通知（bounce）が milter を通らない：相手のサーバーが返した文面（「https://… から再送を」など）がそのまま職員に届く。"
            "internal_mail_filter_classes = bounce, notify にする",
            "Postfix's bounces skip the milter: a remote server's rejection text (\"re-send via https://…\") reaches clerks as it is; set "
            "internal_mail_filter_classes = bounce, notify");
      } else if (!has_word(classes, "notify")) {
        add("postfix.bounces-filtered", SettingVerdict::kWarning, where, shown("internal_mail_filter_classes", classes),
            "エラー通知は milter を通るが、postmaster への通知（notify）は通らない。internal_mail_filter_classes = bounce, notify にする",
            "bounces pass the milter but postmaster notices (notify) do not: set internal_mail_filter_classes = bounce, notify");
      } else {
        add("postfix.bounces-filtered", SettingVerdict::kOk, where, shown("internal_mail_filter_classes", classes),
            "Postfix が作るエラー通知も milter を通る", "Postfix's own bounces pass the milter");
      }
      no_milters(s, where);
    }
  }

  void timeouts() {
    const std::string value = main("milter_content_timeout");
    auto seconds = seconds_of(value);
    if (!seconds) {
      add("postfix.milter-content-timeout", SettingVerdict::kWarning, "", shown("milter_content_timeout", value),
          "milter_content_timeout が時間として読めない", "milter_content_timeout is not a time value");
    } else if (*seconds < 300) {
      add("postfix.milter-content-timeout", SettingVerdict::kWarning, "", shown("milter_content_timeout", value),
          "300 秒未満：大きな添付ファイルの再構成や送信前の確認（最長 180 秒）の途中で Postfix が待つのをやめ、一時エラーが繰り返される",
          "under 300 s: Postfix stops waiting while a large attachment is rebuilt or outgoing mail is checked (up to 180 s), and the mail is "
          "deferred again and again");
    } else {
      add("postfix.milter-content-timeout", SettingVerdict::kOk, "", shown("milter_content_timeout", value), "再構成と送信前の確認に足りる",
          "enough for rebuilding and the outgoing check");
    }
  }

  void domains() {
    static const char* kLists[] = {"mydestination", "virtual_alias_domains", "virtual_mailbox_domains", "relay_domains"};
    std::set<std::string> unzoned;
    for (const char* list : kLists) {
      const std::string value = main(list);
      for (const auto& word : words_of(value)) {
        if (word.find(':') != std::string::npos || word.starts_with("/")) {
          add("postfix.domains", SettingVerdict::kWarning, "", shown(list, value),
              "表（" + word + "）の中のドメインは照合していない：どれもポリシーのいずれかのゾーンの mail_domains にあることを確かめる",
              "the domains in the table " + word + " are not compared: make sure each is in some zone's mail_domains in the policy");
          continue;
        }
        std::string domain = ascii_lower(word);
        while (!domain.empty() && domain.back() == '.') domain.pop_back();
        if (!domain.empty() && domain.front() == '.') domain.erase(0, 1);
        if (domain.empty()) continue;
        if (policy_.zone_of_mail_domain(domain) == nullptr && unzoned.insert(domain).second) {
          add("postfix.unzoned-domain", SettingVerdict::kWarning, "", shown(list, value),
              "Postfix は " + domain + " 宛てのメールを受け取るが、ポリシーのどのゾーンの mail_domains にもない：インターネットからのメールは LGWAN 宛てとして無害化される。"
              "そのドメインのゾーンの mail_domains に加える",
              "Postfix takes mail for " + domain + ", which is in no zone's mail_domains: internet mail to it is made safe as mail for LGWAN; add it "
              "to its zone's mail_domains");
        }
      }
    }
    const std::string local = main("mydestination");
    if (!words_of(local).empty()) {
      add("postfix.local-delivery", SettingVerdict::kWarning, "", shown("mydestination", local),
          "ゲートウェイ自身に配送するドメインがある（postmaster や root の別名など）：ゲートウェイでは mydestination を空にし、配送は LGWAN のメールサーバーに任せる（docs/postfix.md）",
          "the gateway delivers some domains itself (postmaster and root aliases): set mydestination empty on the gateway and relay to the LGWAN "
          "mail servers (docs/postfix.md)");
    }
    if (unzoned.empty() && words_of(local).empty()) {
      add("postfix.domains", SettingVerdict::kOk, "", "mydestination, virtual_*_domains, relay_domains",
          "Postfix が受け取るドメインはすべてポリシーのゾーンにある", "every domain Postfix takes mail for is in a zone of the policy");
    }
  }

  void loopback_zone() {
    for (const char* address : {"127.0.0.1", "::1"}) {
      const policy::Zone* z = policy_.zone_of_address(address);
      if (z == nullptr || z->id == policy::kZoneInternet) continue;
      add("postfix.loopback-zone", SettingVerdict::kFailure, "", std::string("zone ") + z->id + " cidrs ∋ " + address,
          "ポリシーがループバック（" + std::string(address) + "）をゾーン " + z->id +
              " に入れている：Postfix のエラー通知やこのホストで投入されたメールがそのゾーンから来たものとして扱われ、無害化されない。cidrs から外す",
          "the policy puts loopback (" + std::string(address) + ") in zone " + z->id +
              ": Postfix's bounces and mail submitted on this host count as that zone's and are not made safe; remove it from the cidrs");
      return;
    }
  }

  void verifier_header_checks() {
    if (sanso_.verifier_authserv_id.empty()) return;
    const std::string value = main("header_checks");
    const std::string id = ascii_lower(sanso_.verifier_authserv_id);
    for (const auto& word : words_of(value)) {
      auto it = postfix_.header_checks_tables.find(word);
      if (it == postfix_.header_checks_tables.end()) continue;
      for (std::string_view line : lines_of(it->second)) {
        std::string plain;
        for (char c : line) {
          if (c != '\\') plain += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (plain.find("authentication-results") != std::string::npos && plain.find(id) != std::string::npos) {
          add("postfix.verifier-header-checks", SettingVerdict::kOk, "", shown("header_checks", value),
              "検証者の名前を名乗る到着時の Authentication-Results は取り除かれる", "arriving Authentication-Results fields claiming the verifier are removed");
          return;
        }
      }
    }
    add("postfix.verifier-header-checks", SettingVerdict::kWarning, "", shown("header_checks", value),
        "到着したメールが検証者（" + sanso_.verifier_authserv_id +
            "）を名乗る Authentication-Results を持ち込めるかもしれない：header_checks の規則が見つからない（docs/postfix.md の規則を入れる）",
        "no header_checks rule removing arriving Authentication-Results that claim the verifier (" + sanso_.verifier_authserv_id +
            ") was found: add docs/postfix.md's rule");
  }

  const PostfixSettings& postfix_;
  const policy::Policy& policy_;
  const GatewayDeployment& sanso_;
  std::optional<Socket> milter_;
  std::optional<Socket> release_;
  std::string queue_directory_;
  std::vector<SettingCheck> checks_;
};

}  // namespace

std::string_view to_string(SettingVerdict verdict) { return kVerdicts.name(verdict); }
std::string_view label(SettingVerdict verdict, std::string_view lang) { return kVerdicts.label(verdict, lang); }

Result<PostfixSettings> parse_postconf(std::string_view main_cf, std::string_view master_cf, std::string_view master_overrides) {
  PostfixSettings out;
  for (std::string_view line : lines_of(main_cf)) {
    auto nv = name_and_value(line);
    if (!nv) return make_error("doctor.postconf", std::string(line), "not a 'name = value' line of postconf's main.cf output");
    out.main[nv->first] = nv->second;
  }
  for (std::string_view line : lines_of(master_cf)) {
    // The command's own arguments may contain commas: split the first eight fields on white space.
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (fields.size() < 8 && i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) fields.emplace_back(line.substr(i, j - i));
      i = j;
    }
    if (fields.size() < 8) return make_error("doctor.postconf", std::string(line), "not a master.cf service line of postconf -M (fewer than 8 fields)");
    PostfixService s;
    s.name = fields[0];
    s.type = fields[1];
    // "-" is the default: chroot is off since Postfix 3.0.
    s.chroot = fields[4] == "y";
    const std::string& program = fields[7];
    const auto slash = program.rfind('/');
    s.command = slash == std::string::npos ? program : program.substr(slash + 1);
    out.services.push_back(std::move(s));
  }
  for (std::string_view line : lines_of(master_overrides)) {
    auto nv = name_and_value(line);
    const auto second = nv ? nv->first.rfind('/') : std::string::npos;
    const auto first = second == std::string::npos || second == 0 ? std::string::npos : nv->first.rfind('/', second - 1);
    if (first == std::string::npos) return make_error("doctor.postconf", std::string(line), "not a 'service/type/name = value' line of postconf -P");
    const std::string service = nv->first.substr(0, first);
    const std::string type = nv->first.substr(first + 1, second - first - 1);
    const std::string name = nv->first.substr(second + 1);
    auto it = std::find_if(out.services.begin(), out.services.end(), [&](const PostfixService& s) { return s.name == service && s.type == type; });
    if (it == out.services.end()) return make_error("doctor.postconf", std::string(line), "an override of a service postconf -M did not list");
    it->overrides[name] = nv->second;
  }
  return out;
}

std::vector<std::string> header_checks_table_names(const PostfixSettings& postfix) {
  std::vector<std::string> out;
  const auto it = postfix.main.find("header_checks");
  if (it == postfix.main.end()) return out;
  for (auto& word : words_of(it->second)) {
    if (word.starts_with("regexp:") || word.starts_with("pcre:")) out.push_back(std::move(word));
  }
  return out;
}

std::vector<SettingCheck> check_postfix_settings(const PostfixSettings& postfix, const policy::Policy& policy, const GatewayDeployment& sanso) {
  return Checker(postfix, policy, sanso).run();
}

}  // namespace sanso::mail
