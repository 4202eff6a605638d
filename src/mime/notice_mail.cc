#include "mime/notice_mail.h"

#include <sys/random.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/text.h"
#include "mime/header.h"
#include "mime/transfer.h"

namespace sanso::mime {
namespace {

std::string id_domain(std::string_view node) {
  std::string out;
  for (char c : node) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-') out += c;
  }
  return out.empty() ? "sanso" : out;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t got = 0;
  while (got < bytes) {
    const ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n <= 0) break;  // unique enough with the time in front
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool is_header_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool is_printable_ascii(std::string_view value) {
  if (value.size() > 900) return false;
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return false;
  }
  return true;
}

}  // namespace

std::string mail_date(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<ComposedNotice> compose_notice(const NoticeMail& n) {
  // A bare local part ("postmaster") is completed by the relay with its own domain.
  const bool bare_local = !n.from.empty() && n.from.size() <= 64 && std::all_of(n.from.begin(), n.from.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '+';
  });
  if (!bare_local && !is_plain_mail_address(n.from)) {
    return make_error("notice.address", visible_text(n.from), "the notice's From is not a plain address (local@domain) or a bare local part");
  }
  if (n.to.empty()) return make_error("notice.address", "To", "a notice needs at least one recipient");
  std::string to;
  for (const std::string& a : n.to) {
    if (!is_plain_mail_address(a)) return make_error("notice.address", visible_text(a), "a notice recipient is not a plain address (local@domain)");
    to += (to.empty() ? "<" : ", <") + a + ">";
  }
  if (n.auto_submitted != "auto-generated" && n.auto_submitted != "auto-replied") {
    return make_error("notice.header", "Auto-Submitted", "must be auto-generated or auto-replied");
  }
  ComposedNotice out;
  out.message_id = "<" + std::to_string(n.date) + "." + random_hex(8) + "@" + id_domain(n.node) + ">";
  std::string head = "From: " + mime::encode_header_text(visible_text(n.from_name.empty() ? "Sanso" : n.from_name), "utf-8") + " <" + n.from + ">\r\n" +
                     "To: " + to + "\r\n" +
                     "Subject: " + mime::encode_header_text(visible_text(n.subject), "utf-8") + "\r\n" +
                     "Date: " + mail_date(n.date) + "\r\n" +
                     "Message-ID: " + out.message_id + "\r\n" +
                     "Auto-Submitted: " + n.auto_submitted + "\r\n";
  for (const auto& [name, value] : n.headers) {
    if (!is_header_name(name) || !is_printable_ascii(value)) {
      return make_error("notice.header", visible_text(name), "an extra notice header must be a plain name with a printable ASCII value");
    }
    head += name + ": " + value + "\r\n";
  }
  head +=
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  out.message = head + mime::encode_base64_lines(mime::to_crlf(n.body));
  return out;
}

}  // namespace sanso::mime
