// Archives (zip, LZH, 7z, RAR, tar, cab; gz/bz2/xz): every member is sanitized as a file of its
// own, recursively, and the archive is rebuilt as a zip of the results. Blocked members are left
// out and listed; an encrypted member (PPAP) or an exceeded limit blocks the whole archive. Zip is
// read with libzip (per-member ratios from its directory), the rest with libarchive. Member names
// become UTF-8 (CP932 names from Japanese Windows detected) and lose absolute paths and "..".
#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "core/text.h"
#include "mime/charset.h"

namespace sanso::cdr::internal {
namespace {

using Member = ArchiveMember;

// A member name fit to unpack anywhere: UTF-8, relative, no "..", "/" as separator, each segment
// as Windows names it.
std::string safe_name(std::string raw, const Context& ctx, std::size_t index) {
  std::string name = is_valid_utf8(raw) ? raw : mime::decode_text(raw, "").utf8;
  std::string original = name;
  for (char& c : name) c = c == '\\' ? '/' : c;
  std::string out, seg;
  auto flush = [&] {
    if (seg.size() == 2 && seg[1] == ':') {  // "C:"
      seg.clear();
      return;
    }
    // Each folder and file as Windows will create it ("a.vbs." is "a.vbs"); ".." and "..." are nothing.
    seg = windows_file_name(seg);
    if (seg.empty() || seg == "." || seg == "..") {
      seg.clear();
      return;
    }
    out += (out.empty() ? "" : "/") + seg;
    seg.clear();
  };
  for (char c : name) {
    if (c == '/') {
      flush();
    } else {
      seg.push_back(c);
    }
  }
  flush();
  if (out.empty()) out = "member-" + std::to_string(index + 1);
  if (out != original) ctx.add(FindingKind::kUnsafePath, original, FindingAction::kConverted);
  return out;
}

std::string with_name(const std::string& path, const std::string& file) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? file : path.substr(0, slash + 1) + file;
}

Result<std::vector<Member>> read_zip(std::string_view bytes, const Context& ctx) {
  auto reader_or = ZipReader::open(bytes, ctx);
  if (!reader_or) return std::move(reader_or).error();
  std::vector<Member> out;
  for (const auto& e : (*reader_or)->entries()) {
    if (e.directory) continue;
    auto data = (*reader_or)->read(e, ctx);
    if (!data) return std::move(data).error();
    out.push_back({safe_name(e.name, ctx, out.size()), std::move(data).value()});
  }
  return out;
}

// libarchive's message for the last error; it has none for some failures.
std::string la_error(archive* a) {
  const char* e = archive_error_string(a);
  return e != nullptr ? e : "unknown error";
}

Result<std::vector<Member>> read_other(std::string_view bytes, std::string_view type, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("archive") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  const bool single = type == "gzip" || type == "bzip2" || type == "xz";
  if (single) archive_read_support_format_raw(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return blocked("malformed", where, "the archive cannot be read: " + la_error(a.get()));
  }
  std::vector<Member> out;
  const std::uint64_t ratio_cap = std::max<std::uint64_t>(std::uint64_t{1} << 20, bytes.size() * ctx.policy.max_ratio);
  std::uint64_t total = 0;
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return blocked("malformed", where, "the archive is damaged: " + la_error(a.get()));
    if (out.size() >= ctx.policy.max_members) {
      return blocked("limit", where, "the archive has more members than the limit of " + std::to_string(ctx.policy.max_members));
    }
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw != nullptr ? raw : "";
    if (single && name == "data") name.clear();  // the raw format's placeholder
    if (archive_entry_is_encrypted(entry)) return blocked("encrypted", where + "!" + name, "the archive is encrypted (password-protected)");
    auto filetype = archive_entry_filetype(entry);
    if (filetype == AE_IFDIR) continue;
    if (filetype != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
      ctx.add(FindingKind::kArchiveLink, name, FindingAction::kRemoved);
      continue;
    }
    std::string data;
    char buf[65536];
    while (true) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        std::string why = la_error(a.get());
        if (why.find("ncrypt") != std::string::npos || why.find("assphrase") != std::string::npos) {
          return blocked("encrypted", where + "!" + name, "the archive is encrypted (password-protected)");
        }
        return blocked("malformed", where + "!" + name, "the member cannot be unpacked: " + why);
      }
      total += static_cast<std::uint64_t>(n);
      if (total > ratio_cap) {
        return blocked("limit", where, "the archive expands more than " + std::to_string(ctx.policy.max_ratio) + " times its size (a decompression bomb)");
      }
      SANSO_TRY(ctx.charge(static_cast<std::uint64_t>(n), name));
      data.append(buf, static_cast<std::size_t>(n));
    }
    out.push_back({safe_name(name, ctx, out.size()), std::move(data)});
  }
  return out;
}

}  // namespace

Result<std::vector<ArchiveMember>> read_archive(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto members = type == "zip" ? read_zip(bytes, ctx) : read_other(bytes, type, ctx);
  if (!members) return members;
  const bool single = type == "gzip" || type == "bzip2" || type == "xz";
  if (single && members->size() == 1 && (*members)[0].name.rfind("member-", 0) == 0) {
    (*members)[0].name = "file";  // a compressed single file carries no name of its own
  }
  return members;
}

Result<Rebuilt> sanitize_archive(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto members_or = read_archive(bytes, type, ctx);
  if (!members_or) return std::move(members_or).error();
  auto& members = *members_or;
  if (members.empty()) {
    // An archive of no files delivers nothing; libarchive also reads a gzip of zeros as an empty
    // tar (a zero block ends a tar), which must not come out as an empty "sanitized" zip.
    return blocked("malformed", ctx.prefix.empty() ? "archive" : ctx.prefix.substr(0, ctx.prefix.size() - 1), "the " + std::string(type) + " holds no files");
  }
  ZipWriter writer;
  std::size_t kept = 0;
  std::string first_reason;
  for (auto& m : members) {
    Context inner = ctx.nested(m.name);
    std::string member_type;
    auto r = sanitize_any(m.data, m.name, inner, &member_type);
    if (!r) {
      const Error& e = r.error();
      std::string reason = reason_of(e);
      if (reason == "encrypted" || reason == "limit" || reason == "internal") return std::move(r).error();
      if (first_reason.empty()) first_reason = reason;
      ctx.add(finding_kind_of(reason), m.name, FindingAction::kRemoved);
      continue;
    }
    std::string name = m.name;
    if (r->type != member_type) {
      std::string file = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
      auto dot = file.rfind('.');
      std::string stem = dot == std::string::npos || dot == 0 ? file : file.substr(0, dot);
      name = with_name(name, stem + "." + (r->type == "jpeg" ? "jpg" : r->type == "text" ? "txt" : r->type));
    }
    writer.add(name, std::move(r->bytes));
    ++kept;
  }
  if (kept == 0 && !members.empty()) {
    return blocked(first_reason.empty() ? "active-content" : first_reason, ctx.prefix.empty() ? "archive" : ctx.prefix.substr(0, ctx.prefix.size() - 1),
                   "every member of the archive was blocked");
  }
  if (type != "zip") ctx.add(FindingKind::kArchiveConverted, std::string(type) + " → zip", FindingAction::kConverted);
  auto out = writer.finish();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), "zip"};
}

}  // namespace sanso::cdr::internal
