#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <optional>

#include "core/text.h"
#include "mail/internal/message_text.h"
#include "mime/charset.h"
#include "mime/header.h"

namespace sanso::mail::internal {

// A header value's parameter pieces as written, split at the semicolons outside quotes: the
// first is the value itself ("attachment"), the rest "name=value" with their quotes, escapes and
// the white space around them — what structure checks need to see.
std::vector<std::string> split_params(std::string_view raw) {
  std::string unfolded;
  for (char c : raw) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  std::vector<std::string> pieces;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < unfolded.size(); ++i) {
    char c = unfolded[i];
    if (c == '"') quoted = !quoted;
    if (c == '\\' && quoted && i + 1 < unfolded.size()) {
      cur += c;
      cur += unfolded[++i];
      continue;
    }
    if (c == ';' && !quoted) {
      pieces.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  pieces.push_back(cur);
  return pieces;
}

// "attachment; filename*0*=…; filename*1=…" → ("attachment", parameters), quotes honoured.
std::pair<std::string, Params> parse_header_params(std::string_view raw) {
  const std::vector<std::string> pieces = split_params(raw);
  std::pair<std::string, Params> out;
  out.first = ascii_lower(trim(pieces[0]));
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    auto eq = pieces[i].find('=');
    if (eq == std::string::npos) continue;
    std::string value = trim(std::string_view(pieces[i]).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      std::string unescaped;  // escapes count inside quotes only
      for (std::size_t k = 1; k + 1 < value.size(); ++k) {
        if (value[k] == '\\' && k + 2 < value.size()) ++k;
        unescaped += value[k];
      }
      value = std::move(unescaped);
    }
    out.second.emplace_back(trim(std::string_view(pieces[i]).substr(0, eq)), std::move(value));
  }
  return out;
}

std::string raw_header(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  GMimeHeader* h = list != nullptr ? g_mime_header_list_get_header(list, name) : nullptr;
  if (h == nullptr) return {};
  const char* raw = g_mime_header_get_raw_value(h);
  return raw != nullptr ? raw : "";
}

const std::string kSingleHeaders[10] = {"from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references"};

// A header value folded for writing after "Name:": the value unfolded (line breaks and the white
// space around them become one space, so no line of white space alone survives) and folded again
// at white space, lines of at most 78 octets where the words allow and never more than 998
// (RFC 5322 2.1.1, 2.2.3). Nothing when one word alone is too long for that.
std::optional<std::string> fold_header(const std::string& name, std::string_view value) {
  std::vector<std::string> words;
  std::string word;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  std::string out;
  std::size_t line = name.size() + 1;  // "Name:"
  for (const auto& w : words) {
    if (1 + w.size() + (out.empty() ? name.size() + 1 : 0) > 998) return std::nullopt;
    if (line + 1 + w.size() > 78 && !out.empty()) {
      out += "\r\n";
      line = 0;
    }
    out += ' ' + w;
    line += 1 + w.size();
  }
  return out;
}

// An address list written anew by GMime, display names without controls or bidi overrides,
// non-ASCII ones RFC 2047 encoded; "" when the list holds no address.
std::string rewrite_addresses(const std::string& value, GMimeParserOptions* parser_options, std::vector<std::string>& warnings) {
  InternetAddressList* addresses = internet_address_list_parse(parser_options, value.c_str());
  if (addresses == nullptr) return {};
  std::vector<std::string> flags;
  std::function<void(InternetAddressList*)> clean = [&](InternetAddressList* l) {
    for (int i = 0; i < internet_address_list_length(l); ++i) {
      InternetAddress* a = internet_address_list_get_address(l, i);
      if (const char* shown = internet_address_get_name(a); shown != nullptr) {
        const std::string cleaned = trim(strip_controls(shown, false, flags));
        internet_address_set_name(a, cleaned.empty() ? nullptr : cleaned.c_str());
      }
      if (INTERNET_ADDRESS_IS_GROUP(a)) clean(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
    }
  };
  clean(addresses);
  for (const auto& f : flags) warnings.push_back("address: " + f + " removed");
  char* encoded = internet_address_list_length(addresses) > 0 ? internet_address_list_to_string(addresses, nullptr, TRUE) : nullptr;
  std::string out = encoded != nullptr ? encoded : "";
  g_free(encoded);
  g_object_unref(addresses);
  return out;
}

// The first mailboxes of an address list as GMime reads it (the same reading the written header
// gets), group members included; names and addresses without controls.
std::vector<Mailbox> mailboxes_of(const std::string& value) {
  std::vector<Mailbox> out;
  // No parser options: the message's warning sink has already counted this header's anomalies.
  InternetAddressList* addresses = internet_address_list_parse(nullptr, value.c_str());
  if (addresses == nullptr) return out;
  std::vector<std::string> flags;
  std::function<void(InternetAddressList*)> collect = [&](InternetAddressList* l) {
    for (int i = 0; i < internet_address_list_length(l); ++i) {
      InternetAddress* a = internet_address_list_get_address(l, i);
      if (INTERNET_ADDRESS_IS_GROUP(a)) {
        collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
      } else if (INTERNET_ADDRESS_IS_MAILBOX(a) && out.size() < kMaxFromMailboxes) {
        const char* name = internet_address_get_name(a);
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
        out.push_back({trim(strip_controls(name != nullptr ? name : "", false, flags)), trim(strip_controls(addr != nullptr ? addr : "", false, flags))});
      }
    }
  };
  collect(addresses);
  g_object_unref(addresses);
  return out;
}

}  // namespace sanso::mail::internal
