// Private to src/mail: our own reader of TNEF (Outlook's winmail.dat, [MS-OXTNEF]). It replaced
// libytnef, which is GPL-2+ and may not be linked into an Apache-2.0 process (issue #16). It runs
// where the sanitizer runs (in the sandboxed child) and takes the blob apart only: what the parts
// mean for the message is sanitize.cc's business. Nothing outside src/mail includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::mail::internal {

// MAPI property types ([MS-OXCDATA] 2.11.1) this reader knows; any other type makes the blob
// unreadable, since its size (and so where the next property starts) is unknown.
enum TnefPropertyType : std::uint16_t {
  kPtI2 = 0x0002,
  kPtLong = 0x0003,
  kPtR4 = 0x0004,
  kPtDouble = 0x0005,
  kPtCurrency = 0x0006,
  kPtAppTime = 0x0007,
  kPtError = 0x000A,
  kPtBoolean = 0x000B,
  kPtObject = 0x000D,
  kPtI8 = 0x0014,
  kPtString8 = 0x001E,
  kPtUnicode = 0x001F,
  kPtSysTime = 0x0040,
  kPtClsid = 0x0048,
  kPtBinary = 0x0102,
};
constexpr std::uint16_t kPtMultiValued = 0x1000;

// One MAPI property as written: its type without the multi-valued flag, its id (for a named
// property, the id or nothing: a named property is never taken for a standard one such as PR_BODY,
// whatever number its writer chose) and its values' bytes (views into the blob; a fixed-size
// value without its padding). A property that is not multi-valued has exactly one value.
struct TnefProperty {
  std::uint16_t type = 0;
  std::uint16_t id = 0;
  bool named = false;
  std::string_view guid;  // a named property's property set (16 bytes, as written)
  std::string_view name;  // a named property's name when it is a string (UTF-16LE, as written)
  bool multi_valued = false;
  std::vector<std::string_view> values;
};

// Attribute ids as written ([MS-OXTNEF] 2.1.3.3): the attribute's data type in the high word
// (atpString 0x0001, atpText 0x0002, atpDate 0x0003, atpShort 0x0004, atpLong 0x0005, atpByte
// 0x0006, atpWord 0x0007, atpDword 0x0008), its number in the low. Only these exist; any other
// id makes the blob unreadable, since no one knows what its bytes hold.
constexpr std::uint32_t kAttOwner = 0x00060000;
constexpr std::uint32_t kAttSentFor = 0x00060001;
constexpr std::uint32_t kAttDelegate = 0x00060002;
constexpr std::uint32_t kAttDateStart = 0x00030006;
constexpr std::uint32_t kAttDateEnd = 0x00030007;
constexpr std::uint32_t kAttAidOwner = 0x00050008;
constexpr std::uint32_t kAttRequestRes = 0x00040009;
constexpr std::uint32_t kAttOriginalMessageClass = 0x00070600;
constexpr std::uint32_t kAttFrom = 0x00008000;
constexpr std::uint32_t kAttSubject = 0x00018004;
constexpr std::uint32_t kAttDateSent = 0x00038005;
constexpr std::uint32_t kAttDateRecd = 0x00038006;
constexpr std::uint32_t kAttMessageStatus = 0x00068007;
constexpr std::uint32_t kAttMessageClass = 0x00078008;
constexpr std::uint32_t kAttMessageId = 0x00018009;
constexpr std::uint32_t kAttParentId = 0x0001800A;
constexpr std::uint32_t kAttConversationId = 0x0001800B;
constexpr std::uint32_t kAttBody = 0x0002800C;
constexpr std::uint32_t kAttPriority = 0x0004800D;
constexpr std::uint32_t kAttAttachData = 0x0006800F;
constexpr std::uint32_t kAttAttachTitle = 0x00018010;
constexpr std::uint32_t kAttAttachMetaFile = 0x00068011;
constexpr std::uint32_t kAttAttachCreateDate = 0x00038012;
constexpr std::uint32_t kAttAttachModifyDate = 0x00038013;
constexpr std::uint32_t kAttDateModified = 0x00038020;
constexpr std::uint32_t kAttAttachTransportFilename = 0x00069001;
constexpr std::uint32_t kAttAttachRenddata = 0x00069002;
constexpr std::uint32_t kAttMapiProps = 0x00069003;
constexpr std::uint32_t kAttRecipTable = 0x00069004;
constexpr std::uint32_t kAttAttachment = 0x00069005;
constexpr std::uint32_t kAttTnefVersion = 0x00089006;
constexpr std::uint32_t kAttOemCodepage = 0x00069007;

// An attribute this reader does not take apart (a date, the message class, the message id, an
// attachment's transport file name or icon, …), kept whole so that sanitize.cc reads its bytes:
// nothing in a blob is dropped unread.
struct TnefAttribute {
  std::uint32_t id = 0;
  std::string_view data;
};

struct TnefAttachment {
  std::vector<std::string_view> titles;   // every attAttachTitle, as written (8-bit, often NUL-ended)
  std::optional<std::string_view> data;   // attAttachData: the file's bytes
  std::vector<TnefProperty> properties;   // attAttachment
  std::vector<TnefAttribute> attributes;  // its other attributes (its attAttachRenddata first, transport file name, icon, dates)
};

// A blob taken apart: the message's attributes this reader reads, the others whole, the recipient
// table's rows and the attachments in order. Every view points into the bytes given to
// parse_tnef, which must outlive it.
struct TnefBlob {
  std::optional<std::string_view> subject;           // attSubject
  std::optional<std::string_view> body;              // attBody
  std::optional<std::string_view> from;              // attFrom
  std::vector<TnefProperty> properties;              // attMAPIProps
  std::vector<std::vector<TnefProperty>> recipients;  // attRecipTable: one property list a recipient
  std::vector<TnefAttribute> attributes;             // the message's other attributes
  std::vector<TnefAttachment> attachments;
};

// Every property of `properties` that is not named, not multi-valued and has this type and id —
// all of them: a writer may repeat one, and a second PR_BODY is as much text as the first.
std::vector<const TnefProperty*> find_tnef_properties(const std::vector<TnefProperty>& properties, std::uint16_t type, std::uint16_t id);

// Takes a blob apart, or says why it cannot (error codes "tnef.*", `where` the byte offset):
// anything this reader cannot account for to the last byte — a wrong signature, a length past the
// end, a bad checksum, trailing bytes, an unknown level or property type, an attachment attribute
// before any attachment began, a second file in one attachment — is an error, never a partial
// reading, so that nothing in the blob goes unread by the outgoing check. So is an attribute id
// [MS-OXTNEF] does not define, and a recipient table that does not fill its attribute.
Result<TnefBlob> parse_tnef(std::string_view blob);

}  // namespace sanso::mail::internal
