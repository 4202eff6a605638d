#include "mail/internal/tnef.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "mime/charset.h"

namespace sanso::mail::internal {

namespace {

constexpr std::uint32_t kSignature = 0x223E9F78;

constexpr std::uint8_t kLevelMessage = 0x01;
constexpr std::uint8_t kLevelAttachment = 0x02;

// A cursor over untrusted bytes: every read says whether the bytes are there, and what it read
// and the offset of any failure are relative to the start of the whole blob.
class Reader {
 public:
  Reader(std::string_view bytes, std::size_t base) : bytes_(bytes), base_(base) {}

  std::size_t left() const { return bytes_.size() - at_; }
  std::size_t offset() const { return base_ + at_; }

  bool take(std::size_t n, std::string_view& out) {
    if (n > left()) return false;
    out = bytes_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool u16(std::uint16_t& out) {
    std::string_view b;
    if (!take(2, b)) return false;
    out = static_cast<std::uint16_t>(byte(b, 0) | byte(b, 1) << 8);
    return true;
  }
  bool u32(std::uint32_t& out) {
    std::string_view b;
    if (!take(4, b)) return false;
    out = byte(b, 0) | byte(b, 1) << 8 | byte(b, 2) << 16 | static_cast<std::uint32_t>(byte(b, 3)) << 24;
    return true;
  }
  // A value of `n` bytes, then the padding that brings it to a multiple of 4 (which must be there).
  bool padded(std::size_t n, std::string_view& out) {
    const std::size_t pad = (4 - n % 4) % 4;
    if (n > left() || pad > left() - n) return false;
    out = bytes_.substr(at_, n);
    at_ += n + pad;
    return true;
  }

 private:
  static std::uint32_t byte(std::string_view b, std::size_t i) { return static_cast<unsigned char>(b[i]); }

  std::string_view bytes_;
  std::size_t base_;
  std::size_t at_ = 0;
};

Error tnef_error(const char* code, std::size_t offset, std::string message) {
  return make_error(std::string("tnef.") + code, "byte " + std::to_string(offset), std::move(message));
}

std::string hex4(std::uint16_t v) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04X", static_cast<unsigned>(v));
  return text;
}

Error cut_short(const Reader& r, const char* what) {
  return tnef_error("truncated", r.offset(), std::string("the blob ends inside ") + what);
}

// The size a fixed-size value takes before its padding, or 0 for a type of variable size (or
// none this reader knows).
std::size_t fixed_size(std::uint16_t type) {
  switch (type) {
    case kPtI2:
    case kPtBoolean: return 2;
    case kPtLong:
    case kPtR4:
    case kPtError: return 4;
    case kPtDouble:
    case kPtCurrency:
    case kPtAppTime:
    case kPtI8:
    case kPtSysTime: return 8;
    case kPtClsid: return 16;
    default: return 0;
  }
}

bool variable_size(std::uint16_t type) { return type == kPtString8 || type == kPtUnicode || type == kPtBinary || type == kPtObject; }

// A named property's name ([MS-OXTNEF] 2.1.3.5): its GUID, then a number or a UTF-16 string. The
// GUID and a string name are kept: whoever wrote the blob chose them, and they leave with it.
Result<void> read_property_name(Reader& r, std::string_view& guid, std::string_view& name) {
  std::uint32_t kind = 0, id = 0, length = 0;
  if (!r.take(16, guid) || !r.u32(kind)) return cut_short(r, "a named property's name");
  if (kind == 0) {
    if (!r.u32(id)) return cut_short(r, "a named property's id");
    return ok();
  }
  if (kind != 1) return tnef_error("property-name-kind", r.offset() - 4, "a named property's name is of kind " + std::to_string(kind) + " (only 0, a number, and 1, a string, exist)");
  if (!r.u32(length) || !r.padded(length, name)) return cut_short(r, "a named property's name");
  return ok();
}

// A MAPI property list ([MS-OXTNEF] 2.1.3.5: a count, then the properties) read from `r`.
Result<std::vector<TnefProperty>> read_properties(Reader& r) {
  const std::size_t base = r.offset();
  std::uint32_t count = 0;
  if (!r.u32(count)) return cut_short(r, "a property list's count");
  // Each property takes at least 8 bytes (its tag and one 4-byte value): a count beyond that is a
  // lie, refused before anything is allocated for it.
  if (count > r.left() / 8) return tnef_error("property-count", base, "the property list counts " + std::to_string(count) + " properties in " + std::to_string(r.left()) + " bytes");
  std::vector<TnefProperty> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    TnefProperty p;
    const std::size_t start = r.offset();
    std::uint16_t type = 0;
    if (!r.u16(type) || !r.u16(p.id)) return cut_short(r, "a property's tag");
    p.multi_valued = (type & kPtMultiValued) != 0;
    p.type = static_cast<std::uint16_t>(type & ~kPtMultiValued);
    const std::size_t size = fixed_size(p.type);
    if (size == 0 && !variable_size(p.type)) return tnef_error("property-type", start, "a property of type " + hex4(type) + ", which this reader does not know");
    if (p.id >= 0x8000) {
      p.named = true;
      SANSO_TRY(read_property_name(r, p.guid, p.name));
    }
    std::uint32_t values = 1;
    if (p.multi_valued || variable_size(p.type)) {
      if (!r.u32(values)) return cut_short(r, "a property's value count");
      if (values > r.left() / 4) return tnef_error("value-count", r.offset() - 4, "a property counts " + std::to_string(values) + " values in " + std::to_string(r.left()) + " bytes");
      // A single-valued property has one value: one more or one less leaves a reader guessing.
      if (!p.multi_valued && values != 1) return tnef_error("value-count", r.offset() - 4, "a single-valued property counts " + std::to_string(values) + " values");
    }
    p.values.reserve(values);
    for (std::uint32_t k = 0; k < values; ++k) {
      std::string_view value;
      std::uint32_t length = static_cast<std::uint32_t>(size);
      if (size == 0 && !r.u32(length)) return cut_short(r, "a property value's length");
      if (!r.padded(length, value)) return cut_short(r, "a property's value");
      p.values.push_back(value);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Bytes after what a list or table accounts for: read by no one.
Result<void> nothing_after(const Reader& r, const char* what) {
  if (r.left() != 0) return tnef_error("property-trailing", r.offset(), std::to_string(r.left()) + " bytes after the last " + what);
  return ok();
}

// A property list (attMAPIProps, attAttachment), which must fill its attribute exactly.
Result<std::vector<TnefProperty>> parse_properties(std::string_view data, std::size_t base) {
  Reader r(data, base);
  auto out = SANSO_TRY(read_properties(r));
  SANSO_TRY(nothing_after(r, "property of the list"));
  return out;
}

// The recipient table (attRecipTable): a count of rows, each a property
// list (a recipient's name, address, type…), which together fill the attribute exactly.
Result<std::vector<std::vector<TnefProperty>>> parse_recipients(std::string_view data, std::size_t base) {
  Reader r(data, base);
  std::uint32_t rows = 0;
  if (!r.u32(rows)) return cut_short(r, "the recipient table's count");
  // A row takes at least its 4-byte property count.
  if (rows > r.left() / 4) return tnef_error("property-count", base, "the recipient table counts " + std::to_string(rows) + " recipients in " + std::to_string(r.left()) + " bytes");
  std::vector<std::vector<TnefProperty>> out;
  out.reserve(rows);
  for (std::uint32_t i = 0; i < rows; ++i) out.push_back(SANSO_TRY(read_properties(r)));
  SANSO_TRY(nothing_after(r, "recipient of the table"));
  return out;
}

// The attributes [MS-OXTNEF] defines that this reader keeps whole (TnefAttribute) rather than
// taking apart. attOriginalMessageClass is 0x00070600 in the specification and 0x00070006 where
// Exchange writes it: both are known.
bool kept_whole(std::uint32_t id) {
  switch (id) {
    case kAttOwner:
    case kAttSentFor:
    case kAttDelegate:
    case kAttDateStart:
    case kAttDateEnd:
    case kAttAidOwner:
    case kAttRequestRes:
    case kAttOriginalMessageClass:
    case 0x00070006:
    case kAttDateSent:
    case kAttDateRecd:
    case kAttMessageStatus:
    case kAttMessageClass:
    case kAttMessageId:
    case kAttParentId:
    case kAttConversationId:
    case kAttPriority:
    case kAttAttachMetaFile:
    case kAttAttachCreateDate:
    case kAttAttachModifyDate:
    case kAttDateModified:
    case kAttAttachTransportFilename:
    case kAttTnefVersion:
    case kAttOemCodepage: return true;
    default: return false;
  }
}

// A message attribute that may come once: a second would replace the first, whose text would then
// go unread.
Result<void> set_once(std::optional<std::string_view>& slot, std::string_view data, std::size_t offset, const char* what) {
  if (slot) return tnef_error("repeated-attribute", offset, std::string("a second ") + what);
  slot = data;
  return ok();
}

}  // namespace

std::vector<const TnefProperty*> find_tnef_properties(const std::vector<TnefProperty>& properties, std::uint16_t type, std::uint16_t id) {
  std::vector<const TnefProperty*> out;
  for (const auto& p : properties) {
    if (!p.named && !p.multi_valued && p.type == type && p.id == id) out.push_back(&p);
  }
  return out;
}

Result<TnefBlob> parse_tnef(std::string_view blob) {
  Reader r(blob, 0);
  std::uint32_t signature = 0;
  std::uint16_t key = 0;
  if (!r.u32(signature) || signature != kSignature) return tnef_error("signature", 0, "not a TNEF blob (no signature 0x223E9F78)");
  if (!r.u16(key)) return cut_short(r, "the key");
  TnefBlob out;
  while (r.left() > 0) {
    const std::size_t at = r.offset();
    std::string_view level_byte, data;
    std::uint32_t id = 0, length = 0;
    std::uint16_t checksum = 0;
    if (!r.take(1, level_byte) || !r.u32(id) || !r.u32(length)) return cut_short(r, "an attribute's header");
    if (!r.take(length, data)) return cut_short(r, "an attribute's data");
    if (!r.u16(checksum)) return cut_short(r, "an attribute's checksum");
    // The checksum is the data's bytes summed mod 65536. libytnef refused a blob with a wrong one,
    // and so do we: a blob changed after Outlook wrote it is no ordinary winmail.dat.
    std::uint32_t sum = 0;
    for (const char c : data) sum += static_cast<unsigned char>(c);
    if ((sum & 0xffff) != checksum) return tnef_error("checksum", at, "an attribute's checksum does not match its data");
    const auto level = static_cast<std::uint8_t>(level_byte[0]);
    if (level != kLevelMessage && level != kLevelAttachment) return tnef_error("level", at, "an attribute of level " + std::to_string(level) + " (only 1, the message, and 2, an attachment, exist)");
    const std::size_t data_at = at + 9;
    // Attachment attributes belong to the attachment attAttachRenddata opened last; before any,
    // they would belong to none and be read by no one.
    TnefAttachment* attachment = out.attachments.empty() ? nullptr : &out.attachments.back();
    const bool of_attachment = id == kAttAttachData || id == kAttAttachTitle || id == kAttAttachment || (level == kLevelAttachment && id != kAttAttachRenddata);
    if (of_attachment && attachment == nullptr) return tnef_error("attachment-without-start", at, "an attachment's attribute before any attachment began (attAttachRenddata)");
    switch (id) {
      case kAttAttachRenddata:
        // It opens an attachment; its bytes (how the file is shown: 14 of them as Outlook writes
        // it, any number as a writer chooses) are kept with it like any attribute's.
        out.attachments.emplace_back();
        out.attachments.back().attributes.push_back({id, data});
        break;
      case kAttAttachTitle: attachment->titles.push_back(data); break;  // a second title is a second name: both are read
      case kAttAttachData: SANSO_TRY(set_once(attachment->data, data, at, "file in one attachment (attAttachData)")); break;
      case kAttAttachment: {
        auto properties = SANSO_TRY(parse_properties(data, data_at));
        attachment->properties.insert(attachment->properties.end(), properties.begin(), properties.end());
        break;
      }
      case kAttMapiProps: {
        auto properties = SANSO_TRY(parse_properties(data, data_at));
        out.properties.insert(out.properties.end(), properties.begin(), properties.end());
        break;
      }
      case kAttRecipTable: {
        auto rows = SANSO_TRY(parse_recipients(data, data_at));
        out.recipients.insert(out.recipients.end(), rows.begin(), rows.end());
        break;
      }
      case kAttSubject: SANSO_TRY(set_once(out.subject, data, at, "subject (attSubject)")); break;
      case kAttBody: SANSO_TRY(set_once(out.body, data, at, "body (attBody)")); break;
      case kAttFrom: SANSO_TRY(set_once(out.from, data, at, "sender (attFrom)")); break;
      default:
        // Dates, the message class and id, the transport file name, an icon: kept whole for the
        // caller to read. An id the specification does not define holds no one knows what.
        if (!kept_whole(id)) {
          char text[16];
          std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(id));
          return tnef_error("attribute", at, std::string("an attribute ") + text + " [MS-OXTNEF] does not define");
        }
        (level == kLevelAttachment ? attachment->attributes : out.attributes).push_back({id, data});
        break;
    }
  }
  return out;
}

// --- Reading values as text ---

std::string tnef_string(std::string_view value, std::uint16_t type) {
  std::string text = type == kPtUnicode ? mime::decode_text(value, "utf-16le").utf8 : mime::text_for_checks(value);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

std::vector<std::string> tnef_declared_charsets(const TnefBlob& blob) {
  std::vector<std::uint32_t> code_pages;
  for (const std::uint16_t id : {std::uint16_t{0x3FDE}, std::uint16_t{0x3FFD}}) {  // PR_INTERNET_CPID, PR_MESSAGE_CODEPAGE
    for (const TnefProperty* p : find_tnef_properties(blob.properties, kPtLong, id)) {
      const std::string_view v = p->values[0];
      code_pages.push_back(static_cast<unsigned char>(v[0]) | static_cast<unsigned char>(v[1]) << 8 | static_cast<unsigned char>(v[2]) << 16 |
                           static_cast<std::uint32_t>(static_cast<unsigned char>(v[3])) << 24);
    }
  }
  for (const TnefAttribute& a : blob.attributes) {
    if (a.id != kAttOemCodepage || a.data.size() < 4) continue;
    code_pages.push_back(static_cast<unsigned char>(a.data[0]) | static_cast<unsigned char>(a.data[1]) << 8 | static_cast<unsigned char>(a.data[2]) << 16 |
                         static_cast<std::uint32_t>(static_cast<unsigned char>(a.data[3])) << 24);
  }
  std::vector<std::string> out;
  for (const std::uint32_t code_page : code_pages) {
    std::string charset = mime::charset_for_code_page(code_page);
    if (charset.empty()) charset = "windows-1252";
    if (std::find(out.begin(), out.end(), charset) == out.end()) out.push_back(std::move(charset));
  }
  return out;
}

std::string tnef_other_readings(std::string_view value, const std::vector<std::string>& charsets) {
  if (charsets.empty() || std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return "";
  const std::string guessed = tnef_string(value, kPtString8);
  std::string out;
  for (const std::string& charset : charsets) {
    std::string text = mime::decode_text(value, charset).utf8;
    while (!text.empty() && text.back() == '\0') text.pop_back();
    if (text != guessed) out += as_lines(std::move(text)) + "\n";
  }
  return out;
}

std::string as_lines(std::string text) {
  for (char& c : text) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) c = '\n';
  }
  return text;
}

std::string binary_text(std::string_view value) {
  std::string out = as_lines(mime::text_for_checks(value)) + "\n";
  for (const std::size_t shift : {std::size_t{0}, std::size_t{1}}) {
    if (value.size() >= shift + 2) out += as_lines(mime::decode_text(value.substr(shift, (value.size() - shift) & ~std::size_t{1}), "utf-16le").utf8) + "\n";
  }
  return out;
}

namespace {

// An unsigned little-endian (or big-endian) number of up to 8 bytes.
std::uint64_t little_endian(std::string_view b) {
  std::uint64_t v = 0;
  for (std::size_t i = b.size(); i-- > 0;) v = v << 8 | static_cast<unsigned char>(b[i]);
  return v;
}
std::uint64_t big_endian(std::string_view b) {
  std::uint64_t v = 0;
  for (const char c : b) v = v << 8 | static_cast<unsigned char>(c);
  return v;
}

// Each number on a line of its own: two on one line, split by a space, would read as one longer
// number (the finder joins digit groups split by spaces).
std::string line(std::uint64_t v) { return std::to_string(v) + "\n"; }
std::string signed_lines(std::int64_t v, std::uint64_t as_unsigned) { return v < 0 ? std::to_string(v) + "\n" + line(as_unsigned) : line(as_unsigned); }

std::string hex_text(std::string_view b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(b.size() * 2 + 1);
  for (const char c : b) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 0xF];
  }
  return out + "\n";
}

// The hex digits of `b` without the zero bytes it is padded with at either end, when it has
// some: six bytes 12 34 56 78 90 18 written into an 8- or 16-byte value show "123456789018" followed
// by zeros, a longer run the number finder rightly takes for no number (review23a M2). Only the
// padding comes off: windows inside random bytes would find a "number" in one value of a few
// hundred.
std::string unpadded_hex(std::string_view b) {
  const std::size_t first = b.find_first_not_of('\0');
  if (first == std::string_view::npos) return "";
  const std::string_view kept = b.substr(first, b.find_last_not_of('\0') + 1 - first);
  return kept.size() == b.size() ? "" : hex_text(kept);
}

// A GUID as written in braces (its first three fields little-endian), then its bytes' text.
std::string guid_text(std::string_view g) {
  if (g.size() != 16) return hex_text(g) + binary_text(g);
  char text[48];
  std::snprintf(text, sizeof text, "{%08X-%04X-%04X-", static_cast<unsigned>(little_endian(g.substr(0, 4))), static_cast<unsigned>(little_endian(g.substr(4, 2))),
                static_cast<unsigned>(little_endian(g.substr(6, 2))));
  std::string out = text;
  const std::string rest = hex_text(g.substr(8));
  out += rest.substr(0, 4) + "-" + rest.substr(4, 12) + "}\n";
  return out + binary_text(g);
}

// Days since 1970-01-01 as a civil date (the proleptic Gregorian calendar, H. Hinnant's method):
// no time zone, no locale, no libc table.
std::string civil_time(std::int64_t seconds) {
  std::int64_t days = seconds / 86400, rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char text[64];
  // 'T' and ':' between the fields: a date written with spaces or hyphens only would join its
  // digits into one run the finder reads as a number.
  std::snprintf(text, sizeof text, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ\n", static_cast<long long>(year), static_cast<long long>(month), static_cast<long long>(day),
                static_cast<long long>(rest / 3600), static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  return text;
}

// A floating-point value as a person sees it: its integer digits, and its 15 significant digits
// (what Excel shows); a NaN's payload (its mantissa) as a number, since a writer may keep one there.
std::string real_text(double v, std::uint64_t payload) {
  if (std::isnan(v)) return "NaN\n" + line(payload);
  if (std::isinf(v)) return v < 0 ? "-Infinity\n" : "Infinity\n";
  char text[64];
  std::string out;
  if (std::fabs(v) < 1e21) {
    std::snprintf(text, sizeof text, "%.0f\n", std::trunc(v));
    out += text;
  }
  std::snprintf(text, sizeof text, "%.15g\n", v);
  return out + text;
}

double as_double(std::uint64_t bits) {
  double v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// A value in 100-ns intervals since 1601-01-01 (FILETIME) as a date, when it is one.
std::string filetime_text(std::uint64_t ticks) {
  constexpr std::uint64_t kUnixEpoch = 116444736000000000ull;
  const std::int64_t seconds = static_cast<std::int64_t>(ticks / 10000000) - static_cast<std::int64_t>(kUnixEpoch / 10000000);
  return civil_time(seconds);
}

constexpr std::size_t kGuidBytes = 16;
constexpr std::string_view kOneOffProvider("\x81\x2B\x1F\xA4\xBE\xA3\x10\x19\x9D\x6E\x00\xDD\x01\x0F\x54\x02", 16);
constexpr std::string_view kAddressBookProvider("\xDC\xA7\x40\xC8\xC0\x42\x10\x1A\xB4\xB9\x08\x00\x2B\x2F\xE1\x82", 16);
// The longest tail after an entry id's flags and provider GUID this reader takes for GUIDs and
// counters: a message EntryID's ([MS-OXCDATA] 2.2.4.2: type, database GUID, counter, pad,
// database GUID, counter, pad).
constexpr std::size_t kMostEntryIdTail = 2 + 16 + 6 + 2 + 16 + 6 + 2;

// One NUL-ended string of a one-off entry id from `at`, 8-bit or UTF-16LE; false when it does not end.
bool ended_string(std::string_view b, std::size_t& at, bool unicode, std::string& out) {
  const std::size_t unit = unicode ? 2 : 1;
  for (std::size_t i = at; i + unit <= b.size(); i += unit) {
    if (b[i] == '\0' && (!unicode || b[i + 1] == '\0')) {
      out += as_lines(tnef_string(b.substr(at, i - at), unicode ? kPtUnicode : kPtString8)) + "\n";
      at = i + unit;
      return true;
    }
  }
  return false;
}

// An entry id ([MS-OXCDATA] 2.2): a one-off's display name, address type and address; an address
// book entry id's X500 DN; any other provider's GUIDs and counters (a store's message or folder),
// read as hex with their bytes' text. nullopt when it is none of these.
std::optional<std::string> entry_id_text(std::string_view b) {
  if (b.size() < 4 + kGuidBytes) return std::nullopt;
  const std::string_view provider = b.substr(4, kGuidBytes);
  const std::string_view tail = b.substr(4 + kGuidBytes);
  if (provider == kOneOffProvider && tail.size() >= 4 && little_endian(b.substr(0, 4)) == 0) {
    const bool unicode = (little_endian(tail.substr(2, 2)) & 0x8000) != 0;
    std::size_t at = 4;
    std::string out;
    for (int k = 0; k < 3; ++k) {
      if (!ended_string(tail, at, unicode, out)) return std::nullopt;
    }
    // Padding a writer may add after the address: NULs only.
    if (tail.substr(at).find_first_not_of('\0') != std::string_view::npos) return std::nullopt;
    return out;
  }
  if (provider == kAddressBookProvider && tail.size() >= 9 && little_endian(b.substr(0, 4)) == 0) {
    std::size_t at = 8;
    std::string out;
    if (!ended_string(tail, at, false, out) || tail.substr(at).find_first_not_of('\0') != std::string_view::npos) return std::nullopt;
    return out;
  }
  if (tail.size() > kMostEntryIdTail) return std::nullopt;
  return hex_text(b.substr(0, 4)) + guid_text(provider) + hex_text(tail) + binary_text(tail);
}

// A XID ([MS-OXCDATA] 2.2.1.2): a GUID and a local id of 1 to 8 bytes.
bool is_xid(std::string_view b) { return b.size() > kGuidBytes && b.size() <= kGuidBytes + 8; }
std::string xid_text(std::string_view b) { return guid_text(b.substr(0, kGuidBytes)) + hex_text(b.substr(kGuidBytes)); }

// A predecessor change list ([MS-OXCFXICS] 2.2.2.4): XIDs, each after its one-byte size.
std::optional<std::string> change_list_text(std::string_view b) {
  std::string out;
  for (std::size_t at = 0; at < b.size();) {
    const std::size_t size = static_cast<unsigned char>(b[at]);
    if (size > b.size() - at - 1 || !is_xid(b.substr(at + 1, size))) return std::nullopt;
    out += xid_text(b.substr(at + 1, size));
    at += 1 + size;
  }
  return out;
}

// A FlatEntryList ([MS-OXCDATA] 2.3.3: count, size, then each entry id after its size, padded to 4).
std::optional<std::string> entry_list_text(std::string_view b) {
  if (b.size() < 8 || little_endian(b.substr(4, 4)) != b.size() - 8) return std::nullopt;
  const std::uint64_t count = little_endian(b.substr(0, 4));
  std::string out;
  std::size_t at = 8;
  for (std::uint64_t k = 0; k < count; ++k) {
    if (b.size() - at < 4) return std::nullopt;
    const std::uint64_t size = little_endian(b.substr(at, 4));
    if (size > b.size() - at - 4) return std::nullopt;
    auto text = entry_id_text(b.substr(at + 4, size));
    if (!text) return std::nullopt;
    out += *text;
    at += 4 + size;
    if (k + 1 < count) at += std::min<std::size_t>((4 - size % 4) % 4, b.size() - at);
  }
  if (at != b.size()) return std::nullopt;
  return out;
}

// Property ids ([MS-OXPROPS]) whose binary values have a structure this reader knows.
bool entry_id_tag(std::uint16_t id) {
  switch (id) {
    case 0x0FFF:  // PR_ENTRYID
    case 0x0C19:  // PR_SENDER_ENTRYID
    case 0x0041:  // PR_SENT_REPRESENTING_ENTRYID
    case 0x003F:  // PR_RECEIVED_BY_ENTRYID
    case 0x0043:  // PR_RCVD_REPRESENTING_ENTRYID
    case 0x0045:  // PR_REPORT_ENTRYID
    case 0x0046:  // PR_READ_RECEIPT_ENTRYID
    case 0x004C:  // PR_ORIGINAL_AUTHOR_ENTRYID
    case 0x005B:  // PR_ORIGINAL_SENDER_ENTRYID
    case 0x005E:  // PR_ORIGINAL_SENT_REPRESENTING_ENTRYID
    case 0x1012:  // PR_ORIGINALLY_INTENDED_RECIP_ENTRYID
    case 0x3A12:  // PR_ORIGINAL_ENTRYID
    case 0x0E09:  // PR_PARENT_ENTRYID
    case 0x0E0A:  // PR_SENTMAIL_ENTRYID
    case 0x0FFB:  // PR_STORE_ENTRYID
    case 0x3FF9:  // PR_CREATOR_ENTRYID
    case 0x3FFB:  // PR_LAST_MODIFIER_ENTRYID
    // Search and record keys: an address's "TYPE:ADDRESS" (text), a message's GUID, or an entry id.
    case 0x300B:  // PR_SEARCH_KEY
    case 0x0C1D:  // PR_SENDER_SEARCH_KEY
    case 0x003B:  // PR_SENT_REPRESENTING_SEARCH_KEY
    case 0x0051:  // PR_RECEIVED_BY_SEARCH_KEY
    case 0x0052:  // PR_RCVD_REPRESENTING_SEARCH_KEY
    case 0x0FF9:  // PR_RECORD_KEY
    case 0x0FFA:  // PR_STORE_RECORD_KEY
    case 0x0FF8:  // PR_MAPPING_SIGNATURE
    case 0x0FF6:  // PR_INSTANCE_KEY
    case 0x0025:  // PR_PARENT_KEY
    case 0x3013:  // PR_CONVERSATION_ID
      return true;
    default: return false;
  }
}

// A meeting's global object id ([MS-OXOCAL] 2.2.1.27 PidLidGlobalObjectId, and
// PidLidCleanGlobalObjectId): a fixed class id, the year, month and day of an exception, a
// FILETIME, 8 reserved bytes, then Size bytes of data — the "vCal-Uid" text of an iCalendar UID or
// an id of Outlook's own. Named properties have no fixed tag, so it is known by its class id and
// a length that adds up. Read as Outlook exports it (the whole id in hexadecimal: an iCalendar
// UID), its date and time, and its data's text. nullopt when it is not one.
std::optional<std::string> global_object_id_text(std::string_view b) {
  static constexpr std::string_view kClassId("\x04\x00\x00\x00\x82\x00\xE0\x00\x74\xC5\xB7\x10\x1A\x82\xE0\x08", 16);
  if (b.size() < 40 || b.substr(0, 16) != kClassId || little_endian(b.substr(36, 4)) != b.size() - 40) return std::nullopt;
  return hex_text(b) + line(big_endian(b.substr(16, 2))) + line(static_cast<unsigned char>(b[18])) + line(static_cast<unsigned char>(b[19])) +
         filetime_text(little_endian(b.substr(20, 8))) + hex_text(b.substr(28, 8)) + hex_text(b.substr(40)) + binary_text(b.substr(40));
}

std::optional<std::string> structured_text(std::uint16_t id, std::string_view b) {
  if (auto meeting = global_object_id_text(b)) return meeting;
  if (entry_id_tag(id)) {
    if (b.size() == kGuidBytes) return guid_text(b);
    return entry_id_text(b);
  }
  switch (id) {
    case 0x004F:  // PR_REPLY_RECIPIENT_ENTRIES
      return entry_list_text(b);
    case 0x0071:  // PR_CONVERSATION_INDEX: a header (reserved byte, time, GUID), then 5-byte child blocks
      if (b.size() < 22 || (b.size() - 22) % 5 != 0) return std::nullopt;
      return hex_text(b.substr(0, 6)) + guid_text(b.substr(6, kGuidBytes)) + hex_text(b.substr(22));
    case 0x65E0:  // PR_SOURCE_KEY
    case 0x65E1:  // PR_PARENT_SOURCE_KEY
    case 0x65E2:  // PR_CHANGE_KEY
      if (!is_xid(b)) return std::nullopt;
      return xid_text(b);
    case 0x65E3:  // PR_PREDECESSOR_CHANGE_LIST
      return change_list_text(b);
    case 0x3702:  // PR_ATTACH_ENCODING: an OID (MacBinary's), or nothing
    case 0x370A:  // PR_ATTACH_TAG: an OID (OID_TNEF, OID_MIMETAG)
      if (b.size() > 16) return std::nullopt;
      return hex_text(b);
    default: return std::nullopt;
  }
}

bool bad_code_point(char32_t c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xDFFF) || (c >= 0xE000 && c <= 0xF8FF) || c == 0xFFFD ||
         c == 0xFFFE || c == 0xFFFF;
}

// Interior NULs a text may hold (strings a writer put one after another) and still be text.
constexpr std::size_t kMostInteriorNuls = 2;

// The scripts text in a binary value is written in (Latin, Greek, Cyrillic, Thai, punctuation and
// symbols, kana and kanji, Hangul, full-width forms). Any two bytes are a UTF-16 code unit, most
// of them "printable": without this, one value in a hundred of 64 random bytes — compressed,
// encrypted — would pass for text; with it, none in a million.
bool written_script(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0x52F) || (c >= 0xE00 && c <= 0xE7F) || (c >= 0x1100 && c <= 0x11FF) ||
         (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFFEF);
}

bool utf16_text(std::string_view b) {
  while (b.size() >= 2 && b[b.size() - 1] == '\0' && b[b.size() - 2] == '\0') b.remove_suffix(2);
  if (b.size() % 2 != 0) return false;
  std::size_t nuls = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    char32_t c = static_cast<char32_t>(little_endian(b.substr(i, 2)));
    if (c >= 0xD800 && c <= 0xDBFF && i + 4 <= b.size()) {
      const auto low = static_cast<char32_t>(little_endian(b.substr(i + 2, 2)));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        i += 2;
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        if ((c & 0xFFFE) == 0xFFFE || (c >= 0xF0000)) return false;  // noncharacters, private use planes
        continue;
      }
    }
    if (c == 0) ++nuls;
    else if (bad_code_point(c) || !written_script(c)) return false;
  }
  return nuls <= kMostInteriorNuls;
}

bool eight_bit_text(std::string_view b) {
  while (!b.empty() && b.back() == '\0') b.remove_suffix(1);
  const std::string detected = mime::detect_japanese(b);
  if (detected.empty()) return false;
  std::size_t nuls = 0;
  for (const char ch : b) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) ++nuls;
    else if (c == 0x1B && detected == "iso-2022-jp") continue;
    else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return false;
  }
  if (nuls > kMostInteriorNuls) return false;
  if (detected == "us-ascii" || detected == "iso-2022-jp") return true;
  // Every 8-bit byte decodes: detect_japanese lets one in ten be garbage.
  const mime::DecodedText d = mime::decode_text(b, detected);
  if (d.replaced != 0) return false;
  for (std::size_t i = 0; i < d.utf8.size();) {
    const auto c = static_cast<unsigned char>(d.utf8[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len == 2 && i + 1 < d.utf8.size()) {
      const char32_t cp = (c & 0x1F) << 6 | (static_cast<unsigned char>(d.utf8[i + 1]) & 0x3F);
      if (bad_code_point(cp)) return false;
    }
    if (len == 3 && i + 2 < d.utf8.size()) {
      const char32_t cp = (c & 0x0F) << 12 | (static_cast<unsigned char>(d.utf8[i + 1]) & 0x3F) << 6 | (static_cast<unsigned char>(d.utf8[i + 2]) & 0x3F);
      if (bad_code_point(cp)) return false;
    }
    i += len;
  }
  return true;
}

std::string hex_id(const char* what, std::uint32_t id, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%s (0x%0*X)", what, digits, static_cast<unsigned>(id));
  return text;
}

}  // namespace

bool tnef_text_accounts_for(std::string_view value) { return eight_bit_text(value) || utf16_text(value); }

TnefValueReading read_tnef_value(std::uint16_t type, std::uint16_t id, std::string_view v) {
  TnefValueReading out;
  const std::uint64_t u = v.size() <= 8 ? little_endian(v) : 0;
  switch (type) {
    case kPtI2: out.text = signed_lines(static_cast<std::int16_t>(u), u); return out;
    case kPtBoolean: out.text = line(u); return out;
    case kPtLong: out.text = signed_lines(static_cast<std::int32_t>(u), u); return out;
    case kPtError: out.text = line(u) + hex_text(v); return out;
    case kPtI8: out.text = signed_lines(static_cast<std::int64_t>(u), u); return out;
    case kPtR4: {
      float f = 0;
      const auto bits = static_cast<std::uint32_t>(u);
      std::memcpy(&f, &bits, sizeof f);
      out.text = real_text(f, bits & 0x007FFFFFu);
      return out;
    }
    case kPtDouble: out.text = real_text(as_double(u), u & 0x000FFFFFFFFFFFFFull); return out;
    case kPtAppTime: {
      // Days since 1899-12-30 (OLE Automation time); its number too, as for any double.
      const double days = as_double(u);
      out.text = real_text(days, u & 0x000FFFFFFFFFFFFFull);
      if (std::isfinite(days) && std::fabs(days) < 1e7) out.text += civil_time(static_cast<std::int64_t>(std::floor((days - 25569.0) * 86400.0)));
      return out;
    }
    case kPtCurrency: {
      // A fixed-point number in 10,000ths: shown as its units and its four decimals.
      const auto c = static_cast<std::int64_t>(u);
      const std::uint64_t magnitude = c < 0 ? 0 - u : u;
      char text[64];
      std::snprintf(text, sizeof text, "%s%llu\n%s%llu.%04llu\n", c < 0 ? "-" : "", static_cast<unsigned long long>(magnitude / 10000), c < 0 ? "-" : "",
                    static_cast<unsigned long long>(magnitude / 10000), static_cast<unsigned long long>(magnitude % 10000));
      out.text = text + line(u);
      return out;
    }
    case kPtSysTime: out.text = filetime_text(u) + line(u); return out;
    case kPtClsid: out.text = guid_text(v); return out;
    default: break;
  }
  // PT_BINARY.
  if (v.empty()) return out;
  // A few bytes may be a number written as binary: read both ways round (no identifier of a
  // known structure is this short but a record or instance key, 4 bytes), and as the hexadecimal
  // digits of its bytes in order, as MFCMAPI and OutlookSpy show a binary value ("cb: 6 lpb:
  // 123456789018" is six bytes 12 34 56 78 90 18: a number to whoever looks).
  if (v.size() <= 8) out.text += line(little_endian(v)) + line(big_endian(v)) + hex_text(v) + unpadded_hex(v);
  if (v.size() > kMostBinaryTextBytes) {
    out.unread = hex_id("tnef: a binary property", id, 4) + " of " + std::to_string(v.size()) + " bytes is not read (more than " + std::to_string(kMostBinaryTextBytes) +
                 ": not an identifier whose text can be read)";
    return out;
  }
  if (auto structured = structured_text(id, v)) {
    out.text += *structured;
    return out;
  }
  if (v.size() == kGuidBytes) {
    // A GUID, whatever the tag: the ids add-ins and Outlook's named properties keep
    // (PidLidTaskGlobalId, a class id). Its halves as numbers too, both ways round, so a number
    // written into one as binary is read.
    out.text += guid_text(v) + hex_text(v) + unpadded_hex(v);  // in braces, and its bytes in order as a binary value is shown
    for (const std::string_view half : {v.substr(0, 8), v.substr(8)}) out.text += line(little_endian(half)) + line(big_endian(half));
    return out;
  }
  out.text += binary_text(v);
  if (!tnef_text_accounts_for(v) && v.size() > 8) {
    out.unread = hex_id("tnef: a binary property", id, 4) + " of " + std::to_string(v.size()) +
                 " bytes is not read (neither text nor an identifier of a known structure: compressed, encrypted or a file's bytes read as text find nothing)";
  }
  return out;
}

TnefValueReading read_tnef_attribute(const TnefAttribute& attribute, std::string_view of_what) {
  TnefValueReading out;
  const std::string_view d = attribute.data;
  auto u16 = [&](std::size_t at) { return little_endian(d.substr(at, 2)); };
  auto u32 = [&](std::size_t at) { return little_endian(d.substr(at, 4)); };
  bool known = false;
  switch (attribute.id) {
    case kAttDateStart:
    case kAttDateEnd:
    case kAttDateSent:
    case kAttDateRecd:
    case kAttAttachCreateDate:
    case kAttAttachModifyDate:
    case kAttDateModified:
      // A DTR: year, month, day, hour, minute, second, day of the week.
      if (d.size() == 14) {
        char text[64];
        std::snprintf(text, sizeof text, "%04u-%02u-%02uT%02u:%02u:%02u\n", static_cast<unsigned>(u16(0)), static_cast<unsigned>(u16(2)), static_cast<unsigned>(u16(4)),
                      static_cast<unsigned>(u16(6)), static_cast<unsigned>(u16(8)), static_cast<unsigned>(u16(10)));
        out.text = text + line(u16(12));
        known = true;
      }
      break;
    case kAttRequestRes:
    case kAttPriority:
      if (d.size() == 2) out.text = line(u16(0)), known = true;
      break;
    case kAttAidOwner:
    case kAttTnefVersion:
      if (d.size() == 4) out.text = line(u32(0)), known = true;
      break;
    case kAttMessageStatus:
      if (d.size() == 1) out.text = line(little_endian(d)), known = true;
      break;
    case kAttOemCodepage:
      if (d.size() == 8) out.text = line(u32(0)) + line(u32(4)), known = true;
      break;
    case kAttAttachRenddata:
      // Type, position, width, height, flags ([MS-OXTNEF] 2.1.3.3.19).
      if (d.size() == 14) out.text = line(u16(0)) + line(u32(2)) + line(u16(6)) + line(u16(8)) + line(u32(10)), known = true;
      break;
    default: break;
  }
  // Whatever the layout, the bytes' text is read too (a writer may have put text where a number goes).
  if (d.size() <= kMostBinaryTextBytes) out.text += binary_text(d);
  const std::string what = hex_id("tnef: an attribute", attribute.id, 8) + " " + std::string(of_what) + " of " + std::to_string(d.size()) + " bytes is not read";
  if (d.size() > kMostBinaryTextBytes) {
    out.unread = what;
  } else if (!known && !d.empty() && !tnef_text_accounts_for(d)) {
    if (d.size() <= 8) out.text += line(little_endian(d)) + line(big_endian(d));
    else out.unread = what + " (neither text nor of the layout [MS-OXTNEF] gives it)";
  }
  return out;
}

}  // namespace sanso::mail::internal
