// Legacy conversion and rasterize mode: the engine's stricter paths through LibreOffice and
// pdftoppm. The converters never see bytes a worker has not looked at first (types, encryption and
// executables are decided by the first pass) and their output is never passed on without a second
// pass in a worker: a converted document is rebuilt like any other, rendered pages are re-encoded.
#include "cdr/internal/convert.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <fstream>
#include <sstream>

#include "cdr/internal/format.h"
#include "cdr/internal/metafile.h"
#include "core/text.h"
#include "sandbox/converter.h"

namespace sanso::cdr {
namespace internal {
namespace {

// The slots ConverterSlot hands out: one per core for each kind of work.
struct Slots {
  std::mutex mu;
  std::condition_variable cv;
  unsigned total = std::max(1u, std::thread::hardware_concurrency());
  unsigned free = total;
};
Slots& slots(ConverterWork work) {
  static Slots rebuild, text_check;
  return work == ConverterWork::kRebuild ? rebuild : text_check;
}

}  // namespace

ConverterSlot::ConverterSlot(ConverterWork work) : work_(work) {
  Slots& s = slots(work_);
  std::unique_lock lock(s.mu);
  s.cv.wait(lock, [&] { return s.free > 0; });
  --s.free;
  held_ = true;
}

ConverterSlot::ConverterSlot(ConverterWork work, std::chrono::milliseconds wait) : work_(work) {
  Slots& s = slots(work_);
  std::unique_lock lock(s.mu);
  if (!s.cv.wait_for(lock, std::max(wait, std::chrono::milliseconds(0)), [&] { return s.free > 0; })) return;
  --s.free;
  held_ = true;
}

ConverterSlot::~ConverterSlot() {
  if (!held_) return;
  Slots& s = slots(work_);
  {
    std::lock_guard lock(s.mu);
    ++s.free;
  }
  s.cv.notify_one();
}

unsigned ConverterSlot::total(ConverterWork work) { return slots(work).total; }

namespace {

namespace fs = std::filesystem;

Result<void> executable(const std::string& path, const char* what, const char* package) {
  if (path.empty() || path[0] != '/' || ::access(path.c_str(), X_OK) != 0) {
    return make_error("cdr.converter", path, std::string(what) + " is not installed here (Debian package " + package + ")");
  }
  return ok();
}

Result<void> legacy_converter_ready(const CdrPolicy& policy) {
  SANSO_TRY(sandbox::converter_sandbox_available());
  return executable(policy.libreoffice, "LibreOffice", "libreoffice-writer-nogui, -calc-nogui, -impress-nogui");
}

bool is_legacy(std::string_view type) { return type == "doc" || type == "xls" || type == "ppt"; }

bool is_document(std::string_view type) {
  const Family family = extension_family(type);
  return family == Family::kWord || family == Family::kExcel || family == Family::kPowerpoint || family == Family::kRtf || family == Family::kPdf ||
         is_odf(family);
}

// A private, empty directory for one conversion, removed with everything in it.
struct Scratch {
  sandbox::ScratchDirectory made{"sanso-convert"};
  fs::path dir{made.dir};
};

bool write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string read_file(const fs::path& p, std::size_t max) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  if (!in) return s;
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size > max) return s;
  s.resize(size);
  in.read(s.data(), static_cast<std::streamsize>(size));
  return s;
}

CdrResult blocked_as(CdrResult r, std::string reason, std::string message) {
  r.verdict = Verdict::blocked;
  r.output.clear();
  r.output_name.clear();
  r.conversion.clear();
  r.reason = std::move(reason);
  r.message = std::move(message);
  r.findings.push_back({finding_kind_of(r.reason), "", FindingAction::kBlocked});
  return r;
}

// The last line the converter printed: what a person needs when a conversion fails.
std::string last_words(const std::string& log) {
  std::string s = log;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  auto nl = s.rfind('\n');
  s = nl == std::string::npos ? s : s.substr(nl + 1);
  return s.empty() ? "no message" : s.substr(0, 300);
}

// The name without directories and extension: the converted file's name is built on it.
// The findings of both passes: what the first found is gone with the conversion ("removed"), then
// the conversion itself, then what the second pass did.
std::vector<Finding> merged_findings(const CdrResult& first, Finding conversion, std::vector<Finding> second) {
  std::vector<Finding> out;
  for (auto f : first.findings) {
    if (f.kind == FindingKind::kActiveContent) continue;  // the first pass's verdict, not a finding of its own
    f.action = FindingAction::kRemoved;
    out.push_back(std::move(f));
  }
  out.push_back(std::move(conversion));
  for (auto& f : second) out.push_back(std::move(f));
  return out;
}

sandbox::ConverterJob job_for(const CdrPolicy& policy, const Scratch& s, std::vector<std::string> argv) {
  sandbox::ConverterJob job;
  job.argv = std::move(argv);
  job.work_dir = s.dir.string();
  job.timeout = policy.converter_timeout;
  job.file_bytes = std::max<std::size_t>(policy.max_input_bytes * 4, std::size_t{64} << 20);
  return job;
}

// LibreOffice headless: `in` (inside the scratch directory) to `filter`'s format in out/. A fresh
// profile per file, so nothing one document does survives into the next; a fresh profile makes
// soffice.bin ask for one restart (exit 81), which is what its launcher script would do.
Result<fs::path> libreoffice_convert(const CdrPolicy& policy, const Scratch& s, const fs::path& in, const std::string& to) {
  const fs::path program(policy.libreoffice);
  sandbox::ConverterJob job = job_for(policy, s,
                                      {policy.libreoffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
                                       "-env:UserInstallation=file://" + (s.dir / "profile").string(),
                                       "-env:UNO_SHARED_PACKAGES_CACHE=file://" + (s.dir / "shared").string(), "--convert-to", to, "--outdir",
                                       (s.dir / "out").string(), in.string()});
  // Its installation: program/ and share/ under one root, plus /etc/libreoffice.
  job.read_paths = {program.parent_path().parent_path().string(), "/etc/libreoffice"};
  job.socket_dirs = {"/tmp"};
  sandbox::ConverterOutcome outcome;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = sandbox::run_converter(job);
    if (!r) return std::move(r).error();
    outcome = *r;
    if (outcome.exit_code != 81) break;
  }
  std::string ext = to.substr(0, to.find(':'));
  fs::path out = s.dir / "out" / (in.stem().string() + "." + ext);
  if (outcome.exit_code != 0 || !fs::exists(out)) {
    return make_error("cdr.malformed", "libreoffice", "LibreOffice could not convert the file (exit " + std::to_string(outcome.exit_code) + "): " + last_words(outcome.log));
  }
  return out;
}

CdrResult convert_legacy(CdrResult first, const std::string& target, std::string_view original, std::string_view name, const CdrPolicy& policy,
                         const WorkerCall& worker) {
  // Without the converter a legacy file is blocked, whatever the first pass thought of it: its
  // binary records cannot be rebuilt here, only inspected.
  if (auto ready = legacy_converter_ready(policy); !ready) {
    return blocked_as(std::move(first), "unsupported",
                      std::string(name) + ": legacy Office files are delivered only converted to ." + target + ", and the converter is not available here (" +
                          ready.error().message + "); ask the sender for .docx/.xlsx/.pptx or PDF");
  }
  Scratch s;
  if (s.dir.empty()) return blocked_as(std::move(first), "internal", std::string(name) + ": no scratch directory for the conversion");
  const fs::path in = s.dir / ("document." + first.type);
  if (!write_file(in, original)) return blocked_as(std::move(first), "internal", std::string(name) + ": cannot write the scratch copy");
  auto out = libreoffice_convert(policy, s, in, target);
  if (!out) return blocked_as(std::move(first), reason_of(out.error()), std::string(name) + ": " + out.error().message);
  const std::string converted = read_file(*out, policy.max_input_bytes);
  if (converted.empty()) return blocked_as(std::move(first), "limit", std::string(name) + ": the converted file is empty or larger than the limit");
  CdrResult second = worker('S', renamed(name, target), converted);
  if (second.verdict == Verdict::blocked) {
    second.type = first.type;
    second.message = std::string(name) + " (converted to ." + target + "): " + second.message;
    return second;
  }
  second.findings = merged_findings(first, {FindingKind::kLegacyConverted, first.type + " → " + target, FindingAction::kConverted}, std::move(second.findings));
  second.type = first.type;
  second.verdict = Verdict::sanitized;
  return second;
}

CdrResult rasterize(CdrResult first, std::string_view original, std::string_view name, const CdrPolicy& policy, const WorkerCall& worker) {
  Scratch s;
  if (s.dir.empty()) return blocked_as(std::move(first), "internal", std::string(name) + ": no scratch directory for the conversion");
  // The rebuilt file when there is one: the renderer never meets what the rebuild removed.
  const bool rebuilt = first.verdict != Verdict::blocked && !first.output.empty();
  const std::string ext = rebuilt ? file_extension(first.output_name) : first.type;
  const fs::path in = s.dir / ("document." + (ext.empty() ? first.type : ext));
  if (!write_file(in, rebuilt ? std::string_view(first.output) : original)) {
    return blocked_as(std::move(first), "internal", std::string(name) + ": cannot write the scratch copy");
  }
  fs::path pdf = in;
  if (first.type != "pdf") {
    auto out = libreoffice_convert(policy, s, in, "pdf");
    if (!out) return blocked_as(std::move(first), reason_of(out.error()), std::string(name) + ": " + out.error().message);
    pdf = *out;
  }
  fs::create_directories(s.dir / "pages");
  // One page more than allowed is rendered, to tell "at the limit" from "over it".
  sandbox::ConverterJob job = job_for(policy, s,
                                      {policy.pdftoppm, "-r", std::to_string(policy.dpi), "-png", "-f", "1", "-l", std::to_string(policy.max_pages + 1),
                                       pdf.string(), (s.dir / "pages" / "page").string()});
  auto rendered = sandbox::run_converter(job);
  if (!rendered) return blocked_as(std::move(first), reason_of(rendered.error()), std::string(name) + ": " + rendered.error().message);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(s.dir / "pages")) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // page-01.png … : pdftoppm pads the numbers to one width
  if (rendered->exit_code != 0 || files.empty()) {
    return blocked_as(std::move(first), "malformed", std::string(name) + ": the pages could not be rendered: " + last_words(rendered->log));
  }
  if (files.size() > static_cast<std::size_t>(policy.max_pages)) {
    return blocked_as(std::move(first), "limit", std::string(name) + ": more than " + std::to_string(policy.max_pages) + " pages (the rasterize limit)");
  }
  std::vector<std::string> pages;
  for (const auto& f : files) {
    pages.push_back(read_file(f, std::size_t{512} << 20));
    if (pages.back().empty()) return blocked_as(std::move(first), "limit", std::string(name) + ": a rendered page is empty or too large");
  }
  CdrResult second = worker('P', name, pack_pages(pages));
  if (second.verdict == Verdict::blocked) {
    second.type = first.type;
    second.message = std::string(name) + " (rasterized): " + second.message;
    return second;
  }
  second.findings = merged_findings(first, {FindingKind::kRasterized, std::to_string(pages.size()) + (pages.size() == 1 ? " page" : " pages"), FindingAction::kConverted}, {});
  second.type = first.type;
  second.verdict = Verdict::sanitized;
  second.output_name = renamed(name, "pdf");
  return second;
}

// A TIFF's pages to RGBA by libtiff's own tiff2rgba, in the converter sandbox; an engine worker
// reads them back and writes a new TIFF ('T').
CdrResult decode_tiff(CdrResult first, std::string_view original, std::string_view name, const CdrPolicy& policy, const WorkerCall& worker) {
  if (auto ready = executable(policy.tiff2rgba, "tiff2rgba", "libtiff-tools"); !ready) {
    return blocked_as(std::move(first), "unsupported", std::string(name) + ": TIFF files are rebuilt by a separate program that is not available here (" + ready.error().message + ")");
  }
  Scratch s;
  if (s.dir.empty()) return blocked_as(std::move(first), "internal", std::string(name) + ": no scratch directory for the conversion");
  const fs::path in = s.dir / "image.tif", out = s.dir / "rgba.tif";
  if (!write_file(in, original)) return blocked_as(std::move(first), "internal", std::string(name) + ": cannot write the scratch copy");
  // Uncompressed, one strip a page; libtiff's own allocation limit under the box's.
  sandbox::ConverterJob job = job_for(policy, s, {policy.tiff2rgba, "-c", "none", "-r", "4294967295", "-M", "2048", in.string(), out.string()});
  job.file_bytes = std::max<std::size_t>(static_cast<std::size_t>(policy.max_pixels) * 4 + (std::size_t{1} << 20), std::size_t{64} << 20);
  auto ran = sandbox::run_converter(job);
  if (!ran) return blocked_as(std::move(first), reason_of(ran.error()), std::string(name) + ": " + ran.error().message);
  if (ran->exit_code != 0) return blocked_as(std::move(first), "malformed", std::string(name) + ": the TIFF's pages could not be decoded: " + last_words(ran->log));
  std::string rgba = read_file(out, job.file_bytes);
  if (rgba.empty()) return blocked_as(std::move(first), "malformed", std::string(name) + ": the TIFF's pages could not be decoded (no output)");
  // The original goes along (packed as rasterize mode packs its pages): the engine checks that
  // every page it declares came back.
  CdrResult second = worker('T', name, pack_pages({std::string(original), std::move(rgba)}));
  if (second.verdict == Verdict::blocked) {
    second.type = first.type;
    second.message = std::string(name) + ": " + second.message;
    return second;
  }
  // What the first pass found (metadata, a profile) is gone with the rebuild.
  std::vector<Finding> findings;
  for (const Finding& f : first.findings) {
    if (f.action != FindingAction::kBlocked) findings.push_back(f);
  }
  for (Finding& f : second.findings) findings.push_back(std::move(f));
  second.findings = std::move(findings);
  second.type = first.type;
  second.verdict = second.findings.empty() ? Verdict::clean : Verdict::sanitized;
  second.output_name = std::string(name);
  return second;
}

}  // namespace

std::string conversion_for(const CdrResult& result, const CdrPolicy& policy) {
  // A TIFF the engine judged (its pages within the limit, nothing else wrong): "unsupported" is
  // the engine's word for "decode me outside" (image.cc).
  if (result.type == "tiff" && result.verdict == Verdict::blocked && result.reason == "unsupported") return "tiff";
  // Legacy files blocked for their macros or objects are converted (the macros do not survive);
  // encrypted, malformed or oversized ones stay blocked.
  const bool usable = result.verdict != Verdict::blocked || (is_legacy(result.type) && result.reason == "active-content");
  if (!usable) return "";
  if (policy.rasterize && is_document(result.type)) return "pages";
  if (policy.convert_legacy && is_legacy(result.type)) return result.type == "doc" ? "docx" : result.type == "xls" ? "xlsx" : "pptx";
  return "";
}

std::string pack_pages(const std::vector<std::string>& pages) {
  std::string out;
  for (const auto& p : pages) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(p.size()) >> (8 * i)) & 0xFF));
    out += p;
  }
  return out;
}

bool unpack_pages(std::string_view payload, std::vector<std::string_view>& pages) {
  while (!payload.empty()) {
    if (payload.size() < 8) return false;
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(payload[i])) << (8 * i);
    if (n > payload.size() - 8) return false;
    pages.push_back(payload.substr(8, n));
    payload.remove_prefix(8 + n);
  }
  return true;
}

CdrResult finish_conversion(CdrResult first, std::string_view original, std::string_view name, const CdrPolicy& policy, const WorkerCall& worker) {
  const ConverterSlot slot(ConverterWork::kRebuild);
  const std::string conversion = first.conversion;
  first.conversion.clear();
  if (conversion == "pages") return rasterize(std::move(first), original, name, policy, worker);
  if (conversion == "tiff") return decode_tiff(std::move(first), original, name, policy, worker);
  if (conversion == "docx" || conversion == "xlsx" || conversion == "pptx") return convert_legacy(std::move(first), conversion, original, name, policy, worker);
  return blocked_as(std::move(first), "internal", std::string(name) + ": unknown conversion '" + conversion + "'");
}

}  // namespace internal

Result<void> check_converters(const CdrPolicy& policy) {
  // Legacy conversion (on by default) needs nothing at start-up: without its converter, legacy
  // files are blocked one by one with the reason. Rasterize mode is chosen on purpose and
  // applies to every document, so its converters must be there before anything is processed.
  if (!policy.rasterize) return ok();
  SANSO_TRY(internal::legacy_converter_ready(policy));
  SANSO_TRY(internal::executable(policy.pdftoppm, "pdftoppm", "poppler-utils"));
  return ok();
}

bool looks_like_pdf(std::string_view bytes) {
  // Readers accept the header anywhere in the first kilobyte; so does this check.
  return bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos;
}

namespace internal {
namespace {

// One program of the converter sandbox that reads a file and writes its text to a file beside it:
// pdftotext for a PDF, Tesseract for a picture.
struct TextProgram {
  std::string code;     // the error code when the text cannot be read: "cdr.pdf-text"
  std::string noun;     // what is read, for the messages: "the PDF", "the picture"
  std::string path;     // the program
  std::string package;  // the Debian package(s) that install it
  std::string input;    // the file's name in the scratch directory
  std::string output;   // the output's name on its command line
  std::string written;  // the name the text is read back from (Tesseract adds ".txt" to `output`)
  // Its arguments; kInput and kOutput stand for the paths of `input` and `output`.
  std::vector<std::string> arguments;
  std::size_t file_bytes = 0;  // the most the program may write, and the most of its text read back
  std::vector<std::string> env;
};
constexpr std::string_view kInput = "<input>", kOutput = "<output>";

// A converter slot for the outgoing check and the time left for the run once it is held. The wait
// counts against the caller's time: a flood of pictures must not keep the outgoing check waiting
// past its budget. What gets no slot in time (!ready()) is not read — the caller holds it as
// unchecked, never passes it.
struct TextCheckTurn {
  explicit TextCheckTurn(std::chrono::milliseconds timeout)
      : asked(std::chrono::steady_clock::now()),
        slot(ConverterWork::kTextCheck, timeout),
        left(timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked)) {}
  bool ready() const { return slot.held() && left > std::chrono::milliseconds(0); }
  // Why it is not ready, for the caller's message.
  static std::string none_free(std::chrono::milliseconds timeout) {
    return "no converter came free within the " + std::to_string(timeout.count()) + " ms the check had left (" +
           std::to_string(ConverterSlot::total(ConverterWork::kTextCheck)) + " converters, all busy)";
  }
  const std::chrono::steady_clock::time_point asked;
  const ConverterSlot slot;
  const std::chrono::milliseconds left;
};

// Runs `program` on `bytes` in a scratch directory of its own and reads its text back. Every
// failure (program missing, no scratch space, the sandbox refusing it, a crash, a non-zero exit, no
// text written) is an error under program.code: the caller fails closed on it.
Result<std::string> text_by_converter(std::string_view bytes, const TextProgram& program, std::chrono::milliseconds timeout) {
  const std::string name = program.path.substr(program.path.rfind('/') + 1);
  SANSO_TRY(executable(program.path, name.c_str(), program.package.c_str()));
  Scratch s;
  if (s.dir.empty()) return make_error(program.code, "", "no scratch directory for reading " + program.noun + "'s text");
  const auto in = s.dir / program.input;
  if (!write_file(in, bytes)) return make_error(program.code, in.string(), "cannot write the scratch copy of " + program.noun);
  sandbox::ConverterJob job;
  job.argv = {program.path};
  for (const auto& a : program.arguments) job.argv.push_back(a == kInput ? in.string() : a == kOutput ? (s.dir / program.output).string() : a);
  job.work_dir = s.dir.string();
  job.memory_bytes = std::size_t{1} << 30;
  job.file_bytes = program.file_bytes;
  job.env = program.env;
  const TextCheckTurn turn(timeout);
  if (!turn.ready()) return make_error(program.code, name, program.noun + "'s text was not read: " + TextCheckTurn::none_free(timeout));
  job.timeout = turn.left;
  auto ran = sandbox::run_converter(job);
  const std::string unread = program.noun + "'s text could not be read: ";
  if (!ran) return make_error(program.code, name, unread + ran.error().message + " [" + ran.error().code + "]");
  if (ran->exit_code != 0) return make_error(program.code, name, unread + last_words(ran->log));
  const auto out = s.dir / program.written;
  std::error_code ec;
  if (!fs::exists(out, ec)) return make_error(program.code, name, name + " wrote no text");
  return read_file(out, program.file_bytes);
}

// Whether a PNG shows anything: Python's standard library in the converter sandbox reads it, so
// that the rendering of hostile records is never decoded in this process. Blank is every pixel
// alike — the first pixel's colour (a page's white or a transparent background) over the whole
// picture. Row by row, without undoing the filters byte by byte in Python: a row whose row above
// is blank is blank exactly when its filtered bytes are the blank row filtered the same way (each
// filter is a bijection given the row above), compared at C speed. Exit 10: ink; 11: blank;
// 2: a PNG of a form not checked here (interlaced, fewer than 8 bits, cut short) — an error, as any
// other exit is.
constexpr const char* kInkCheck = R"(import sys, zlib
def main(path):
    b = open(path, 'rb').read()
    if b[:8] != b'\x89PNG\r\n\x1a\n':
        return 2
    at, idat, head = 8, [], None
    while at + 8 <= len(b):
        n, kind = int.from_bytes(b[at:at + 4], 'big'), b[at + 4:at + 8]
        if kind == b'IHDR':
            head = b[at + 8:at + 8 + n]
        elif kind == b'IDAT':
            idat.append(b[at + 8:at + 8 + n])
        elif kind == b'IEND':
            break
        at += 12 + n
    if head is None or len(head) != 13:
        return 2
    w, h = int.from_bytes(head[0:4], 'big'), int.from_bytes(head[4:8], 'big')
    depth, colour, interlace = head[8], head[9], head[12]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None or depth not in (8, 16) or interlace != 0 or w == 0 or h == 0 or w * h > 100000000:
        return 2
    bpp = channels * depth // 8
    stride = w * bpp
    raw = zlib.decompressobj().decompress(b''.join(idat), h * (stride + 1) + 1)
    if len(raw) != h * (stride + 1):
        return 2
    blank = raw[1:1 + bpp] * w
    def filtered(kind, above):
        out = bytearray(stride)
        for i in range(stride):
            a = blank[i - bpp] if i >= bpp else 0
            c = above[i - bpp] if i >= bpp else 0
            up = above[i]
            if kind == 0:
                p = 0
            elif kind == 1:
                p = a
            elif kind == 2:
                p = up
            elif kind == 3:
                p = (a + up) // 2
            else:
                q = a + up - c
                pa, pb, pc = abs(q - a), abs(q - up), abs(q - c)
                p = a if pa <= pb and pa <= pc else up if pb <= pc else c
            out[i] = (blank[i] - p) & 0xFF
        return bytes(out)
    expected = {}
    for y in range(h):
        kind = raw[y * (stride + 1)]
        if kind > 4:
            return 2
        key = (kind, y == 0)
        if key not in expected:
            expected[key] = filtered(kind, bytes(stride) if y == 0 else blank)
        if raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)] != expected[key]:
            return 10
    return 11
sys.exit(main(sys.argv[1])))";

// Whether the PNG at `png` (in the scratch directory `s`) shows any ink: kInkCheck run by `python`.
Result<bool> png_has_ink(const Scratch& s, const fs::path& png, const std::string& python, std::chrono::milliseconds timeout) {
  SANSO_TRY(executable(python, "Python", "python3"));
  sandbox::ConverterJob job;
  job.argv = {python, "-I", "-S", "-B", "-c", kInkCheck, png.string()};
  job.work_dir = s.dir.string();
  job.memory_bytes = std::size_t{1} << 30;
  job.file_bytes = 0;
  job.timeout = timeout;
  auto ran = sandbox::run_converter(job);
  if (!ran) return make_error("cdr.ink", "python3", "the rendering could not be checked for ink: " + ran.error().message + " [" + ran.error().code + "]");
  if (ran->exit_code == 10) return true;
  if (ran->exit_code == 11) return false;
  return make_error("cdr.ink", "python3", "the rendering could not be checked for ink (exit " + std::to_string(ran->exit_code) + "): " + last_words(ran->log));
}

}  // namespace
}  // namespace internal

Result<bool> picture_has_ink(std::string_view png, const std::string& python, std::chrono::milliseconds timeout) {
  const internal::TextCheckTurn turn(timeout);
  if (!turn.ready()) return make_error("cdr.ink", "", "the picture was not checked for ink: " + internal::TextCheckTurn::none_free(timeout));
  internal::Scratch s;
  if (s.dir.empty()) return make_error("cdr.ink", "", "no scratch directory for checking the picture for ink");
  const auto in = s.dir / "picture.png";
  if (!internal::write_file(in, png)) return make_error("cdr.ink", in.string(), "cannot write the scratch copy of the picture");
  return internal::png_has_ink(s, in, python, turn.left);
}

Result<std::string> pdf_text(std::string_view bytes, const std::string& pdftotext, std::chrono::milliseconds timeout) {
  const internal::TextProgram pdftotext_program{"cdr.pdf-text", "the PDF", pdftotext, "poppler-utils", "document.pdf", "text.txt", "text.txt",
                                                {"-q", "-enc", "UTF-8", std::string(internal::kInput), std::string(internal::kOutput)},
                                                std::size_t{64} << 20, {}};
  return internal::text_by_converter(bytes, pdftotext_program, timeout);
}

namespace {

// Why `region` of a page is not rendered, or "" when it may be: pdftoppm renders the whole page for
// a region that lies outside it (or is empty), at the dpi asked — an A0 page at 2400 dpi is a
// picture of a billion pixels — so what crossed the sandbox boundary is checked here first.
std::string region_refused(const PdfRegion& r) {
  const auto most_side = static_cast<std::uint64_t>(14400) * kMostPdfPageDpi / 72;  // 200 inches, the largest page PDF writes
  const std::uint64_t x = r.x, y = r.y, width = r.width, height = r.height;
  if (width == 0 || height == 0) return "its region is empty";
  if (static_cast<double>(width) * static_cast<double>(height) > kMostPdfPagePixels) {
    return "its region of " + std::to_string(width) + " × " + std::to_string(height) + " pixels is larger than the " +
           std::to_string(static_cast<long long>(kMostPdfPagePixels)) + " a part is rendered in";
  }
  if (r.page_width > most_side || r.page_height > most_side || x + width > r.page_width || y + height > r.page_height) {
    return "its region (" + std::to_string(width) + " × " + std::to_string(height) + " pixels at " + std::to_string(x) + ", " + std::to_string(y) +
           ") is not inside the page of " + std::to_string(r.page_width) + " × " + std::to_string(r.page_height) + " pixels";
  }
  return "";
}

// The size a PNG says it is (its IHDR), or 0 × 0 when it is no PNG.
std::pair<std::uint32_t, std::uint32_t> png_size(std::string_view png) {
  if (png.size() < 24 || png.substr(0, 8) != "\x89PNG\r\n\x1A\n" || png.substr(12, 4) != "IHDR") return {0, 0};
  const auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

}  // namespace

Result<std::string> pdf_page_picture(std::string_view pdf, const PdfPage& page, const std::string& pdftoppm, std::chrono::milliseconds timeout) {
  const std::string n = std::to_string(page.number);
  // The dpi crossed the sandbox boundary with the page: one outside the range pdf_content() chooses
  // from is not rendered (a page at 100000 dpi is a picture no converter's memory holds).
  if (page.dpi < kPdfPageDpi || page.dpi > kMostPdfPageDpi) {
    return make_error("cdr.pdf-page", "page " + n,
                      "the PDF's page " + n + " is not rendered at " + std::to_string(page.dpi) + " dpi: outside " + std::to_string(kPdfPageDpi) + "–" +
                          std::to_string(kMostPdfPageDpi) + " dpi");
  }
  std::vector<std::string> arguments = {"-q", "-png", "-singlefile", "-f", n, "-l", n, "-r", std::to_string(page.dpi)};
  if (page.region) {
    if (const std::string refused = region_refused(*page.region); !refused.empty()) {
      return make_error("cdr.pdf-page", "page " + n, "a part of the PDF's page " + n + " is not rendered: " + refused);
    }
    const PdfRegion& r = *page.region;
    arguments.insert(arguments.end(), {"-x", std::to_string(r.x), "-y", std::to_string(r.y), "-W", std::to_string(r.width), "-H", std::to_string(r.height)});
  }
  arguments.insert(arguments.end(), {std::string(internal::kInput), std::string(internal::kOutput)});
  const internal::TextProgram pdftoppm_program{"cdr.pdf-page", "the PDF's page " + n, pdftoppm, "poppler-utils", "document.pdf", "page", "page.png",
                                               std::move(arguments), std::size_t{64} << 20, {}};
  auto png = internal::text_by_converter(pdf, pdftoppm_program, timeout);
  if (!png || !page.region) return png;
  // pdftoppm cuts a region to its page, as poppler measures the page: a picture of another size
  // is a part the reader placed where poppler's page is not, and what it missed is unknown.
  if (const auto [width, height] = png_size(*png); width != page.region->width || height != page.region->height) {
    return make_error("cdr.pdf-page", "page " + n,
                      "a part of the PDF's page " + n + " came out as " + std::to_string(width) + " × " + std::to_string(height) + " pixels, not the " +
                          std::to_string(page.region->width) + " × " + std::to_string(page.region->height) + " asked for: the page is not where its reader measured it");
  }
  return png;
}

Result<std::string> metafile_picture(std::string_view metafile, const std::string& libreoffice, std::chrono::milliseconds timeout, const std::string& python) {
  const std::string fail = "the metafile could not be rendered for OCR: ";
  if (auto ready = internal::executable(libreoffice, "LibreOffice", "libreoffice-draw-nogui"); !ready) return make_error("cdr.drawing", "", fail + ready.error().message);
  const internal::TextCheckTurn turn(timeout);
  if (!turn.ready()) return make_error("cdr.drawing", "", fail + internal::TextCheckTurn::none_free(timeout));
  CdrPolicy policy;
  policy.libreoffice = libreoffice;
  policy.converter_timeout = turn.left;
  internal::Scratch s;
  if (s.dir.empty()) return make_error("cdr.drawing", "", fail + "no scratch directory");
  // Named by what its bytes are, so that LibreOffice's graphic import takes the filter they need.
  const auto in = s.dir / (internal::is_emf(metafile) ? "drawing.emf" : "drawing.wmf");
  if (!internal::write_file(in, metafile)) return make_error("cdr.drawing", in.string(), fail + "cannot write its scratch copy");
  // Draw's PNG export of the page the graphic is placed on, at 300 dpi of A4: the copy fills it.
  auto out = internal::libreoffice_convert(policy, s, in, R"(png:draw_png_Export:{"PixelWidth":{"type":"long","value":"2480"},"PixelHeight":{"type":"long","value":"3508"}})");
  if (!out) return make_error("cdr.drawing", "", fail + out.error().message);
  std::string png = internal::read_file(*out, std::size_t{64} << 20);
  if (png.empty()) return make_error("cdr.drawing", "", fail + "LibreOffice wrote no picture");
  // The reader saw records that paint (extract_texts hands over only such a metafile): a page that
  // comes out blank is a record or a header field LibreOffice skipped, not an empty drawing, and
  // OCR reading nothing in it must not pass what a viewer may show.
  const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - turn.asked);
  auto ink = internal::png_has_ink(s, *out, python, timeout - ran_for);
  if (!ink) return make_error("cdr.drawing", "", fail + ink.error().message);
  if (!*ink) {
    return make_error("cdr.drawing", "",
                      "描画が白紙に描かれた（図形を描く記録があるのに、LibreOffice の描画には何も写っていない）/ the metafile's records paint, but LibreOffice "
                      "rendered them as a blank page (a record or a header field it skips): OCR cannot read what a viewer may show");
  }
  return png;
}

Result<std::string> picture_text(std::string_view bytes, const std::string& tesseract, std::chrono::milliseconds timeout) {
  // The input has no extension: leptonica reads the format from the bytes, never from a name the
  // sender chose. Page segmentation 1: automatic, after orientation detection (tesseract-ocr-osd),
  // so that a card photographed sideways or upside down is read turned upright — read as it lies,
  // its text is nothing or noise, and its number passes. Tesseract turns the page only when the
  // best orientation leads the next by its margin (7 by default: a card's two lines reach about
  // 3, and stayed unturned); 1.5 still leaves a page whose orientation is unclear as it is. The
  // detection costs about a third more time per picture. One thread: the job holds one slot.
  const internal::TextProgram tesseract_program{"cdr.picture-text", "the picture", tesseract, "tesseract-ocr tesseract-ocr-jpn tesseract-ocr-osd", "picture", "text", "text.txt",
                                                {std::string(internal::kInput), std::string(internal::kOutput), "-l", "jpn+eng", "--psm", "1", "-c",
                                                 "min_orientation_margin=1.5"},
                                                std::size_t{16} << 20, {"OMP_THREAD_LIMIT=1"}};
  return internal::text_by_converter(bytes, tesseract_program, timeout);
}

Result<std::string> picture_words(std::string_view bytes, const std::string& tesseract, std::chrono::milliseconds timeout) {
  // A sheet is drawn upright: no orientation detection. A block of text (6), not automatic
  // segmentation: cells far apart are read as one block of lines, not dropped as specks.
  const internal::TextProgram tesseract_program{"cdr.picture-text", "the picture", tesseract, "tesseract-ocr tesseract-ocr-jpn", "picture", "words", "words.tsv",
                                                {std::string(internal::kInput), std::string(internal::kOutput), "-l", "jpn+eng", "--psm", "6", "tsv"},
                                                std::size_t{16} << 20, {"OMP_THREAD_LIMIT=1"}};
  return internal::text_by_converter(bytes, tesseract_program, timeout);
}

}  // namespace sanso::cdr
