#include "cdr/internal/zip_package.h"

#include <zip.h>

#include <algorithm>
#include <ctime>

namespace sanso::cdr::internal {

struct ZipReader::State {
  zip_t* archive = nullptr;
  ~State() {
    if (archive != nullptr) zip_discard(archive);
  }
};

ZipReader::~ZipReader() = default;

namespace {
std::string zip_error_text(zip_error_t* e) {
  std::string s = zip_error_strerror(e);
  return s;
}
}  // namespace

Result<std::unique_ptr<ZipReader>> ZipReader::open(std::string_view bytes, const Context& ctx) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    std::string why = zip_error_text(&error);
    zip_error_fini(&error);
    return blocked("malformed", ctx.prefix, "the zip container cannot be read: " + why);
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    std::string why = zip_error_text(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return blocked("malformed", ctx.prefix, "the zip container cannot be read: " + why);
  }
  zip_error_fini(&error);
  std::unique_ptr<ZipReader> reader(new ZipReader());
  reader->state_ = std::make_unique<State>();
  reader->state_->archive = archive;
  zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count < 0) return blocked("malformed", ctx.prefix, "the zip container has no readable directory");
  if (static_cast<std::uint64_t>(count) > ctx.policy.max_members) {
    return blocked("limit", ctx.prefix,
                   "the archive has " + std::to_string(count) + " members, more than the limit of " + std::to_string(ctx.policy.max_members));
  }
  int comment_length = 0;
  if (const char* comment = zip_get_archive_comment(archive, &comment_length, ZIP_FL_ENC_RAW); comment != nullptr && comment_length > 0) {
    reader->comment_.assign(comment, static_cast<std::size_t>(comment_length));
  }
  reader->entries_.reserve(static_cast<std::size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0) {
      return blocked("malformed", ctx.prefix, "zip member " + std::to_string(i) + " cannot be read");
    }
    ZipEntry e;
    e.name = st.name;
    e.index = static_cast<std::uint64_t>(i);
    e.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    e.compressed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    e.encrypted = (st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE;
    e.directory = !e.name.empty() && e.name.back() == '/';
    zip_uint32_t member_comment_length = 0;
    if (const char* comment = zip_file_get_comment(archive, static_cast<zip_uint64_t>(i), &member_comment_length, ZIP_FL_ENC_RAW);
        comment != nullptr && member_comment_length > 0) {
      e.comment.assign(comment, member_comment_length);
    }
    reader->entries_.push_back(std::move(e));
  }
  return reader;
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  // Zip names are case-sensitive, but Office opens parts case-insensitively; so must we.
  for (const auto& e : entries_) {
    if (e.name.size() == name.size() &&
        std::equal(e.name.begin(), e.name.end(), name.begin(), [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
      return &e;
    }
  }
  return nullptr;
}

Result<std::string> ZipReader::read(const ZipEntry& entry, const Context& ctx, const char* password) const {
  const std::string where = ctx.prefix + entry.name;
  if (entry.encrypted && password == nullptr) return blocked("encrypted", where, "the member is encrypted (password-protected archive)");
  if (entry.compressed > 0 && entry.size / std::max<std::uint64_t>(entry.compressed, 1) > ctx.policy.max_ratio) {
    return blocked("limit", where,
                   "the member expands " + std::to_string(entry.size / entry.compressed) + " times, more than the limit of " + std::to_string(ctx.policy.max_ratio) +
                       " (a zip bomb)");
  }
  SANSO_TRY(ctx.charge(entry.size, where));
  zip_file_t* file = entry.encrypted ? zip_fopen_index_encrypted(state_->archive, entry.index, 0, password)
                                      : zip_fopen_index(state_->archive, entry.index, 0);
  if (file == nullptr) {
    zip_error_t* e = zip_get_error(state_->archive);
    if (entry.encrypted && zip_error_code_zip(e) == ZIP_ER_WRONGPASSWD) {
      return make_error("unlock.password", where, "the password does not open this member");
    }
    if (entry.encrypted && (zip_error_code_zip(e) == ZIP_ER_ENCRNOTSUPP)) {
      return blocked("unsupported", where, "the member's encryption method is not supported (traditional PKWARE and WinZip AES are)");
    }
    return blocked("malformed", where, std::string("the member cannot be opened: ") + zip_strerror(state_->archive));
  }
  std::string out;
  out.resize(static_cast<std::size_t>(entry.size));
  std::uint64_t got = 0;
  while (got < entry.size) {
    zip_int64_t n = zip_fread(file, out.data() + got, entry.size - got);
    if (n < 0) {
      std::string why = zip_error_strerror(zip_file_get_error(file));
      // Traditional PKWARE encryption checks a password against one byte only: 1 in 256 wrong
      // ones pass that check and fail the CRC (WinZip AES its HMAC) instead.
      const int code = zip_error_code_zip(zip_file_get_error(file));
      zip_fclose(file);
      // A wrong password that passed the one-byte check decrypts to noise, which the inflater
      // refuses before the CRC is reached: that too is the password, not a damaged file.
      if (entry.encrypted && (code == ZIP_ER_CRC || code == ZIP_ER_WRONGPASSWD || code == ZIP_ER_COMPRESSED_DATA || code == ZIP_ER_ZLIB)) {
        return make_error("unlock.password", where, "the password does not open this member");
      }
      return blocked("malformed", where, "the member is damaged: " + why);
    }
    if (n == 0) break;
    got += static_cast<std::uint64_t>(n);
  }
  // Data beyond the declared size means the directory lies: never trust such a member.
  char extra;
  zip_int64_t more = got == entry.size ? zip_fread(file, &extra, 1) : 0;
  const int code = more < 0 ? zip_error_code_zip(zip_file_get_error(file)) : ZIP_ER_OK;
  zip_fclose(file);
  if (entry.encrypted && (code == ZIP_ER_CRC || code == ZIP_ER_WRONGPASSWD || code == ZIP_ER_COMPRESSED_DATA || code == ZIP_ER_ZLIB)) {
    return make_error("unlock.password", where, "the password does not open this member");
  }
  if (got != entry.size || more != 0) {
    return blocked("malformed", where, "the member's size does not match the archive directory");
  }
  return out;
}

void ZipWriter::add(std::string name, std::string bytes, bool compress) {
  members_.push_back({std::move(name), std::move(bytes), compress});
}

Result<std::string> ZipWriter::finish() {
  // libzip writes nothing for an archive without members; an empty zip is its end record alone.
  if (members_.empty()) return std::string("PK\x05\x06", 4) + std::string(18, '\0');
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* target = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (target == nullptr) return make_error("cdr.internal", "", "zip buffer: " + zip_error_text(&error));
  zip_source_keep(target);
  zip_t* archive = zip_open_from_source(target, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(target);
    return make_error("cdr.internal", "", "zip writer: " + zip_error_text(&error));
  }
  // 1980-01-01, the zip epoch: the same content always gives the same bytes.
  std::tm epoch{};
  epoch.tm_year = 80;
  epoch.tm_mday = 1;
  const time_t fixed = timegm(&epoch);
  for (const auto& m : members_) {
    zip_source_t* src = zip_source_buffer(archive, m.bytes.data(), m.bytes.size(), 0);
    zip_int64_t idx = src == nullptr ? -1 : zip_file_add(archive, m.name.c_str(), src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (idx < 0) {
      if (src != nullptr) zip_source_free(src);
      std::string why = zip_strerror(archive);
      zip_discard(archive);
      zip_source_free(target);
      return make_error("cdr.internal", m.name, "zip writer: " + why);
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(idx), m.compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 6);
    zip_file_set_mtime(archive, static_cast<zip_uint64_t>(idx), fixed, 0);
  }
  if (zip_close(archive) != 0) {
    std::string why = zip_strerror(archive);
    zip_discard(archive);
    zip_source_free(target);
    return make_error("cdr.internal", "", "zip writer: " + why);
  }
  std::string out;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(target, &st) == 0 && zip_source_open(target) == 0) {
    out.resize(static_cast<std::size_t>(st.size));
    zip_int64_t n = zip_source_read(target, out.data(), st.size);
    zip_source_close(target);
    if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) out.clear();
  }
  zip_source_free(target);
  if (out.empty()) return make_error("cdr.internal", "", "zip writer: the archive could not be read back");
  return out;
}

}  // namespace sanso::cdr::internal
