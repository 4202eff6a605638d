// cdr: content disarm and reconstruction (無害化 of files, clauses 6(3)② and 6(6)). One file from
// the internet zone in; a rebuilt file with its active content removed, or a `blocked` verdict
// with a reason, out. The type is taken from the bytes, never from the name alone; anything the
// engine cannot rebuild with confidence is blocked — the engine fails closed.
//
// sanitize() is pure and must only ever run on untrusted bytes inside the sandbox:
// sanitize_sandboxed() does that, through an executor of engine_task() (a fork per file or a
// pool), and turns a crash, a forbidden system call or a timeout into `blocked`.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/vocabulary.h"
#include "sandbox/sandbox.h"

namespace sanso::cdr {

enum class Verdict { clean, sanitized, blocked };
std::string_view to_string(Verdict verdict);  // "clean", "sanitized", "blocked"
std::string_view label(Verdict verdict, std::string_view lang);
Result<Verdict> parse_verdict(std::string_view text, std::string_view where);

// What was done about a finding: the thing is gone ("removed"), kept but made inert
// ("neutralised": a formula prefixed, a field's result text kept), the file became another form
// ("converted"), the whole file was stopped ("blocked"), or the policy keeps it until someone
// approves ("held for approval", written by the intake).
enum class FindingAction : std::uint8_t { kRemoved, kNeutralised, kConverted, kBlocked, kHeldForApproval };
std::string_view to_string(FindingAction action);  // "removed", …, "blocked", "held for approval"
std::string_view label(FindingAction action, std::string_view lang);
Result<FindingAction> parse_finding_action(std::string_view text, std::string_view where);

// What a finding is about: one enumerator per kind, each with its wire name ("vba_macro", written
// in report and audit JSON), Japanese and English labels and a severity, in the table of
// findings.cc (and src/cdr/README.md). Engines create findings with these; text becomes one only
// where it enters (the sandbox's answer, a stored plan), through parse_finding_kind.
enum class FindingKind : std::uint8_t {
  // Office packages
  kVbaMacro, kExcel4Macro, kActivex, kOleObject, kExternalRelationship, kExternalTemplate, kExternalLink,
  kExternalFormula, kDdeField, kRemoteField, kCustomUi, kDataConnection, kQueryTable, kDigitalSignature,
  kHyperlink, kRelationship, kMacroEnabledType, kXmlDtd, kOrphanPart, kPartTypeMismatch, kUnsupportedPart,
  kMissingPart, kUnknownRelationship, kMisplacedRelationship, kUnknownXml, kAltChunk, kMailMerge,
  kWebExtension, kEmbeddedFont, kCustomXml, kPrinterSettings, kMedia, kSubDocument, kField, kComputedField,
  kPpaction,
  // PDF
  kPdfJavascript, kPdfOpenAction, kPdfAdditionalActions, kPdfLaunch, kPdfSubmitForm, kPdfImportData,
  kPdfRemoteGoto, kPdfEmbeddedGoto, kPdfRichMedia, kPdf3d, kPdfXfa, kPdfEmbeddedFile, kPdfFileAttachment,
  kPdfUri, kPdfAssociatedFile, kPdfNamedAction, kPdfUnknownAction, kPdfNameTree, kPdfExternalStream,
  kPdfEncryptionRemoved,
  // RTF and ODF
  kRtfObject, kRtfField, kOdfMacro, kOdfScript, kOdfObject,
  // images, text, archives
  kImageMetadata, kIccProfile, kTrailingData, kImageConverted, kSvgRasterized, kLegacyConverted, kRasterized,
  kHtmlConverted, kFormulaInjection, kNulBytes, kCharsetConverted, kUndecodableBytes, kUnsafePath,
  kArchiveLink, kArchiveConverted,
  // the file as a whole: its name, and why it was blocked
  kEncrypted, kExecutable, kUnknownType, kExtensionMismatch, kExtensionNotAllowed, kWindowsName,
  kActiveContent, kUnsupported, kDeceptiveName, kLimit, kMalformed, kSandboxViolation, kTimeout, kInternal,
  kVirus, kPolicy,
  // text, added later (kinds are appended: their order is the rows' order)
  kEmbeddedFile,
};
inline constexpr std::size_t kFindingKindCount = static_cast<std::size_t>(FindingKind::kEmbeddedFile) + 1;
std::string_view to_string(FindingKind kind);  // "vba_macro", "pdf_javascript", …
// A phrase on the kind for a person: Japanese ("ja", anything but "en") or English.
std::string_view label(FindingKind kind, std::string_view lang);
Result<FindingKind> parse_finding_kind(std::string_view text, std::string_view where);

// How serious a finding kind is (the table in src/cdr/README.md).
FindingSeverity severity_of(FindingKind kind);

// Every finding kind, in the order of the table: for the documentation's table and the test that
// keeps the two in step.
std::vector<FindingKind> finding_kinds();

// One thing the engine found and what it did about it: machine-readable, labelled by label(),
// graded by severity_of().
struct Finding {
  FindingKind kind = FindingKind::kInternal;
  std::string location;  // "word/vbaProject.bin", "object 12", "docs/a.docx!word/document.xml"
  FindingAction action = FindingAction::kRemoved;
};

// The finding kind that records a blocked reason: "extension-mismatch" → kExtensionMismatch; a
// reason without a kind of its own is the engine's fault (kInternal).
FindingKind finding_kind_of(std::string_view reason);

// What the engine may do; from the service configuration's [cdr] table.
struct CdrPolicy {
  bool keep_hyperlinks = true;    // Office hyperlinks stay clickable; false: text only
  bool remove_pdf_uri = false;    // PDF /URI actions removed too
  bool csv_bom = false;           // CSV/TSV output starts with a UTF-8 BOM (for Excel)
  // Extension → content type the policy accepts under it ("dat" → "pdf"): an exception to
  // blocking names that contradict the content.
  std::map<std::string, std::string> extension_map;
  // Limits against bombs; exceeding one blocks the whole input ("limit").
  int max_depth = 8;                                      // nested archives/packages
  std::size_t max_members = 10000;                        // entries of one archive or package
  std::uint64_t max_expanded_bytes = std::uint64_t{1} << 30;  // everything unpacked from one input
  std::uint64_t max_ratio = 200;                          // expanded : compressed, per member
  std::uint64_t max_pixels = 100'000'000;                 // per image
  std::size_t max_input_bytes = std::size_t{256} << 20;
  std::chrono::milliseconds timeout{60000};  // wall clock per file, in the sandbox
  // Stricter handling through an outside converter (LibreOffice, pdftoppm), run in the converter
  // sandbox (sandbox/converter.h) by sanitize_sandboxed — never by sanitize().
  bool rasterize = false;       // [cdr] mode = "rasterize": Office and PDF become a PDF of page images
  // doc/xls/ppt → docx/xlsx/pptx through LibreOffice, then rebuilt. On by default: binary Office
  // cannot be rebuilt field by field, so without the converter (LibreOffice and the converter
  // sandbox) legacy files are blocked ("unsupported"), never passed as they came.
  bool convert_legacy = true;
  int max_pages = 200;          // rasterize: more pages block the file ("limit")
  int dpi = 150;                // rasterize: rendering resolution
  std::string libreoffice = "/usr/lib/libreoffice/program/soffice.bin";
  std::string pdftoppm = "/usr/bin/pdftoppm";
  // TIFF pages are decoded by libtiff's own program, apart from us (libtiff-tools): Debian's
  // libtiff links JBIG-KIT (GPL-2+). Without it, TIFF files are blocked ("unsupported").
  std::string tiff2rgba = "/usr/bin/tiff2rgba";
  std::chrono::milliseconds converter_timeout{180000};
};

struct CdrResult {
  Verdict verdict = Verdict::blocked;
  std::string type;     // detected content type: "docx", "pdf", "png", "zip", "pe", "unknown", …
  std::string reason;   // for blocked: "encrypted", "executable", "unknown-type", "extension-mismatch", "extension-not-allowed",
                        // "active-content", "limit", "malformed", "unsupported", "deceptive-name",
                        // "sandbox-violation", "timeout", "internal"
  std::string message;  // for blocked: the detail, in English, with the location
  std::string output;   // the rebuilt file (empty when blocked)
  std::string output_name;
  std::vector<Finding> findings;
  // Set by sanitize() when the policy wants the file through a converter next ("docx", "xlsx",
  // "pptx" for legacy conversion, "pages" for rasterizing); the sandboxed entry points act on it
  // and clear it. Never part of a report.
  std::string conversion;
};

// Sanitizes one file. `name` is the name it arrived under (may be empty).
CdrResult sanitize(std::string_view bytes, std::string_view name, const CdrPolicy& policy);

// The engine's sandboxed work under `policy`, for an executor to run (sandbox::start): a fork per
// file for one file, a pool for a batch or a service.
sandbox::Task engine_task(const CdrPolicy& policy);

// The same as sanitize(), through `engine`, an executor of engine_task(policy) — the same policy:
// the parent finishes conversions under it. A crash, timeout or forbidden system call there is a
// `blocked` result ("sandbox-violation", "timeout"), never a passed file.
CdrResult sanitize_sandboxed(sandbox::Executor& engine, std::string_view bytes, std::string_view name, const CdrPolicy& policy);
// One file in a fresh child: sanitize_sandboxed(ForkPerJob(engine_task(policy)), …).
CdrResult sanitize_sandboxed(std::string_view bytes, std::string_view name, const CdrPolicy& policy);

// sanitize() as a sandboxed child that rebuilds many files runs it (mail/attachment_batches.h):
// a file the policy wants through a converter comes back with `conversion` set instead of
// blocked, for the caller to finish with sanitize_sandboxed (which redoes this pass first). Only ever run on untrusted bytes inside the sandbox.
CdrResult sanitize_first_pass(std::string_view bytes, std::string_view name, const CdrPolicy& policy);

// A PDF's page whose pictures OCR reads rendered (pdf_page_picture()), and the resolution that reads
// them: the least, from kPdfPageDpi (what Tesseract reads well) up, at which every legible picture
// on it comes out at kLeastPdfPictureScale of its own pixels or more — a scanner's 600 dpi A4 page
// is rendered at 300 dpi. A page whose pictures need more than kMostPdfPageDpi, or that would come
// out larger than kMostPdfPagePixels at the dpi they need, is not rendered: it stays held, with why
// (pdf_content() decides). The budget is what Tesseract reads in one converter job within its
// memory (1 GiB) and the outgoing check's 30 s a picture: an A3 page at 300 dpi (3508 × 4961), what
// a city's scanner makes of A3 at 600 dpi, or of A4 at up to 850 dpi.
inline constexpr int kPdfPageDpi = 200;
inline constexpr int kMostPdfPageDpi = 2400;
inline constexpr double kLeastPdfPictureScale = 0.5;  // a digit of 3 × 5 pixels still two pixels or so across
inline constexpr double kMostPdfPagePixels = 18'000'000;  // A3 at 300 dpi (17.4 Mpx) and a little more
// A page too large to render whole at the dpi its finest pictures need (a 1200 dpi stamp on an A1
// drawing) is read in parts: the regions that hold those pictures (their bounding boxes, turned or
// sheared as the CTM draws them, and kPdfRegionMargin around), each rendered at the dpi its own
// pictures need, cut into strips one above the other (the region's full width: a seam along the lines
// of text) overlapping by kPdfTileOverlap when one region is larger than kMostPdfPagePixels — and, when the page fits at a dpi its other pictures need, the whole page too.
// At most kMostPdfPageParts renders a page: more, and it stays held.
inline constexpr double kPdfRegionMargin = 36;  // points: half an inch of what is drawn beside a picture
inline constexpr double kPdfTileOverlap = 72;   // points: a line up to an inch high on a seam is whole in one strip
inline constexpr std::size_t kMostPdfPageParts = 4;
// A part of a rendered page: pixels at the page's dpi from its top left, as pdftoppm's -x -y -W -H
// take them (after /Rotate; pdftoppm renders the MediaBox), within the page of page_width ×
// page_height pixels at that dpi as the reader measured it. pdf_page_picture() checks it.
struct PdfRegion {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
  std::uint32_t page_width = 0, page_height = 0;
  bool operator==(const PdfRegion&) const = default;
};
struct PdfPage {
  std::uint32_t number = 0;  // 1-based
  std::uint32_t dpi = kPdfPageDpi;
  std::optional<PdfRegion> region{};  // none: the whole page
  bool operator==(const PdfPage&) const = default;
};

// A glyph sheet: the codes a PDF's pages show in fonts whose glyphs only their own program knows
// (a composite font of Identity encoding, embedded or in no known collection: cairo's, Acrobat's,
// Word's subsets, or one made to draw a digit where pdftotext reads a letter), each drawn alone,
// three times, in a cell of one page, for one OCR pass (glyph_sheet_reading()). A font whose cells
// OCR reads otherwise than pdftotext reads its codes sends its pages to OCR of the rendered page.
struct GlyphCell {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;  // pixels at the sheet's dpi from its top left
  long long code = 0;
  bool read_known = false;  // whether pdftotext's reading of the code is known (its font's /ToUnicode maps it)
  std::string read;         // that reading, UTF-8
  bool operator==(const GlyphCell&) const = default;
};
struct GlyphFont {
  std::string name;                // "font 12 (ABCDEF+DejaVuSans)": its object and /BaseFont
  std::vector<GlyphCell> cells;    // on this sheet (a font of many codes spans sheets)
  std::vector<PdfPage> pages;      // the pages (or parts) that show text in it, as OCR renders them
  std::string unrenderable;        // why some page of it cannot be read by OCR ("" when all can): held if it misreads
  bool operator==(const GlyphFont&) const = default;
};
struct GlyphSheet {
  std::string pdf;  // one page, the fonts copied as its resources
  std::uint32_t dpi = kPdfPageDpi;
  std::vector<GlyphFont> fonts;
  bool operator==(const GlyphSheet&) const = default;
};

// One file, or one member of an archive at any depth, read for content checks (classification
// marks and 個人番号 in a file leaving the city).
struct ExtractedText {
  std::string where;       // the file's name; a member's path after its archive's: "a.zip/b/c.pdf"
  std::string text;        // its text (UTF-8): text/CSV in any Japanese charset, HTML, OOXML/ODF,
                           // RTF, legacy Office, a PDF's information, form fields and annotations
  std::string pdf;         // a PDF's bytes from its header on, for pdf_text() (outside the sandbox)
  std::string unreadable;  // why its text cannot be read, "" when it can: "image: …", "encrypted: …",
                           // "limit: …" (depth, members, expanded size, ratio), "malformed: …", "unsupported: …"
  std::string picture{};  // a picture's bytes (PNG, JPEG, GIF, TIFF, WebP, BMP), for picture_text()
                         // (outside the sandbox); `unreadable` says "image: …" until that reads it
  std::vector<PdfPage> pages{};  // a PDF's "pages" piece: the pages whose pictures must be read
                                 // (pdf_page_picture(), then picture_text(), outside the sandbox)
  std::string pdf_digest{};  // SHA-256 of `pdf`, on a PDF's piece and on its "pages" piece: what ties the
                             // pages to their PDF (a PDF inside it, or another of the same name, is not it)
  std::vector<GlyphSheet> glyph_sheets{};  // a PDF's "pages" piece: its fonts' glyphs, read by OCR before its pages are chosen
  bool drawing = false;      // a metafile's "drawing" piece (or "drawing/part-K", "drawing-gdi"): `picture` is a Windows metafile that paints
                             // shapes (a part of it, its EMF records alone), rendered (metafile_picture()) before picture_text() reads it
};
// Every file in `bytes` (named `name`) with its text or why it has none; archives (zip, 7z, tar, LZH,
// RAR, cab, gz…) read recursively within the engine's limits (a bomb is an unreadable entry, not an
// outage). Like sanitize(), only ever run on untrusted bytes inside the sandbox.
std::vector<ExtractedText> extract_texts(std::string_view bytes, std::string_view name);
// The files an HTML page's data: URIs hold (a picture in an <img>, a document behind a link), found
// as a browser finds them, each named "data-uri-N", or why it cannot be read (undecodable, past the
// count read). For the outgoing check of a mail's HTML body; run on untrusted bytes in the sandbox.
struct DataUriFile {
  std::string name;
  std::string bytes;
  std::string unreadable;
};
std::vector<DataUriFile> data_uri_files(std::string_view html);
// The text of every piece extract_texts() reads, joined (tests of rebuilt files read it).
std::string extract_text(std::string_view bytes, std::string_view name);
// An Outlook item's RTF body ([MS-OXRTFCP]: LZFu compressed, or MELA stored) as a .msg stream or a
// TNEF attribute holds it, decompressed to at most `max` bytes. Hostile bytes are an error, never a
// read past them: "malformed" when cut short (fewer bytes than its header says, a reference cut in
// half, no end marker) or of an unknown form, "limit" when its text would pass `max`. Like
// extract_texts(), only run on untrusted bytes inside the sandbox.
Result<std::string> decompress_rtf(std::string_view compressed, std::size_t max);

// The text of a PDF for the same checks, which extract_text() cannot give: pdftotext (poppler-utils,
// a separate program) in the converter sandbox, so the PDF is never parsed in this process.
// "cdr.pdf-text" when it cannot be read (a caller checking content fails closed on it). `timeout`
// bounds the whole call: the wait for a converter slot (one per core, shared with conversions and
// OCR) and the program's run; no slot free within it is an error too.
bool looks_like_pdf(std::string_view bytes);
Result<std::string> pdf_text(std::string_view bytes, const std::string& pdftotext = "/usr/bin/pdftotext",
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The text a person can read in a picture (PNG, JPEG, GIF, TIFF, WebP, BMP): Tesseract's OCR,
// Japanese and English, as a separate program in the converter sandbox (no network, a scratch
// directory, memory and time limits, one thread). For the outgoing check: a scanned or
// photographed 個人番号 card, a screenshot of a list, is text that leaves too. An error when the
// picture cannot be read: tesseract missing, not a picture it knows, a crash, the timeout, no
// converter slot free within the timeout (which, as for pdf_text, bounds the wait and the run).
Result<std::string> picture_text(std::string_view bytes, const std::string& tesseract = "/usr/bin/tesseract",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Tesseract's words in a picture with their boxes (TSV: level, page, block, paragraph, line, word,
// left, top, width, height, confidence, text), Japanese and English, read as a block of text
// (page segmentation 6): how a glyph sheet is read. Errors as picture_text().
Result<std::string> picture_words(std::string_view bytes, const std::string& tesseract = "/usr/bin/tesseract",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

// What OCR's words (picture_words() of the sheet rendered) say of a glyph sheet's fonts. A cell is
// seen as the words whose boxes meet it. A font misreads (`why` says how, its pages go to OCR) when
// a cell seen with a digit is a code pdftotext reads as nothing known, as blank or a separator, or
// as another digit; when a code pdftotext reads as a digit is not seen as that digit; when one
// reading is seen as two different digits; or when a word with a digit lies in no cell. A cell
// seen as digit d whose code pdftotext reads as a letter L (OCR reads an isolated 'o' as '0') does
// not: `folds` carries L → d, and the PDF's text is checked once more with every L read as d, so
// that a number whose digits a /ToUnicode reads as letters is found in it.
struct GlyphSheetReading {
  std::vector<std::string> why;  // per font of the sheet: why it misreads, "" when it does not
  std::vector<std::pair<std::string, std::string>> folds;  // pdftotext's reading → the digit seen
};
GlyphSheetReading glyph_sheet_reading(const GlyphSheet& sheet, std::string_view tsv);
// `text` with every reading of `folds` replaced by its digit (longest readings first).
std::string folded_text(std::string_view text, const std::vector<std::pair<std::string, std::string>>& folds);

// One page of a PDF rendered as a PNG for OCR: pdftoppm (poppler-utils) in the converter sandbox
// at the page's `dpi` (pdf_content() chose it, see PdfPage). A resolution, not a size: scaled to a
// size, a page declared 200 inches wide shrinks its pictures to a few pixels and OCR reads nothing
// in them (review22a). The outgoing check reads a page whose pictures can hold text this way — a
// scanned card, a pasted screenshot — instead of holding the PDF. With a region, only that part
// (pdftoppm -x -y -W -H). "cdr.pdf-page" when it cannot be rendered, its dpi is outside
// kPdfPageDpi … kMostPdfPageDpi, its region is empty, larger than kMostPdfPagePixels or not inside
// its page — checked before pdftoppm runs (which renders the whole page for a region outside it)
// and again on the picture it makes (poppler's page, not only the reader's); `timeout` as for pdf_text.
Result<std::string> pdf_page_picture(std::string_view pdf, const PdfPage& page, const std::string& pdftoppm = "/usr/bin/pdftoppm",
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A Windows metafile (WMF or EMF; extract_texts() hands one sized to fill a page) rendered as a PNG
// for OCR: LibreOffice (Draw's graphic import) in the converter sandbox, an A4 page at 300 dpi.
// "cdr.drawing" when it cannot be rendered, and when the page comes out blank
// (picture_has_ink() false: "描画が白紙に描かれた…"): the reader hands over only a metafile whose
// records paint, and a blank page read by OCR would pass it unseen. `timeout` as for pdf_text,
// the ink check included.
Result<std::string> metafile_picture(std::string_view metafile, const std::string& libreoffice = "/usr/lib/libreoffice/program/soffice.bin",
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60), const std::string& python = "/usr/bin/python3");
// Whether a PNG shows anything (any pixel unlike the first): checked by Python's standard library
// in the converter sandbox, never decoded in this process. "cdr.ink" when it cannot be checked
// (python3 missing, not a PNG, a form not checked: interlaced, fewer than 8 bits per channel).
Result<bool> picture_has_ink(std::string_view png, const std::string& python = "/usr/bin/python3", std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The sandbox around sanitize() with the work replaceable: tests prove with it that a worker that
// misbehaves (opens a file, connects, executes a program, loops) ends `blocked`, never passed.
using SandboxedWork = std::function<CdrResult(std::string_view bytes)>;
CdrResult run_sandboxed(const SandboxedWork& work, std::string_view bytes, std::string_view name, std::chrono::milliseconds timeout,
                        std::size_t max_output_bytes);

// Whether the converters rasterize mode needs (LibreOffice, pdftoppm) are installed and the
// converter sandbox is available; services check this at start-up, as they do clamd. Legacy
// conversion is not checked here: without its converter each legacy file is blocked.
Result<void> check_converters(const CdrPolicy& policy);

// Loads libraries and tables a sandboxed child needs before its system-call filter applies.
void prepare_sandbox();

// The result without its output bytes, as the JSON of the report and the audit record.
std::string result_to_json(const CdrResult& result);

// How a result crosses the sandbox boundary: the JSON above, then the output bytes.
std::string encode_result(const CdrResult& result);
Result<CdrResult> decode_result(std::string_view encoded);

}  // namespace sanso::cdr
