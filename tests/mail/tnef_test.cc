// Our TNEF reader (mail/internal/tnef.h), which replaced libytnef (issue #16): what Outlook
// writes, every property type's size, named properties, and hostile blobs — each a clear error,
// never a read past the end or an allocation a count asks for.
#include "mail/internal/tnef.h"

#include <gtest/gtest.h>

#include <glib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mail/identifiers.h"
#include "mail/sanitize.h"
#include "mail/tnef_blob.h"

namespace sanso::mail::internal {
namespace {

using sanso::testing::mapi_properties;
using sanso::testing::tnef_attribute;
using sanso::testing::tnef_start;
using sanso::testing::tnef_u16;
using sanso::testing::tnef_u32;
using sanso::testing::tnef_with;

constexpr std::uint32_t kRenddata = 0x00069002, kTitle = 0x00018010, kData = 0x0006800F, kMessageProps = 0x00069003, kAttachProps = 0x00069005;

std::string utf16(const std::u16string& text) {
  std::string out;
  for (const char16_t c : text) out += {static_cast<char>(c & 0xff), static_cast<char>(c >> 8)};
  return out;
}

// The code of the error parse_tnef gives, or "" when it reads the blob.
std::string error_code(const std::string& blob) {
  auto parsed = parse_tnef(blob);
  return parsed ? "" : parsed.error().code;
}

TEST(Tnef, ReadsWhatOutlookWrites) {
  const std::string blob = tnef_with({{"report.docx", "PK docx"}, {"a.txt", "abc"}}, "本文", mapi_properties({{0x0C1A001E, {"山田"}}}));
  auto parsed = parse_tnef(blob);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->body.value_or("-"), "本文");
  ASSERT_EQ(parsed->properties.size(), 1u);
  EXPECT_EQ(parsed->properties[0].type, kPtString8);
  EXPECT_EQ(parsed->properties[0].id, 0x0C1A);
  ASSERT_EQ(parsed->properties[0].values.size(), 1u);
  EXPECT_EQ(parsed->properties[0].values[0], "山田");
  ASSERT_EQ(parsed->attachments.size(), 2u);
  ASSERT_EQ(parsed->attachments[0].titles.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].titles[0], std::string("report.docx") + '\0');
  EXPECT_EQ(parsed->attachments[0].data.value_or("-"), "PK docx");
  EXPECT_EQ(parsed->attachments[1].data.value_or("-"), "abc");
  EXPECT_FALSE(parsed->subject.has_value());
}

// Each fixed-size type takes its size padded to 4; a wrong size would shift the string after it
// (and the list would not end where its attribute does).
TEST(Tnef, FixedSizePropertiesTakeTheirPaddedSize) {
  std::string list = tnef_u32(12);
  const std::pair<std::uint16_t, std::size_t> fixed[] = {{kPtI2, 4},       {kPtLong, 4},    {kPtBoolean, 4}, {kPtSysTime, 8}, {kPtI8, 8},       {kPtDouble, 8},
                                                        {kPtCurrency, 8}, {kPtAppTime, 8}, {kPtError, 4},   {kPtR4, 4},      {kPtClsid, 16}};
  for (const auto& [type, size] : fixed) list += tnef_u16(type) + tnef_u16(0x0E00) + std::string(size, '\x7f');
  list += tnef_u16(kPtString8) + tnef_u16(0x0037) + tnef_u32(1) + tnef_u32(3) + "abc" + std::string(1, '\0');
  const std::string blob = tnef_start() + tnef_attribute('\x01', kMessageProps, list);  // the views point into it
  auto parsed = parse_tnef(blob);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->properties.size(), 12u);
  EXPECT_EQ(parsed->properties[0].values[0].size(), 2u);   // PT_I2 without its padding
  EXPECT_EQ(parsed->properties[10].values[0].size(), 16u);  // PT_CLSID
  EXPECT_EQ(parsed->properties[11].values[0], "abc");
  EXPECT_EQ(find_tnef_properties(parsed->properties, kPtString8, 0x0037).size(), 1u);
  EXPECT_TRUE(find_tnef_properties(parsed->properties, kPtUnicode, 0x0037).empty());
}

// A named property (an id ≥ 0x8000): a GUID and a number or a UTF-16 name before its value. It is
// never taken for a standard property, whatever id it carries.
TEST(Tnef, NamedPropertiesAreReadAndNeverTakenForStandardOnes) {
  const std::string guid(16, '\x11');
  std::string list = tnef_u32(3);
  list += tnef_u16(kPtString8) + tnef_u16(0x8001) + guid + tnef_u32(0) + tnef_u32(0x1000) + tnef_u32(1) + tnef_u32(4) + "abc" + std::string(1, '\0');
  const std::string name = utf16(u"Keywords") + std::string(2, '\0');  // 18 bytes, padded to 20
  list += tnef_u16(kPtUnicode | kPtMultiValued) + tnef_u16(0x8002) + guid + tnef_u32(1) + tnef_u32(18) + name + std::string(2, '\0') + tnef_u32(2) +
          tnef_u32(4) + utf16(u"予算") + tnef_u32(2) + utf16(u"x") + std::string(2, '\0');
  list += tnef_u16(kPtLong) + tnef_u16(0x0E07) + tnef_u32(1);
  const std::string blob = tnef_start() + tnef_attribute('\x01', kMessageProps, list);  // the views point into it
  auto parsed = parse_tnef(blob);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->properties.size(), 3u);
  EXPECT_TRUE(parsed->properties[0].named);
  EXPECT_EQ(parsed->properties[0].values[0], std::string("abc") + '\0');
  EXPECT_TRUE(parsed->properties[1].named);
  EXPECT_TRUE(parsed->properties[1].multi_valued);
  ASSERT_EQ(parsed->properties[1].values.size(), 2u);
  EXPECT_EQ(parsed->properties[1].values[0], utf16(u"予算"));
  EXPECT_EQ(parsed->properties[1].values[1], utf16(u"x"));
  EXPECT_TRUE(find_tnef_properties(parsed->properties, kPtString8, 0x8001).empty());
  EXPECT_EQ(find_tnef_properties(parsed->properties, kPtLong, 0x0E07).size(), 1u);
  // A name of a kind that does not exist.
  std::string odd = tnef_u32(1) + tnef_u16(kPtLong) + tnef_u16(0x8001) + guid + tnef_u32(7) + tnef_u32(0) + tnef_u32(0);
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, odd)), "tnef.property-name-kind");
}

// A blob cut anywhere but between two attributes is unreadable: the reader never guesses what
// the missing bytes held. Between two attributes, it is the shorter blob it then is.
TEST(Tnef, EveryCutInsideAnAttributeIsTruncated) {
  const std::string blob = tnef_with({{"a.txt", "12345678"}}, "body");
  std::vector<std::size_t> boundaries = {6};
  for (std::size_t at = 6; at < blob.size();) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= static_cast<std::uint32_t>(static_cast<unsigned char>(blob[at + 5 + i])) << (8 * i);
    at += 9 + length + 2;
    boundaries.push_back(at);
  }
  ASSERT_EQ(boundaries.back(), blob.size());
  for (std::size_t cut = 0; cut < blob.size(); ++cut) {
    const std::string code = error_code(blob.substr(0, cut));
    if (cut < 4) EXPECT_EQ(code, "tnef.signature") << cut;
    else if (std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end()) EXPECT_EQ(code, "") << cut;
    else EXPECT_EQ(code, "tnef.truncated") << cut;
  }
}

TEST(Tnef, HostileLengthsAndCountsAreRefusedBeforeAnythingIsAllocated) {
  // An attribute claiming 4 GiB.
  EXPECT_EQ(error_code(tnef_start() + "\x01" + tnef_u32(0x0002800C) + tnef_u32(0xFFFFFFFF) + "ab"), "tnef.truncated");
  // A property list counting 2^31 properties, and a property counting 2^31 values.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(0x80000000) + std::string(16, '\0'))), "tnef.property-count");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(1) + tnef_u16(kPtString8) + tnef_u16(0x0037) + tnef_u32(0x80000000) + tnef_u32(0))),
            "tnef.value-count");
  // A single-valued string with no value, or two: which one is it?
  for (const std::uint32_t count : {0u, 2u}) {
    EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(1) + tnef_u16(kPtUnicode) + tnef_u16(0x3707) + tnef_u32(count) + tnef_u32(0) + tnef_u32(0))),
              "tnef.value-count")
        << count;
  }
  // A value longer than what is left of its list, or whose padding is missing.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(1) + tnef_u16(kPtBinary) + tnef_u16(0x1009) + tnef_u32(1) + tnef_u32(0x7FFFFFFF) + "abcd")),
            "tnef.truncated");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(1) + tnef_u16(kPtString8) + tnef_u16(0x0037) + tnef_u32(1) + tnef_u32(3) + "abc")),
            "tnef.truncated");
  // Bytes after the last property: read by no one.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, mapi_properties({{0x0037001E, {"abcd"}}}) + "hidden 123456789018")), "tnef.property-trailing");
  // A type whose size is unknown (PT_NULL), so where the next property starts is too.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', kMessageProps, tnef_u32(1) + tnef_u16(0x0001) + tnef_u16(0x0037) + tnef_u32(0))), "tnef.property-type");
  // Properties of an attachment are read as strictly as the message's.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x02', kRenddata, std::string(14, '\0')) + tnef_attribute('\x02', kAttachProps, tnef_u32(0x7FFFFFFF))),
            "tnef.property-count");
}

TEST(Tnef, BadChecksumsLevelsAndOrderAreRefused) {
  // The checksum: libytnef refused a wrong one too (the fixtures all carry the right one).
  std::string blob = tnef_with({{"a.txt", "abc"}});
  blob[blob.size() - 1] ^= 1;
  EXPECT_EQ(error_code(blob), "tnef.checksum");
  EXPECT_EQ(error_code("\x79\x9f\x3e\x22" + tnef_u16(1)), "tnef.signature");
  EXPECT_EQ(error_code(tnef_start()), "");  // nothing after the key: a blob with nothing in it
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x03', 0x0002800C, "body")), "tnef.level");
  // A file before any attachment began: libytnef kept it nowhere anyone looked.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x02', kData, "123456789018")), "tnef.attachment-without-start");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x02', kTitle, "a.txt")), "tnef.attachment-without-start");
  // A second file in one attachment, or a second body: the first would go unread.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x02', kRenddata, std::string(14, '\0')) + tnef_attribute('\x02', kData, "123456789018") + tnef_attribute('\x02', kData, "x")),
            "tnef.repeated-attribute");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', 0x0002800C, "a") + tnef_attribute('\x01', 0x0002800C, "b")), "tnef.repeated-attribute");
  // The error names where it is.
  auto parsed = parse_tnef(blob);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().where.rfind("byte ", 0), 0u) << parsed.error().to_string();
}

// Issue #17 (tnef21): what the reader used to skip is kept for the scan — every title, the
// recipient table's rows, the attributes it does not take apart, a named property's GUID and name — and an
// attribute id [MS-OXTNEF] does not define makes the blob unreadable.
TEST(Tnef, NothingIsSkippedAndAnUnknownAttributeIsUnreadable) {
  // Two rows: one written by mapi_properties, one by hand.
  const std::string row2 = tnef_u32(1) + tnef_u16(kPtString8) + tnef_u16(0x3003) + tnef_u32(1) + tnef_u32(4) + "a@ex";
  const std::string rows = tnef_u32(2) + mapi_properties({{0x3001001E, {"佐藤"}}}) + row2;
  const std::string blob = tnef_start() + tnef_attribute('\x01', 0x00069004, rows) + tnef_attribute('\x01', 0x00018009, "ABC") +
                           tnef_attribute('\x02', kRenddata, std::string(14, '\0')) + tnef_attribute('\x02', kTitle, "a") + tnef_attribute('\x02', kTitle, "b") +
                           tnef_attribute('\x02', 0x00068011, "wmf") + tnef_attribute('\x02', 0x00069001, "t.txt");
  auto parsed = parse_tnef(blob);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->recipients.size(), 2u);
  EXPECT_EQ(parsed->recipients[0][0].values[0], "佐藤");
  EXPECT_EQ(parsed->recipients[1][0].values[0], "a@ex");
  ASSERT_EQ(parsed->attributes.size(), 1u);
  EXPECT_EQ(parsed->attributes[0].id, 0x00018009u);
  EXPECT_EQ(parsed->attributes[0].data, "ABC");
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].titles, (std::vector<std::string_view>{"a", "b"}));
  ASSERT_EQ(parsed->attachments[0].attributes.size(), 3u);
  EXPECT_EQ(parsed->attachments[0].attributes[0].id, kRenddata);  // its 14 bytes are read too
  EXPECT_EQ(parsed->attachments[0].attributes[1].id, 0x00068011u);
  EXPECT_EQ(parsed->attachments[0].attributes[2].data, "t.txt");
  // A recipient table with bytes after its last row, or more rows than it has bytes for.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', 0x00069004, rows + "1234")), "tnef.property-trailing");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', 0x00069004, tnef_u32(0x40000000) + tnef_u32(0))), "tnef.property-count");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', 0x00069004, tnef_u32(3) + rows.substr(4))), "tnef.truncated");
  // An attribute no one defined, and an attachment's attribute before any attachment began.
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x01', 0x00069999, "123456789018")), "tnef.attribute");
  EXPECT_EQ(error_code(tnef_start() + tnef_attribute('\x02', 0x00068011, "wmf")), "tnef.attachment-without-start");
  // A named property's name, when a string, is kept.
  const std::string name = utf16(u"Keywords") + std::string(2, '\0');
  const std::string list = tnef_u32(1) + tnef_u16(kPtLong) + tnef_u16(0x8001) + std::string(16, '\x11') + tnef_u32(1) + tnef_u32(18) + name + std::string(2, '\0') + tnef_u32(7);
  const std::string named = tnef_start() + tnef_attribute('\x01', kMessageProps, list);
  auto with_name = parse_tnef(named);
  ASSERT_TRUE(with_name) << with_name.error().to_string();
  EXPECT_EQ(with_name->properties[0].name, name);
  EXPECT_EQ(with_name->properties[0].guid, std::string(16, '\x11'));
}

// Through the sanitizer: a long file name in UTF-16 (PR_ATTACH_LONG_FILENAME, PT_UNICODE) names
// the file, before the 8-bit title; libytnef's path read its UTF-8 as UTF-16 and garbled it.
TEST(Tnef, TheUnicodeLongFileNameNamesTheFile) {
  const std::string properties = mapi_properties({{0x3707001F, {utf16(u"予算案_令和8年度.xlsx") + std::string(2, '\0')}}});
  const std::string blob = tnef_start() + tnef_attribute('\x02', kRenddata, std::string(14, '\0')) + tnef_attribute('\x02', kTitle, std::string("YOSAN~1.XLS") + '\0') +
                           tnef_attribute('\x02', kData, "xlsx") + tnef_attribute('\x02', kAttachProps, properties);
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(blob.data()), blob.size());
  const std::string raw = "Subject: outlook\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=t\r\n\r\n--t\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                          "--t\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n" + std::string(b64) + "\r\n--t--\r\n";
  g_free(b64);
  SanitizePlan plan = sanitize_message(raw, {});
  ASSERT_EQ(plan.parts.size(), 3u);
  EXPECT_EQ(plan.parts[2].name, "予算案_令和8年度.xlsx");
  EXPECT_EQ(plan.parts[2].size, 4u);
}

// Issue #16: libytnef (GPL-2+) was linked into the sanitizer; nothing of it may be mapped now,
// after a blob has been read.
// review21b (5): how a value that is not a string is read — each number on a line of its own,
// negative ones also as the unsigned number their bytes are, dates as dates and numbers, a NaN's
// payload, a CLSID as its GUID — and when a binary value's text accounts for all of it.
std::string le(std::uint64_t v, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

TEST(Tnef, ValuesAreReadAsAPersonWouldSeeThem) {
  EXPECT_EQ(read_tnef_value(kPtLong, 0x0E08, le(0xFFFFFFFB, 4)).text, "-5\n4294967291\n");
  EXPECT_EQ(read_tnef_value(kPtI2, 0x0001, le(7, 2)).text, "7\n");
  EXPECT_EQ(read_tnef_value(kPtI8, 0x0001, le(123456789018, 8)).text, "123456789018\n");
  EXPECT_EQ(read_tnef_value(kPtCurrency, 0x0001, le(static_cast<std::uint64_t>(-12345), 8)).text.substr(0, 12), "-1\n-1.2345\n1");
  // 2026-12-07T01:36:29Z as a FILETIME: the date, then the number.
  const std::uint64_t filetime = (1796607389ull + 11644473600ull) * 10000000ull;
  EXPECT_EQ(read_tnef_value(kPtSysTime, 0x0039, le(filetime, 8)).text, "2026-12-07T01:36:29Z\n" + std::to_string(filetime) + "\n");
  double day = 46363.5;  // 2026-12-07 12:00 in OLE Automation time
  std::uint64_t bits = 0;
  std::memcpy(&bits, &day, sizeof bits);
  EXPECT_EQ(read_tnef_value(kPtAppTime, 0x8001, le(bits, 8)).text, "46363\n46363.5\n2026-12-07T12:00:00Z\n");
  double number = 123456789018.25;
  std::memcpy(&bits, &number, sizeof bits);
  EXPECT_EQ(read_tnef_value(kPtDouble, 0x8001, le(bits, 8)).text, "123456789018\n123456789018.25\n");
  // A NaN with 123456789018 in its payload.
  EXPECT_EQ(read_tnef_value(kPtDouble, 0x8001, le(0x7FF0000000000000ull | 123456789018ull, 8)).text, "NaN\n123456789018\n");
  const std::string clsid("\x07\x03\x02\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46", 16);
  EXPECT_EQ(read_tnef_value(kPtClsid, 0x0001, clsid).text.rfind("{00020307-0000-0000-C000-000000000046}\n", 0), 0u);
  // Binary: a short one is a number both ways round; text is read; bytes of neither are unread.
  EXPECT_EQ(read_tnef_value(kPtBinary, 0x0099, le(0x0102, 2)).text.substr(0, 8), "258\n513\n");
  // … and its bytes in order as hexadecimal digits, as MFCMAPI shows a binary value (review22b M1):
  // six bytes 12 34 56 78 90 18 show "123456789018".
  const std::string packed("\x12\x34\x56\x78\x90\x18", 6);
  EXPECT_NE(read_tnef_value(kPtBinary, 0x0099, packed).text.find("\n123456789018\n"), std::string::npos) << read_tnef_value(kPtBinary, 0x0099, packed).text;
  const TnefValueReading packed_guid = read_tnef_value(kPtBinary, 0x8519, packed + std::string(10, '\0'));
  EXPECT_NE(packed_guid.text.find("\n12345678901800000000000000000000\n"), std::string::npos) << packed_guid.text;
  // Padded with zeros to 8 or 16 bytes, the number is a longer run of digits: read without the
  // padding too, so the finder sees it (review23a M2).
  EXPECT_FALSE(find_identification_numbers(packed_guid.text).empty()) << packed_guid.text;
  EXPECT_FALSE(find_identification_numbers(read_tnef_value(kPtBinary, 0x0099, packed + std::string(2, '\0')).text).empty());
  EXPECT_FALSE(find_identification_numbers(read_tnef_value(kPtBinary, 0x0099, std::string(2, '\0') + packed).text).empty());
  EXPECT_TRUE(read_tnef_value(kPtBinary, 0x0099, "SMTP:YAMADA@EXAMPLE.JP" + std::string(1, '\0')).unread.empty());
  // 16 bytes are a GUID (a named property's task id); a number written into one is read.
  const TnefValueReading guid = read_tnef_value(kPtBinary, 0x8519, le(123456789018, 8) + clsid.substr(8));
  EXPECT_TRUE(guid.unread.empty());
  EXPECT_NE(guid.text.find("\n123456789018\n"), std::string::npos) << guid.text;
  // A meeting request's global object id (PidLidGlobalObjectId, a named property): read by its
  // structure, never held as bytes of no structure; a number in its vCal-Uid data is found.
  const std::string class_id("\x04\x00\x00\x00\x82\x00\xE0\x00\x74\xC5\xB7\x10\x1A\x82\xE0\x08", 16);
  const std::string outlook_id = class_id + std::string(4, '\0') + le(filetime, 8) + std::string(8, '\0') + le(16, 4) + clsid;
  const TnefValueReading meeting = read_tnef_value(kPtBinary, 0x8003, outlook_id);
  EXPECT_TRUE(meeting.unread.empty()) << meeting.unread;
  EXPECT_NE(meeting.text.find("2026-12-07T01:36:29Z"), std::string::npos) << meeting.text;
  const std::string uid = std::string("vCal-Uid\x01\x00\x00\x00", 12) + "123456789018" + std::string(1, '\0');
  const TnefValueReading vcal = read_tnef_value(kPtBinary, 0x8004, class_id + std::string(4, '\0') + le(filetime, 8) + std::string(8, '\0') + le(uid.size(), 4) + uid);
  EXPECT_TRUE(vcal.unread.empty()) << vcal.unread;
  EXPECT_NE(vcal.text.find("123456789018"), std::string::npos) << vcal.text;
  // A length that does not add up is no global object id: bytes of no structure, unread.
  EXPECT_NE(read_tnef_value(kPtBinary, 0x8003, outlook_id + "x").unread, "");
  std::string controls;
  for (int i = 0; i < 10; ++i) controls += le(1, 2);
  EXPECT_NE(read_tnef_value(kPtBinary, 0x0099, controls).unread, "");
  EXPECT_NE(read_tnef_value(kPtBinary, 0x0099, std::string(5000, 'x')).unread.find("5000 bytes is not read"), std::string::npos);
  // An attribute by its layout: a date (DTR), the rendering data; bytes of no layout and no text, unread.
  const std::string dtr = le(2026, 2) + le(12, 2) + le(7, 2) + le(10, 2) + le(30, 2) + le(0, 2) + le(1, 2);
  EXPECT_EQ(read_tnef_attribute({kAttDateSent, dtr}, "of the message").text.rfind("2026-12-07T10:30:00\n1\n", 0), 0u);
  EXPECT_TRUE(read_tnef_attribute({kAttAttachRenddata, std::string(14, '\0')}, "of the attachment").unread.empty());
  EXPECT_EQ(read_tnef_attribute({kAttOwner, controls}, "of the message").unread,
            "tnef: an attribute (0x00060000) of the message of 20 bytes is not read (neither text nor of the layout [MS-OXTNEF] gives it)");
}

TEST(Tnef, TextAccountsForABinaryValueOnlyWhenItIsText) {
  EXPECT_TRUE(tnef_text_accounts_for("SMTP:YAMADA@EXAMPLE.JP" + std::string(3, '\0')));
  EXPECT_TRUE(tnef_text_accounts_for("\x8E\x52\x93\x63 \x91\xBE\x98\x59"));  // 山田 太郎 in Shift_JIS
  EXPECT_TRUE(tnef_text_accounts_for(utf16(u"山田 太郎 <yamada@example.jp>") + std::string(2, '\0')));
  EXPECT_TRUE(tnef_text_accounts_for(std::string("a\0b", 3)));
  EXPECT_FALSE(tnef_text_accounts_for(std::string("a\0b\0c\0d", 7)));  // more NULs inside than strings put one after another
  EXPECT_FALSE(tnef_text_accounts_for("abc\x01" "def"));
  std::string scrambled;
  for (int i = 0; i < 64; ++i) scrambled += static_cast<char>((i * 73 + 29) % 256);
  EXPECT_FALSE(tnef_text_accounts_for(scrambled));
}

TEST(Tnef, NoTnefLibraryIsMapped) {
  ASSERT_TRUE(parse_tnef(tnef_with({{"a.txt", "abc"}})));
  std::ifstream maps("/proc/self/maps");
  const std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  ASSERT_NE(all.find(".so"), std::string::npos);  // the maps were read
  EXPECT_EQ(all.find("ytnef"), std::string::npos);
}

}  // namespace
}  // namespace sanso::mail::internal
