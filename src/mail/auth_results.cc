#include "mail/auth_results.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace sanso::mail {
namespace {

constexpr std::size_t kMaxFieldBytes = 64 * 1024;

struct Token {
  enum class Kind { kWord, kQuoted, kSemicolon, kEquals, kSlash };
  Kind kind = Kind::kWord;
  std::string text;
  std::size_t at = 0;  // byte offset in the field, for the error
};

Error bad(std::size_t at, const std::string& why) {
  return Error{"mail.auth-results", "Authentication-Results at byte " + std::to_string(at), why};
}

// The field's value as tokens: comments (nested, with quoted pairs) and white space only separate
// words; a quoted string is one token whatever it holds.
Result<std::vector<Token>> tokenize(std::string_view v) {
  std::vector<Token> out;
  bool in_word = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) return bad(i, "a control character");
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_word = false;
    } else if (c == '(') {
      in_word = false;
      std::size_t depth = 1;
      const std::size_t start = i;
      while (depth > 0) {
        if (++i >= v.size()) return bad(start, "a comment that is never closed");
        const unsigned char d = static_cast<unsigned char>(v[i]);
        if ((d < 0x20 && d != '\t' && d != '\r' && d != '\n') || d == 0x7F) return bad(i, "a control character");
        if (d == '\\') {
          ++i;  // a quoted pair: the next character is only text
        } else if (d == '(') {
          ++depth;
        } else if (d == ')') {
          --depth;
        }
      }
    } else if (c == ')') {
      return bad(i, "')' outside a comment");
    } else if (c == '"') {
      in_word = false;
      Token t{Token::Kind::kQuoted, "", i};
      for (;;) {
        if (++i >= v.size()) return bad(t.at, "a quoted string that is never closed");
        const unsigned char d = static_cast<unsigned char>(v[i]);
        if ((d < 0x20 && d != '\t') || d == 0x7F) return bad(i, "a control character in a quoted string");
        if (d == '"') break;
        if (d == '\\') {
          if (++i >= v.size()) return bad(t.at, "a quoted string that is never closed");
        }
        t.text += v[i];
      }
      out.push_back(std::move(t));
    } else if (c == ';' || c == '=' || c == '/') {
      in_word = false;
      out.push_back({c == ';' ? Token::Kind::kSemicolon : c == '=' ? Token::Kind::kEquals : Token::Kind::kSlash, std::string(1, static_cast<char>(c)), i});
    } else {
      if (!in_word) out.push_back({Token::Kind::kWord, "", i});
      out.back().text += static_cast<char>(c);
      in_word = true;
    }
  }
  return out;
}

// RFC 5321 Keyword (letters, digits, '-'), with '_' as real verifiers write it.
bool keyword(std::string_view w) {
  if (w.empty() || !std::isalnum(static_cast<unsigned char>(w[0]))) return false;
  return std::all_of(w.begin(), w.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

bool digits(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One resinfo (between two ';'): methodspec [reasonspec] *propspec.
Result<AuthMethodResult> parse_resinfo(const std::vector<Token>& t, std::size_t begin, std::size_t end) {
  using K = Token::Kind;
  auto is = [&](std::size_t i, K kind) { return i < end && t[i].kind == kind; };
  const std::size_t where = begin < t.size() ? t[begin].at : 0;
  AuthMethodResult r;
  std::size_t i = begin;
  if (!is(i, K::kWord) || !keyword(t[i].text)) return bad(where, "a result without a method name");
  r.method = ascii_lower(t[i++].text);
  if (is(i, K::kSlash)) {
    if (!is(i + 1, K::kWord) || !digits(t[i + 1].text)) return bad(t[i].at, "a method version that is not a number");
    r.method_version = t[i + 1].text;
    i += 2;
  }
  if (!is(i, K::kEquals) || !is(i + 1, K::kWord) || !keyword(t[i + 1].text)) return bad(where, "method '" + r.method + "' without '=result'");
  r.result = ascii_lower(t[i + 1].text);
  i += 2;
  while (i < end) {
    if (!is(i, K::kWord) || !is(i + 1, K::kEquals) || !(is(i + 2, K::kWord) || is(i + 2, K::kQuoted))) {
      return bad(t[i].at, "'" + t[i].text.substr(0, 64) + "' in the result of '" + r.method + "' is not name=value");
    }
    const std::string name = ascii_lower(t[i].text);
    const std::string& value = t[i + 2].text;
    if (name == "reason") {
      if (!r.reason.empty()) return bad(t[i].at, "a second reason");
      r.reason = value;
    } else {
      const auto dot = name.find('.');
      if (dot == std::string::npos || !keyword(name.substr(0, dot)) || !keyword(name.substr(dot + 1))) {
        return bad(t[i].at, "property '" + name.substr(0, 64) + "' is not ptype.property");
      }
      r.properties.push_back({name.substr(0, dot), name.substr(dot + 1), value});
    }
    i += 3;
  }
  return r;
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

// The domain of an address ("a@b.example" → "b.example"); an address without '@' has none.
std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? "" : ascii_lower(address.substr(at + 1));
}

}  // namespace

std::vector<std::string> AuthMethodResult::values_of(std::string_view type, std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& p : properties) {
    if (p.type == type && p.name == name) out.push_back(p.value);
  }
  return out;
}

Result<AuthenticationResults> parse_authentication_results(std::string_view value) {
  if (value.size() > kMaxFieldBytes) return bad(kMaxFieldBytes, "longer than 64 KiB");
  const auto tokens = SANSO_TRY(tokenize(value));
  using K = Token::Kind;
  AuthenticationResults out;
  std::size_t i = 0;
  if (tokens.empty() || (tokens[0].kind != K::kWord && tokens[0].kind != K::kQuoted) || tokens[0].text.empty()) {
    return bad(0, "no authserv-id");
  }
  out.authserv_id = ascii_lower(tokens[i++].text);
  if (i < tokens.size() && tokens[i].kind == K::kWord) {
    if (!digits(tokens[i].text)) return bad(tokens[i].at, "'" + tokens[i].text.substr(0, 64) + "' after the authserv-id is no version");
    out.version = tokens[i++].text;
  }
  if (i == tokens.size()) return bad(value.size(), "no result and no 'none'");
  // "; none": nothing was checked.
  if (tokens.size() - i == 2 && tokens[i].kind == K::kSemicolon && tokens[i + 1].kind == K::kWord && ascii_lower(tokens[i + 1].text) == "none") return out;
  while (i < tokens.size()) {
    if (tokens[i].kind != K::kSemicolon) return bad(tokens[i].at, "a result not introduced by ';'");
    std::size_t end = i + 1;
    while (end < tokens.size() && tokens[end].kind != K::kSemicolon) ++end;
    if (end == i + 1) return bad(tokens[i].at, "an empty result between ';'");
    out.results.push_back(SANSO_TRY(parse_resinfo(tokens, i + 1, end)));
    i = end;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> header_fields_of(std::string_view raw, std::size_t max_fields) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at < raw.size() && out.size() <= max_fields) {
    std::size_t eol = raw.find('\n', at);
    if (eol == std::string_view::npos) eol = raw.size();
    std::string_view line = raw.substr(at, eol - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += "\r\n";
      out.back().second += line;
    } else {
      const auto colon = line.find(':');
      // A line that is no field still takes a place: it ends the run of fields above it.
      if (colon == std::string_view::npos) {
        out.emplace_back("", std::string(line));
      } else {
        out.emplace_back(trimmed(line.substr(0, colon)), std::string(line.substr(colon + 1)));
      }
    }
    at = eol + 1;
  }
  if (out.size() > max_fields) out.resize(max_fields);
  return out;
}

// Which Authentication-Results fields the receiving MTA added. The milter sees the header in this
// order: the fields the milters before Sanso in `smtpd_milters` inserted (OpenDMARC and OpenDKIM
// insert their Authentication-Results at the top), then the fields as the sender wrote them, which
// may begin with Authentication-Results of their own. Postfix 3.7 hands the milters no Received:
// of its own (the real-Postfix test MilterPostfixWithTheVerifier shows it); an MTA that does puts it
// first and the verifier's fields directly below. So the verifier's fields are the run of
// Authentication-Results at the very top, or directly below a first Received:. That alone cannot tell our verifier's field from a forged one at the top of the
// sender's header when the verifier added nothing (it was down, or checked nothing), so the MTA
// must also strip arriving fields that carry the verifier's id (docs/postfix.md); a field with
// that id anywhere below the run means it does not, and then nothing is trusted.
VerifiedSender verified_sender(std::string_view raw, std::string_view verifier_id, std::string_view from_address, std::string_view envelope_sender) {
  VerifiedSender out;
  const std::string verifier = ascii_lower(verifier_id);
  if (verifier.empty()) {
    out.why = "no verifier configured ([mail] verifier_authserv_id)";
    return out;
  }
  const auto fields = header_fields_of(raw);
  auto names_verifier = [&](const std::string& value) {
    // Even a field that does not parse counts as the verifier's when it starts with its id.
    const std::string v = ascii_lower(trimmed(value));
    return v.starts_with(verifier) && (v.size() == verifier.size() || !(std::isalnum(static_cast<unsigned char>(v[verifier.size()])) ||
                                                                          v[verifier.size()] == '.' || v[verifier.size()] == '-'));
  };
  std::size_t i = 0;
  if (!fields.empty() && ascii_lower(fields[0].first) == "received") i = 1;
  std::vector<AuthenticationResults> trusted;
  for (; i < fields.size() && ascii_lower(fields[i].first) == "authentication-results"; ++i) {
    auto parsed = parse_authentication_results(fields[i].second);
    if (parsed && parsed->authserv_id == verifier && !names_verifier(fields[i].second)) {
      // The id behind a comment or in quotes: the parser reads it as the verifier's, but the MTA's
      // rule that strips arriving fields matches the id written plainly (docs/postfix.md), so
      // such a field may be the sender's own. No verifier writes its id so: trust nothing.
      out.why = "an Authentication-Results names the verifier in a form the MTA's stripping rule may miss";
      return out;
    }
    if (parsed && parsed->authserv_id == verifier) {
      trusted.push_back(std::move(parsed).value());
    } else if (!parsed && names_verifier(fields[i].second)) {
      out.why = "the verifier's Authentication-Results does not parse: " + parsed.error().message;
      return out;
    }
  }
  for (; i < fields.size(); ++i) {
    if (ascii_lower(fields[i].first) != "authentication-results") continue;
    auto parsed = parse_authentication_results(fields[i].second);
    if ((parsed && parsed->authserv_id == verifier) || (!parsed && names_verifier(fields[i].second))) {
      out.why = "an Authentication-Results of the verifier below the MTA's own fields: the MTA does not strip forged ones";
      return out;
    }
  }
  if (trusted.empty()) {
    out.why = "no Authentication-Results of the verifier at the top of the header";
    return out;
  }
  const std::string from_domain = domain_of(from_address);
  const std::string envelope = ascii_lower(envelope_sender);
  const std::string envelope_domain = domain_of(envelope);
  // A method counts only when every result the verifier gave for it agrees (a duplicate that
  // says otherwise, or names another domain, makes it count for nothing).
  bool dmarc_seen = false, dmarc_all = true, spf_seen = false, spf_all = true, vetoed = false;
  for (const auto& field : trusted) {
    for (const auto& r : field.results) {
      if ((r.method == "dkim" || r.method == "spf" || r.method == "dmarc") && (r.result == "fail" || r.result == "softfail" || r.result == "permerror")) {
        out.failed = true;
      }
      // A result of the verifier that is neither pass nor none (fail, softfail, neutral, an error)
      // vetoes both methods: one forged pass beside a real fail must not count.
      if ((r.method == "dmarc" || r.method == "spf") && r.result != "pass" && r.result != "none") vetoed = true;
      if (r.method == "dmarc") {
        dmarc_seen = true;
        const auto from = r.values_of("header", "from");
        dmarc_all = dmarc_all && r.result == "pass" && from.size() == 1 && !from_domain.empty() && ascii_lower(from[0]) == from_domain;
      } else if (r.method == "spf") {
        spf_seen = true;
        const auto mailfrom = r.values_of("smtp", "mailfrom");
        const std::string m = mailfrom.size() == 1 ? ascii_lower(mailfrom[0]) : "";
        spf_all = spf_all && r.result == "pass" && mailfrom.size() == 1 && !envelope_domain.empty() && (m == envelope || m == envelope_domain);
      }
    }
  }
  out.dmarc_pass = !vetoed && dmarc_seen && dmarc_all;
  // SPF vouches for the envelope; it speaks for From only when both name the same domain.
  out.spf_pass = !vetoed && spf_seen && spf_all && envelope_domain == from_domain;
  if (!out.dmarc_pass && !out.spf_pass) out.why = "the verifier passed neither DMARC for the From domain nor SPF for the envelope sender";
  return out;
}

}  // namespace sanso::mail
