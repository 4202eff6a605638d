#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstdio>

#include <kainjow/mustache.hpp>

#include "core/digest.h"
#include "core/text.h"
#include "mail/internal/message_text.h"
#include "mime/charset.h"
#include "mime/header.h"
#include "mime/html_text.h"
#include "mime/transfer.h"

namespace sanso::mail {

using namespace internal;

namespace {

// What the sender chose (file names, a held message's reason that quotes them) as the notice
// shows it: no more clickable than the body.
// The sender's words as the banner shows them (a file name, a media type, a finding's item): they
// must not pass for the banner's own lines (review31 H4) — no frame characters (box drawing), no
// run of spaces (U+3000 and the like) that wraps a name onto a line of its own, nothing that draws
// blank (Hangul fillers, the Braille blank) or nothing at all (zero-width, bidi controls, tags).
std::string banner_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool spaced = false;
  for (std::size_t i = 0; i < s.size();) {
    const Utf8CodePoint at = utf8_code_point_at(s, i);
    const std::size_t n = at.length == 0 ? 1 : at.length;  // a byte that is not UTF-8 is kept as it is
    const char32_t c = at.length == 0 ? 0 : at.value;
    const bool space = c == ' ' || c == '\t' || c == 0xA0 || c == 0x3000 || (c >= 0x2000 && c <= 0x200A) || c == 0x205F || c == 0x202F;
    const bool invisible = (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || c == 0xAD ||
                           c == 0x3164 || c == 0x115F || c == 0x1160 || c == 0xFFA0 || c == 0x2800 || (c >= 0xE0000 && c <= 0xE007F);
    if (space) {
      if (!spaced) out += ' ';
      spaced = true;
    } else if (!invisible) {
      spaced = false;
      if (c >= 0x2500 && c <= 0x257F) out += '_';  // ┃ ┏ ━ …: the banner's frame
      else out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string shown(const std::string& text, const SanitizeOptions& options) { return banner_safe(options.defang_links ? mime::defang_links(text) : text); }

kainjow::mustache::mustache text_template(const std::string& text) {
  kainjow::mustache::mustache t(text);
  t.set_custom_escape([](const std::string& s) { return s; });  // a text notice: nothing to escape
  return t;
}

bool any_part_flagged(const SanitizePlan& plan, const char* flag) {
  return std::any_of(plan.parts.begin(), plan.parts.end(), [&](const PartReport& p) { return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end(); });
}

// What the engine found in a rebuilt attachment, each kind once, in words with its severity:
// "VBA マクロ（重大）", "image metadata (EXIF, XMP, IPTC) (info)".
std::vector<std::string> finding_words(const SanitizedAttachment& attachment, const std::string& lang) {
  std::vector<std::string> words;
  for (const auto& f : attachment.findings) {
    const std::string_view severity = label(cdr::severity_of(f.kind), lang);
    std::string w = std::string(cdr::label(f.kind, lang)) + (lang != "en" ? "（" + std::string(severity) + "）" : " (" + std::string(severity) + ")");
    if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
  }
  return words;
}

std::string templated_notice(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id,
                             const std::string& contact) {
  using kainjow::mustache::data;
  data d;
  d.set("verdict", std::string(to_string(plan.verdict)));
  d.set("held", plan.verdict == Verdict::kHeld ? data::type::bool_true : data::type::bool_false);
  d.set("sanitized", plan.verdict == Verdict::kSanitized ? data::type::bool_true : data::type::bool_false);
  d.set("reason", shown(plan.reason, options));
  d.set("quarantine_id", quarantine_id.empty() ? std::string("-") : std::string(quarantine_id));
  d.set("contact", contact);
  bool html = false;
  std::size_t attached = 0;
  data removed{data::type::list};
  std::size_t removed_count = 0;
  for (const auto& p : plan.parts) {
    html = html || (p.action == PartAction::kConverted && p.type == "text/html");
    attached += p.action == PartAction::kConverted && p.type == "message/rfc822" ? 1 : 0;
    if (p.action != PartAction::kRemoved) continue;
    data item;
    item.set("name", p.name.empty() ? "(" + p.type + ")" : shown(p.name, options));
    item.set("type", p.type);
    item.set("size", human_size(p.size));
    std::string flags;
    for (const auto& f : p.flags) flags += (flags.empty() ? "" : " ") + f;
    item.set("flags", flags);
    removed.push_back(item);
    ++removed_count;
  }
  d.set("html_converted", html ? data::type::bool_true : data::type::bool_false);
  d.set("hidden_text", any_part_flagged(plan, "hidden-text") ? data::type::bool_true : data::type::bool_false);
  d.set("text_cut", any_part_flagged(plan, "text-size-limit") ? data::type::bool_true : data::type::bool_false);
  d.set("attached_messages", std::to_string(attached));
  d.set("removed_count", std::to_string(removed_count));
  d.set("removed", removed);
  data sanitized_list{data::type::list};
  for (const auto& a : plan.attachments) {
    data item;
    item.set("name", shown(a.name, options));
    item.set("size", human_size(a.bytes.size()));
    std::string what;
    for (const auto& w : finding_words(a, options.lang)) what += (what.empty() ? "" : ", ") + w;
    item.set("findings", what);
    sanitized_list.push_back(item);
  }
  d.set("parser_critical", has_critical(plan) ? data::type::bool_true : data::type::bool_false);
  d.set("parser_findings", shown(critical_findings_text(plan, options.lang), options));
  d.set("sanitized_count", std::to_string(plan.attachments.size()));
  d.set("sanitized_attachments", sanitized_list);
  // PPAP: what became of the password-protected attachments (a link sent to the sender, or ask
  // them for an upload). The recipient must never be left without it: a template that does not
  // print it — an older one, or one that hides it in a false section — gets it appended.
  d.set("ppap", options.ppap_notice.empty() ? data::type::bool_false : data::type::bool_true);
  d.set("ppap_notice", options.ppap_notice);
  std::string out = text_template(options.notice_template).render(d);
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!options.ppap_notice.empty() && out.find(options.ppap_notice) == std::string::npos) out += options.ppap_notice;
  return out;
}

// The text part, headers and body. ISO-2022-JP goes out as 7bit text, as the clients that need
// it expect, unless a line would break RFC 5322's 998-octet limit: then as base64.
std::string text_entity(const std::string& text, const SanitizeOptions& options) {
  const std::string crlf = mime::to_crlf(text);  // CRLF line ends throughout the body
  if (mime::canonical_charset(options.output_charset) == "iso-2022-jp") {
    std::string jis = mime::encode_iso2022jp(crlf);
    if (mime::fits_7bit(jis)) return "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + jis;
    return "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(jis);
  }
  return "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(crlf);
}

// A rebuilt attachment, headers and base64 body. Its name goes out twice, for modern clients and
// for the ones Japanese offices still use: RFC 2231 (`filename*0*=UTF-8''…`, continued in pieces:
// mime::extended_parameter_pieces) and RFC 2047 in name= (folded between encoded words), so that no
// header line comes near the 998-octet limit however long the name.
std::string attachment_entity(const SanitizedAttachment& a, const SanitizeOptions& options) {
  const std::string disposition = "Content-Disposition: attachment" + mime::extended_parameter_pieces("filename", a.name);
  std::string quoted;
  const std::string encoded_name = mime::encode_header_text(a.name, options.output_charset);
  for (std::size_t i = 0; i < encoded_name.size(); ++i) {
    const char c = encoded_name[i];
    if (c == '\r' && encoded_name.compare(i, 3, "\r\n ") == 0) {
      quoted += "\r\n ";  // the encoder's folding, legal inside a quoted string
      i += 2;
      continue;
    }
    if (c == '\r' || c == '\n') continue;
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "Content-Type: " + a.content_type + ";\r\n name=\"" + quoted + "\"\r\n" + disposition +
         "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(a.bytes);
}

// Text the sender chose, fit for one line of the banner: no line or paragraph separator (a
// client may break the line there and start a line of its own), no run of white space (that
// pushes what follows to the start of a wrapped line, where it could pass for the frame), at
// most `limit` characters.
std::string one_line(const std::string& text, std::size_t limit = 120, bool collapse_space = true) {
  std::string out;
  std::size_t n = 0, i = 0;
  for (; i < text.size() && n < limit; ++n) {
    const std::size_t len = std::max<std::size_t>(1, utf8_sequence_length(text, i));
    const gunichar c = len > 1 ? g_utf8_get_char(text.data() + i) : static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n' || c == '\v' || c == '\f' || is_line_separator(c)) {
      out += ' ';
    } else if (collapse_space && (g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out.append(text, i, len);
    }
    i += len;
  }
  if (i < text.size()) out += "…";
  return out;
}

// The zone a message came from, in words.
std::string zone_in_words(const std::string& zone, bool ja) {
  if (zone == "internet") return ja ? "インターネット" : "the internet";
  return ja ? "ゾーン「" + zone + "」" : "zone " + zone;
}

// What a sender finding means, in the reader's language.
std::string sender_warning(const SenderFinding& f, const SanitizeOptions& options) {
  const bool ja = options.lang != "en";
  const std::string name = shown(one_line(f.display_name), options), address = shown(one_line(f.address), options), matched = shown(one_line(f.matched), options);
  switch (f.kind) {
    case SenderFindingKind::kAddressInName:
      return ja ? "【注意】差出人の表示名「" + name + "」には別のアドレス " + matched + " が書かれていますが、実際の差出人は " + address + " です。"
                : "WARNING: the sender's display name \"" + name + "\" shows another address, " + matched + "; the real sender is " + address + ".";
    case SenderFindingKind::kCityName:
      return ja ? "【注意】差出人の表示名「" + name + "」は市の名称「" + matched + "」に似ていますが、実際の差出人は市外のアドレス " + address + " です。"
                : "WARNING: the sender's display name \"" + name + "\" looks like the city's \"" + matched + "\", but the real sender is " + address + ", outside the city.";
    case SenderFindingKind::kCorrespondentName:
      return ja ? "【注意】差出人の表示名「" + name + "」は既知の相手 " + matched + " と同じ名前ですが、実際の差出人は別のアドレス " + address + " です。"
                : "WARNING: the sender's display name \"" + name + "\" is that of a known correspondent, " + matched + ", but the real sender is another address, " + address + ".";
    case SenderFindingKind::kLookalikeDomain:
      return ja ? "【注意】差出人アドレス " + address + " のドメインは「" + matched + "」に似ていますが、別のドメインです。なりすましの可能性があります。"
                : "WARNING: the sender address " + address + " has a domain that looks like \"" + matched + "\" but is another one; it may be an impersonation.";
    case SenderFindingKind::kCityAddressFromInternet:
      return ja ? "【注意】差出人アドレス " + address + " は市のドメインですが、このメールはインターネットから届きました。市からのメールではない可能性があります。"
                : "WARNING: the sender address " + address + " is the city's, but this message came from the internet; it may not be from the city.";
  }
  // Not reached for a kind above; a value from outside the enum still gets a warning.
  return (ja ? "【注意】差出人の表示に問題があります: " : "WARNING: the sender's display may mislead: ") + std::string(to_string(f.kind));
}

// The banner at the top of the text, whatever the verdict: nothing of the message comes before it.
// Every line of it begins with the frame "┃" and it closes with the quarantine id, which the
// sender cannot know; body lines that could be taken for it were quoted by the parse. It shows
// the real sender — the From addresses, not the display names, and the envelope sender where it
// differs — and warns when a display name borrows another identity.
std::string banner(const SanitizePlan& plan, const SanitizeOptions& options, const std::string& notice, const std::string& id) {
  const bool ja = options.lang != "en";
  std::vector<std::string> lines;
  if (!options.arrival.source_zone.empty()) {
    lines.push_back(ja ? "このメールは" + zone_in_words(options.arrival.source_zone, true) + "から受信しました。"
                       : "This message came from " + zone_in_words(options.arrival.source_zone, false) + ".");
  }
  std::string from;
  for (const auto& m : plan.from_mailboxes) from += (from.empty() ? "" : ", ") + shown(one_line(m.address), options);
  if (from.empty()) from = plan.verdict == Verdict::kHeld ? (ja ? "(不明)" : "(unknown)") : (ja ? "(From ヘッダーにアドレスがありません)" : "(no address in the From header)");
  lines.push_back((ja ? "差出人アドレス (From): " : "Sender address (From): ") + from);
  const std::string envelope = options.arrival.envelope_sender;
  const bool same = std::any_of(plan.from_mailboxes.begin(), plan.from_mailboxes.end(),
                                [&](const Mailbox& m) { return ascii_lower(m.address) == ascii_lower(envelope); });
  if (!envelope.empty() && !same) lines.push_back((ja ? "送信元アドレス (エンベロープ): " : "Envelope sender: ") + shown(one_line(envelope), options));
  for (const auto& f : plan.sender_findings) lines.push_back(sender_warning(f, options));
  if (plan.banner_lookalike_lines > 0) {
    lines.push_back(ja ? "本文中の " + std::to_string(plan.banner_lookalike_lines) + " 行はこの表示に似ているため、行頭に「> 」を付けました（送信者が書いた文です）。"
                       : std::to_string(plan.banner_lookalike_lines) + " line(s) of the body resemble this notice and are marked \"> \" (the sender wrote them).");
  }
  std::size_t from_line = 0;
  for (std::size_t at = 0; at < notice.size(); at = from_line + 1) {
    from_line = notice.find('\n', at);
    if (from_line == std::string::npos) from_line = notice.size();
    lines.push_back(notice.substr(at, from_line - at));
  }
  std::string out = ja ? "┏━━【Sanso 無害化のお知らせ】━━━━━━━━━━━━━━━━\n" : "┏━━ [Sanso notice] ━━━━━━━━━━━━━━━━━━━━\n";
  // The whole line: only line breaks go, the notice's own indentation stays.
  for (const auto& l : lines) out += "┃ " + one_line(l, 2000, false) + "\n";
  out += ja ? "┗━━ Sanso の表示はここまで（隔離ID " + id + "）━━━━\n" : "┗━━ end of the Sanso notice (quarantine id " + id + ") ━━━━\n";
  return out;
}

// Sanso's Authentication-Results (RFC 8601): it checked no SPF, DKIM or DMARC, so it claims none
// ("none", 2.2); what it knows from the network goes in a comment. Everything the client chose
// (the envelope sender) is printable ASCII there, parentheses and backslashes quoted.
std::string authentication_results(const SanitizeOptions& options) {
  auto token = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') out += c;
    }
    return out;
  };
  std::string id = token(options.authserv_id.empty() ? std::string(g_get_host_name()) : options.authserv_id).substr(0, 253);  // a DNS name's length
  if (id.empty()) id = "sanso";
  auto comment_text = [](std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 254)) {
      const auto b = static_cast<unsigned char>(c);
      if (b <= 0x20 || b >= 0x7F) {
        out += '?';
        continue;
      }
      if (c == '(' || c == ')' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  const auto& a = options.arrival;
  std::string facts = "Sanso checked no SPF, DKIM or DMARC";
  if (!a.source_zone.empty()) facts += "; source zone " + comment_text(a.source_zone);
  if (!a.client_address.empty()) facts += "; client address " + comment_text(a.client_address);
  if (!a.source_zone.empty()) facts += "; envelope sender " + (a.envelope_sender.empty() ? std::string("<> (none)") : "<" + comment_text(a.envelope_sender) + ">");
  return " " + id + "; none (" + facts + ")";
}

}  // namespace

Result<void> check_notice_template(const std::string& text) {
  auto t = text_template(text);
  if (!t.is_valid()) return make_error("config.template", "notice_template", t.error_message());
  return ok();
}

std::string render_message(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id) {
  const bool ja = options.lang != "en";
  std::vector<const PartReport*> removed;
  bool converted = false;
  std::size_t attached = 0;
  for (const auto& p : plan.parts) {
    if (p.action == PartAction::kRemoved) removed.push_back(&p);
    converted = converted || (p.action == PartAction::kConverted && p.type == "text/html");
    attached += p.action == PartAction::kConverted && p.type == "message/rfc822" ? 1 : 0;
  }
  std::string id = quarantine_id.empty() ? (ja ? "(保存されていません)" : "(not stored)") : std::string(quarantine_id);
  const std::string contact = !options.contact.empty() ? options.contact : (ja ? "情報政策係" : "the IT security section");
  const std::string original_line = ja ? "原本は隔離されています。必要な場合は隔離ID " + id + " を添えて" + contact + "に申請してください。\n"
                                       : "The original is quarantined; to request it, ask " + contact + " quoting quarantine id " + id + ".\n";
  std::string notice;  // what happened to the message: the built-in wording or the city's template
  if (plan.verdict == Verdict::kHeld) {
    notice = ja ? "このメールは安全にテキスト化できなかったため、本文を表示せず保留しました。\n理由: " + shown(plan.reason, options) + "\n" + original_line
                : "This message could not be converted safely and is withheld.\nReason: " + shown(plan.reason, options) + "\n" + original_line;
  } else if (plan.verdict != Verdict::kSanitized) {
    notice = (ja ? "本文はテキストのみで、変換・削除したものはありません。\n" : "The message was plain text; nothing was converted or removed.\n") + original_line;
  } else {
    notice = ja ? "安全のため、テキスト形式に変換しました。\n" : "It was converted to plain text for safety.\n";
    if (converted) notice += ja ? "・HTML形式の本文をテキストに変換しました（リンクはクリックできない形で表示）\n" : "- The HTML body was converted to text (links shown, not clickable).\n";
    if (any_part_flagged(plan, "hidden-text")) {
      notice += ja ? "・HTMLの中で読み手に見えないよう隠された文字を削除しました（フィッシングで使われる手口です）\n"
                   : "- Text hidden from the reader in the HTML was removed (a technique used in phishing).\n";
    }
    if (any_part_flagged(plan, "text-size-limit")) {
      notice += ja ? "・変換した本文が大きすぎるため途中で打ち切りました（原本は隔離されています）\n"
                   : "- The converted text was too large and is cut off (the original is quarantined).\n";
    }
    if (has_critical(plan)) {
      const bool removed_all = std::any_of(plan.parts.begin(), plan.parts.end(), [](const PartReport& p) {
        return std::find(p.flags.begin(), p.flags.end(), "parser-critical") != p.flags.end();
      });
      notice += ja ? "・このメールの構造には、他のソフトウェアが異なって解釈しうる異常があります: " + shown(critical_findings_text(plan, options.lang), options) + "\n" +
                         (removed_all ? "  安全のため、添付ファイルは無害化せずすべて削除しました\n" : "")
                   : "- The message's structure has anomalies that other software may read differently: " + shown(critical_findings_text(plan, options.lang), options) + "\n" +
                         (removed_all ? "  For safety, every attachment was removed rather than rebuilt.\n" : "");
    }
    if (attached > 0) {
      notice += ja ? "・添付されたメール " + std::to_string(attached) + " 通を同じように無害化し、本文の後に載せました\n"
                   : "- " + std::to_string(attached) + " attached message(s) were sanitized the same way and follow the body.\n";
    }
    if (!plan.attachments.empty()) {
      notice += ja ? "・次の " + std::to_string(plan.attachments.size()) + " 件の添付ファイルを無害化して添付しました:\n"
                   : "- " + std::to_string(plan.attachments.size()) + " attachment(s) were rebuilt without active content and are attached:\n";
      for (const auto& a : plan.attachments) {
        notice += "    " + shown(a.name, options) + "  [" + human_size(a.bytes.size()) + "]";
        const std::vector<std::string> kinds = finding_words(a, options.lang);
        if (!kinds.empty()) {
          notice += ja ? " 除去・変換: " : " removed/converted: ";
          for (std::size_t i = 0; i < kinds.size(); ++i) notice += (i ? ja ? "、" : ", " : "") + kinds[i];
        }
        notice += "\n";
      }
    }
    if (!removed.empty()) {
      notice += ja ? "・次の " + std::to_string(removed.size()) + " 件を削除しました:\n" : "- Removed " + std::to_string(removed.size()) + " part(s):\n";
      for (const PartReport* p : removed) {
        // The media type is the sender's token too ("www.evil.example/login"): shown as a name is.
        std::string name = p->name.empty() ? (p->type == "text/html" ? (ja ? "(HTML形式の本文)" : "(HTML body)") : "(" + shown(p->type, options) + ")") : shown(p->name, options);
        notice += "    " + name + "  [" + shown(p->type, options) + ", " + human_size(p->size) + "]";
        for (const auto& f : p->flags) {
          // "blocked:encrypted" → why the engine refused it, in words.
          notice += f.rfind("blocked:", 0) == 0 ? (ja ? " 理由: " : " reason: ") + std::string(cdr::label(cdr::finding_kind_of(std::string_view(f).substr(8)), options.lang)) : " !" + f;
        }
        notice += "\n";
      }
    }
    notice += options.ppap_notice;
    notice += original_line;
  }
  if (!options.notice_template.empty() && plan.verdict != Verdict::kClean) notice = templated_notice(plan, options, quarantine_id, contact);
  // A held message is withheld, as its notice says: nothing of it after the banner — neither its
  // text nor its rebuilt attachments (review31 H2: a policy's deny or approval, a rejected
  // attachment or a critical parser finding held the mail, and its body was delivered under the
  // banner that said it was not).
  const bool withheld = plan.verdict == Verdict::kHeld;
  std::string body = banner(plan, options, notice, id) + "\n" + (withheld ? std::string() : plan.body);

  // Sanso's own Authentication-Results, above every other header as RFC 8601 5 asks; the sender's
  // were removed by the parse.
  std::string out = "Authentication-Results:" + *fold_header("Authentication-Results", authentication_results(options)) + "\r\n";
  for (const auto& h : plan.headers) out += h.name + ":" + (h.value.empty() || h.value[0] == ' ' ? "" : " ") + h.value + "\r\n";
  std::string report = "parts=" + std::to_string(plan.parts.size()) + "; removed=" + std::to_string(removed.size()) +
                       (plan.attachments.empty() ? "" : "; sanitized-attachments=" + std::to_string(plan.attachments.size())) +
                       (converted ? "; html-to-text" : "") + (attached > 0 ? "; attached-messages=" + std::to_string(attached) : "") + (plan.replaced_characters ? "; replaced=" + std::to_string(plan.replaced_characters) : "") +
                       (plan.parser_findings.empty() ? "" : "; parser-findings=" + std::to_string(plan.parser_findings.size())) +
                       (has_critical(plan) ? "; parser-critical" : "");
  out += "X-Sanso-Sanitized: " + std::string(to_string(plan.verdict)) + "; id=" + (quarantine_id.empty() ? std::string("none") : std::string(quarantine_id)) + "\r\n";
  out += "X-Sanso-Report: " + report + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  // Every entity is written in full first, so that the boundary can be checked against all of it.
  std::vector<std::string> entities;
  entities.push_back(text_entity(body, options));
  if (!withheld) {
    for (const auto& a : plan.attachments) entities.push_back(attachment_entity(a, options));
  }
  if (entities.size() == 1) return out + entities[0];
  const std::string boundary = mime::unique_boundary(entities);
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  for (const auto& e : entities) out += "--" + boundary + "\r\n" + e + "\r\n";
  out += "--" + boundary + "--\r\n";
  return out;
}

namespace {

void collect_entities(GMimeObject* obj, std::vector<OutputEntity>& out) {
  if (obj == nullptr) return;
  OutputEntity e;
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  e.type = ct != nullptr ? ascii_lower(std::string(g_mime_content_type_get_media_type(ct)) + "/" + g_mime_content_type_get_media_subtype(ct)) : "";
  if (GMIME_IS_PART(obj)) {
    const char* name = g_mime_part_get_filename(GMIME_PART(obj));
    e.name = name != nullptr ? name : "";
    if (!e.name.empty() && g_mime_part_get_content(GMIME_PART(obj)) != nullptr) {
      GMimeStream* s = g_mime_stream_mem_new();
      g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(obj)), s);
      GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
      e.sha256 = sha256_hex(std::string_view(reinterpret_cast<const char*>(a->data), a->len));
      g_object_unref(s);
    }
  }
  out.push_back(std::move(e));
  if (GMIME_IS_MULTIPART(obj)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); ++i) collect_entities(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), out);
  } else if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner != nullptr) collect_entities(g_mime_message_get_mime_part(inner), out);
  }
}

}  // namespace

std::vector<OutputEntity> output_entities(std::string_view message) {
  g_mime_init();
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(message.data(), message.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);
  std::vector<OutputEntity> out;
  if (m == nullptr) return out;
  collect_entities(g_mime_message_get_mime_part(m), out);
  g_object_unref(m);
  return out;
}

std::vector<OutputEntity> expected_entities(const SanitizePlan& plan) {
  std::vector<OutputEntity> out;
  if (plan.verdict == Verdict::kHeld) return {{"text/plain", "", ""}};  // the banner alone (render_message)
  if (!plan.attachments.empty()) out.push_back({"multipart/mixed", "", ""});
  out.push_back({"text/plain", "", ""});
  for (const auto& a : plan.attachments) {
    out.push_back({ascii_lower(trim(std::string_view(a.content_type).substr(0, a.content_type.find(';')))), a.name, sha256_hex(a.bytes)});
  }
  return out;
}

}  // namespace sanso::mail
