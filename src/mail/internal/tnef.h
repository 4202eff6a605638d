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
  bool multi_valued = false;
  std::vector<std::string_view> values;
};

struct TnefAttachment {
  std::optional<std::string_view> title;  // attAttachTitle, as written (8-bit, often NUL-ended)
  std::optional<std::string_view> data;   // attAttachData: the file's bytes
  std::vector<TnefProperty> properties;   // attAttachment
};

// A blob taken apart: the message's attributes this reader keeps, and its attachments in order.
// Every view points into the bytes given to parse_tnef, which must outlive it.
struct TnefBlob {
  std::optional<std::string_view> subject;  // attSubject
  std::optional<std::string_view> body;     // attBody
  std::optional<std::string_view> from;     // attFrom
  std::vector<TnefProperty> properties;     // attMAPIProps
  std::vector<TnefAttachment> attachments;
};

// The first property of `properties` that is not named and has this type and id, or nullptr.
const TnefProperty* find_tnef_property(const std::vector<TnefProperty>& properties, std::uint16_t type, std::uint16_t id);

// Takes a blob apart, or says why it cannot (error codes "tnef.*", `where` the byte offset):
// anything this reader cannot account for to the last byte — a wrong signature, a length past the
// end, a bad checksum, trailing bytes, an unknown level or property type, an attachment attribute
// before any attachment began, a second file in one attachment — is an error, never a partial
// reading, so that nothing in the blob goes unread by the outgoing check.
Result<TnefBlob> parse_tnef(std::string_view blob);

}  // namespace sanso::mail::internal
