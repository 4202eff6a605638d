#include "web/multipart.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <cstring>

#include "core/text.h"

namespace sanso::web {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1
constexpr std::size_t kMaxFieldName = 64;
// Parts beyond the files and fields a form may carry: the empty parts of file inputs left unused.
constexpr std::size_t kSpareParts = 16;

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// RFC 2046's bchars: what a boundary may hold (a space, but not last).
bool is_boundary_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::strchr("'()+_,-./:=? ", c) != nullptr;
}

// A control character in a header is how a value smuggles a line of its own (a file name with a
// CR LF and a header after it): never accepted, not even "decoded".
bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// `; key=value` parameters after a header's first token. Values are tokens or quoted strings
// (a backslash quotes the next character). Each key once, lowercased.
Result<std::map<std::string, std::string>> parameters(std::string_view rest, const std::string& where) {
  std::map<std::string, std::string> out;
  for (;;) {
    rest = trim_blanks(rest);
    if (rest.empty()) return out;
    if (rest.front() != ';') return make_error("upload.malformed", where, "expected ';' between parameters");
    rest = trim_blanks(rest.substr(1));
    if (rest.empty()) return out;  // a trailing ';' is harmless
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return make_error("upload.malformed", where, "a parameter without '='");
    std::string key = ascii_lower(trim_blanks(rest.substr(0, eq)));
    if (key.empty() || !std::all_of(key.begin(), key.end(), is_token_char)) {
      return make_error("upload.malformed", where, "a parameter name that is not a token");
    }
    rest = trim_blanks(rest.substr(eq + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '\\' && i + 1 < rest.size()) {
          value += rest[++i];
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return make_error("upload.malformed", where, "a quoted parameter value without its closing quote");
      rest = rest.substr(i);
    } else {
      std::size_t end = 0;
      while (end < rest.size() && rest[end] != ';' && !is_space(rest[end])) ++end;
      value = std::string(rest.substr(0, end));
      rest = rest.substr(end);
    }
    if (has_control(value)) return make_error("upload.malformed", where, "parameter " + key + " holds a control character");
    if (!out.emplace(key, value).second) return make_error("upload.malformed", where, "parameter " + key + " given twice");
  }
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  const std::string where = "Content-Type";
  std::size_t semi = content_type.find(';');
  if (ascii_lower(trim_blanks(content_type.substr(0, semi))) != "multipart/form-data") {
    return make_error("upload.malformed", where, "the form must be sent as multipart/form-data");
  }
  if (semi == std::string_view::npos) return make_error("upload.malformed", where, "multipart/form-data without a boundary");
  auto params = SANSO_TRY(parameters(content_type.substr(semi), where));
  auto b = params.find("boundary");
  if (b == params.end() || b->second.empty()) return make_error("upload.malformed", where, "multipart/form-data without a boundary");
  const std::string& boundary = b->second;
  if (boundary.size() > kMaxBoundary || boundary.back() == ' ' || !std::all_of(boundary.begin(), boundary.end(), is_boundary_char)) {
    return make_error("upload.malformed", where, "the boundary is longer than 70 characters or holds characters RFC 2046 does not allow");
  }
  return boundary;
}

ReceivedFile::ReceivedFile(std::string field, std::string filename, int fd)
    : field_(std::move(field)), filename_(std::move(filename)), fd_(fd) {}

ReceivedFile::~ReceivedFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> ReceivedFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("upload.storage", "temporary file", std::string("cannot write an upload: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return ok();
}

Result<std::string> ReceivedFile::read_all() const {
  std::string out(size_, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("upload.storage", "temporary file", "cannot read an upload back");
    done += static_cast<std::size_t>(n);
  }
  return out;
}

MultipartReader::MultipartReader(std::string boundary, MultipartLimits limits, std::string temp_dir)
    : delimiter_("\r\n--" + boundary), limits_(limits), temp_dir_(std::move(temp_dir)) {
  // The first boundary has no line break before it; reading the body as if one came first lets
  // one search find them all.
  pending_ = "\r\n";
}

MultipartReader::~MultipartReader() = default;

Result<std::unique_ptr<MultipartReader>> MultipartReader::open(std::string_view content_type, MultipartLimits limits, std::string temp_dir) {
  std::string boundary = SANSO_TRY(multipart_boundary(content_type));
  return std::unique_ptr<MultipartReader>(new MultipartReader(std::move(boundary), limits, std::move(temp_dir)));
}

Result<void> MultipartReader::feed(std::string_view bytes) {
  pending_.append(bytes);
  return step();
}

Result<void> MultipartReader::step() {
  auto where = [this](std::size_t at) { return "upload body, byte " + std::to_string(offset_ + at - std::min<std::uint64_t>(offset_ + at, 2)); };
  auto consume = [this](std::size_t n) {
    offset_ += n;
    pending_.erase(0, n);
  };
  for (;;) {
    switch (stage_) {
      case Stage::kDelimiter: {
        // Nothing may come before the first boundary (browsers send nothing there).
        std::size_t have = std::min(pending_.size(), delimiter_.size());
        if (pending_.compare(0, have, delimiter_, 0, have) != 0) {
          return make_error("upload.malformed", where(0), "the body does not begin with the boundary its Content-Type names");
        }
        if (pending_.size() < delimiter_.size()) return ok();
        consume(delimiter_.size());
        stage_ = Stage::kAfterDelimiter;
        break;
      }
      case Stage::kAfterDelimiter: {
        if (pending_.size() < 2) return ok();
        if (pending_.compare(0, 2, "--") == 0) {
          if (parts_ == 0) return make_error("upload.malformed", where(0), "the form has no parts");
          consume(2);
          stage_ = Stage::kEpilogue;
          break;
        }
        if (pending_.compare(0, 2, "\r\n") != 0) {
          return make_error("upload.malformed", where(0), "a boundary must be followed by a line break or by \"--\"");
        }
        consume(2);
        stage_ = Stage::kHeaders;
        break;
      }
      case Stage::kHeaders: {
        std::size_t end = pending_.compare(0, 2, "\r\n") == 0 ? 0 : pending_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (pending_.size() > limits_.max_part_header_bytes) {
            return make_error("upload.too-large", where(0), "a part's headers are longer than " + std::to_string(limits_.max_part_header_bytes) + " bytes");
          }
          return ok();
        }
        if (end > limits_.max_part_header_bytes) {
          return make_error("upload.too-large", where(0), "a part's headers are longer than " + std::to_string(limits_.max_part_header_bytes) + " bytes");
        }
        std::string headers = pending_.substr(0, end);
        SANSO_TRY(start_part(headers));
        consume(end == 0 ? 2 : end + 4);
        stage_ = Stage::kBody;
        break;
      }
      case Stage::kBody: {
        std::size_t at = pending_.find(delimiter_);
        if (at == std::string::npos) {
          // Keep what could be the start of a delimiter split across two reads.
          std::size_t keep = delimiter_.size() - 1;
          if (pending_.size() > keep) {
            std::size_t n = pending_.size() - keep;
            SANSO_TRY(take_body(std::string_view(pending_).substr(0, n)));
            consume(n);
          }
          return ok();
        }
        SANSO_TRY(take_body(std::string_view(pending_).substr(0, at)));
        SANSO_TRY(end_part());
        consume(at + delimiter_.size());
        stage_ = Stage::kAfterDelimiter;
        break;
      }
      case Stage::kEpilogue:
        // After the closing boundary: ignored (RFC 2046), and not kept.
        consume(pending_.size());
        return ok();
    }
  }
}

Result<void> MultipartReader::start_part(std::string_view headers) {
  const std::string where = "upload part " + std::to_string(parts_ + 1);
  std::optional<std::string> disposition;
  while (!headers.empty()) {
    std::size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    if (line.empty() || is_space(line.front())) return make_error("upload.malformed", where, "a folded or empty header line");
    if (has_control(line)) return make_error("upload.malformed", where, "a header holds a control character or a bare line break");
    std::size_t colon = line.find(':');
    std::string name = ascii_lower(line.substr(0, colon));
    if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return make_error("upload.malformed", where, "a header line that is not \"Name: value\"");
    }
    std::string_view value = trim_blanks(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (disposition) return make_error("upload.malformed", where, "Content-Disposition given twice");
      disposition = std::string(value);
    } else if (name == "content-transfer-encoding") {
      // The bytes would not be the file's own: RFC 7578 §4.7 deprecates it and no browser sends it.
      std::string enc = ascii_lower(value);
      if (enc != "binary" && enc != "8bit" && enc != "7bit") return make_error("upload.malformed", where, "Content-Transfer-Encoding " + enc + " is not accepted");
    }
  }
  if (!disposition) return make_error("upload.malformed", where, "a part without Content-Disposition");
  std::string_view d = *disposition;
  std::size_t semi = d.find(';');
  if (ascii_lower(trim_blanks(d.substr(0, semi))) != "form-data") return make_error("upload.malformed", where, "Content-Disposition is not form-data");
  auto params = SANSO_TRY(parameters(semi == std::string_view::npos ? std::string_view{} : d.substr(semi), where));
  if (params.count("filename*") != 0) return make_error("upload.malformed", where, "filename* is not accepted in a form (RFC 7578 §4.2)");
  auto name = params.find("name");
  if (name == params.end() || name->second.empty() || name->second.size() > kMaxFieldName || !is_valid_utf8(name->second)) {
    return make_error("upload.malformed", where, "a part without a usable name (1 to 64 bytes of UTF-8)");
  }
  // Every part costs a header parse, even one that adds nothing (an empty file input): without a
  // bound a body of nothing but empty parts runs on as long as the client keeps sending.
  if (parts_ >= limits_.max_files + limits_.max_fields + kSpareParts) {
    return make_error("upload.too-large", where, "more than " + std::to_string(limits_.max_files + limits_.max_fields + kSpareParts) + " parts in one form");
  }
  ++parts_;
  part_name_ = name->second;
  part_value_.clear();
  part_file_.reset();
  auto filename = params.find("filename");
  part_is_file_ = filename != params.end();
  if (!part_is_file_) {
    if (form_.fields.size() >= limits_.max_fields) return make_error("upload.too-large", where, "more than " + std::to_string(limits_.max_fields) + " form fields");
    if (form_.fields.count(part_name_) != 0) return make_error("upload.malformed", where, "form field " + part_name_ + " given twice");
    return ok();
  }
  // An empty file input is sent as a part with an empty file name and no content: it adds nothing.
  if (filename->second.empty()) return ok();
  if (form_.files.size() >= limits_.max_files) {
    return make_error("upload.too-large", where, "more than " + std::to_string(limits_.max_files) + " files in one transfer");
  }
  std::string path = temp_dir_ + "/upload-XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return make_error("upload.storage", temp_dir_, std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::unlink(path.c_str());  // gone with the descriptor, whatever happens to this process
  part_file_ = std::make_unique<ReceivedFile>(part_name_, filename->second, fd);
  return ok();
}

Result<void> MultipartReader::take_body(std::string_view bytes) {
  if (bytes.empty()) return ok();
  const std::string where = "upload part " + std::to_string(parts_);
  if (!part_is_file_) {
    if (part_value_.size() + bytes.size() > limits_.max_field_bytes) {
      return make_error("upload.too-large", where, "form field " + part_name_ + " is longer than " + std::to_string(limits_.max_field_bytes) + " bytes");
    }
    part_value_.append(bytes);
    return ok();
  }
  if (part_file_ == nullptr) return make_error("upload.malformed", where, "a file part with content but no file name");
  if (part_file_->size() + bytes.size() > limits_.max_file_bytes) {
    return make_error("upload.too-large", where + " (" + visible_text(part_file_->filename()) + ")",
                      "the file is larger than " + human_size(limits_.max_file_bytes) + " ([transfer] max_file_mb)");
  }
  if (total_file_bytes_ + bytes.size() > limits_.max_total_bytes) {
    return make_error("upload.too-large", where, "the files together are larger than " + human_size(limits_.max_total_bytes) + " ([transfer] max_total_mb)");
  }
  total_file_bytes_ += bytes.size();
  return part_file_->append(bytes);
}

Result<void> MultipartReader::end_part() {
  if (!part_is_file_) {
    form_.fields.emplace(part_name_, std::move(part_value_));
    part_value_.clear();
  } else if (part_file_ != nullptr) {
    form_.files.push_back(std::move(part_file_));
  }
  return ok();
}

Result<MultipartForm> MultipartReader::finish() {
  if (stage_ != Stage::kEpilogue) {
    return make_error("upload.malformed", "upload body, byte " + std::to_string(offset_ + pending_.size() - 2),
                      "the body ended before its closing boundary (truncated)");
  }
  return std::move(form_);
}

}  // namespace sanso::web
