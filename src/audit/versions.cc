#include "audit/versions.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "core/clock.h"
#include "core/digest.h"

namespace sanso::audit {
namespace {

constexpr const char* kColumns = "number, sha256, path, seen_by, seen_at, audit_index, size";

FileVersion version_of(const store::Row& row) {
  return {row.integer(0), row.text(1), row.text(2), row.text(3), row.integer(4), static_cast<std::uint64_t>(row.integer(5)), row.integer(6)};
}

}  // namespace

Result<FileVersion> keep_file_version(store::Database& db, AuditLog& log, const std::string& name, const std::string& path,
                                      const std::string& sha256, const std::string& content, const std::string& actor) {
  // The bytes must be the ones hashed when the file was loaded: a file replaced between the two
  // reads is not kept under the other's hash.
  if (sha256_hex(content) != sha256) {
    return make_error("audit.version-mismatch", path, "the file changed while it was read; start again to keep the version in force");
  }
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  auto kept = SANSO_TRY(db.query_one(std::string("SELECT ") + kColumns + " FROM tracked_file_versions WHERE name = ? AND sha256 = ?", {name, sha256}));
  if (kept) return version_of(*kept);
  auto last = SANSO_TRY(db.query_one("SELECT MAX(number) FROM tracked_file_versions WHERE name = ?", {name}));
  FileVersion v;
  v.number = (last ? last->integer(0) : 0) + 1;
  v.sha256 = sha256;
  v.path = path;
  v.seen_by = actor;
  v.seen_at = std::chrono::duration_cast<std::chrono::seconds>(system_clock().now().time_since_epoch()).count();
  v.size = static_cast<std::int64_t>(content.size());
  store::AuditEvent e;
  e.actor = actor;
  e.action = name + ".version";
  e.subject = path;
  e.outcome = "kept";
  e.output_sha256 = sha256;
  e.details = {{"version", std::to_string(v.number)}, {"bytes", std::to_string(content.size())}};
  v.audit_index = SANSO_TRY(log.append_batch(db, std::span<const store::AuditEvent>(&e, 1)));
  SANSO_TRY(db.execute(
      "INSERT INTO tracked_file_versions (name, number, sha256, path, content, size, seen_by, seen_at, audit_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {name, v.number, sha256, path, content, v.size, actor, v.seen_at, static_cast<std::int64_t>(v.audit_index)}));
  SANSO_TRY(tx.commit());
  return v;
}

Result<std::vector<FileVersion>> file_versions(store::Database& db, const std::string& name) {
  auto rows = SANSO_TRY(db.query(std::string("SELECT ") + kColumns + " FROM tracked_file_versions WHERE name = ? ORDER BY number", {name}));
  std::vector<FileVersion> out;
  for (const auto& row : rows) out.push_back(version_of(row));
  return out;
}

Result<FileVersion> find_file_version(store::Database& db, const std::string& name, std::string_view reference) {
  const auto bad = [&] {
    return make_error("audit.bad-version", std::string(reference),
                      "a kept version is named '@' and its number (@3) or '@' and at least 6 hex digits of its SHA-256 (@9f86d0)");
  };
  if (reference.size() < 2 || reference[0] != '@') return bad();
  const std::string_view rest = reference.substr(1);
  const bool digits = rest.size() <= 9 && std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool hex = rest.size() >= 6 && rest.size() <= 64 && std::all_of(rest.begin(), rest.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  std::vector<FileVersion> found;
  for (auto& v : SANSO_TRY(file_versions(db, name))) {
    std::string lower(rest);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A number is read as a number first: "@123456" is version 123456 if there is one.
    if (digits && std::to_string(v.number) == rest) return v;
    if (hex && v.sha256.compare(0, lower.size(), lower) == 0) found.push_back(std::move(v));
  }
  if (!digits && !hex) return bad();
  if (found.size() == 1) return found.front();
  return make_error("audit.no-version", std::string(reference),
                    found.empty() ? "no kept " + name + " version has this number or hash (sanso policy versions lists them)"
                                  : std::to_string(found.size()) + " kept " + name + " versions start with this hash: give more digits");
}

Result<std::string> file_version_text(store::Database& db, const std::string& name, std::int64_t number) {
  auto row = SANSO_TRY(db.query_one("SELECT content, sha256 FROM tracked_file_versions WHERE name = ? AND number = ?", {name, number}));
  if (!row) return make_error("audit.no-version", "@" + std::to_string(number), "no kept " + name + " version has this number");
  std::string text = row->text(0);
  if (sha256_hex(text) != row->text(1)) {
    return make_error("audit.version-damaged", "@" + std::to_string(number),
                      "the kept text no longer has the SHA-256 recorded with it (" + row->text(1) + "): the store was changed");
  }
  return text;
}

}  // namespace sanso::audit
