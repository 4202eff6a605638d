// Private to src/mail: our own reader of TNEF (Outlook's winmail.dat, [MS-OXTNEF]). It replaced
// libytnef, which is GPL-2+ and may not be linked into an Apache-2.0 process (issue #16). It runs
// where the sanitizer runs (in the sandboxed child): it takes the blob apart, and reads a value as
// text for the outgoing check (a number in decimal, an identifier by its structure) or says why it
// cannot; what the parts mean for the message is sanitize.cc's business. Nothing outside src/mail
// includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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

// --- Reading what a blob holds as text, for the outgoing check (sanitize.cc's read_tnef) ---

// A string property's value as UTF-8: PT_UNICODE is UTF-16LE, PT_STRING8 in the sender's 8-bit
// charset (guessed). The NULs that end it go; one inside it stays, and with it the text after it.
std::string tnef_string(std::string_view value, std::uint16_t type);

// The charsets the code pages a blob declares name (PR_INTERNET_CPID, PR_MESSAGE_CODEPAGE,
// attOemCodepage): its 8-bit strings are in one of them, whatever a guess from their bytes says
// (Big5's full-width digits read as Shift_JIS are half-width katakana). A code page
// mime::charset_for_code_page does not know adds windows-1252, Windows' fallback.
std::vector<std::string> tnef_declared_charsets(const TnefBlob& blob);

// The readings of an 8-bit string by each of `charsets` that differ from tnef_string's, one a
// line; "" when none differ. Read beside tnef_string's reading, never instead: a blob may declare
// a code page its strings are not in.
std::string tnef_other_readings(std::string_view value, const std::vector<std::string>& charsets);

// Control characters (a NUL inside a value, the bytes of a binary one) as line breaks: Outlook
// ends a string at a NUL, whoever reads the blob's bytes does not, so the text after it is read
// too, as a line of its own — and a text full of controls would be taken for binary and not read.
std::string as_lines(std::string text);

// The text in a value's bytes, read as 8-bit text and as UTF-16LE at both alignments, whichever
// it is in (a one-off entry id's display name, a search key's "SMTP:…").
std::string binary_text(std::string_view value);

// A binary value is read for its text only up to this size: a larger one is no identifier but
// content of some kind (compressed, encrypted, a format of its own) a text reading cannot cover.
constexpr std::size_t kMostBinaryTextBytes = 4096;

// What the outgoing check reads of one value of a property that is neither a string nor an object
// (those are read as text and as files): `text`, lines to scan (each number on a line of its own,
// so no two join into one), and, when not everything in the value is covered by them, why in
// `unread`. A number is read in decimal, as a person would see it (PT_I2 … PT_I8, PT_CURRENCY,
// PT_DOUBLE, a date and its number for PT_SYSTIME and PT_APPTIME); a PT_CLSID as its GUID and its
// bytes' text. A binary value counts as read only when its structure is known — an entry id
// ([MS-OXCDATA] 2.2: one-off, address book, or a store's GUIDs and counters), a search key, a
// conversation index, a change key or predecessor change list (XIDs), an OID — or when its text
// accounts for all of it (printable 8-bit or UTF-16 text, trailing NULs aside); one of at most 8
// bytes is also read as a number both ways round, one of 16 as a GUID and its halves' numbers. Anything else — compressed, encrypted, a file —
// is unread: its bytes' text would find nothing in it.
struct TnefValueReading {
  std::string text;
  std::string unread;
};
TnefValueReading read_tnef_value(std::uint16_t type, std::uint16_t id, std::string_view value);

// The same for an attribute kept whole (TnefAttribute): a date, a number or the rendering data
// read by their layout ([MS-OXTNEF] 2.1.3.3), anything else for its text when that accounts for all
// of it. The message id, the transport name and the icon are the caller's. `of_what` ("of the
// message") goes into the reason.
TnefValueReading read_tnef_attribute(const TnefAttribute& attribute, std::string_view of_what);

// Whether reading `value` as text accounts for all of it: printable 8-bit text (valid in one of
// the Japanese encodings or UTF-8 when not ASCII) or UTF-16LE text without controls, lone
// surrogates or private-use characters; NULs only at its end, tabs and line breaks anywhere.
bool tnef_text_accounts_for(std::string_view value);

}  // namespace sanso::mail::internal
