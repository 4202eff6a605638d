// DER walking for content checks: see der_text.h.
#include "mime/der_text.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "mime/charset.h"

namespace sanso::mime {
namespace {

// Nesting deeper than any certificate or signer's attribute goes is not read: a structure built
// to exhaust the walk cannot be checked.
constexpr int kMostDerDepth = 32;

// YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSS[.fff]Z (GeneralizedTime), as DER writes them.
bool is_der_time(std::string_view v, bool generalized) {
  const std::size_t digits = generalized ? 14 : 12;
  if (v.size() < digits + 1 || v.back() != 'Z') return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  std::string_view rest = v.substr(digits, v.size() - digits - 1);
  if (rest.empty()) return true;
  if (!generalized || rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return false;
  return std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An INTEGER's value as viewers show it: in decimal — a certificate serial (or any integer a sender
// fills) whose value is a 個人番号 shows it only in this form, its bytes being binary — and, when
// every hexadecimal digit of it is a decimal one, in hexadecimal ("12 34 56 78 90 18" is shown as
// 123456789018; random serials almost never are all such digits). Two's complement, as DER writes
// it; padding a sender added in front (the walk does not insist on the shortest form) is dropped
// before the size is judged.
std::string integer_as_shown(std::string_view content) {
  while (content.size() > 1 && (content[0] == '\0' || content[0] == '\xFF') && (content[0] & 0x80) == (content[1] & 0x80)) content.remove_prefix(1);
  if (content.empty() || content.size() > 64) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  for (char c : content) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >> 4) > 9 || (b & 0xF) > 9) {
      hex.clear();
      break;
    }
    hex += kHex[b >> 4];
    hex += kHex[b & 0xF];
  }
  std::string magnitude(content);
  const bool negative = (static_cast<unsigned char>(magnitude.front()) & 0x80) != 0;
  if (negative) {
    for (char& c : magnitude) c = static_cast<char>(~static_cast<unsigned char>(c));
    for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
      if (++*reinterpret_cast<unsigned char*>(&*it) != 0) break;
    }
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> n(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()), static_cast<int>(magnitude.size()), nullptr), &BN_free);
  if (n == nullptr) return {};
  char* text = BN_bn2dec(n.get());
  if (text == nullptr) return {};
  std::string decimal = (negative ? "-" : "") + std::string(text);
  OPENSSL_free(text);
  return hex.empty() ? decimal : decimal + "\n" + hex;
}

bool strings_of(const unsigned char* der, long size, int depth, std::string& out) {
  if (depth > kMostDerDepth) return false;
  const unsigned char* at = der;
  const unsigned char* const end = der + size;
  while (at < end) {
    long length = 0;
    int tag = 0, tag_class = 0;
    const int got = ASN1_get_object(&at, &length, &tag, &tag_class, end - at);
    if ((got & 0x80) != 0 || got == 0x21 || length < 0 || length > end - at) return false;  // broken, or indefinite (not DER)
    const std::string_view content(reinterpret_cast<const char*>(at), static_cast<std::size_t>(length));
    if ((got & V_ASN1_CONSTRUCTED) != 0) {
      if (!strings_of(at, length, depth + 1, out)) return false;
    } else if (tag_class == V_ASN1_CONTEXT_SPECIFIC) {
      out.append(content).push_back('\n');
    } else if (tag_class == V_ASN1_UNIVERSAL) {
      switch (tag) {
        case V_ASN1_UTF8STRING:
        case V_ASN1_PRINTABLESTRING:
        case V_ASN1_IA5STRING:
        case V_ASN1_T61STRING:
        case V_ASN1_VISIBLESTRING:
        case V_ASN1_NUMERICSTRING:
        case V_ASN1_GENERALSTRING:
        case V_ASN1_GRAPHICSTRING:
        case V_ASN1_VIDEOTEXSTRING:
          out.append(content).push_back('\n');
          break;
        case V_ASN1_BMPSTRING:
          out.append(decode_text(content, "utf-16be").utf8).push_back('\n');
          break;
        case V_ASN1_UNIVERSALSTRING:
          out.append(decode_text(content, "utf-32be").utf8).push_back('\n');
          break;
        case V_ASN1_OCTET_STRING: {
          std::string inner;
          if (length > 0 && strings_of(at, length, depth + 1, inner)) out.append(inner);
          else out.append(content).push_back('\n');
          break;
        }
        case V_ASN1_UTCTIME:
        case V_ASN1_GENERALIZEDTIME:
          // A time as the syntax has it (YYMMDDHHMMSSZ, YYYYMMDDHHMMSS[.f]Z) is a time; anything
          // else in a time's place is read as text.
          if (!is_der_time(content, tag == V_ASN1_GENERALIZEDTIME)) out.append(content).push_back('\n');
          break;
        default:
          // Integers (serial numbers), bit strings (keys, signature values), object identifiers,
          // booleans: nothing checks that a sender filled them honestly (the signature is not
          // verified here), so their bytes are read as text too — random bytes almost never spell a
          // 12-digit number, and digits put there on purpose are found.
          out.append(content).push_back('\n');
          if (tag == V_ASN1_INTEGER || tag == V_ASN1_ENUMERATED) out.append(integer_as_shown(content)).push_back('\n');
          break;
      }
    } else {
      out.append(content).push_back('\n');  // an application or private tag: whatever it holds
    }
    at += length;
  }
  return true;
}

}  // namespace

bool der_strings(std::string_view der, std::string& out) {
  return strings_of(reinterpret_cast<const unsigned char*>(der.data()), static_cast<long>(der.size()), 0, out);
}

}  // namespace sanso::mime
