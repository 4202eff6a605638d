// Builders for the CDR tests' generated inputs: packages from parts, hand-made zips whose
// directory lies (bombs, CP932 names), and readers for checking what came out.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gtest/gtest.h>
#include <lcms2.h>
#include <pugixml.hpp>
#include <zlib.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cdr/cdr.h"
#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "support/compress.h"

namespace sanso::cdr::fixtures {

using Parts = std::vector<std::pair<std::string, std::string>>;

inline std::string make_zip(const Parts& parts) {
  internal::ZipWriter w;
  for (const auto& [name, bytes] : parts) w.add(name, bytes);
  auto out = w.finish();
  EXPECT_TRUE(out.has_value());
  return out.has_value() ? *out : std::string();
}

// The members of a zip, name → bytes (empty map when it does not open).
inline std::map<std::string, std::string> unzip(const std::string& bytes) {
  std::map<std::string, std::string> out;
  std::vector<Finding> f;
  std::uint64_t budget = 0;
  static const CdrPolicy policy;
  internal::Context ctx{policy, f, budget, 0, ""};
  auto zip = internal::ZipReader::open(bytes, ctx);
  if (!zip) return out;
  for (const auto& e : (*zip)->entries()) {
    auto data = (*zip)->read(e, ctx);
    if (data) out[e.name] = *data;
  }
  return out;
}

// A compound file written by libgsf: each path ("macros/vba/dir") a stream, its folders storages.
inline std::string compound_file(const std::vector<std::pair<std::string, std::string>>& streams) {
  GsfOutput* memory = gsf_output_memory_new();
  GsfOutfile* root = gsf_outfile_msole_new(memory);
  std::map<std::string, GsfOutfile*> storages{{"", root}};
  std::vector<GsfOutput*> open;  // closed children first, the root last
  for (const auto& [path, data] : streams) {
    std::string parent;
    std::size_t from = 0;
    for (std::size_t slash; (slash = path.find('/', from)) != std::string::npos; from = slash + 1) {
      std::string dir = path.substr(0, slash);
      if (!storages.count(dir)) {
        GsfOutput* s = gsf_outfile_new_child(storages[parent], path.substr(from, slash - from).c_str(), TRUE);
        storages[dir] = GSF_OUTFILE(s);
        open.push_back(s);
      }
      parent = dir;
    }
    GsfOutput* stream = gsf_outfile_new_child(storages[parent], path.substr(from).c_str(), FALSE);
    gsf_output_write(stream, data.size(), reinterpret_cast<const guint8*>(data.data()));
    gsf_output_close(stream);
    g_object_unref(stream);
  }
  for (auto it = open.rbegin(); it != open.rend(); ++it) {
    gsf_output_close(*it);
    g_object_unref(*it);
  }
  gsf_output_close(GSF_OUTPUT(root));
  g_object_unref(root);
  std::string out(reinterpret_cast<const char*>(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(memory))), static_cast<std::size_t>(gsf_output_size(memory)));
  g_object_unref(memory);
  return out;
}

// The streams of a compound file, as compound_file() takes them ("Macros/VBA/dir" → bytes), read
// by libgsf; empty when it does not open.
inline void compound_file_streams(GsfInfile* storage, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (int i = 0; i < gsf_infile_num_children(storage); ++i) {
    GsfInput* child = gsf_infile_child_by_index(storage, i);
    const std::string path = prefix + gsf_input_name(child);
    if (GSF_IS_INFILE(child) && gsf_infile_num_children(GSF_INFILE(child)) >= 0) {
      compound_file_streams(GSF_INFILE(child), path + "/", out);
    } else {
      std::string data(static_cast<std::size_t>(gsf_input_size(child)), '\0');
      if (!data.empty()) gsf_input_read(child, data.size(), reinterpret_cast<guint8*>(data.data()));
      out.emplace_back(path, std::move(data));
    }
    g_object_unref(child);
  }
}

inline std::vector<std::pair<std::string, std::string>> compound_file_streams(const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  GsfInput* input = gsf_input_memory_new(reinterpret_cast<const guint8*>(bytes.data()), static_cast<gsf_off_t>(bytes.size()), FALSE);
  GsfInfile* root = gsf_infile_msole_new(input, nullptr);
  if (root != nullptr) {
    compound_file_streams(root, "", out);
    g_object_unref(root);
  }
  g_object_unref(input);
  return out;
}

inline std::set<std::string> kinds(const CdrResult& r) {
  std::set<std::string> out;
  for (const auto& f : r.findings) out.insert(std::string(to_string(f.kind)));
  return out;
}

// A little-endian writer for hand-made zip structures.
struct Bytes {
  std::string s;
  Bytes& u16(unsigned v) {
    s.push_back(static_cast<char>(v & 0xFF));
    s.push_back(static_cast<char>((v >> 8) & 0xFF));
    return *this;
  }
  Bytes& u32(unsigned long v) {
    u16(v & 0xFFFF);
    u16((v >> 16) & 0xFFFF);
    return *this;
  }
  Bytes& raw(const std::string& x) {
    s += x;
    return *this;
  }
};

inline std::string deflate_raw(const std::string& data) { return sanso::testing::deflated(data, -15); }

struct RawMember {
  std::string name;  // raw bytes, as stored
  std::string data;
  bool deflate = false;
  bool utf8_flag = false;
};

// A zip written by hand: `copies` central-directory entries per member all point at the same
// local entry (the overlapping-entry bomb when copies > 1).
inline std::string raw_zip(const std::vector<RawMember>& members, int copies = 1) {
  Bytes out, central;
  unsigned entries = 0;
  for (const auto& m : members) {
    const unsigned long offset = out.s.size();
    const std::string stored = m.deflate ? deflate_raw(m.data) : m.data;
    const unsigned long crc = crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), static_cast<uInt>(m.data.size()));
    const unsigned flags = m.utf8_flag ? 0x0800 : 0;
    const unsigned method = m.deflate ? 8 : 0;
    out.u32(0x04034b50).u16(20).u16(flags).u16(method).u16(0).u16(0x21).u32(crc).u32(stored.size()).u32(m.data.size()).u16(m.name.size()).u16(0).raw(m.name).raw(stored);
    for (int c = 0; c < copies; ++c) {
      std::string name = copies == 1 ? m.name : m.name + std::to_string(c);
      central.u32(0x02014b50).u16(20).u16(20).u16(flags).u16(method).u16(0).u16(0x21).u32(crc).u32(stored.size()).u32(m.data.size());
      central.u16(name.size()).u16(0).u16(0).u16(0).u16(0).u32(0).u32(offset).raw(name);
      ++entries;
    }
  }
  const unsigned long cd_offset = out.s.size();
  out.raw(central.s);
  out.u32(0x06054b50).u16(0).u16(0).u16(entries).u16(entries).u32(central.s.size()).u32(cd_offset).u16(0);
  return out.s;
}

// A PNG written by hand (no image library in the test process: see sandbox_test.cc): w × h RGB
// pixels of one colour, with an iCCP chunk carrying `icc_profile` when it is not empty.
inline std::string png_chunk(const std::string& type, const std::string& data) {
  auto be32 = [](unsigned long v) { return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)}; };
  const std::string body = type + data;
  return be32(data.size()) + body + be32(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

inline std::string zlib_compress(const std::string& data) {
  uLongf n = compressBound(static_cast<uLong>(data.size()));
  std::string out(n, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), 6);
  out.resize(n);
  return out;
}

// lcms's own sRGB profile, as a file would carry it.
inline std::string srgb_profile() {
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  cmsUInt32Number size = 0;
  std::string profile;
  if (cmsSaveProfileToMem(srgb, nullptr, &size)) {
    profile.resize(size);
    if (!cmsSaveProfileToMem(srgb, profile.data(), &size)) profile.clear();
  }
  cmsCloseProfile(srgb);
  return profile;
}

inline std::string rgb_png(unsigned w, unsigned h, unsigned char r, unsigned char g, unsigned char b, const std::string& icc_profile = "") {
  std::string ihdr{static_cast<char>(w >> 24), static_cast<char>(w >> 16), static_cast<char>(w >> 8), static_cast<char>(w),
                   static_cast<char>(h >> 24), static_cast<char>(h >> 16), static_cast<char>(h >> 8), static_cast<char>(h), 8, 2, 0, 0, 0};
  std::string rows;
  for (unsigned y = 0; y < h; ++y) {
    rows.push_back('\0');  // filter: none
    for (unsigned x = 0; x < w; ++x) rows += std::string{static_cast<char>(r), static_cast<char>(g), static_cast<char>(b)};
  }
  std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr);
  if (!icc_profile.empty()) png += png_chunk("iCCP", std::string("Camera RGB\0\0", 12) + zlib_compress(icc_profile));
  return png + png_chunk("IDAT", zlib_compress(rows)) + png_chunk("IEND", "");
}

// The chunk types of a PNG, in order.
inline std::vector<std::string> png_chunk_types(const std::string& png) {
  std::vector<std::string> types;
  for (std::size_t at = 8; at + 12 <= png.size();) {
    const std::size_t len = (static_cast<std::size_t>(static_cast<unsigned char>(png[at])) << 24) | (static_cast<std::size_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
                            (static_cast<std::size_t>(static_cast<unsigned char>(png[at + 2])) << 8) | static_cast<unsigned char>(png[at + 3]);
    types.push_back(png.substr(at + 4, 4));
    at += 12 + len;
  }
  return types;
}

// A macro-enabled Word document: a VBA project and the relationship that loads it.
inline std::string macro_docm() {
  return make_zip(
      {{"[Content_Types].xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>)"},
       {"_rels/.rels",
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>)"},
       {"word/document.xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>見積書</w:t></w:r></w:p></w:body></w:document>)"},
       {"word/_rels/document.xml.rels",
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>)"},
       {"word/vbaProject.bin", std::string("\xD0\xCF\x11\xE0 Sub AutoOpen() Shell \"calc\"", 32)}});
}

// An archive written by libarchive in `format` ("7zip", "gnutar", …) with an optional filter.
inline std::string libarchive_pack(const char* format, const char* filter, const std::vector<std::pair<std::string, std::string>>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_by_name(a, format);
  if (filter != nullptr) archive_write_add_filter_by_name(a, filter);
  std::string out(std::size_t{4} << 20, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

// A Word 97 WordDocument stream and 1Table stream whose piece table holds `text`: 8-bit, or
// UTF-16LE when `utf16` (the text given as UTF-16 code units, as Japanese Word stores it).
inline std::pair<std::string, std::string> word_streams(const std::string& text, const std::u16string& utf16 = u"") {
  fixtures::Bytes doc;
  doc.u16(0xA5EC).u16(0x00C1).u16(0).u16(0).u16(0).u16(0x0200);  // wIdent, nFib, …, flags: fWhichTblStm = 1Table
  while (doc.s.size() < 32) doc.u16(0);
  doc.u16(14);  // csw
  for (int i = 0; i < 14; ++i) doc.u16(0);
  doc.u16(22);  // cslw
  for (int i = 0; i < 22; ++i) doc.u32(0);
  doc.u16(93);  // cbRgFcLcb
  fixtures::Bytes clx;
  const bool wide = !utf16.empty();
  clx.raw("\x02").u32(4 * 2 + 8).u32(0).u32(static_cast<unsigned long>(wide ? utf16.size() : text.size()));
  clx.u16(0).u32(wide ? 0x1000ul : 0x40000000ul | (0x1000 * 2)).u16(0);  // the text at 0x1000, compressed unless wide
  for (int i = 0; i < 93; ++i) {
    if (i == 33) {
      doc.u32(0).u32(static_cast<unsigned long>(clx.s.size()));  // fcClx, lcbClx
    } else {
      doc.u32(0).u32(0);
    }
  }
  doc.s.resize(0x1000, '\0');
  if (wide) {
    for (char16_t c : utf16) doc.u16(c);
  } else {
    doc.raw(text);
  }
  return {doc.s, clx.s};
}

// An LZH archive, level 0 header, method -lh0- (stored): the format Japanese users still send.
inline std::string lzh_stored(const std::string& name, const std::string& data) {
  Bytes h;
  h.raw("-lh0-").u32(data.size()).u32(data.size()).u32(0x5A210000).raw(std::string(1, '\x20')).raw(std::string(1, '\0'));
  h.raw(std::string(1, static_cast<char>(name.size()))).raw(name);
  unsigned crc = 0;
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  h.u16(crc);
  unsigned char sum = 0;
  for (unsigned char c : h.s) sum = static_cast<unsigned char>(sum + c);
  return std::string(1, static_cast<char>(h.s.size())) + std::string(1, static_cast<char>(sum)) + h.s + data + std::string(1, '\0');
}

}  // namespace sanso::cdr::fixtures
