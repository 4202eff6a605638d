#include "mail/internal/tnef.h"

#include <cstdio>
#include <string>

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

}  // namespace sanso::mail::internal
