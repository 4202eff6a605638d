// A multipart/form-data body (RFC 7578) read as it arrives, for the transfer upload form: files
// go straight to private temporary files (unlinked at once, so nothing outlives the request even
// if the process dies), form fields stay in memory, and every limit is enforced while reading —
// a body that breaks one is refused at that byte, never read to its end first. Everything about
// the body is hostile: the boundary, the part headers, the file names (kept as sent, for
// transfer::safe_name to judge), sizes, and where it ends.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::web {

struct MultipartLimits {
  std::uint64_t max_file_bytes = 0;   // each file
  std::uint64_t max_total_bytes = 0;  // all files together
  std::size_t max_files = 0;
  std::size_t max_fields = 16;          // parts without a file name
  std::size_t max_field_bytes = 4000;   // each such part
  std::size_t max_part_header_bytes = 8192;
};

// A file part, kept in an unlinked private temporary file.
class ReceivedFile {
 public:
  ReceivedFile(std::string field, std::string filename, int fd);
  ~ReceivedFile();
  ReceivedFile(const ReceivedFile&) = delete;
  ReceivedFile& operator=(const ReceivedFile&) = delete;

  const std::string& field() const { return field_; }
  const std::string& filename() const { return filename_; }  // as the client sent it
  std::uint64_t size() const { return size_; }
  Result<void> append(std::string_view bytes);
  Result<std::string> read_all() const;

 private:
  std::string field_, filename_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct MultipartForm {
  std::map<std::string, std::string> fields;  // each name once (a repeated one is refused)
  std::vector<std::unique_ptr<ReceivedFile>> files;
};

// Errors: "upload.malformed" (not a well-formed body: the client's fault, 400),
// "upload.too-large" (a limit broken, 413), "upload.storage" (our temporary file failed, 500).
class MultipartReader {
 public:
  // `content_type` is the request's Content-Type header; `temp_dir` an existing private directory.
  static Result<std::unique_ptr<MultipartReader>> open(std::string_view content_type, MultipartLimits limits, std::string temp_dir);
  ~MultipartReader();

  // The next bytes of the body, as they arrive.
  Result<void> feed(std::string_view bytes);
  // The body has ended: the form, if it ended with its closing boundary.
  Result<MultipartForm> finish();

 private:
  MultipartReader(std::string boundary, MultipartLimits limits, std::string temp_dir);
  Result<void> step();
  Result<void> start_part(std::string_view headers);
  Result<void> take_body(std::string_view bytes);
  Result<void> end_part();

  enum class Stage { kDelimiter, kAfterDelimiter, kHeaders, kBody, kEpilogue };
  std::string delimiter_;  // CRLF "--" boundary
  MultipartLimits limits_;
  std::string temp_dir_;
  Stage stage_ = Stage::kDelimiter;
  std::string pending_;
  std::uint64_t offset_ = 0;  // bytes of the body consumed before pending_, for error locations
  std::uint64_t total_file_bytes_ = 0;
  bool first_delimiter_ = true;
  // The part being read.
  std::string part_name_;
  bool part_is_file_ = false;
  std::string part_value_;
  std::unique_ptr<ReceivedFile> part_file_;
  MultipartForm form_;
  std::size_t parts_ = 0;
};

// The boundary of a multipart/form-data Content-Type, or why there is none usable.
Result<std::string> multipart_boundary(std::string_view content_type);

}  // namespace sanso::web
