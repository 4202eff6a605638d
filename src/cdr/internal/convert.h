// The converter step between two sandboxed engine passes (legacy conversion, rasterize mode).
// Not for use outside cdr.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cdr/cdr.h"

namespace sanso::cdr::internal {

// What a converter runs for. Each has its own slots: a flood of incoming legacy documents or TIFF
// files (a LibreOffice or tiff2rgba run each) must not take every converter from the outgoing
// check, whose pdftotext and Tesseract runs then could not start and would hold every outgoing mail
// with a picture or a PDF.
enum class ConverterWork {
  kRebuild,    // an incoming file's conversion: LibreOffice, rasterize mode, tiff2rgba
  kTextCheck,  // the outgoing check's reading of a file's text: pdftotext, Tesseract
};

// A converter slot, held while the object lives. At most one converter of each kind of work runs
// per core at a time, process-wide: a LibreOffice instance takes hundreds of MB, and fifty milter
// connections must not start fifty; Tesseract and pdftotext take their turn too. Not copyable or
// movable.
class ConverterSlot {
 public:
  // Waits as long as it takes: a file's conversion (the milter's own timeout, if it comes first,
  // tempfails the message: nothing passes unconverted).
  explicit ConverterSlot(ConverterWork work);
  // Waits at most `wait`; held() says whether a slot came free in that time.
  ConverterSlot(ConverterWork work, std::chrono::milliseconds wait);
  ~ConverterSlot();
  ConverterSlot(const ConverterSlot&) = delete;
  ConverterSlot& operator=(const ConverterSlot&) = delete;
  bool held() const { return held_; }
  static unsigned total(ConverterWork work);  // how many slots there are for that work (one per core)

 private:
  ConverterWork work_;
  bool held_ = false;
};

// One more job for a sandboxed engine worker: 'S' sanitizes `payload` as a file called `name`;
// 'P' binds the page images packed in `payload` (pack_pages) into a PDF.
using WorkerCall = std::function<CdrResult(char kind, std::string_view name, std::string_view payload)>;

// Runs the converter `first.conversion` asks for on the file (its rebuilt output, or the original
// when there is none), outside the worker, then the second pass in a worker; the result of the
// whole. Any failure blocks the file, with the converter's words in the message.
CdrResult finish_conversion(CdrResult first, std::string_view original, std::string_view name, const CdrPolicy& policy, const WorkerCall& worker);

// Page images as one payload (each 8-byte little-endian length, then the bytes), and back.
std::string pack_pages(const std::vector<std::string>& pages);
bool unpack_pages(std::string_view payload, std::vector<std::string_view>& pages);

// sanitize() without the conversion step: the first pass, with `conversion` set when one is due.
CdrResult sanitize_pass(std::string_view bytes, std::string_view name, const CdrPolicy& policy);

// A result blocked for `reason` ("limit", "internal", …) with `message` about the file `name`.
CdrResult blocked_result(std::string_view name, std::string reason, std::string message);

// The conversion sanitize() asks for under `policy`: "docx"/"xlsx"/"pptx", "pages" or "".
std::string conversion_for(const CdrResult& result, const CdrPolicy& policy);

// The file's name without its folder and with `extension` in place of its own ("file" when it has none).
std::string renamed(std::string_view name, std::string_view extension);

}  // namespace sanso::cdr::internal
