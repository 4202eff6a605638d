#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>
#include <unordered_set>

#include "core/text.h"
#include "mail/internal/message_text.h"
#include "mail/internal/tnef.h"
#include "mime/charset.h"
#include "mime/embedded.h"
#include "mime/header.h"
#include "mime/html_text.h"
#include "mime/transfer.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

namespace internal {

// The action for an attachment: a rule for its extension, then for its CDR content type (when
// known), then the default.
AttachmentAction attachment_action_for(const std::string& name, const std::string& type, const SanitizeOptions& options) {
  if (auto it = options.attachment_rules.find(file_extension(name)); it != options.attachment_rules.end()) return it->second;
  if (!type.empty()) {
    if (auto it = options.attachment_rules.find(type); it != options.attachment_rules.end()) return it->second;
  }
  return options.attachment_action;
}

}  // namespace internal

using namespace internal;

namespace {

// What a TNEF blob (winmail.dat from Outlook) carries: its files (the long name when there is
// one, decoded) and sizes, with their bytes when `keep_bytes`; and, with them, the message's own
// text as files of their own (its subject, every PR_BODY, compressed RTF and HTML body, and every
// other string, name, recipient and attribute) for the outgoing check. `readable` is false when
// the blob is not TNEF our reader (mail/internal/tnef.h) can account for to the last byte; `why`
// then says what it found. A file or text that cannot be read says why in `unread`.
struct TnefContent {
  struct File {
    std::string name;
    std::size_t size = 0;
    std::string bytes;
    std::string unread;  // not empty: nothing of it could be read, and why ("tnef: …", "limit: …")
  };
  bool readable = false;
  std::string why;
  std::vector<File> files;
  std::vector<File> texts;  // "件名.txt", "本文.txt", "本文.rtf", "本文.html", "プロパティ.txt", icons ("a.xls/アイコン.wmf"); only when keep_bytes
};

// MAPI property ids ([MS-OXPROPS]) read on their own, not as "every other string".
constexpr std::uint16_t kPrBody = 0x1000;
constexpr std::uint16_t kPrRtfCompressed = 0x1009;
constexpr std::uint16_t kPrHtml = 0x1013;
constexpr std::uint16_t kPrAttachData = 0x3701;  // PT_BINARY: the file's bytes; PT_OBJECT: an embedded message or OLE object
constexpr std::uint16_t kPrAttachLongFilename = 0x3707;
constexpr std::uint16_t kPrAttachRendering = 0x3709;  // the attachment's icon: a WMF picture

// A PT_OBJECT value starts with the interface it is; IID_IMessage
// ({00020307-0000-0000-C000-000000000046}) says the rest is an embedded message, itself TNEF.
constexpr std::string_view kIidIMessage("\x07\x03\x02\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46", 16);
// Messages embedded in embedded messages are read this deep; deeper cannot be checked.
constexpr int kMostTnefDepth = 4;

// What one blob's reading makes (with its embedded messages'), and a mail's: files, texts and
// unread entries, each an entry that crosses the sandbox in the outgoing check's answer, and the
// bytes of its texts (bodies, a decompressed RTF one, text made from properties — larger than
// their bytes: a number's decimal, a binary value's readings). A blob of a million tiny properties
// would otherwise make an answer of a million entries, one of many RTF bodies gigabytes of text;
// over either limit the blob is unreadable, named with the limit. One RTF body may take 64 MiB.
constexpr std::size_t kMostTnefEntries = 2000;
constexpr std::size_t kMostTnefTextBytes = std::size_t{96} << 20;
constexpr std::size_t kMostTnefEntriesInMail = 10000;
constexpr std::size_t kMostTnefTextBytesInMail = std::size_t{192} << 20;

struct TnefBudget {
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

// "" when `made` is within the limits, else the reason naming the one it passed.
std::string tnef_over(const TnefBudget& made, std::size_t most_entries, std::size_t most_bytes, const std::string& where) {
  if (made.entries > most_entries) return "limit: more files, texts and unread values in " + where + " than are read (" + std::to_string(most_entries) + ")";
  if (made.bytes > most_bytes) return "limit: more text (bodies, properties) in " + where + " than is read (" + std::to_string(most_bytes >> 20) + " MiB)";
  return "";
}

std::string message_id_text(std::string_view raw);

// Every property of `properties` not in `read` (read on their own already: a body, the long name
// that names the file, a file's bytes, an object), named ones too with their names, one value a
// line — strings as text, other values as read_tnef_value reads them (numbers in decimal, dates,
// identifiers of a known structure, binary values whose text accounts for all of them): a category,
// a keyword, the sender's or a recipient's name and address, a conversation topic, an entry id, a
// named property any add-in wrote — text that leaves with the blob. A value that cannot be read so
// is named in `unread` — but a named property's (an add-in's file kept in a property) goes to
// `files`, read by what it is as any file is. An 8-bit string is read by `charsets` too (the code
// pages the blob declares). Stops, `over` saying why, once the blob's limits are reached.
std::string tnef_strings(const std::vector<TnefProperty>& properties, const std::unordered_set<const TnefProperty*>& read,
                         std::vector<std::pair<std::string, std::string>>& unread, std::vector<std::pair<std::string, std::string_view>>& files, std::size_t made,
                         const std::vector<std::string>& charsets, std::string& over) {
  std::string out;
  for (const TnefProperty& p : properties) {
    // Stopped early: the blob is unreadable then (read_tnef), and a million properties' text is never made.
    if (over.empty()) over = tnef_over({unread.size() + files.size(), made + out.size()}, kMostTnefEntries, kMostTnefTextBytes, "one TNEF blob");
    if (!over.empty()) break;
    char id[8];
    std::snprintf(id, sizeof id, "0x%04X", static_cast<unsigned>(p.id));
    if (p.named) out += read_tnef_value(kPtClsid, p.id, p.guid).text;
    const std::string name = p.name.empty() ? std::string() : as_lines(tnef_string(p.name, kPtUnicode));
    if (!name.empty()) out += name + "\n";
    if (!read.contains(&p)) {
      for (const std::string_view value : p.values) {
        if (p.type == kPtString8 || p.type == kPtUnicode) {
          std::string text = as_lines(tnef_string(value, p.type));
          if (!text.empty()) out += text + "\n";
          if (p.type == kPtString8) out += tnef_other_readings(value, charsets);
          continue;
        }
        if (p.type == kPtObject) {
          // read_tnef reads every object as a file before this; one left here would go unread.
          unread.emplace_back("プロパティ.txt", std::string("tnef: an object property (") + id + ") is not read");
          continue;
        }
        TnefValueReading reading = read_tnef_value(p.type, p.id, value);
        out += reading.text;
        if (reading.unread.empty()) continue;
        if (p.named) files.emplace_back("プロパティ(" + (name.empty() ? std::string(id) : name) + ")", value);
        else unread.emplace_back("プロパティ.txt", std::move(reading.unread));
      }
    }
  }
  return out;
}

// A blob's reading (read_tnef's), its embedded messages' to kMostTnefDepth; `over` set when a limit
// stopped it early.
TnefContent read_tnef_at(std::string_view bytes, bool keep_bytes, int depth, std::string& over);

// What a reading made, as counted against the limits.
TnefBudget tnef_made(const TnefContent& content) {
  TnefBudget made;
  for (const auto* list : {&content.files, &content.texts}) {
    made.entries += list->size();
    for (const auto& f : *list) made.bytes += (f.unread.empty() ? (list == &content.texts ? f.bytes.size() : 0) : f.unread.size()) + f.name.size();
  }
  return made;
}

// A blob's reading, or — when it makes more entries or text than kMostTnefEntries and
// kMostTnefTextBytes allow — the blob unreadable with the limit as the reason, nothing of it kept.
TnefContent read_tnef(std::string_view bytes, bool keep_bytes) {
  std::string over;
  TnefContent out = read_tnef_at(bytes, keep_bytes, 0, over);
  if (std::string why = over.empty() ? tnef_over(tnef_made(out), kMostTnefEntries, kMostTnefTextBytes, "one TNEF blob") : over; !why.empty()) {
    out = TnefContent();
    out.why = std::move(why);
  }
  return out;
}

TnefContent read_tnef_at(std::string_view bytes, bool keep_bytes, int depth, std::string& over) {
  TnefContent out;
  auto parsed = parse_tnef(bytes);
  if (!parsed) {
    out.why = parsed.error().message + " (" + parsed.error().where + ")";
    return out;
  }
  const TnefBlob& tnef = *parsed;
  out.readable = true;
  const std::vector<std::string> charsets = tnef_declared_charsets(tnef);
  // Properties read on their own, not as "every other string": a set, since a hostile blob may
  // hold a million objects, each looked up for every property.
  std::unordered_set<const TnefProperty*> read;
  std::vector<std::pair<std::string, std::string>> unread;  // what cannot be read (a name in the blob), and why
  std::string strings;                    // プロパティ.txt
  std::vector<TnefContent::File> icons;   // each attachment's icon, a WMF read as the file it is
  auto add_file = [&](std::string name, std::string_view data) {
    out.files.push_back({std::move(name), data.size(), keep_bytes ? std::string(data) : std::string(), data.empty() ? "tnef: an attachment without file data is not read" : ""});
  };
  // A PT_OBJECT value: an embedded message is TNEF after its IID, read as this blob is, its files
  // and text named after `name` ("転送.msg/a.xlsx"); any other object (an OLE object's storage) is
  // a file the outgoing check reads by what it is, or names unreadable.
  auto object = [&](std::string_view value, const std::string& name) {
    if (value.size() < kIidIMessage.size()) {
      out.files.push_back({name, value.size(), {}, "tnef: an object shorter than the interface id it must start with"});
    } else if (value.substr(0, kIidIMessage.size()) != kIidIMessage) {
      // The interface id is whatever the writer put there: its bytes are read like the others'.
      strings += binary_text(value.substr(0, kIidIMessage.size()));
      add_file(name, value.substr(kIidIMessage.size()));
    } else if (depth + 1 >= kMostTnefDepth) {
      out.files.push_back({name, value.size(), {}, "limit: messages embedded in a TNEF blob more than " + std::to_string(kMostTnefDepth) + " deep"});
    } else if (TnefContent inner = read_tnef_at(value.substr(kIidIMessage.size()), keep_bytes, depth + 1, over); !inner.readable) {
      out.files.push_back({name, value.size(), {}, "tnef: the embedded message: " + inner.why});
    } else {
      for (auto* list : {&inner.files, &inner.texts}) {
        for (auto& f : *list) f.name = name + "/" + f.name;
      }
      std::move(inner.files.begin(), inner.files.end(), std::back_inserter(out.files));
      std::move(inner.texts.begin(), inner.texts.end(), std::back_inserter(out.texts));
    }
  };
  // Objects a list holds that are not an attachment's own data (PR_ATTACH_DATA_OBJ): named ones,
  // multi-valued ones, any other id — read as files all the same.
  auto other_objects = [&](const std::vector<TnefProperty>& properties, const std::string& name) {
    for (const TnefProperty& p : properties) {
      if (p.type != kPtObject || read.contains(&p)) continue;
      read.insert(&p);
      for (const std::string_view v : p.values) object(v, name);
    }
  };
  int n = 0;
  for (const TnefAttachment& a : tnef.attachments) {
    ++n;
    if (over.empty()) over = tnef_over({out.files.size() + unread.size(), strings.size()}, kMostTnefEntries, kMostTnefTextBytes, "one TNEF blob");
    if (!over.empty()) return out;
    // The name: the long one (Unicode, then 8-bit), else the title. Every other name it carries
    // (a second title, another long name, the transport name) is read with the properties.
    std::string name;
    for (const std::uint16_t type : {static_cast<std::uint16_t>(kPtUnicode), static_cast<std::uint16_t>(kPtString8)}) {
      for (const TnefProperty* p : find_tnef_properties(a.properties, type, kPrAttachLongFilename)) {
        if (!name.empty() || p->values[0].empty()) continue;
        name = tnef_string(p->values[0], type);
        if (type == kPtString8) strings += tnef_other_readings(p->values[0], charsets);
        read.insert(p);
      }
    }
    for (const std::string_view title : a.titles) {
      if (name.empty()) name = tnef_string(title, kPtString8);
      else strings += as_lines(tnef_string(title, kPtString8)) + "\n";
      strings += tnef_other_readings(title, charsets);
    }
    const std::string shown = name.empty() ? "(" + std::to_string(n) + ")" : name;
    bool has_file = false;
    if (a.data) {
      add_file(name, *a.data);
      has_file = true;
    }
    // PR_ATTACH_DATA_BIN or _OBJ, multi-valued too: each value a file (read as property text, a
    // zip's bytes would find nothing).
    for (const TnefProperty& p : a.properties) {
      if (p.named || p.id != kPrAttachData || (p.type != kPtBinary && p.type != kPtObject)) continue;
      read.insert(&p);
      for (const std::string_view value : p.values) {
        if (p.type == kPtBinary) add_file(name, value);
        else object(value, name.empty() ? "埋め込み(" + std::to_string(n) + ")" : name);
        has_file = true;
      }
    }
    if (!has_file) out.files.push_back({name, 0, {}, "tnef: an attachment without file data (attAttachData, PR_ATTACH_DATA) is not read"});
    other_objects(a.properties, shown + "/オブジェクト");
    // Its icon (attAttachMetaFile, PR_ATTACH_RENDERING) is a WMF picture — Outlook draws the file's
    // name under it, and a writer may draw anything: read as the file it is (cdr's metafile reader:
    // its text, its bitmaps by OCR).
    for (const TnefAttribute& attribute : a.attributes) {
      if (attribute.id == kAttAttachMetaFile) icons.push_back({shown + "/アイコン.wmf", attribute.data.size(), std::string(attribute.data), ""});
      else if (attribute.id == kAttAttachTransportFilename) strings += as_lines(tnef_string(attribute.data, kPtString8)) + "\n" + tnef_other_readings(attribute.data, charsets);
      else {
        TnefValueReading reading = read_tnef_attribute(attribute, "of the attachment");
        strings += reading.text;
        if (!reading.unread.empty()) unread.emplace_back(shown, std::move(reading.unread));
      }
    }
    for (const TnefProperty* p : find_tnef_properties(a.properties, kPtBinary, kPrAttachRendering)) {
      read.insert(p);
      icons.push_back({shown + "/アイコン.wmf", p->values[0].size(), std::string(p->values[0]), ""});
    }
  }
  if (!keep_bytes) return out;
  std::move(icons.begin(), icons.end(), std::back_inserter(out.texts));
  std::size_t text_bytes = 0;  // this level's, to stop early; read_tnef counts every level's
  auto text = [&](const char* name, std::string content) {
    text_bytes += content.size();
    if (!content.empty()) out.texts.push_back({name, content.size(), std::move(content), ""});
    if (over.empty()) over = tnef_over({out.files.size() + out.texts.size() + unread.size(), text_bytes + strings.size()}, kMostTnefEntries, kMostTnefTextBytes, "one TNEF blob");
  };
  // Every value of the properties read on their own, each (a writer may repeat one: a second
  // PR_BODY is as much text as the first).
  auto each = [&](std::uint16_t type, std::uint16_t id, const auto& take) {
    for (const TnefProperty* p : find_tnef_properties(tnef.properties, type, id)) {
      read.insert(p);
      if (over.empty()) take(p->values[0]);
    }
  };
  // A subject's or a body's NULs: the ones that end it (Outlook writes attSubject and an 8-bit
  // PR_BODY so) go; one inside it becomes a line break, so the file is still text (not "unknown
  // content") and the text after it is read too.
  auto plain = [&](std::string_view v, std::uint16_t type) {
    std::string t = tnef_string(v, type);
    std::replace(t.begin(), t.end(), '\0', '\n');
    if (type == kPtString8) {
      // Its reading by a declared code page, after the guessed one (a body file holds both).
      if (std::string other = tnef_other_readings(v, charsets); !other.empty()) t += "\n" + other;
    }
    return t;
  };
  if (tnef.subject) text("件名.txt", plain(*tnef.subject, kPtString8));
  if (tnef.body) text("本文.txt", plain(*tnef.body, kPtString8));
  for (const std::uint16_t type : {static_cast<std::uint16_t>(kPtUnicode), static_cast<std::uint16_t>(kPtString8)}) {
    each(type, kPrBody, [&](std::string_view v) { text("本文.txt", plain(v, type)); });
  }
  each(kPtBinary, kPrRtfCompressed, [&](std::string_view v) {
    // cdr's bounded reader: a body cut short, of an unknown form or over 64 MiB is unreadable,
    // not a partial text.
    auto plain = cdr::decompress_rtf(v, std::size_t{64} << 20);
    if (plain && !plain->empty()) text("本文.rtf", std::move(plain).value());
    else out.texts.push_back({"本文.rtf", 0, {}, "tnef: the compressed RTF body does not decompress"});
  });
  for (const std::uint16_t type : {static_cast<std::uint16_t>(kPtBinary), static_cast<std::uint16_t>(kPtString8)}) {
    each(type, kPrHtml, [&](std::string_view v) { text("本文.html", std::string(v)); });
  }
  // An object among the message's or a recipient's properties: read as an attachment's is.
  other_objects(tnef.properties, "オブジェクト");
  for (const auto& recipient : tnef.recipients) other_objects(recipient, "オブジェクト");
  // Every other string the blob carries: the sender, the message's attributes (its class, its id
  // read as a Message-ID is), its properties, each recipient's and each file's.
  if (tnef.from) {
    // attFrom is a TRP ([MS-OXTNEF] 2.1.3.3.1): an 8-byte header of small numbers, then the name
    // and the address. Read when its text accounts for it, with or without the header.
    const std::string_view from = *tnef.from;
    // Read as it is accepted: 8-bit or UTF-16 text, whole or after the TRP's header (a UTF-16 name
    // read as 8-bit is a digit a line, its number never whole).
    strings += binary_text(from) + tnef_other_readings(from, charsets);
    if (from.size() > 8) strings += binary_text(from.substr(8));
    if (from.size() > kMostBinaryTextBytes || (!tnef_text_accounts_for(from) && (from.size() < 8 || !tnef_text_accounts_for(from.substr(8))))) {
      unread.emplace_back("プロパティ.txt", "tnef: the sender (attFrom) of " + std::to_string(from.size()) + " bytes is not read (neither text nor a TRP's header and names)");
    }
  }
  for (const TnefAttribute& attribute : tnef.attributes) {
    std::string_view id = attribute.data;
    while (!id.empty() && id.back() == '\0') id.remove_suffix(1);
    const bool hex = id.size() >= 16 && id.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if ((attribute.id == kAttMessageId || attribute.id == kAttParentId || attribute.id == kAttConversationId) && hex) {
      // Outlook writes a search key here, sixteen or more hexadecimal digits: read as a Message-ID
      // is (only a run of exactly twelve digits). Anything else in its place is read as text.
      strings += as_lines(message_id_text("<" + std::string(id) + ">")) + "\n";
    } else {
      TnefValueReading reading = read_tnef_attribute(attribute, "of the message");
      strings += reading.text;
      if (!reading.unread.empty()) unread.emplace_back("プロパティ.txt", std::move(reading.unread));
    }
  }
  // Values named properties keep that no text reading covers (an add-in's file): read as files are.
  std::vector<std::pair<std::string, std::string_view>> files;
  strings += tnef_strings(tnef.properties, read, unread, files, text_bytes + strings.size(), charsets, over);
  for (const auto& recipient : tnef.recipients) strings += tnef_strings(recipient, read, unread, files, text_bytes + strings.size(), charsets, over);
  for (const TnefAttachment& a : tnef.attachments) strings += tnef_strings(a.properties, read, unread, files, text_bytes + strings.size(), charsets, over);
  if (!over.empty()) return out;
  if (strings.find_first_not_of(" \t\n") != std::string::npos) text("プロパティ.txt", std::move(strings));
  for (auto& [name, value] : files) out.texts.push_back({std::move(name), value.size(), std::string(value), ""});
  for (auto& [name, why] : unread) out.texts.push_back({std::move(name), 0, {}, std::move(why)});
  return out;
}

// The header fields that name messages (a reply's thread, a part's Content-ID). Software writes
// the msg-ids in them, and many mailers write the time in milliseconds there — 13 digits, a valid
// 法人番号 one time in nine — so inside a `<…>` only a run of exactly 12 digits is read (see
// message_id_text); everything outside the brackets (comments, free text, a phrase before a
// msg-id) is read as any header is, since a person or a client can write anything there.
constexpr std::string_view kMessageIdFields[] = {"message-id", "resent-message-id", "in-reply-to", "references", "content-id"};

// What the outgoing check reads of a field of kMessageIdFields: the text outside its `<…>`
// brackets, decoded as any header's, and from inside each msg-id every run of exactly 12 ASCII
// digits between non-digits, each on a line of its own so no two join up — a 個人番号 hidden in a
// Message-ID ("<123456789018.x@pc>") leaves with the mail as much as one in the subject. A run of
// 13 digits inside a msg-id is not read: that is the millisecond time stamp mailers write
// (Thunderbird, Outlook, libraries' generators: 1765000000000 and on), valid as a 法人番号 one
// time in nine; holding every such mail would hold ordinary replies. A corporate number is public
// (国税庁 publishes them all), so one in a msg-id that is not found costs nothing the check protects.
// Nor is a 12-digit run that reads as a minute (YYYYMMDDhhmm, sendmail's Message-IDs).
// YYYYMMDDhhmm of a plausible minute (1990–2099): what sendmail writes at the head of its
// Message-IDs ("<202612061830.2B6IUxYZ012345@host>"), valid as a 個人番号 one time in eleven.
bool looks_like_a_minute(std::string_view d) {
  auto n = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  const int year = n(0, 4), month = n(4, 2), day = n(6, 2), hour = n(8, 2), minute = n(10, 2);
  return year >= 1990 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59;
}

std::string message_id_text(std::string_view raw) {
  std::string outside, runs;
  std::size_t at = 0;
  while (at < raw.size()) {
    const std::size_t open = raw.find('<', at);
    outside.append(raw.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (open == std::string_view::npos) break;
    const std::size_t close = raw.find('>', open);
    const std::string_view id = raw.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
    for (std::size_t k = 0; k < id.size();) {
      if (id[k] < '0' || id[k] > '9') {
        ++k;
        continue;
      }
      std::size_t end = k;
      while (end < id.size() && id[end] >= '0' && id[end] <= '9') ++end;
      if (end - k == 12 && !looks_like_a_minute(id.substr(k, 12))) runs += "\n" + std::string(id.substr(k, 12));
      k = end;
    }
    outside += ' ';
    at = close == std::string_view::npos ? raw.size() : close + 1;
  }
  return mime::decode_header_text(outside).utf8 + runs;
}

// A header field's value as a reader of the mail sees it, for the outgoing check. Unstructured
// text is decoded (RFC 2047). Content-Type and Content-Disposition: their value and every
// parameter, both as written and decoded (RFC 2231 and encoded-words; a reader may take either),
// but the boundary and the start of multipart/related (a Content-ID), which are machine data, and
// a filename or name parameter that decodes to `file_name` (the name the file is read and
// reported under already) — save its plain form when that says something else. A Received field
// without its "id" clause's token: a relay's queue id (Postfix's are up to 12 hex digits,
// sometimes all decimal), not anyone's text; what else a client writes there is read.
std::string field_text(const std::string& lname, const std::string& raw, std::string_view file_name) {
  if (lname == "content-type" || lname == "content-disposition") {
    auto [value, params] = parse_header_params(raw);
    std::string text = mime::decode_header_text(value).utf8;
    auto base_of = [](const std::string& key) { return ascii_lower(std::string_view(key).substr(0, key.find('*'))); };
    std::vector<std::string> bases;
    for (const auto& param : params) {
      if (std::string base = base_of(param.first); std::find(bases.begin(), bases.end(), base) == bases.end()) bases.push_back(std::move(base));
    }
    for (const auto& base : bases) {
      if (base == "boundary" || base == "start") continue;
      const auto decoded = mime::decode_parameter(params, base);
      if ((base == "filename" || base == "name") && !file_name.empty() && decoded && decoded->utf8 == file_name) {
        // The name the file is read and reported under; but a plain `filename=` beside the RFC 2231
        // form that gave it (or a second one) is a name another client may show instead: read.
        for (const auto& [key, written] : params) {
          if (ascii_lower(key) != base) continue;
          if (std::string plain = mime::decode_header_text(written).utf8; plain != file_name) text += "; " + key + "=" + plain;
        }
        continue;
      }
      for (const auto& [key, written] : params) {
        if (base_of(key) == base) text += "; " + key + "=" + mime::decode_header_text(written).utf8;
      }
      if (decoded) text += "; " + base + "=" + decoded->utf8;
    }
    return text;
  }
  std::string text = mime::decode_header_text(raw).utf8;
  if (lname != "received") return text;
  std::string kept;
  bool skip_next = false, skipped = false;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = text.find_first_not_of(" \t\r\n", at);
    if (start == std::string::npos) break;
    std::size_t end = text.find_first_of(" \t\r\n", start);
    if (end == std::string::npos) end = text.size();
    const std::string_view word = std::string_view(text).substr(start, end - start);
    // One queue id a field, and only a word a relay writes as one (letters and digits, at most
    // 16): more, or another shape, is text a client chose (review19b).
    const bool queue_id = skip_next && !skipped && word.size() <= 16 &&
                          std::all_of(word.begin(), word.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
    if (queue_id) skipped = true;
    else kept += (kept.empty() ? "" : " ") + std::string(word);
    skip_next = !queue_id && ascii_lower(word) == "id";
    at = end;
  }
  return kept;
}

// A header field's name as a place in a report: printable ASCII, at most 64 characters (a parser
// may take a name that is neither).
std::string field_name_shown(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += c > 0x20 && c < 0x7f ? c : '?';
  return out;
}

// A line that starts a MIME part: "--" and anything, then a header block that declares content.
bool starts_part(std::string_view text, std::size_t line_end) {
  std::size_t at = line_end;
  while (at < text.size()) {
    std::size_t next = text.find('\n', at);
    std::string_view line = text.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return false;  // the end of a header block
    const std::string lower = ascii_lower(line.substr(0, 40));
    for (const char* h : {"content-type", "content-disposition", "content-transfer-encoding"}) {
      const std::string_view name(h);
      if (lower.compare(0, name.size(), name) != 0) continue;
      std::size_t k = name.size();
      while (k < lower.size() && (lower[k] == ' ' || lower[k] == '\t')) ++k;
      if (k < lower.size() && lower[k] == ':') return true;
    }
    if (next == std::string_view::npos) return false;
    at = next + 1;
  }
  return false;
}

struct Walk {
  Walk(const SanitizeOptions& o, SanitizePlan& p, int& part_count, TnefBudget& tnef_made) : options(o), plan(p), parts(part_count), tnef_in_mail(tnef_made) {}
  const SanitizeOptions& options;
  SanitizePlan& plan;
  int& parts;  // across the message and every message attached to it
  TnefBudget& tnef_in_mail;  // what its TNEF blobs made, across the message and every message attached to it
  bool limit_hit = false;
  std::vector<std::string> attached;  // the text of each attached message, in order
  std::string prefix;  // for SanitizePlan::leaves: the attached messages around this walk ("転送メール(2)/")
  GMimeObject* message_part = nullptr;  // the top part of the message walked: its fields are named as the message's
  void keep_leaf(SanitizePlan::Leaf::Kind kind, std::string name, std::string bytes) {
    plan.leaves.push_back({kind, plan.parts.size(), prefix, std::move(name), std::move(bytes)});
  }
  // A part the walk does not open, kept as a file for the outgoing check — but a fragment of a
  // message split across mails is not the file it is part of: not read as one.
  void keep_file_leaf(const PartReport& r, const std::string& type, GMimeObject* obj) {
    if (type == "message/partial" || type == "message/external-body") {
      keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, r.name.empty() ? "部分" + r.path + "(" + type + ")" : r.name,
                "message: a fragment of a message sent in pieces (message/partial) or a reference to one kept elsewhere is not reassembled");
    } else {
      keep_leaf(SanitizePlan::Leaf::Kind::kFile, r.name, content_bytes(GMIME_PART(obj)));
    }
  }

  // For the outgoing check: every header field of `obj` (a message or a part) as a reader sees it,
  // named by `owner` ("" for the message, "部分2/") and the field's name — an X-header, a part's
  // Content-Description, a non-attachment part's name parameter, a From display name, a second
  // Subject a client may show, the fields that name messages as message_id_text reads them. Not
  // read: a message's first Subject (read as "subject" already) and the parameter that gives
  // `file_name`.
  void keep_field_leaves(GMimeObject* obj, const std::string& owner, bool first_subject_read, std::string_view file_name = "") {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    const int count = list != nullptr ? g_mime_header_list_get_count(list) : 0;
    bool subject_seen = !first_subject_read;
    for (int i = 0; i < count; ++i) {
      GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
      const char* name = g_mime_header_get_name(h);
      const char* raw = g_mime_header_get_raw_value(h);
      const std::string lname = ascii_lower(name != nullptr ? name : "");
      const bool names_messages = std::find(std::begin(kMessageIdFields), std::end(kMessageIdFields), lname) != std::end(kMessageIdFields);
      if (lname == "subject" && !subject_seen) {
        subject_seen = true;
        continue;
      }
      std::string text = names_messages ? message_id_text(raw != nullptr ? raw : "") : field_text(lname, raw != nullptr ? raw : "", file_name);
      if (trim(text).empty()) continue;
      keep_leaf(SanitizePlan::Leaf::Kind::kField, owner + "ヘッダー(" + field_name_shown(name != nullptr ? name : "") + ")", std::move(text));
    }
  }

  // Body candidates, first found wins within each kind; `alternative` is the path of the
  // nearest multipart/alternative around a candidate ("" for none): a text part in the same one
  // as the body is another rendering of it, any other is more content.
  struct Candidate {
    std::size_t index;
    std::string text;
    std::string alternative;
  };
  std::vector<Candidate> plains, htmls;
  std::string alternative;  // of the part being walked
  // Boundaries of the multiparts around the part being walked, outermost first (attached
  // messages included: their lines are inside the outer parts too).
  std::vector<std::string> boundaries;
  // Where readers may disagree: (code, item), for plan_message to record and hold.
  std::vector<std::pair<int, std::string>> ambiguities;

  // Duplicate structural headers and parameters, the boundary's spelling, its relation to the
  // boundaries around it, and parts hidden outside the boundaries.
  void check_structure(GMimeObject* obj) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    const int count = list != nullptr ? g_mime_header_list_get_count(list) : 0;
    for (const char* wanted : {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"}) {
      std::vector<std::string> values;
      for (int i = 0; i < count; ++i) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        if (ascii_lower(g_mime_header_get_name(h)) != ascii_lower(wanted)) continue;
        const char* raw = g_mime_header_get_raw_value(h);
        values.emplace_back(raw != nullptr ? raw : "");
      }
      std::vector<std::string> normal;
      for (const auto& v : values) {
        std::string words;  // unfolded, white space collapsed, case folded
        for (char c : trim(v)) {
          const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
          if (!space) words += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          else if (!words.empty() && words.back() != ' ') words += ' ';
        }
        if (std::find(normal.begin(), normal.end(), words) == normal.end()) normal.push_back(words);
      }
      if (normal.size() > 1) ambiguities.emplace_back(kAmbiguousPartHeader, wanted);
      if (std::string_view(wanted) == "Content-Transfer-Encoding") continue;
      for (const auto& v : values) check_parameters(wanted, v);
    }
    if (!GMIME_IS_MULTIPART(obj)) return;
    // The parameter, not g_mime_multipart_get_boundary(): that one makes up a boundary when there
    // is none, from the system's randomness — a system call the sandbox forbids.
    const char* declared = g_mime_object_get_content_type_parameter(obj, "boundary");
    const std::string boundary = declared != nullptr ? declared : "";
    if (boundary.empty()) {
      // Where its parts are is anyone's guess: GMime finds none, a lenient client takes the first
      // "--" line for the boundary.
      ambiguities.emplace_back(GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(obj)));
    }
    std::vector<std::string> all;  // a multipart without a boundary has none to confuse
    for (const auto& outer : boundaries) {
      if (outer.empty()) continue;
      if (!boundary.empty() && (outer.starts_with(boundary) || boundary.starts_with(outer))) ambiguities.emplace_back(kBoundaryPrefix, boundary);
      all.push_back(outer);
    }
    if (!boundary.empty()) all.push_back(boundary);
    for (const char* text : {g_mime_multipart_get_prologue(GMIME_MULTIPART(obj)), g_mime_multipart_get_epilogue(GMIME_MULTIPART(obj))}) {
      if (text == nullptr) continue;
      const std::string_view t(text);
      for (std::size_t at = 0; at < t.size();) {
        std::size_t end = t.find('\n', at);
        end = end == std::string_view::npos ? t.size() : end;
        const std::string_view line = t.substr(at, end - at);
        if (line.starts_with("--")) {
          const bool delimiter = std::any_of(all.begin(), all.end(), [&](const std::string& b) { return line.substr(2).starts_with(b); });
          if (delimiter || starts_part(t, std::min(end + 1, t.size()))) {
            ambiguities.emplace_back(kPartOutsideBoundaries, std::string(trim(line.substr(0, 80))));
            break;
          }
        }
        at = end + 1;
      }
    }
  }

  // One header's parameters: one that occurs twice with different values (GMime reads the one,
  // another reader the other), and a boundary written twice or with white space at its ends.
  void check_parameters(const char* header, const std::string& raw) {
    const std::vector<std::string> pieces = split_params(raw);
    std::vector<std::pair<std::string, std::string>> seen;  // exact lower-case name, value as written
    std::size_t boundaries_given = 0;
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      const auto eq = pieces[i].find('=');
      if (eq == std::string::npos) continue;
      const std::string name = ascii_lower(trim(std::string_view(pieces[i]).substr(0, eq)));
      const std::string_view written = std::string_view(pieces[i]).substr(eq + 1);
      const std::string value = trim(written);
      if (!name.starts_with("boundary")) {  // a boundary given twice is a finding of its own, below
        for (const auto& [other, other_value] : seen) {
          if (other == name && other_value != value) ambiguities.emplace_back(kAmbiguousPartHeader, std::string(header) + " " + name);
        }
        seen.emplace_back(name, value);
        continue;
      }
      ++boundaries_given;
      // Quoted: white space inside the quotes at either end. Unquoted: any white space after
      // the token — one reader ends the value there, another takes it up to the semicolon.
      std::size_t lead = 0;
      while (lead < written.size() && (written[lead] == ' ' || written[lead] == '\t')) ++lead;
      const std::string_view v = written.substr(lead);
      bool spaced;
      if (v.starts_with('"')) {
        const auto close = v.find('"', 1);
        const std::string_view inside = v.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
        spaced = !inside.empty() && (inside.front() == ' ' || inside.front() == '\t' || inside.back() == ' ' || inside.back() == '\t');
      } else {
        spaced = v.find_first_of(" \t") != std::string_view::npos;
      }
      if (spaced) ambiguities.emplace_back(kAmbiguousBoundary, value);
    }
    if (boundaries_given > 1) ambiguities.emplace_back(kDuplicateBoundary, header);
  }

  std::string content_bytes(GMimePart* part) {
    GMimeDataWrapper* w = g_mime_part_get_content(part);
    if (w == nullptr) return {};
    GMimeStream* s = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, s);
    GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    std::string out(reinterpret_cast<const char*>(a->data), a->len);
    g_object_unref(s);
    return out;
  }

  // The decoded size of a part that is removed anyway, without materialising it: base64 is
  // counted from its alphabet characters, other encodings are decoded into a counting sink.
  static std::size_t decoded_size(GMimePart* part) {
    GMimeDataWrapper* w = g_mime_part_get_content(part);
    if (w == nullptr) return 0;
    GMimeStream* raw = g_mime_data_wrapper_get_stream(w);
    if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64 && raw != nullptr) {
      static const auto kAlphabet = [] {
        std::array<unsigned char, 256> t{};
        for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")) t[c] = 1;
        return t;
      }();
      g_mime_stream_reset(raw);
      std::size_t chars = 0;
      char buf[65536];
      gssize n;
      while ((n = g_mime_stream_read(raw, buf, sizeof buf)) > 0) {
        for (gssize i = 0; i < n; ++i) chars += kAlphabet[static_cast<unsigned char>(buf[i])];
      }
      g_mime_stream_reset(raw);
      return chars * 6 / 8;
    }
    GMimeStream* sink = g_mime_stream_null_new();
    g_mime_data_wrapper_write_to_stream(w, sink);
    std::size_t size = GMIME_STREAM_NULL(sink)->written;
    g_object_unref(sink);
    return size;
  }

  // Picks the body among a message's candidates (text unless HTML is preferred or alone) and
  // marks the parts; `w` is this walk or the walk of an attached message. Nothing goes silently:
  // another rendering of the body (the other part of its multipart/alternative) is removed and
  // listed; any further text/plain part is more content, kept after the body under a separator
  // (a second inline text part, text around an inline picture); any further HTML is listed.
  std::string choose_body(Walk& w, bool& converted, bool& truncated) {
    mime::HtmlTextOptions html_options;
    html_options.defang_links = false;  // once, over the final text (plan_message)
    html_options.lang = options.lang;
    std::string body;
    const Candidate* chosen = nullptr;
    if (!w.htmls.empty() && (options.prefer_html || w.plains.empty())) {
      chosen = &w.htmls[0];
      mime::HtmlText t = mime::html_to_text(chosen->text, html_options);
      truncated = t.truncated;
      PartReport& part = plan.parts[chosen->index];
      part.action = PartAction::kConverted;
      if (t.hidden > 0) {
        // Text the reader never saw, kept out of the output: a lure or filter bait hides there.
        part.flags.emplace_back("hidden-text");
        std::string why;
        for (const auto& b : t.hidden_because) why += (why.empty() ? "" : ", ") + b;
        plan.warnings.push_back("body: " + std::to_string(t.hidden) + " piece(s) of text hidden by the HTML removed (" + why + ")");
      }
      if (t.size_limited) {
        part.flags.emplace_back("text-size-limit");
        plan.warnings.push_back("body: the text converted from HTML was cut off at its size limit");
      }
      converted = true;
      body = std::move(t.text);
    } else if (!w.plains.empty()) {
      chosen = &w.plains[0];
      plan.parts[chosen->index].action = PartAction::kBody;
      body = chosen->text;
    }
    if (chosen == nullptr) return body;
    const auto rendering_of_body = [&](const Candidate& c) { return !c.alternative.empty() && c.alternative == chosen->alternative; };
    for (const auto& c : w.htmls) {
      if (&c != chosen) plan.parts[c.index].action = PartAction::kRemoved;
    }
    for (const auto& c : w.plains) {
      if (&c == chosen) continue;
      if (rendering_of_body(c)) {
        plan.parts[c.index].action = PartAction::kRemoved;
        continue;
      }
      plan.parts[c.index].action = PartAction::kBody;
      body += std::string(body.empty() || body.back() == '\n' ? "\n" : "\n\n") +
              (options.lang != "en" ? "----- 本文の続き (" : "----- more text (") + plan.parts[c.index].path + ") -----\n" + c.text;
    }
    return body;
  }

  void object(GMimeObject* obj, const std::string& path, int depth) {
    if (++parts > options.max_parts) {
      limit_hit = true;
      plan.reason = "too many MIME parts (more than " + std::to_string(options.max_parts) + ")";
      return;
    }
    if (depth > options.max_depth) {
      limit_hit = true;
      plan.reason = "MIME nesting deeper than " + std::to_string(options.max_depth);
      return;
    }
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    std::string type = ct != nullptr ? ascii_lower(std::string(g_mime_content_type_get_media_type(ct)) + "/" + g_mime_content_type_get_media_subtype(ct))
                                     : "text/plain";
    check_structure(obj);
    // A part's own fields. The top part's are named as the message's (GMime may list its Content-*
    // fields with both, read once under one name) and its Subject, if listed, is the message's.
    const std::string owner = path.empty() || obj == message_part ? "" : "部分" + path + "/";
    // A single part's once its file name is known (below).
    if (options.keep_leaves && !GMIME_IS_PART(obj)) keep_field_leaves(obj, owner, obj == message_part);
    if (GMIME_IS_MULTIPART(obj)) {
      if (options.keep_leaves) {
        // The text before the first part and after the last: no client shows it, but it leaves
        // with the mail, and a tool (or a sender who knows that) can write anything there.
        GMimeMultipart* multipart = GMIME_MULTIPART(obj);
        const std::pair<const char*, const char*> outside[] = {{"プリアンブル", g_mime_multipart_get_prologue(multipart)},
                                                               {"エピローグ", g_mime_multipart_get_epilogue(multipart)}};
        for (const auto& [what, text] : outside) {
          if (text == nullptr || trim(text).empty()) continue;
          keep_leaf(SanitizePlan::Leaf::Kind::kOutside, owner + what, mime::decode_text(text, "").utf8);
        }
      }
      const std::string outer_alternative = alternative;
      if (type == "multipart/alternative") alternative = path.empty() ? "1" : path;
      const char* boundary = g_mime_object_get_content_type_parameter(obj, "boundary");
      boundaries.emplace_back(boundary != nullptr ? boundary : "");
      int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
      for (int i = 0; i < n && !limit_hit; ++i) {
        object(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), path.empty() ? std::to_string(i + 1) : path + "." + std::to_string(i + 1), depth + 1);
      }
      boundaries.pop_back();
      alternative = outer_alternative;
      return;
    }
    PartReport r;
    r.path = path.empty() ? "1" : path;
    r.type = type;
    if (GMIME_IS_MESSAGE_PART(obj)) {
      // An attached message is sanitized like the mail itself; its text follows the body.
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      std::string subject;
      if (inner != nullptr) subject = trim(mime::decode_header_text(raw_header(GMIME_OBJECT(inner), "Subject")).utf8);
      r.name = subject.empty() ? "(message)" : subject + ".eml";
      r.action = PartAction::kConverted;
      if (options.keep_leaves) {
        if (inner == nullptr) keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, r.name, "message: the attached message could not be parsed");
        else plan.leaves.push_back({SanitizePlan::Leaf::Kind::kHeader, plan.parts.size(), prefix + "転送メール(" + r.path + ")/", "subject", subject});
      }
      plan.parts.push_back(r);
      if (inner == nullptr) return;
      Walk sub(options, plan, parts, tnef_in_mail);
      sub.boundaries = boundaries;
      sub.prefix = prefix + "転送メール(" + r.path + ")/";
      sub.message_part = g_mime_message_get_mime_part(inner);
      if (options.keep_leaves) sub.keep_field_leaves(GMIME_OBJECT(inner), "", true);  // its Subject: the kHeader leaf above
      if (GMimeObject* body = sub.message_part) sub.object(body, r.path, depth + 1);
      for (auto& a : sub.ambiguities) ambiguities.push_back(std::move(a));
      if (sub.limit_hit) {
        limit_hit = true;
        return;
      }
      bool converted = false, truncated = false;
      std::string text = choose_body(sub, converted, truncated);
      if (truncated) {
        limit_hit = true;
        plan.reason = "an attached message's HTML nests too deeply to convert completely";
        return;
      }
      std::string head;
      for (const char* h : {"From", "Date", "Subject"}) {
        std::string v = trim(mime::decode_header_text(raw_header(GMIME_OBJECT(inner), h)).utf8);
        if (!v.empty()) head += std::string(h) + ": " + v + "\n";
      }
      attached.push_back(head + "\n" + text);
      for (auto& t : sub.attached) attached.push_back(std::move(t));
      return;
    }
    if (!GMIME_IS_PART(obj)) {
      if (options.keep_leaves) keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, "部分" + r.path + "(" + type + ")", "unsupported: a MIME part of a kind this reader does not open");
      return;
    }
    auto [disposition, disp_params] = parse_header_params(raw_header(obj, "Content-Disposition"));
    auto [ctype_value, ct_params] = parse_header_params(raw_header(obj, "Content-Type"));
    auto name = mime::decode_parameter(disp_params, "filename");
    if (!name) name = mime::decode_parameter(ct_params, "name");
    if (name) {
      r.name = clean_file_name(name->utf8, r.flags);
      if (name->raw_8bit) r.flags.emplace_back("raw-8bit-name");
    }
    if (options.keep_leaves) keep_field_leaves(obj, owner, obj == message_part, name ? std::string_view(name->utf8) : std::string_view());
    const char* charset = ct != nullptr ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
    r.charset = charset != nullptr ? ascii_lower(charset) : "";
    bool attachment = disposition == "attachment" || name.has_value();
    const bool candidate = !attachment && (type == "text/plain" || type == "text/html");
    std::string bytes = candidate ? content_bytes(GMIME_PART(obj)) : std::string();
    r.size = candidate ? bytes.size() : decoded_size(GMIME_PART(obj));
    if (candidate) {
      mime::DecodedText d = mime::decode_text(bytes, r.charset);
      r.decoded_as = d.decoded_as;
      if (d.mislabelled) r.flags.emplace_back("mislabelled-charset");
      if (d.unknown_charset) r.flags.emplace_back("unknown-charset");
      plan.replaced_characters += d.replaced;
      d.utf8 = strip_controls(d.utf8, true, r.flags);
      bool empty = trim(d.utf8).empty();
      if (options.keep_leaves && !empty) keep_leaf(type == "text/plain" ? SanitizePlan::Leaf::Kind::kText : SanitizePlan::Leaf::Kind::kHtml, r.name, d.utf8);
      if (!empty) (type == "text/plain" ? plains : htmls).push_back({plan.parts.size(), std::move(d.utf8), alternative});
      r.action = PartAction::kSkipped;  // decided below, once the body is chosen; an empty one stays skipped
    } else if (type == "application/ms-tnef" || type == "application/vnd.ms-tnef" || ascii_lower(r.name) == "winmail.dat") {
      // Outlook's container: removed, and each file in it listed so the recipient knows what came.
      r.action = PartAction::kRemoved;
      r.flags.emplace_back("tnef");
      TnefContent tnef = read_tnef(content_bytes(GMIME_PART(obj)), options.keep_leaves);
      // The mail's blobs together, within their own limits: a blob that brings them over is unreadable.
      const TnefBudget made = tnef_made(tnef);
      const TnefBudget in_mail{tnef_in_mail.entries + made.entries, tnef_in_mail.bytes + made.bytes};
      if (std::string why = tnef_over(in_mail, kMostTnefEntriesInMail, kMostTnefTextBytesInMail, "the TNEF blobs of one mail"); !why.empty() && tnef.readable) {
        tnef = TnefContent();
        tnef.why = std::move(why);
      } else {
        tnef_in_mail = in_mail;
      }
      // The outgoing check reads what the blob carries as files named after it: "winmail.dat/a.xls".
      const std::string blob = (r.name.empty() ? std::string("winmail.dat") : r.name) + "/";
      if (options.keep_leaves && !tnef.readable) keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, blob.substr(0, blob.size() - 1), "tnef: " + tnef.why);
      if (options.keep_leaves) {
        for (auto& t : tnef.texts) {
          if (t.unread.empty()) keep_leaf(SanitizePlan::Leaf::Kind::kFile, blob + t.name, std::move(t.bytes));
          else keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, blob + t.name, std::move(t.unread));
        }
      }
      std::string base = r.path;
      plan.parts.push_back(std::move(r));
      int k = 0;
      for (auto& member : tnef.files) {
        PartReport m;
        m.path = base + ".tnef." + std::to_string(++k);
        m.type = "application/octet-stream";
        m.name = clean_file_name(member.name, m.flags);
        m.size = member.size;
        m.action = PartAction::kRemoved;
        m.flags.emplace_back("from-tnef");
        if (options.keep_leaves) {
          const std::string shown = blob + (m.name.empty() ? "(" + std::to_string(k) + ")" : m.name);
          if (static_cast<std::size_t>(k) > kMostTnefFiles) keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, shown, "limit: more files in one TNEF blob than are read (" + std::to_string(kMostTnefFiles) + ")");
          else if (!member.unread.empty()) keep_leaf(SanitizePlan::Leaf::Kind::kUnreadable, shown, std::move(member.unread));
          else keep_leaf(SanitizePlan::Leaf::Kind::kFile, shown, std::move(member.bytes));
        }
        plan.parts.push_back(std::move(m));
      }
      return;
    } else if (!attachment) {
      r.action = PartAction::kRemoved;  // inline parts (images of multipart/related, …) are not attachments
      if (options.keep_leaves) keep_file_leaf(r, type, obj);
    } else {
      if (options.keep_leaves) keep_file_leaf(r, type, obj);
      const AttachmentAction action = attachment_action_for(r.name, "", options);
      if (action == AttachmentAction::kReject) {
        r.action = PartAction::kRejected;
      } else if (action == AttachmentAction::kSanitize) {
        r.action = PartAction::kPending;
        std::string content = content_bytes(GMIME_PART(obj));
        r.size = content.size();
        plan.pending.emplace_back(plan.parts.size(), std::move(content));
      } else {
        r.action = PartAction::kRemoved;
      }
    }
    plan.parts.push_back(std::move(r));
  }
};

// Files written into the text (uuencode, BinHex, yEnc): a client would show them as attachments,
// so they go as attachments do — cut out, listed as removed parts, a line left where they were.
void remove_embedded_files(SanitizePlan& plan, const SanitizeOptions& options) {
  const auto files = mime::find_embedded_files(plan.body);
  if (files.empty()) return;
  const bool ja = options.lang != "en";
  std::string body;
  std::size_t at = 0, n = 0;
  for (const auto& f : files) {
    PartReport r;
    r.path = "body." + f.kind + "." + std::to_string(++n);
    r.type = "application/octet-stream";
    r.name = clean_file_name(f.name, r.flags);
    r.size = f.size;
    r.action = PartAction::kRemoved;
    r.flags.insert(r.flags.begin(), f.kind);
    const std::string shown = r.name.empty() ? "(" + f.kind + ")" : r.name + " (" + f.kind + ")";
    body.append(plan.body, at, f.begin - at);
    body += ja ? "[本文に埋め込まれたファイル " + shown + " を削除しました]\n" : "[a file embedded in the text, " + shown + ", was removed]\n";
    at = f.end;
    plan.parts.push_back(std::move(r));
  }
  body.append(plan.body, at);
  plan.body = std::move(body);
}

// Only the banner speaks for Sanso: a body line that could be read as part of it is shown quoted
// ("> "), so that a reader sees it as the sender's text. Line and paragraph separators become line
// ends first, as a client may show them.
void quote_banner_lookalikes(SanitizePlan& plan) {
  // U+2028 and U+2029 are E2 80 A8 / A9; E2 is never a continuation byte, so every such triple
  // is the character itself, whatever bytes come before it.
  std::string body;
  body.reserve(plan.body.size());
  for (std::size_t at = 0;;) {
    const std::size_t found = plan.body.find("\xE2\x80", at);
    if (found == std::string::npos || found + 2 >= plan.body.size()) {
      body.append(plan.body, at);
      break;
    }
    const auto third = static_cast<unsigned char>(plan.body[found + 2]);
    body.append(plan.body, at, found - at);
    if (third == 0xA8 || third == 0xA9) {
      body += '\n';
      at = found + 3;
    } else {
      body.append(plan.body, found, 2);  // the third byte may begin the next E2 80
      at = found + 2;
    }
  }
  std::string out;
  out.reserve(body.size());
  std::size_t quoted = 0;
  for (std::size_t at = 0; at <= body.size();) {
    std::size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    const std::string_view line(body.data() + at, end - at);
    if (imitates_banner(line)) {
      out += "> ";
      ++quoted;
    }
    out += line;
    if (end < body.size()) out += '\n';
    at = end + 1;
  }
  plan.body = std::move(out);
  plan.banner_lookalike_lines = quoted;
  if (quoted > 0) plan.warnings.push_back("body: " + std::to_string(quoted) + " line(s) imitating the Sanso banner quoted");
}

}  // namespace

SanitizePlan plan_message(std::string_view raw, const SanitizeOptions& options) {
  SanitizePlan plan;
  if (raw.size() > options.max_message_bytes) {
    plan.verdict = Verdict::kHeld;
    plan.reason = "the message is larger than " + std::to_string(options.max_message_bytes >> 20) + " MB";
    return plan;
  }
  g_mime_init();
  // The options (and so the sink) outlive the message: GMime keeps them with its headers and may
  // warn again while they are read.
  ParserFindingSink sink{plan.parser_findings};
  std::unique_ptr<GMimeParserOptions, decltype(&g_mime_parser_options_free)> parser_options(g_mime_parser_options_new(), &g_mime_parser_options_free);
  g_mime_parser_options_set_warning_callback(parser_options.get(), &ParserFindingSink::on_warning, &sink);
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, parser_options.get());
  g_object_unref(parser);
  g_object_unref(stream);
  if (message == nullptr) {
    plan.verdict = Verdict::kHeld;
    plan.reason = "not a readable mail message";
    return plan;
  }
  // Headers from the allow-list, each written anew from its decoded value.
  GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  int count = list != nullptr ? g_mime_header_list_get_count(list) : 0;
  std::vector<std::string> seen;  // lower-case names of the headers that may occur once
  for (int i = 0; i < count; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    std::string name = g_mime_header_get_name(h);
    const char* raw_value = g_mime_header_get_raw_value(h);
    std::string value = raw_value != nullptr ? raw_value : "";
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    const std::string lname = ascii_lower(name);
    if (lname == "authentication-results" || lname == "arc-authentication-results") {
      // Whoever sent the mail wrote these; a reader would take them for the gateway's own checks.
      plan.warnings.push_back("incoming " + name + " header removed");
      continue;
    }
    if (std::find(std::begin(kSingleHeaders), std::end(kSingleHeaders), lname) != std::end(kSingleHeaders)) {
      // One of each: a second From or Subject is how a sender shows one reader one thing and
      // another reader another.
      if (std::find(seen.begin(), seen.end(), lname) != seen.end()) {
        plan.warnings.push_back("second " + name + " header dropped");
        continue;
      }
      seen.push_back(lname);
    }
    std::vector<std::string> flags;
    mime::HeaderText decoded = mime::decode_header_text(value);
    std::string unfolded = decoded.utf8;  // folding white space is no control character
    std::replace_if(unfolded.begin(), unfolded.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
    const std::string text = trim(strip_controls(unfolded, false, flags));
    if (std::string shown = internal::as_shown_by_overrides(unfolded); !shown.empty()) plan.overridden_headers.emplace_back(name, trim(strip_controls(shown, false, flags)));
    for (const auto& f : flags) plan.warnings.push_back(name + " header: " + f + " removed");
    if (lname == "subject") plan.subject = text;
    if (lname == "from") {
      plan.from = text;
      // The addresses the banner shows: read from the form the output header is written from.
      plan.from_mailboxes = mailboxes_of(is_ascii(value) ? mime::with_utf8_encoded_words(value) : text);
    }
    if (lname == "message-id") plan.message_id = trim(value);
    if (lname == "to" || lname == "cc") plan.to.push_back(text);
    auto kept = std::find_if(options.keep_headers.begin(), options.keep_headers.end(), [&](const std::string& k) { return ascii_lower(k) == lname; });
    if (kept == options.keep_headers.end()) continue;
    std::string out;
    if (lname == "subject") {
      out = mime::encode_header_text(text, options.output_charset);
    } else if (lname == "from" || lname == "to" || lname == "cc" || lname == "reply-to" || lname == "sender") {
      // Written anew through GMime's address writer from the decoded value, display names without
      // controls: the structure parsed from the ASCII form, its encoded-words first replaced by
      // UTF-8 ones of our decoding (GMime's decoder garbles CP50220's ㈱), or from our decoding of
      // raw 8-bit.
      if (!is_ascii(value)) {
        sink.add(-1, GMIME_WARN_UNENCODED_8BIT_HEADER, name.c_str());
        plan.warnings.push_back("raw 8-bit " + name + " header re-encoded");
      }
      // The message parse has already reported the ASCII form's anomalies; not twice.
      out = is_ascii(value) ? rewrite_addresses(mime::with_utf8_encoded_words(value), nullptr, plan.warnings)
                            : rewrite_addresses(text, parser_options.get(), plan.warnings);
      if (out.empty()) {
        plan.warnings.push_back(name + " header dropped: no address in it");
        continue;
      }
    } else if (lname == "date") {
      GDateTime* date = g_mime_utils_header_decode_date(text.c_str());
      if (date == nullptr) {
        plan.warnings.push_back("Date header dropped: not a date");
        continue;
      }
      char* formatted = g_mime_utils_header_format_date(date);
      out = formatted != nullptr ? formatted : "";
      g_free(formatted);
      g_date_time_unref(date);
    } else if (is_ascii(value)) {
      std::vector<std::string> raw_flags;
      out = strip_controls(value, true, raw_flags);  // line breaks are folding here
      for (const auto& f : raw_flags) plan.warnings.push_back(name + " header: " + f + " removed");
    } else {
      sink.add(-1, GMIME_WARN_UNENCODED_8BIT_HEADER, name.c_str());
      plan.warnings.push_back("raw 8-bit " + name + " header dropped");
      continue;
    }
    auto folded = fold_header(name, out);
    if (!folded) {
      plan.warnings.push_back(name + " header dropped: a word longer than 998 octets cannot be folded");
      continue;
    }
    plan.headers.push_back({name, *folded});
  }

  int part_count = 0;
  TnefBudget tnef_made_in_mail;
  Walk walk(options, plan, part_count, tnef_made_in_mail);
  GMimeObject* body = g_mime_message_get_mime_part(message);
  walk.message_part = body;
  // Its Subject: plan.subject, which the outgoing check reads as "subject".
  if (options.keep_leaves) walk.keep_field_leaves(GMIME_OBJECT(message), "", true);
  if (body != nullptr) walk.object(body, "", 0);
  g_object_unref(message);
  for (const auto& [code, item] : walk.ambiguities) sink.add(-1, code, item.c_str());
  if (sink.dropped > 0) plan.warnings.push_back(std::to_string(sink.dropped) + " further parser finding(s) not listed");
  if (!walk.ambiguities.empty() && !walk.limit_hit) {
    // Held whatever on_parser_critical says: there is no one message here to sanitize, and the
    // reading we would pick may not be the one the recipient's client picks.
    const bool ja = options.lang != "en";
    std::vector<ParserFindingKind> kinds;  // of the ambiguities found (our own codes, so never kUnknown)
    for (const auto& ambiguity : walk.ambiguities) kinds.push_back(parser_finding_of(ambiguity.first).kind);
    std::string what;
    for (const auto& f : plan.parser_findings) {
      if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) continue;
      what += (what.empty() ? "" : ja ? "、" : ", ") + describe_parser_finding(f, options.lang) + (f.item.empty() ? "" : " (" + f.item + ")");
    }
    plan.verdict = Verdict::kHeld;
    plan.reason = (ja ? "メールの構造が読み手によって異なって解釈されうるため、どちらの読み方も採らず保留しました: "
                      : "the message's structure can be read differently by different readers, so neither reading is passed on: ") + what;
    plan.pending.clear();
    return plan;
  }
  if (walk.limit_hit) {
    plan.verdict = Verdict::kHeld;
    return plan;
  }
  bool converted = false, truncated = false;
  plan.body = walk.choose_body(walk, converted, truncated);
  if (truncated) {
    plan.verdict = Verdict::kHeld;
    plan.reason = "the HTML body nests too deeply to convert completely";
    return plan;
  }
  const bool ja = options.lang != "en";
  for (const auto& text : walk.attached) {
    plan.body += std::string(plan.body.empty() || plan.body.back() == '\n' ? "\n" : "\n\n") +
                 (ja ? "----- 添付されたメール -----\n" : "----- attached message -----\n") + text;
  }
  converted = converted || !walk.attached.empty();
  // Once more over the final text: HTML entities (&#x202E;) and attached messages' headers
  // become characters only on the way here.
  std::vector<std::string> body_flags;
  plan.body = strip_controls(plan.body, true, body_flags);
  for (const auto& f : body_flags) plan.warnings.push_back("body: " + f + " removed");
  remove_embedded_files(plan, options);
  // Links in one pass over the final text: the plain body, the converted HTML (hrefs included),
  // attached messages alike, and nothing defanged twice.
  if (options.defang_links) plan.body = mime::defang_links(plan.body);
  quote_banner_lookalikes(plan);
  for (auto& p : plan.parts) {
    if (p.action == PartAction::kSkipped && p.type == "text/html") p.action = PartAction::kRemoved;
  }
  bool removed = std::any_of(plan.parts.begin(), plan.parts.end(), [](const PartReport& p) { return p.action == PartAction::kRemoved || p.action == PartAction::kPending; });
  // A message with critical findings is flagged in the notice, so it is never "clean".
  plan.verdict = (converted || removed || has_critical(plan)) ? Verdict::kSanitized : Verdict::kClean;
  for (const auto& p : plan.parts) {
    if (p.action != PartAction::kRejected) continue;
    plan.verdict = Verdict::kHeld;
    plan.reason = (options.lang != "en" ? "添付ファイル " + p.name + " はポリシーにより受け付けられません"
                                        : "the attachment " + p.name + " is not accepted by policy");
    plan.pending.clear();
    break;
  }
  if (plan.replaced_characters > 0) {
    plan.warnings.push_back(std::to_string(plan.replaced_characters) + " undecodable byte(s) shown as U+FFFD");
  }
  return plan;
}

SanitizePlan sanitize_message(std::string_view raw, const SanitizeOptions& options) {
  SanitizePlan plan = plan_message(raw, options);
  finish_attachments(plan, options, [&options](const std::vector<AttachmentInput>& inputs) {
    std::vector<cdr::CdrResult> out;
    for (const auto& in : inputs) out.push_back(cdr::sanitize(in.bytes, in.name, options.cdr));
    return out;
  });
  check_sender(plan, options);
  return plan;
}

namespace {

// The media type a rebuilt file goes out as, from its name.
std::string content_type_for(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {"pdf", "application/pdf"}, {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template"}, {"xlsb", "application/vnd.ms-excel.sheet.binary.macroEnabled.12"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"ppsx", "application/vnd.openxmlformats-officedocument.presentationml.slideshow"},
      {"potx", "application/vnd.openxmlformats-officedocument.presentationml.template"}, {"doc", "application/msword"},
      {"xls", "application/vnd.ms-excel"}, {"ppt", "application/vnd.ms-powerpoint"}, {"rtf", "application/rtf"},
      {"odt", "application/vnd.oasis.opendocument.text"}, {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {"odp", "application/vnd.oasis.opendocument.presentation"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
      {"gif", "image/gif"}, {"webp", "image/webp"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"}, {"zip", "application/zip"},
      {"txt", "text/plain; charset=UTF-8"}, {"csv", "text/csv; charset=UTF-8"}, {"tsv", "text/tab-separated-values; charset=UTF-8"}};
  auto it = kTypes.find(file_extension(name));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace

void finish_attachments(SanitizePlan& plan, const SanitizeOptions& options, const AttachmentSanitizer& engine) {
  apply_parser_critical(plan, options);
  const bool ja = options.lang != "en";
  std::erase_if(plan.pending, [&](const auto& p) { return p.first >= plan.parts.size(); });
  std::vector<AttachmentInput> inputs;
  for (const auto& [index, bytes] : plan.pending) inputs.push_back({bytes, plan.parts[index].name});
  std::vector<cdr::CdrResult> results = inputs.empty() ? std::vector<cdr::CdrResult>{} : engine(inputs);
  while (results.size() < inputs.size()) {  // an engine that answers for fewer files blocks the rest
    cdr::CdrResult unanswered;
    unanswered.reason = "internal";
    unanswered.message = "the engine gave no result for this file";
    results.push_back(std::move(unanswered));
  }
  for (std::size_t k = 0; k < plan.pending.size(); ++k) {
    const std::size_t index = plan.pending[k].first;
    PartReport& part = plan.parts[index];
    cdr::CdrResult& r = results[k];
    const AttachmentAction action = r.verdict == cdr::Verdict::blocked ? AttachmentAction::kSanitize : attachment_action_for(part.name, r.type, options);
    if (action == AttachmentAction::kReject) {
      part.action = PartAction::kRejected;
      plan.verdict = Verdict::kHeld;
      plan.reason = ja ? "添付ファイル " + part.name + " (" + r.type + ") はポリシーにより受け付けられません"
                       : "the attachment " + part.name + " (" + r.type + ") is not accepted by policy";
      continue;
    }
    if (r.verdict == cdr::Verdict::blocked || action == AttachmentAction::kRemove) {
      part.action = PartAction::kRemoved;
      if (r.verdict == cdr::Verdict::blocked) part.flags.push_back("blocked:" + r.reason);
      if (r.verdict == cdr::Verdict::blocked && r.reason == "encrypted") {
        plan.encrypted.push_back({index, part.name, r.message, std::move(plan.pending[k].second)});
      }
      continue;
    }
    part.action = PartAction::kSanitized;
    for (const auto& f : r.findings) {
      const std::string kind(cdr::to_string(f.kind));
      if (std::find(part.flags.begin(), part.flags.end(), kind) == part.flags.end()) part.flags.push_back(kind);
    }
    SanitizedAttachment a;
    a.part = index;
    a.name = r.output_name.empty() ? part.name : r.output_name;
    a.content_type = content_type_for(a.name);
    a.bytes = std::move(r.output);
    a.findings = std::move(r.findings);
    plan.attachments.push_back(std::move(a));
  }
  plan.pending.clear();
  if (plan.verdict == Verdict::kHeld) {  // a held message carries nothing, and waits whole
    plan.attachments.clear();
    plan.encrypted.clear();
  }
}

}  // namespace sanso::mail
