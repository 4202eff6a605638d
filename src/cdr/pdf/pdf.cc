// PDF with qpdf: every object in the file's object table is visited, reachable or not (object
// streams and incremental updates are resolved by qpdf, hex-escaped names such as /J#61vaScript are
// normalised by its parser), and inside each object every nested dictionary and array, however
// deep: a work list, not a recursion with a depth limit, so a hostile /Next chain, /Kids tree or
// array nesting cannot hide anything below a cut-off. What must not reach the output goes
// wherever it hangs:
// - actions that run code, launch programs, submit or import data, open other files or play
//   media (recognised by their content anywhere); in an action position (/A, /PA, /Next) only the
//   action types this engine knows to be harmless stay;
// - the triggers that run actions unasked (/AA; an /OpenAction other than a jump in the file);
// - every path to a file's bytes: /EF and /RF of file specifications, PDF 2.0 associated files
//   (/AF) on any object, embedded-file streams, portfolios, streams read from external files;
// - name dictionaries keep only the trees that hold no code or files; XFA forms; annotations that
//   carry files, media or 3D.
// The file is written again from the reachable objects only, so earlier revisions and orphaned
// objects are gone. Streams pass through without being decoded, so a compression bomb is never
// expanded here.
#define POINTERHOLDER_TRANSITION 4  // qpdf 11: std::shared_ptr everywhere
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/Pipeline.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/text.h"
#include "cdr/internal/format.h"
#include "cdr/internal/pdf_page.h"
#include "mime/html_text.h"

namespace sanso::cdr::internal {
namespace {

std::string where_of(QPDFObjectHandle& h) {
  return h.isIndirect() ? "object " + std::to_string(h.getObjectID()) : "inline object";
}

bool is_name(QPDFObjectHandle dict, const char* key, const char* name) {
  QPDFObjectHandle v = dict.getKey(key);
  return v.isName() && v.getName() == name;
}

// Web and mail links are what a reader expects to follow; anything else (file:, UNC paths,
// javascript:, a relative path resolved against a base) opens something on the reader's machine.
bool is_web_link(QPDFObjectHandle action) {
  QPDFObjectHandle uri = action.getKey("/URI");
  std::string u = uri.isString() ? uri.getUTF8Value() : "";
  std::string l;
  for (char c : u.substr(0, 16)) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return l.rfind("http://", 0) == 0 || l.rfind("https://", 0) == 0 || l.rfind("mailto:", 0) == 0;
}

// The finding kind of a dictionary that must not reach the output wherever it hangs: an action
// that runs code, launches, submits, imports, opens another file or plays media, a link the
// policy does not allow, an embedded file stream. None for anything else. Recognised by content,
// since such a dictionary can hang from keys no viewer documents (and viewers still run it).
std::optional<FindingKind> condemned_kind(QPDFObjectHandle dict, const CdrPolicy& policy) {
  if (!dict.isDictionary()) return std::nullopt;
  if (is_name(dict, "/Type", "/EmbeddedFile")) return FindingKind::kPdfEmbeddedFile;
  if (dict.hasKey("/JS")) return FindingKind::kPdfJavascript;
  QPDFObjectHandle s = dict.getKey("/S");
  if (!s.isName()) return std::nullopt;
  const std::string name = s.getName();
  if (name == "/JavaScript" || name == "/ECMAScript") return FindingKind::kPdfJavascript;
  if (name == "/Launch") return FindingKind::kPdfLaunch;
  if (name == "/SubmitForm") return FindingKind::kPdfSubmitForm;
  if (name == "/ImportData") return FindingKind::kPdfImportData;
  if (name == "/GoToR") return FindingKind::kPdfRemoteGoto;
  if (name == "/GoToE") return FindingKind::kPdfEmbeddedGoto;
  if (name == "/Thread" && dict.hasKey("/F")) return FindingKind::kPdfRemoteGoto;  // a thread in another file
  if (name == "/RichMediaExecute" || name == "/Rendition" || name == "/Movie" || name == "/Sound") return FindingKind::kPdfRichMedia;
  if (name == "/GoTo3DView") return FindingKind::kPdf3d;
  if (name == "/URI" && (policy.remove_pdf_uri || !is_web_link(dict))) return FindingKind::kPdfUri;
  if (name == "/Named") {
    // The four page moves of ISO 32000 §12.6.4.11; viewers map other names to menu commands
    // (save, print, attach, open another file).
    static const std::set<std::string> kPageMoves = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"};
    QPDFObjectHandle n = dict.getKey("/N");
    if (!n.isName() || kPageMoves.count(n.getName()) == 0) return FindingKind::kPdfNamedAction;
  }
  return std::nullopt;
}

// The finding kind of a value in an action position (/A, /PA, /Next) that must go: besides what
// condemned_kind() finds, any action type not on the list of harmless ones, so a type this engine
// has never heard of (or a viewer's private extension) does not pass.
std::optional<FindingKind> disallowed_action(QPDFObjectHandle action, const CdrPolicy& policy) {
  std::optional<FindingKind> kind = condemned_kind(action, policy);
  if (kind || !action.isDictionary()) return kind;
  static const std::set<std::string> kHarmless = {"/GoTo", "/GoToDp", "/Thread", "/URI", "/Named", "/Hide", "/SetOCGState", "/Trans", "/ResetForm"};
  QPDFObjectHandle s = action.getKey("/S");
  if (s.isName() && kHarmless.count(s.getName()) == 0) return FindingKind::kPdfUnknownAction;
  return std::nullopt;
}

// An /OpenAction stays only as a jump within the document: an explicit destination, or a GoTo
// action with nothing chained after it. Anything else runs or fetches something on opening.
bool harmless_open_action(QPDFObjectHandle value) {
  if (value.isArray()) return true;
  return value.isDictionary() && is_name(value, "/S", "/GoTo") && !value.hasKey("/Next");
}

// Keys that go whatever their value, with the finding they make; none of them is needed to show
// the document.
std::optional<FindingKind> removed_key_kind(const std::string& key, bool stream_dictionary) {
  if (key == "/AA") return FindingKind::kPdfAdditionalActions;
  if (key == "/AF") return FindingKind::kPdfAssociatedFile;
  if (key == "/EF" || key == "/RF" || key == "/Collection") return FindingKind::kPdfEmbeddedFile;
  if (key == "/XFA") return FindingKind::kPdfXfa;
  if (stream_dictionary && (key == "/F" || key == "/FFilter" || key == "/FDecodeParms")) return FindingKind::kPdfExternalStream;
  return std::nullopt;
}

// The name trees a name dictionary keeps: destinations, appearances, page templates, web-capture
// ids. /JavaScript, /EmbeddedFiles, /AlternatePresentations, /Renditions and unknown trees go.
std::optional<FindingKind> removed_name_tree_kind(const std::string& key) {
  static const std::set<std::string> kKept = {"/Dests", "/AP", "/Pages", "/Templates", "/IDS", "/URLS"};
  if (kKept.count(key)) return std::nullopt;
  if (key == "/JavaScript") return FindingKind::kPdfJavascript;
  if (key == "/EmbeddedFiles") return FindingKind::kPdfEmbeddedFile;
  if (key == "/AlternatePresentations" || key == "/Renditions") return FindingKind::kPdfRichMedia;
  return FindingKind::kPdfNameTree;
}

std::optional<FindingKind> annotation_kind(QPDFObjectHandle annotation) {
  if (!annotation.isDictionary()) return std::nullopt;
  QPDFObjectHandle sub = annotation.getKey("/Subtype");
  if (!sub.isName()) return std::nullopt;
  const std::string st = sub.getName();
  if (st == "/FileAttachment") return FindingKind::kPdfFileAttachment;
  if (st == "/RichMedia" || st == "/Movie" || st == "/Sound" || st == "/Screen") return FindingKind::kPdfRichMedia;
  if (st == "/3D") return FindingKind::kPdf3d;
  return std::nullopt;
}

class PdfDisarmer {
 public:
  PdfDisarmer(QPDF& pdf, const Context& ctx) : pdf_(pdf), ctx_(ctx) {}

  void run() {
    QPDFObjectHandle trailer = pdf_.getTrailer();
    scrub(trailer, "trailer");  // first: anything it reads joins the object table walked below
    // The writer copies the trailer's keys; only the document and its metadata hang from the
    // output's (the writer makes /Size and /ID, and drops /Encrypt).
    for (const std::string& key : trailer.getKeys()) {
      if (key != "/Root" && key != "/Info" && key != "/Size" && key != "/ID" && key != "/Encrypt") trailer.removeKey(key);
    }
    // The object table, not a walk from the root: an object nothing seems to reference can still
    // be reached (a key this code does not follow, a reference repaired by the viewer). Reading
    // an object can add to the table (qpdf rebuilds a damaged cross-reference table by scanning
    // the file), so the table is read again until it holds nothing unvisited.
    std::set<QPDFObjGen> visited;
    for (;;) {
      std::vector<QPDFObjectHandle> fresh;
      for (QPDFObjectHandle& obj : pdf_.getAllObjects()) {
        if (visited.insert(obj.getObjGen()).second) fresh.push_back(obj);
      }
      if (fresh.empty()) break;
      for (QPDFObjectHandle& obj : fresh) {
        std::optional<FindingKind> kind = condemned_kind(obj.isStream() ? obj.getDict() : obj, ctx_.policy);
        if (!kind) continue;
        condemned_.emplace(obj.getObjGen(), *kind);
        ctx_.add(*kind, where_of(obj), FindingAction::kRemoved);
      }
      for (QPDFObjectHandle& obj : fresh) {
        if (condemned_.count(obj.getObjGen()) == 0) scrub(obj, where_of(obj));
      }
    }
    // A condemned object becomes null, which the format reads as absent: any reference left in a
    // place no rule covers points at nothing.
    for (const auto& [og, kind] : condemned_) pdf_.replaceObject(og, QPDFObjectHandle::newNull());
  }

 private:
  struct Pending {
    QPDFObjectHandle container;  // a dictionary or array inside `root`
    std::string root;            // "object 12", "trailer"
    std::string where;           // "object 12 /A /Next [3]"
    bool stream_dictionary;
    bool next_array;  // the array of a /Next: an action list
  };

  void scrub(QPDFObjectHandle obj, const std::string& where) {
    std::vector<Pending> todo;
    todo.push_back({obj.isStream() ? obj.getDict() : obj, where, where, obj.isStream(), false});
    while (!todo.empty()) {
      Pending p = std::move(todo.back());
      todo.pop_back();
      if (p.container.isDictionary()) scrub_dictionary(p, todo);
      if (p.container.isArray()) scrub_array(p, todo);
    }
  }

  // Where a child is, shortened in a deep nest so a finding stays readable.
  static std::string path(const Pending& p, const std::string& step) { return (p.where.size() < 120 ? p.where : p.root + " …") + " " + step; }

  // Whether a value goes, and the finding it makes: none when it is a reference to a condemned
  // object (reported once, as that object).
  struct Removal {
    bool remove = false;
    std::optional<FindingKind> finding;
  };
  static Removal keep() { return {}; }
  static Removal silently() { return {true, std::nullopt}; }
  static Removal reported(std::optional<FindingKind> kind) { return {kind.has_value(), kind}; }

  bool is_condemned(QPDFObjectHandle& value) const { return value.isIndirect() && condemned_.count(value.getObjGen()) > 0; }

  // Whether the value under `key` must go with its key.
  Removal removed_value(const std::string& key, QPDFObjectHandle value) {
    if (key == "/OpenAction") {
      return is_condemned(value) || condemned_kind(value, ctx_.policy) || !harmless_open_action(value) ? reported(FindingKind::kPdfOpenAction) : keep();
    }
    if (is_condemned(value)) return silently();
    if (key == "/A" || key == "/PA" || (key == "/Next" && value.isDictionary())) return reported(disallowed_action(value, ctx_.policy));
    return value.isIndirect() ? keep() : reported(condemned_kind(value, ctx_.policy));
  }

  void scrub_dictionary(const Pending& p, std::vector<Pending>& todo) {
    QPDFObjectHandle dict = p.container;
    for (const std::string& key : dict.getKeys()) {
      QPDFObjectHandle value = dict.getKey(key);
      const std::string at = path(p, key);
      const std::optional<FindingKind> fixed = removed_key_kind(key, p.stream_dictionary);
      const Removal removal = fixed ? reported(fixed) : removed_value(key, value);
      if (removal.remove) {
        dict.removeKey(key);
        if (removal.finding) ctx_.add(*removal.finding, at, FindingAction::kRemoved);
        continue;
      }
      if (key == "/Names") filter_name_dictionary(value, at);
      if (key == "/Annots") filter_annotations(value, at);
      if (key == "/Next" && value.isArray()) {
        todo.push_back({value, p.root, at, false, true});  // an indirect one too: its items are actions
      } else if (!value.isIndirect() && (value.isDictionary() || value.isArray())) {
        todo.push_back({value, p.root, at, false, false});
      }
    }
  }

  void scrub_array(const Pending& p, std::vector<Pending>& todo) {
    QPDFObjectHandle array = p.container;
    std::vector<QPDFObjectHandle> items = array.getArrayAsVector();
    std::vector<QPDFObjectHandle> kept;  // rebuilt in one pass: erasing one by one is quadratic
    kept.reserve(items.size());
    bool changed = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      QPDFObjectHandle& item = items[i];
      const std::string at = path(p, "[" + std::to_string(i) + "]");
      const Removal removal = is_condemned(item)  ? silently()
                              : p.next_array    ? reported(disallowed_action(item, ctx_.policy))
                              : item.isIndirect() ? keep()
                                                  : reported(condemned_kind(item, ctx_.policy));
      if (removal.remove) {
        // An action list simply gets shorter; elsewhere (a name tree's key/value pairs) the slot
        // stays, as null, so the array keeps its shape.
        if (!p.next_array) kept.push_back(QPDFObjectHandle::newNull());
        changed = true;
        if (removal.finding) ctx_.add(*removal.finding, at, FindingAction::kRemoved);
        continue;
      }
      kept.push_back(item);
      if (!item.isIndirect() && (item.isDictionary() || item.isArray())) todo.push_back({item, p.root, at, false, false});
    }
    if (changed) array.setArrayFromVector(kept);
  }

  void filter_name_dictionary(QPDFObjectHandle names, const std::string& at) {
    if (!names.isDictionary()) return;  // a name tree node's /Names is an array: scrubbed as one
    for (const std::string& key : names.getKeys()) {
      std::optional<FindingKind> kind = removed_name_tree_kind(key);
      if (!kind) continue;
      names.removeKey(key);
      ctx_.add(*kind, at + " " + key, FindingAction::kRemoved);
    }
  }

  // Annotations that carry files, media or 3D leave the page.
  void filter_annotations(QPDFObjectHandle annots, const std::string& at) {
    if (!annots.isArray()) return;
    std::vector<QPDFObjectHandle> items = annots.getArrayAsVector();
    std::vector<QPDFObjectHandle> kept;
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::optional<FindingKind> kind = annotation_kind(items[i]);
      if (!kind) {
        kept.push_back(items[i]);
      } else {
        ctx_.add(*kind, items[i].isIndirect() ? where_of(items[i]) : at + " [" + std::to_string(i) + "]", FindingAction::kRemoved);
      }
    }
    if (kept.size() != items.size()) annots.setArrayFromVector(kept);
  }

  QPDF& pdf_;
  const Context& ctx_;
  std::map<QPDFObjGen, FindingKind> condemned_;
};

// The document written to memory without encryption, streams as they were, with an /ID made
// from the content (no random source is needed in the sandbox). Throws as QPDFWriter does.
std::string written_plain(QPDF& pdf) {
  QPDFWriter writer(pdf);
  writer.setOutputMemory();
  writer.setPreserveEncryption(false);
  writer.setDecodeLevel(qpdf_dl_none);
  writer.setObjectStreamMode(qpdf_o_preserve);
  writer.setDeterministicID(true);
  writer.write();
  auto buffer = writer.getBufferSharedPointer();
  return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
}

// Opens `bytes` (no password): "cdr.encrypted" when it needs one, "cdr.malformed" when qpdf cannot read it.
Result<void> open_pdf(QPDF& pdf, std::string_view bytes, const std::string& where) {
  pdf.setSuppressWarnings(true);
  try {
    pdf.processMemoryFile(where.c_str(), bytes.data(), bytes.size(), "");
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return blocked("encrypted", where, "the PDF needs a password to open");
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.what());
  }
  return ok();
}

}  // namespace

Result<Rebuilt> sanitize_pdf(std::string_view bytes, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("document") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  QPDF pdf;
  SANSO_TRY(open_pdf(pdf, bytes, where));
  try {
    if (pdf.isEncrypted()) ctx.add(FindingKind::kPdfEncryptionRemoved, "trailer /Encrypt", FindingAction::kRemoved);
    PdfDisarmer(pdf, ctx).run();
    if (!pdf.getTrailer().getKey("/Root").isDictionary()) {
      return blocked("active-content", where, "the PDF's document catalog is itself an action or an embedded file: nothing of the document would remain");
    }
    return Rebuilt{written_plain(pdf), "pdf"};
  } catch (const QPDFExc& e) {
    return blocked("malformed", where, std::string("the PDF cannot be rebuilt: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", where, std::string("the PDF cannot be rebuilt: ") + e.what());
  }
}

}  // namespace sanso::cdr::internal

namespace sanso::cdr::internal {

Result<std::string> decrypt_pdf(std::string_view bytes, std::string_view password) {
  // qpdf takes the password as a C string: one with a NUL would be cut short, so none reaches here
  // (cdr::check_password refuses it before any attempt).
  const std::string pw(password);
  QPDF pdf;
  pdf.setSuppressWarnings(true);
  try {
    pdf.processMemoryFile("document", bytes.data(), bytes.size(), pw.c_str());
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return make_error("unlock.password", "document", "the password does not open this PDF");
    return blocked("malformed", "document", std::string("the PDF cannot be read: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", "document", std::string("the PDF cannot be read: ") + e.what());
  }
  try {
    if (!pdf.isEncrypted()) return make_error("unlock.not-encrypted", "document", "the PDF is not password-protected");
    // Written without its encryption, nothing else changed: the rebuild that follows is the
    // engine's ordinary one.
    return written_plain(pdf);
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return make_error("unlock.password", "document", "the password does not open this PDF");
    return blocked("malformed", "document", std::string("the PDF cannot be decrypted: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", "document", std::string("the PDF cannot be decrypted: ") + e.what());
  }
}

}  // namespace sanso::cdr::internal

namespace sanso::cdr::internal {
namespace {

constexpr std::size_t kMostPdfStringBytes = std::size_t{16} << 20;
constexpr std::size_t kMostMasksRead = 16;  // a logo's mask repeated on every page is one

// The strings in `value` and the direct arrays and dictionaries inside it (an indirect object is
// read on its own, once).
void strings_of(QPDFObjectHandle value, std::string& out, int depth) {
  if (out.size() > kMostPdfStringBytes || depth > 32 || (depth > 0 && value.isIndirect())) return;
  if (value.isString()) {
    out += value.getUTF8Value();
    out += '\n';
  } else if (value.isArray()) {
    for (auto& item : value.getArrayAsVector()) strings_of(item, out, depth + 1);
  } else if (value.isDictionary()) {
    for (auto& [key, item] : value.getDictAsMap()) {
      if (key != "/ID") strings_of(item, out, depth + 1);  // /ID: bytes that identify the file, no text
    }
  }
}

// The text streams in `value` and the direct arrays and dictionaries inside it (an action's /JS
// hangs in the catalog's /OpenAction): a field's value (/V, /DV) and rich text (/RV, an
// annotation's /RC) may be a text stream (ISO 32000-1 12.7.3.4, 12.7.4.3), a reader shows it as
// the string it holds; so may a script (/JS), whose alerts a reader that runs it shows.
void text_streams_of(QPDFObjectHandle value, std::vector<QPDFObjectHandle>& found, int depth) {
  if (depth > 32 || (depth > 0 && value.isIndirect()) || found.size() > 4096) return;
  if (value.isArray()) {
    for (auto& item : value.getArrayAsVector()) text_streams_of(item, found, depth + 1);
  } else if (value.isDictionary()) {
    for (auto& [key, item] : value.getDictAsMap()) {
      if (item.isStream() && (key == "/V" || key == "/DV" || key == "/RV" || key == "/RC" || key == "/JS")) found.push_back(item);
      else text_streams_of(item, found, depth + 1);
    }
  }
}

}  // namespace

namespace {

// Where a legible picture is drawn, in the space of the stream that draws it: its bounding box
// (the corners of its unit square through the CTM, so a turned or sheared picture's box holds it
// whole) and its size (units per pixel, as Drawn::least). `anywhere`: its place is not known — a
// tiling pattern's cell repeats over what it fills, a Type 3 glyph goes where the text moves (Td is
// not followed) — and it is taken as anywhere on the page.
struct Spot {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double least = 0;
  bool anywhere = false;
  std::size_t glyphs = 0;  // an outline spot's: the cells of glyph-like ink in it (glyph_cells())
};
constexpr std::size_t kMostSpots = 32;  // past it, the last spot grows to hold each new one

// What a content stream draws: text (a text-showing operator), pictures (an image XObject, an
// inline image), and through form XObjects what they draw, to a depth.
struct Drawn {
  bool text = false;
  std::size_t images = 0;
  std::size_t legible = 0;  // pictures large enough to hold a line a person can read
  bool unknown = false;     // a form it draws cannot be read: what it shows is not known
  std::string why_unknown;  // what could not be read, for the person the page is held for
  std::string unshown;      // a page's picture its rendering does not show (an annotation's), why: the page is held
  bool text_in_layer = false;  // text in optional content that may be hidden: pdftotext reads only the layers shown
  bool text_unshown = false;   // text in an annotation's appearance the screen does not show: pdftotext does not read it
  std::size_t text_bytes = 0;  // the bytes of the strings its text operators show
  bool text_replaced = false;  // text pdftotext reads otherwise than shown (/ActualText, a lying /ToUnicode): the page is read by OCR
  std::set<QPDFObjGen> sheet_fonts;  // fonts judged by the glyph sheet (judged_by_sheet()) it shows text in
  bool text_fontless = false;        // text a form shows in the font it is drawn with (none of its own): judged where it is drawn
  // A mesh shading (ShadingType 4–7) painted, by `sh` or as a pattern's colour: its triangles and
  // patches draw shapes with no path (dot-matrix digits), not counted as outlines; the page is read by OCR.
  bool meshed = false;
  // The smallest size a legible picture is drawn at: units of the stream's own space per pixel of
  // the picture, the narrower way (infinity: none drawn; 0: one whose size is not known). Rendered
  // at d dpi a picture comes out at least × d / 72 of its own pixels.
  double least = std::numeric_limits<double>::infinity();
  std::vector<Spot> spots;  // where each legible picture is (kMostSpots at most), for a page read in parts
  // Ink that looks like glyphs (outlines): cells of a painting operator's ink that hold part of a
  // glyph, whatever its subpaths (glyph_cells()) — a number drawn as paths, filled, stroked or
  // dotted, is text no text extractor reads. Counted by the cells' side in the stream's own space,
  // in quarter octaves (outline_size()): whether they are glyph-sized (not specks) is judged on the
  // page, where the forms that draw them have placed them. Their places, one box a row of cells of
  // a painting operator, as `spots`.
  std::map<int, std::size_t> outlines;
  std::vector<Spot> outline_spots;
  // The lines of typed text that show digits (a code whose glyph is a digit, or any code of a font
  // whose digits are not known here), each a band along its line: a number half typed and half
  // drawn as outlines beside it is read by OCR however few shapes the drawn half is.
  std::vector<Spot> digit_lines;
  // A Type 3 font's: which glyph each code names (/Encoding /Differences) and the outlines each
  // glyph draws, so that shown text counts each glyph at its own size. Shared: a text state is
  // copied at every q.
  struct Type3Glyphs {
    std::map<long long, std::string> names;
    std::map<std::string, std::map<int, std::size_t>> outlines;
  };
  std::shared_ptr<const Type3Glyphs> type3;
  // Which way its text's lines run in its own space (the text matrix's x axis through the CTM, a
  // vertical font's turned): a region of the page read apart is a band along them.
  bool lines_across = false, lines_down = false;
  void add_spot(const Spot& spot) { add_spot_to(spots, spot); }
  static void add_spot_to(std::vector<Spot>& to, const Spot& spot) {
    if (to.size() < kMostSpots) {
      to.push_back(spot);
      return;
    }
    Spot& last = to.back();  // a larger box, the finer size: it still holds every picture at what it needs
    last = {std::min(last.x0, spot.x0), std::min(last.y0, spot.y0), std::max(last.x1, spot.x1), std::max(last.y1, spot.y1), std::min(last.least, spot.least),
            last.anywhere || spot.anywhere, last.glyphs + spot.glyphs};
  }
};

// Outlines: ink is glyph-like in cells (glyph_cells()) of kLeastCellSide or more on the page (half
// a digit of 4 pt type; times the page's /UserUnit, as Acrobat shows it), however large — a poster's
// digits are glyphs too; kLeastOutlinedGlyphs such cells on a page, or one on a line of typed
// digits, are read as a page of pictures. A rendered glyph wants some kOutlineGlyphPixels pixels
// for OCR across a cell: a cell of s pt needs kOutlineGlyphPixels × 72 / s dpi (spot `least`
// s / 16 gives that through dpi_needed()), 200 dpi down to 2.9 pt.
constexpr double kLeastCellSide = 1.5;
constexpr std::size_t kLeastOutlinedGlyphs = 10;  // a number's 12 digits, of which its 1s (a straight stroke) may count none
constexpr double kOutlineGlyphPixels = 16;
// The quarter octave a length falls in, and the least and most lengths in one.
int outline_size(double length) { return static_cast<int>(std::clamp(std::floor(4 * std::log2(length)), -400.0, 400.0)); }
double outline_low(int size) { return std::exp2(size / 4.0); }
double outline_high(int size) { return std::exp2((size + 1) / 4.0); }

// A piece of the ink a painting operator lays down: a segment of its path (a curve by its control
// polygon, which is longer than the curve: curves weigh more), or a dot a stroke's cap paints. Its
// box in the stream's space (grown by half the line width when stroked) and the length of its
// outline there (a stroke's two sides and its width; a dot all round).
struct Ink {
  double x0, y0, x1, y1;
  double outline;
};
// The cells of a painting operator's ink that look like part of a glyph, at the side they are most
// of: ink measured, not topology (review27 H1) — contours joined into one subpath by bridges drawn
// there and back, digits reversed out of small boxes, a digit drawn with a pen as one polyline or
// as seven straight strokes, a dot matrix of specks all count. The ink is cut into square cells of
// one side (half octaves from half its smallest piece up to its extent, each at four offsets of half
// a cell), each piece no longer than two cells going to the cell of its middle, and no more glyphs
// counted at a side than cells along the ink's longer side (a bullet is one, not its quarters); a cell holds part of
// a glyph when two pieces or more lie in it that span a third of it or more, in a box no more than
// kMostGlyphAspect times as long as it is wide, whose outlines are kLeastInkToSpan times as long as
// that span or more, and that run across as well as up (the lesser of their summed widths and
// heights kLeastCrossInk of the greater or more). A straight rule, a line across a cell, a table's
// corner or row of cells, a row of thin bars or a dotted leader's dots are 1-dimensional, long or
// all one way and fall short; the parts of a digit (a bowl, a bar and a stem, a cluster of dots) do not. Ink whose extent is more than
// 2^kMostCellOctaves of its smallest piece (specks beside a far mark, which would make the cells
// looked at too many) counts as kLeastOutlinedGlyphs anywhere, as does ink of more than
// kMostInkPieces pieces.
constexpr int kMostCellOctaves = 40;
constexpr double kLeastInkToSpan = 2.5;
constexpr double kMostGlyphAspect = 3;
constexpr double kSqrt2 = 1.4142135623730951, kPi = 3.141592653589793;  // <numbers> is not in clang-14's reach of libstdc++
constexpr double kLeastCrossInk = 0.05;
constexpr std::size_t kMostInkPieces = std::size_t{1} << 18;
struct GlyphCells {
  double side = 0;
  std::size_t count = 0;
  std::vector<Spot> rows;  // where: one box a row of cells, kMostSpots at most
  bool unmeasured = false;  // too many pieces, or too wide a range of sizes: taken as glyphs anywhere
};
GlyphCells glyph_cells(const std::vector<Ink>& pieces) {
  GlyphCells best;
  if (pieces.size() > kMostInkPieces) return {0, kLeastOutlinedGlyphs, {}, true};
  if (pieces.size() < 2) return best;
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  double x0 = kInfinity, y0 = kInfinity, x1 = -kInfinity, y1 = -kInfinity, smallest = kInfinity;
  for (const Ink& p : pieces) {
    const double side = std::max(p.x1 - p.x0, p.y1 - p.y0);
    if (side > 0) smallest = std::min(smallest, side);
    x0 = std::min(x0, p.x0), y0 = std::min(y0, p.y0), x1 = std::max(x1, p.x1), y1 = std::max(y1, p.y1);
  }
  const double extent = std::max(x1 - x0, y1 - y0);
  if (!(extent > 0) || !std::isfinite(extent) || !std::isfinite(smallest)) return best;
  if (extent > smallest * std::exp2(kMostCellOctaves)) return {0, kLeastOutlinedGlyphs, {}, true};
  struct Cell {
    std::size_t pieces = 0;
    double outline = 0;
    double across = 0, up = 0;  // the pieces' widths and heights, summed
    double x0 = kInfinity, y0 = kInfinity, x1 = -kInfinity, y1 = -kInfinity;
  };
  struct CellHash {
    std::size_t operator()(const std::pair<long long, long long>& c) const {
      return std::hash<long long>()(c.first) ^ (std::hash<long long>()(c.second) * 0x9E3779B97F4A7C15ULL);
    }
  };
  std::unordered_map<std::pair<long long, long long>, Cell, CellHash> cells;
  for (double side = smallest / 2; side <= 2 * extent; side *= kSqrt2) {
    for (int offset = 0; offset < 4; ++offset) {
      cells.clear();
      const double ox = offset & 1 ? side / 2 : 0, oy = offset & 2 ? side / 2 : 0;
      for (const Ink& p : pieces) {
        if (std::max(p.x1 - p.x0, p.y1 - p.y0) > 2 * side) continue;
        const double column = std::floor(((p.x0 + p.x1) / 2 + ox) / side), row = std::floor(((p.y0 + p.y1) / 2 + oy) / side);
        if (!(std::abs(column) < 0x1p62 && std::abs(row) < 0x1p62)) continue;  // not finite
        Cell& cell = cells[{static_cast<long long>(column), static_cast<long long>(row)}];
        ++cell.pieces;
        cell.outline += p.outline;
        cell.across += p.x1 - p.x0, cell.up += p.y1 - p.y0;
        cell.x0 = std::min(cell.x0, p.x0), cell.y0 = std::min(cell.y0, p.y0), cell.x1 = std::max(cell.x1, p.x1), cell.y1 = std::max(cell.y1, p.y1);
      }
      std::map<long long, Spot> rows;
      std::size_t count = 0;
      for (const auto& [at, cell] : cells) {
        const double span = std::max(cell.x1 - cell.x0, cell.y1 - cell.y0), narrow = std::min(cell.x1 - cell.x0, cell.y1 - cell.y0);
        if (cell.pieces < 2 || !(span >= side / 3) || !(span <= kMostGlyphAspect * narrow) || !(cell.outline >= kLeastInkToSpan * span) ||
            !(std::min(cell.across, cell.up) >= kLeastCrossInk * std::max(cell.across, cell.up))) {
          continue;
        }
        ++count;
        const auto [row, fresh] = rows.try_emplace(at.second, Spot{cell.x0, cell.y0, cell.x1, cell.y1, side / kOutlineGlyphPixels, false, 1});
        if (!fresh) {
          Spot& r = row->second;
          r = {std::min(r.x0, cell.x0), std::min(r.y0, cell.y0), std::max(r.x1, cell.x1), std::max(r.y1, cell.y1), r.least, false, r.glyphs + 1};
        }
      }
      // A shape a few cells across (a bullet, one digit) is one glyph however many of its cells are
      // glyph-like: no more glyphs than cells along the ink's longer side.
      count = std::min(count, std::max<std::size_t>(1, static_cast<std::size_t>(extent / side)));
      if (count <= best.count) continue;
      best = {side, count, {}, false};
      for (const auto& [row, spot] : rows) Drawn::add_spot_to(best.rows, spot);
    }
  }
  return best;
}

// A transformation as PDF writes it, [a b c d e f]: x' = a x + c y + e, y' = b x + d y + f.
struct Matrix {
  double a = 1, b = 0, c = 0, d = 1, e = 0, f = 0;
  // This one first, then `m` (a `cm` puts its matrix before the current one: cm × CTM).
  Matrix then(const Matrix& m) const {
    return {a * m.a + b * m.c, a * m.b + b * m.d, c * m.a + d * m.c, c * m.b + d * m.d, e * m.a + f * m.c + m.e, e * m.b + f * m.d + m.f};
  }
  // The bounding box of the box (x0, y0)–(x1, y1) through it: every corner, however it turns or shears.
  Spot box_of(double x0, double y0, double x1, double y1) const {
    Spot out{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
             -std::numeric_limits<double>::infinity(), 0, false, 0};
    for (const auto& [x, y] : {std::pair{x0, y0}, std::pair{x0, y1}, std::pair{x1, y0}, std::pair{x1, y1}}) {
      const double tx = a * x + c * y + e, ty = b * x + d * y + f;
      out.x0 = std::min(out.x0, tx), out.x1 = std::max(out.x1, tx), out.y0 = std::min(out.y0, ty), out.y1 = std::max(out.y1, ty);
    }
    out.anywhere = !std::isfinite(out.x0) || !std::isfinite(out.x1) || !std::isfinite(out.y0) || !std::isfinite(out.y1);
    return out;
  }
  // The least any length grows by through it (its smaller singular value): what a form draws is at
  // least this much larger on the page, whichever way it is turned or sheared. 0 when not finite.
  double least_stretch() const {
    const double sum = a * a + b * b + c * c + d * d, det = a * d - b * c;
    const double least = std::sqrt(std::max(0.0, (sum - std::sqrt(std::max(0.0, sum * sum - 4 * det * det))) / 2));
    return std::isfinite(least) ? least : 0;
  }
  // The most any length grows by through it (its larger singular value). 0 when not finite.
  double most_stretch() const {
    const double sum = a * a + b * b + c * c + d * d, det = a * d - b * c;
    const double most = std::sqrt(std::max(0.0, (sum + std::sqrt(std::max(0.0, sum * sum - 4 * det * det))) / 2));
    return std::isfinite(most) ? most : 0;
  }
};

// The size a picture of width × height pixels is drawn at through `m` (the CTM that maps its unit
// square): units per pixel, the narrower way. Each side is measured across the parallelogram
// (area over the other side's length), so that a picture sheared flat counts as the sliver it is.
// 0 when its pixel size is not a positive number, or the drawing is degenerate or not finite.
double drawn_size(const Matrix& m, QPDFObjectHandle width, QPDFObjectHandle height) {
  if (!width.isInteger() || !height.isInteger() || width.getIntValue() <= 0 || height.getIntValue() <= 0) return 0;
  const double area = std::abs(m.a * m.d - m.b * m.c), across = std::hypot(m.a, m.b), up = std::hypot(m.c, m.d);
  if (!std::isfinite(area) || area == 0 || !std::isfinite(across) || !std::isfinite(up)) return 0;
  const double size = std::min(area / up / static_cast<double>(width.getIntValue()), area / across / static_cast<double>(height.getIntValue()));
  return std::isfinite(size) ? size : 0;
}

// Whether a picture of width × height pixels can hold text a person reads (a digit needs some
// 3 × 5 pixels; twelve of them in a row, or one per picture, are a 個人番号). Rules, spacers and
// gradients one pixel high or wide cannot; a picture whose size is not a positive number is taken
// as able to (what a reader makes of it is unknown). A picture drawn as a glyph (an image mask)
// counts the same: it is text pdftotext does not see.
bool legible(QPDFObjectHandle width, QPDFObjectHandle height) {
  if (!width.isInteger() || !height.isInteger() || width.getIntValue() <= 0 || height.getIntValue() <= 0) return true;
  const long long w = width.getIntValue(), h = height.getIntValue();
  return std::min(w, h) >= 3 && std::max(w, h) >= 5;
}

// A stream's data decoded (the generalized filters: Flate, LZW, ASCII85, ASCIIHex, RunLength),
// each decoded piece charged to the budget as it comes out of the decoder, so a bomb stops at the
// budget instead of being expanded in memory first (qpdf's getStreamData decodes it whole).
class ChargedSink : public Pipeline {
 public:
  ChargedSink(const Context& ctx, std::string what, std::string& out) : Pipeline("charged", nullptr), ctx_(ctx), what_(std::move(what)), out_(out) {}
  void write(unsigned char const* data, size_t len) override {
    if (auto charged = ctx_.charge(len, what_); !charged) {
      over_ = std::move(charged).error();
      throw std::length_error("the stream decodes beyond the budget");  // qpdf stops decoding, and says it failed
    }
    out_.append(reinterpret_cast<const char*>(data), len);
  }
  void finish() override {}
  std::optional<Error> over_;

 private:
  const Context& ctx_;
  std::string what_;
  std::string& out_;
};

Result<std::string> decoded(QPDFObjectHandle stream, const Context& ctx, const std::string& what) {
  std::string out;
  ChargedSink sink(ctx, what, out);
  bool attempted = false, done = false;
  try {
    done = stream.pipeStreamData(&sink, &attempted, 0, qpdf_dl_generalized, true);
  } catch (const std::exception&) {
    done = false;  // the sink's own stop, or a damaged stream: told apart below
  }
  if (sink.over_) return *sink.over_;
  QPDFObjectHandle filter = stream.getDict().getKey("/Filter");
  const bool filtered = !filter.isNull() && !(filter.isArray() && filter.getArrayNItems() == 0);
  if (!done || (filtered && !attempted)) return blocked("malformed", what, "the stream's data cannot be decoded (object " + std::to_string(stream.getObjectID()) + ")");
  return out;
}

// What a content stream draws: text (a text-showing operator), pictures (an image XObject, an
// inline image), and through form XObjects what they draw, to a depth. Every stream is decoded
// through decoded() (charged), and each form is read once for the resources it is drawn with
// (`forms`, shared by all pages): a form drawn on a thousand pages is not parsed a thousand times.
struct FormKey {
  QPDFObjGen form;
  // The objects that hold the resources its names are looked up in, its own first, then those of
  // the streams that draw it out to the page (a form, a page, an indirect dictionary): poppler
  // looks a name the form's own resources lack up in its caller's.
  std::vector<QPDFObjGen> resources;
  bool operator<(const FormKey& o) const { return std::tie(form, resources) < std::tie(o.form, o.resources); }
};

// The digits of the character collections a CID-keyed font names (its /CIDSystemInfo, registry
// Adobe): the first CID of each run of ten, and the Unicode value of its 0. From poppler-data's
// cidToUnicode tables (every CID there that maps to U+0030–0039 or U+FF10–FF19).
const std::map<std::string, std::vector<std::pair<long long, long long>>> kCollectionDigits = {
    {"Japan1", {{17, 0x30}, {247, 0x30}, {780, 0x30}}},
    {"GB1", {{17, 0x30}, {277, 0x30}, {829, 0x30}}},
    {"CNS1", {{17, 0x30}, {13664, 0x30}, {333, 0x30}}},
    {"Korea1", {{17, 0x30}, {8110, 0x30}, {279, 0x30}}},
};

// The glyphs an sfnt (TrueType) program's 'cmap' table gives the digits, U+0030–0039 and
// U+FF10–FF19, in its Unicode subtables (platform 0, or 3 with encoding 1 or 10; formats 4, 6 and
// 12): glyph id → the digit's Unicode value of its 0–9 form (-1 for a glyph two subtables give
// two different digits). None when it has no Unicode subtable that can be read: which glyph is a
// digit is not known. A Macintosh (1, 0) subtable is not read: a subset's maps its own codes.
std::optional<std::map<long long, long long>> sfnt_digit_glyphs(std::string_view font) {
  const auto u16 = [&](std::size_t at) -> long long { return at + 2 <= font.size() ? (static_cast<unsigned char>(font[at]) << 8) | static_cast<unsigned char>(font[at + 1]) : -1; };
  const auto u32 = [&](std::size_t at) -> long long { return u16(at) < 0 || u16(at + 2) < 0 ? -1 : (u16(at) << 16) | u16(at + 2); };
  const long long tables = u16(4);
  std::size_t cmap = 0;
  for (long long i = 0; i < tables; ++i) {
    const std::size_t record = 12 + static_cast<std::size_t>(i) * 16;
    if (record + 16 > font.size()) break;
    if (font.substr(record, 4) == "cmap" && u32(record + 8) > 0) cmap = static_cast<std::size_t>(u32(record + 8));
  }
  if (cmap == 0 || u16(cmap + 2) < 0) return std::nullopt;
  std::map<long long, long long> glyphs;
  bool read = false;
  const auto found = [&](long long unicode, long long glyph) {
    if (glyph <= 0) return;
    const long long digit = unicode >= 0xFF10 ? unicode - 0xFF10 + 0x30 : unicode;
    const auto [at, fresh] = glyphs.emplace(glyph, digit);
    if (!fresh && at->second != digit) at->second = -1;
  };
  std::set<long long> read_at;  // each subtable once, however many records point at it
  for (long long i = 0; i < u16(cmap + 2) && i < 64; ++i) {
    const std::size_t record = cmap + 4 + static_cast<std::size_t>(i) * 8;
    const long long platform = u16(record), encoding = u16(record + 2), offset = u32(record + 4);
    if (offset < 0 || !(platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10)))) continue;
    if (!read_at.insert(offset).second) continue;
    const std::size_t table = cmap + static_cast<std::size_t>(offset);
    const long long format = u16(table);
    for (const long long base : {0x30LL, 0xFF10LL}) {
      for (long long unicode = base; unicode < base + 10; ++unicode) {
        if (format == 4) {
          const long long segments = u16(table + 6) / 2;
          for (long long s = 0; s < segments; ++s) {
            const std::size_t end_at = table + 14 + static_cast<std::size_t>(s) * 2, start_at = end_at + static_cast<std::size_t>(segments) * 2 + 2;
            const std::size_t delta_at = start_at + static_cast<std::size_t>(segments) * 2, range_at = delta_at + static_cast<std::size_t>(segments) * 2;
            const long long end = u16(end_at), start = u16(start_at), delta = u16(delta_at), range = u16(range_at);
            if (end < 0 || start < 0 || delta < 0 || range < 0 || unicode < start || unicode > end) continue;
            if (range == 0) found(unicode, (unicode + delta) & 0xFFFF);
            else if (const long long g = u16(range_at + static_cast<std::size_t>(range) + static_cast<std::size_t>(unicode - start) * 2); g > 0) found(unicode, (g + delta) & 0xFFFF);
            break;
          }
        } else if (format == 6) {
          const long long first = u16(table + 6), count = u16(table + 8);
          if (unicode >= first && unicode < first + count) found(unicode, u16(table + 10 + static_cast<std::size_t>(unicode - first) * 2));
        } else if (format == 12) {
          const long long groups = u32(table + 12);
          for (long long g = 0; g >= 0 && g < groups && g < (1 << 20); ++g) {
            const std::size_t group = table + 16 + static_cast<std::size_t>(g) * 12;
            const long long start = u32(group), end = u32(group + 4), glyph = u32(group + 8);
            if (start < 0 || end < 0 || glyph < 0) break;
            if (unicode >= start && unicode <= end) found(unicode, glyph + (unicode - start));
          }
        }
      }
    }
    read = read || format == 4 || format == 6 || format == 12;
  }
  if (!read) return std::nullopt;
  return glyphs;
}

// The masks of the images a PDF draws (each once, by object), read as pictures of their own.
// A page's thumbnail (/Thumb) and an image's alternates (/Alternates, which a printer or another
// reader may show in its place) are read so too: pictures a reader shows that the page's
// rendering does not.
struct Mask {
  QPDFObjectHandle stream;
  bool soft = false;  // an /SMask (grey levels of opacity), not a /Mask stencil (one bit: painted or not)
  std::string kind = "mask";  // or "thumbnail", "alternate": a picture in its own colours
};
using Masks = std::map<QPDFObjGen, Mask>;

// The codes of a font that read as digits, as sorted ranges of codes of one byte or two.
struct DigitCodes {
  bool two_bytes = false;
  std::vector<std::pair<long long, long long>> ranges;
};

// A font whose glyphs only its own program knows (judged_by_sheet()): the codes its text shows,
// over every page, for its glyph sheet.
constexpr std::size_t kMostSheetCodesAFont = 2048;  // more: its pages are read by OCR
struct SheetFont {
  QPDFObjectHandle font;
  bool vertical = false;
  std::set<long long> codes;
  bool too_many = false;  // showed more than kMostSheetCodesAFont codes
  std::set<std::uint32_t> pages;
};
// What is known of the fonts read so far, by object, for every page: to_unicode_misreads()'s
// verdicts, and the fonts judged by the glyph sheet.
struct FontJudgements {
  std::map<QPDFObjGen, bool> misreads;
  std::map<QPDFObjGen, SheetFont> sheet;
};

class DrawnCounter : public QPDFObjectHandle::ParserCallbacks {
 public:
  DrawnCounter(QPDF& pdf, const Context& ctx, QPDFObjectHandle resources, QPDFObjGen owner, Drawn& drawn, std::map<FormKey, Drawn>& forms, Masks& masks,
               FontJudgements& judgements, int depth)
      : pdf_(pdf), ctx_(ctx), resources_(std::move(resources)), owner_(resources_.isIndirect() ? resources_.getObjGen() : owner), drawn_(drawn), forms_(forms), masks_(masks),
        judgements_(judgements), depth_(depth) {}

  // pdftotext's reading of `codes` by a /ToUnicode CMap: each code's UTF-16 units by its bfchar and
  // bfrange entries, a later entry for a code in place of an earlier one; a code no entry maps is
  // left out. None when the CMap is past the token cap (poppler reads all of it).
  static std::optional<std::map<long long, std::vector<long long>>> unicode_of_codes(const std::string& cmap, const std::set<long long>& codes) {
    const std::vector<std::string> tokens = cmap_tokens(cmap);
    if (tokens.size() >= kMostCMapTokens) return std::nullopt;
    std::map<long long, std::vector<long long>> read;
    enum { kNone, kChar, kRange } section = kNone;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "beginbfchar") section = kChar;
      else if (t == "beginbfrange") section = kRange;
      else if (t == "endbfchar" || t == "endbfrange") section = kNone;
      if (section == kChar && t[0] == '<' && i + 1 < tokens.size() && tokens[i + 1][0] == '<') {
        if (codes.count(cmap_code(t)) != 0) read[cmap_code(t)] = cmap_units(tokens[i + 1]);
        ++i;
      } else if (section == kRange && t[0] == '<' && i + 2 < tokens.size() && tokens[i + 1][0] == '<') {
        const long long low = cmap_code(t), high = cmap_code(tokens[i + 1]);
        if (low < 0 || high < low) continue;
        if (tokens[i + 2][0] == '<') {
          const std::vector<long long> first = cmap_units(tokens[i + 2]);
          for (auto code = codes.lower_bound(low); !first.empty() && code != codes.end() && *code <= high; ++code) {
            std::vector<long long> units = first;
            units.back() += *code - low;
            read[*code] = units;
          }
          i += 2;
        } else if (tokens[i + 2] == "[") {
          std::size_t j = i + 3;
          for (long long code = low; j < tokens.size() && tokens[j] != "]"; ++j, ++code) {
            if (tokens[j][0] == '<' && codes.count(code) != 0) read[code] = cmap_units(tokens[j]);
          }
          i = j;
        }
      }
    }
    return read;
  }

  // Counts what `contents` (a stream, or an array of streams drawn one after another) draws.
  Result<void> count(const std::vector<QPDFObjectHandle>& contents, const std::string& what) {
    std::string data;
    for (QPDFObjectHandle stream : contents) {
      if (!stream.isStream()) continue;
      data += SANSO_TRY(decoded(stream, ctx_, what));
      data += '\n';
    }
    try {
      QPDFObjectHandle::parseContentStream(QPDFObjectHandle::newStream(&pdf_, data), this);
    } catch (const std::exception&) {
      if (over_) return *over_;  // a form past the budget stopped the parse
      throw;
    }
    return ok();
  }

  void handleObject(QPDFObjectHandle obj) override {
    if (obj.isInlineImage()) {
      picture(inline_width_, inline_height_);
      inline_image_ends(obj.getInlineImageValue());
    }
    // An inline image's dictionary comes as keys and values between BI and ID.
    if (inline_dict_ && !obj.isOperator()) {
      if (inline_key_.empty() && obj.isName()) {
        inline_key_ = obj.getName();
      } else {
        if (inline_key_ == "/W" || inline_key_ == "/Width") inline_width_ = obj;
        if (inline_key_ == "/H" || inline_key_ == "/Height") inline_height_ = obj;
        if (inline_entries_.size() < 64) inline_entries_[inline_key_] = obj;
        inline_key_.clear();
      }
    }
    if (!obj.isOperator()) {
      if (!obj.isInlineImage() && operands_.size() < 64) operands_.push_back(obj);  // more is no operator's: read as none
      return;
    }
    const std::string op = obj.getOperatorValue();
    std::vector<QPDFObjectHandle> operands = std::move(operands_);
    operands_.clear();
    // The CTM, as poppler keeps it: what size each picture comes out at when the page is rendered.
    if (op == "q") {
      if (saved_.size() >= kMostSavedStates) unknown("graphics states nested deeper than " + std::to_string(kMostSavedStates));
      else saved_.push_back({ctm_, text_, line_width_, line_cap_});
    }
    if (op == "Q" && !saved_.empty()) {  // a Q without its q changes nothing, in poppler as here
      ctm_ = saved_.back().ctm;
      text_ = saved_.back().text;
      line_width_ = saved_.back().line_width;
      line_cap_ = saved_.back().line_cap;
      saved_.pop_back();
    }
    if (op == "cm") {
      if (auto m = matrix_of(operands)) ctm_ = m->then(ctm_);
      else unknown("a cm whose operands are not six numbers");  // what poppler makes of it is not known
    }
    path_operator(op, operands);
    if (op == "w" && operands.size() == 1 && operands[0].isNumber()) line_width_ = operands[0].getNumericValue();
    if (op == "J" && operands.size() == 1 && operands[0].isInteger()) line_cap_ = operands[0].getIntValue();
    // Where the lines of text run (Td, TD, T*, TL; ' and " move to the next line before they show).
    const bool two_numbers = operands.size() == 2 && operands[0].isNumber() && operands[1].isNumber();
    if (op == "TL" && operands.size() == 1 && operands[0].isNumber()) text_.leading = operands[0].getNumericValue();
    if ((op == "Td" || op == "TD") && two_numbers) {
      if (op == "TD") text_.leading = -operands[1].getNumericValue();
      if (line_) line_ = Matrix{1, 0, 0, 1, operands[0].getNumericValue(), operands[1].getNumericValue()}.then(*line_);
    } else if (op == "Td" || op == "TD") {
      line_.reset();
    }
    if ((op == "T*" || op == "'" || op == "\"") && line_) line_ = Matrix{1, 0, 0, 1, 0, -text_.leading}.then(*line_);
    // An operator that names a resource with other operands than it takes is read differently by
    // each reader: poppler drops the extra leading ones ("/F1 /F3 300 Tf" sets /F3), MuPDF takes the
    // last name written ("/Im1 0 Do" draws Im1). What the recipient's reader draws is not known.
    if (const std::string expected = operands_expected(op, operands); !expected.empty()) {
      unknown("演算子 " + op + " の被演算子が " + std::to_string(operands.size()) + " 個で、読むアプリによって描かれるものが異なる / the operator " + op + " has " +
              std::to_string(operands.size()) + " operand(s) where it takes " + expected + ", which readers take differently");
    }
    // Marked content: a BDC whose tag starts with "OC" (as poppler reads it: /OC, /OCX, /OCG) or
    // whose properties are a layer puts what follows, to its EMC, in optional content.
    if (op == "BDC" || op == "BMC") {
      const bool layer = op == "BDC" && operands.size() >= 2 && marks_a_layer(operands[operands.size() - 2], operands.back());
      // Marked content with /ActualText: pdftotext prints that text instead of the glyphs shown
      // ("/Span << /ActualText (see attached) >> BDC (123456789018) Tj EMC" reads "see attached").
      const bool replaced = op == "BDC" && operands.size() >= 2 && replaces_text(operands.back());
      if (marked_.size() >= kMostSavedStates) unknown("marked content nested deeper than " + std::to_string(kMostSavedStates));
      else marked_.push_back(layer), replacing_.push_back(replaced);
      hidden_layers_ += layer ? 1 : 0;
      replaced_text_ += replaced ? 1 : 0;
    }
    if (op == "EMC" && !marked_.empty()) {
      hidden_layers_ -= marked_.back() ? 1 : 0;
      replaced_text_ -= replacing_.back() ? 1 : 0;
      marked_.pop_back();
      replacing_.pop_back();
    }
    if (op == "BI") {
      inline_dict_ = true;
      inline_key_.clear();
      inline_width_ = inline_height_ = QPDFObjectHandle::newNull();
      inline_entries_.clear();
    }
    if (op == "ID") inline_dict_ = false;
    if (op == "Tj" || op == "TJ" || op == "'" || op == "\"") {
      drawn_.text = true;
      const std::size_t shown = shown_bytes(operands);
      drawn_.text_bytes += shown;
      if (hidden_layers_ > 0) drawn_.text_in_layer = true;
      if (replaced_text_ > 0 || text_.misread) drawn_.text_replaced = true;
      if (text_.sheet_font) {
        sheet_codes_shown(operands);
      } else if (!text_.font_set && depth_ > 0) {
        drawn_.text_fontless = true;
      }
      lines_shown();
      digits_shown(operands);
      glyphs_shown(operands);
    }
    // The text state a Type 3 font's glyphs are drawn through (their translations do not change
    // their size; Td, TD, T*, Tc, Tw and Ts only move them).
    if (op == "BT") tm_ = line_ = Matrix{};
    if (op == "Tm") tm_ = line_ = matrix_of(operands);  // none: the size of what it shows is not known
    if (op == "Tz") text_.scale = operands.size() == 1 && operands[0].isNumber() ? operands[0].getNumericValue() / 100 : std::nan("");
    if (op == "Tr") text_.render = operands.size() == 1 && operands[0].isInteger() ? operands[0].getIntValue() : -1;
    // Each operator that names a resource takes the name as its operand (the last for Do, scn, SCN
    // and gs, the one before the size for Tf: poppler drops extra leading operands), never a name
    // seen earlier: "/Im1 /Fm2 … /Im1 Do" draws Im1. An operator without its name draws nothing, in
    // poppler as here (with other operands than it takes the page is held above).
    const auto named = [&](bool first) -> std::string {
      if (operands.empty() || (first && operands.size() < 2)) return "";
      QPDFObjectHandle o = first ? operands[operands.size() - 2] : operands.back();
      return o.isName() ? o.getName() : "";
    };
    if (op == "Do") xobject(named(false));
    if (op == "scn" || op == "SCN") pattern(named(false));
    if (op == "sh" && meshes(resource("/Shading", named(false)))) drawn_.meshed = true;
    if (op == "gs") graphics_state(named(false));
    if (op == "Tf") {
      text_.glyphs = font(resource("/Font", named(true)), "font " + named(true));
      judge_font(resource("/Font", named(true)));
      text_.vertical = writes_vertically(resource("/Font", named(true)));
      text_.digit_codes = digit_codes(resource("/Font", named(true)));
      text_.font_matrix = resource("/Font", named(true)).isDictionary() ? resource("/Font", named(true)).getKey("/FontMatrix") : QPDFObjectHandle::newNull();
      text_.size = operands.size() >= 2 && operands.back().isNumber() ? operands.back().getNumericValue() : std::nan("");
    }
  }
  void handleEOF() override {}

  // What an operator that names a resource takes, when `operands` is not that: "" when it is, or
  // the operator names none. scn and SCN take colour components and, last, a pattern's name.
  static std::string operands_expected(const std::string& op, std::vector<QPDFObjectHandle>& operands) {
    const bool one_name = operands.size() == 1 && operands[0].isName();
    if (op == "Do" || op == "gs" || op == "sh" || op == "cs" || op == "CS") return one_name ? "" : "one name";
    if (op == "Tf") return operands.size() == 2 && operands[0].isName() && operands[1].isNumber() ? "" : "a font's name and a size";
    if (op == "BDC") return operands.size() == 2 && operands[0].isName() && (operands[1].isName() || operands[1].isDictionary()) ? "" : "a tag and properties";
    if (op == "scn" || op == "SCN") {
      for (std::size_t i = 0; i + 1 < operands.size(); ++i) {
        if (!operands[i].isNumber()) return "numbers and, last, a pattern's name";
      }
    }
    return "";
  }

  // What each annotation of the page shows over it: an appearance (a form), whose /BBox through its
  // /Matrix a reader fits to the annotation's /Rect (ISO 32000-1 12.5.5). A signature's picture, a
  // stamp, a pasted image are drawn so. pdftoppm renders the normal appearance (/AP /N, or of its
  // states the one /AS names) of an annotation shown on screen; the down (/D) and rollover (/R)
  // appearances, the other states, and every appearance of an annotation hidden (/F Hidden or
  // NoView — a viewer may still print it, Print flag or not a printer shows what pdftoppm does
  // not) or in optional content that may be hidden (/OC, as layer_may_hide() reads it for what the
  // page draws: pdftoppm draws an annotation in a layer the default configuration shows, and not
  // one in a layer it turns off) are in the file but not on the rendered page: a legible picture in
  // one holds the page (Drawn::unshown), since OCR of the page never sees it.
  Result<void> annotations(QPDFObjectHandle annots) {
    if (!annots.isArray()) return ok();
    try {
      shown_over(annots);
    } catch (const std::length_error&) {
      if (over_) return *over_;  // a form past the budget
      throw;
    }
    return ok();
  }

 private:
  static constexpr std::size_t kMostSavedStates = 4096;
  static constexpr long long kHidden = 1 << 1, kNoView = 1 << 5;  // annotation flags (ISO 32000-1 12.5.3)
  static constexpr int kMostNested = 8;

  static constexpr std::size_t kLeastUnshownTextBytes = 3;  // two characters of a CJK font are four bytes, a mark like "3A" in a Latin one two
  void shown_over(QPDFObjectHandle annots) {
    std::size_t hidden_text_bytes = 0;
    for (QPDFObjectHandle& annotation : annots.getArrayAsVector()) {
      if (!annotation.isDictionary()) continue;
      QPDFObjectHandle ap = annotation.getKey("/AP"), flags = annotation.getKey("/F"), current = annotation.getKey("/AS");
      const bool hidden = (flags.isInteger() && (flags.getIntValue() & (kHidden | kNoView)) != 0) || (annotation.hasKey("/OC") && layer_may_hide(annotation.getKey("/OC")));
      const std::string number = annotation.isIndirect() ? " (object " + std::to_string(annotation.getObjectID()) + ")" : "";
      for (const char* kind : {"/N", "/D", "/R"}) {
        QPDFObjectHandle appearance = ap.isDictionary() ? ap.getKey(kind) : QPDFObjectHandle::newNull();
        std::vector<std::pair<std::string, QPDFObjectHandle>> states;
        if (appearance.isStream()) states.emplace_back("", appearance);
        if (appearance.isDictionary()) {
          for (auto& [state, form] : appearance.getDictAsMap()) {
            if (form.isStream()) states.emplace_back(state, form);
          }
        }
        for (auto& [state, form] : states) {
          const Drawn* inside = drawn_by(form, form.getDict().getKey("/Resources"), "the appearance of an annotation (object " + std::to_string(form.getObjectID()) + ")");
          if (inside == nullptr) continue;
          const bool rendered = !hidden && kind == std::string("/N") && (state.empty() || current.isNameAndEquals(state));
          if (rendered) {
            add(*inside, fitted(form, annotation.getKey("/Rect")));
            continue;
          }
          // Not on the rendered page: counted as pictures (the page is one with pictures), never as
          // read; text there is not what pdftotext reads (it draws what the screen shows).
          if (inside->unknown) unknown(inside->why_unknown);
          // One glyph in an annotation's other state or down appearance (a check box's check mark in
          // ZapfDingbats) holds no number or mark; what hidden annotations print adds up on paper.
          if (hidden) hidden_text_bytes += inside->text_bytes;
          const bool some_text = hidden ? hidden_text_bytes >= kLeastUnshownTextBytes : inside->text_bytes >= kLeastUnshownTextBytes;
          drawn_.text_unshown = drawn_.text_unshown || some_text || inside->text_in_layer || inside->text_unshown;
          drawn_.images += inside->images;
          drawn_.legible += inside->legible;
          if (inside->legible > 0 && drawn_.unshown.empty()) {
            drawn_.unshown = "an annotation" + number + " draws a picture in " +
                             (hidden ? std::string("an appearance of an annotation hidden from the screen (/F Hidden or NoView, or /OC: a layer that is off, or may be turned off or on)")
                              : kind != std::string("/N") ? std::string(kind == std::string("/D") ? "its down" : "its rollover") + " appearance (/AP " + kind + ")"
                                                          : "its appearance for the state " + state + ", not the one /AS shows") +
                             ", which the page rendered for OCR does not show";
          }
        }
      }
    }
  }

  // A resource by kind and name, as poppler finds it (GfxResources::lookup…): in the stream's own
  // resources, then in those of the stream that draws it, and so on out to the page's — a form
  // whose /Resources hold no /XObject draws the page's /Im1.
  QPDFObjectHandle resource(const char* kind, const std::string& name) {
    if (name.empty()) return QPDFObjectHandle::newNull();
    for (std::size_t i = 0; i <= callers_.size(); ++i) {
      QPDFObjectHandle in = i == 0 ? resources_ : callers_[i - 1];
      QPDFObjectHandle of_kind = in.isDictionary() ? in.getKey(kind) : QPDFObjectHandle::newNull();
      QPDFObjectHandle found = of_kind.isDictionary() ? of_kind.getKey(name) : QPDFObjectHandle::newNull();
      if (!found.isNull()) return found;
    }
    return QPDFObjectHandle::newNull();
  }

  // Where an inline image ends is read two ways: poppler reads the image's bytes (its rows, or
  // what its filters take) and goes on after the first "EI" that follows; qpdf ends the data at an
  // "EI" after which the stream reads as content. An "EI" in the data past the bytes poppler
  // reads, or data shorter than those, makes the two read different operators after the image —
  // a card drawn or a layer opened that one sees and the other does not: the page is held.
  void inline_image_ends(const std::string& data) {
    const auto entry = [&](const char* abbreviation, const char* key) {
      const auto found = inline_entries_.find(abbreviation);
      if (found != inline_entries_.end()) return found->second;
      const auto full = inline_entries_.find(key);
      return full != inline_entries_.end() ? full->second : QPDFObjectHandle::newNull();
    };
    QPDFObjectHandle filter = entry("/F", "/Filter");
    const bool filtered = !filter.isNull() && !(filter.isArray() && filter.getArrayNItems() == 0);
    const long long bytes = filtered ? 0 : inline_image_bytes(entry("/IM", "/ImageMask"), entry("/BPC", "/BitsPerComponent"), entry("/CS", "/ColorSpace"));
    const std::string why = bytes < 0 ? "its size in bytes (width, height, bits per component, colour space) is not known"
                            : !filtered && data.size() < static_cast<std::size_t>(bytes)
                                ? "its data (" + std::to_string(data.size()) + " bytes) is shorter than its rows (" + std::to_string(bytes) + " bytes)"
                            : data.find("EI", static_cast<std::size_t>(bytes)) != std::string::npos ? "its data holds \"EI\" where a reader may end the image"
                                                                                                     : "";
    if (!why.empty()) {
      unknown("インライン画像の終わりが読むアプリによって異なり、その後の内容が確かめられない / an inline image (BI … ID … EI) whose end readers find in different places: " + why);
    }
  }
  // The bytes of an unfiltered inline image's rows; -1 when not known.
  long long inline_image_bytes(QPDFObjectHandle mask, QPDFObjectHandle bpc, QPDFObjectHandle space) {
    if (!inline_width_.isInteger() || !inline_height_.isInteger() || inline_width_.getIntValue() < 0 || inline_height_.getIntValue() < 0) return -1;
    const long long width = inline_width_.getIntValue(), height = inline_height_.getIntValue();
    long long bits = 1, colours = 1;
    if (!(mask.isBool() && mask.getBoolValue())) {
      if (!bpc.isInteger() || (bpc.getIntValue() != 1 && bpc.getIntValue() != 2 && bpc.getIntValue() != 4 && bpc.getIntValue() != 8 && bpc.getIntValue() != 16)) return -1;
      bits = bpc.getIntValue();
      colours = colour_components(space);
      if (colours <= 0) return -1;
    }
    if (width > (1LL << 24) || height > (1LL << 24)) return -1;
    return (width * colours * bits + 7) / 8 * height;
  }
  // The components of a colour space an image's samples are in (an inline image's abbreviations
  // too, a name in the resources' /ColorSpace); 0 when not known.
  int colour_components(QPDFObjectHandle space, int depth = 0) {
    if (space.isName()) {
      const std::string n = space.getName();
      if (n == "/G" || n == "/DeviceGray" || n == "/CalGray" || n == "/I" || n == "/Indexed") return 1;
      if (n == "/RGB" || n == "/DeviceRGB" || n == "/CalRGB" || n == "/Lab") return 3;
      if (n == "/CMYK" || n == "/DeviceCMYK") return 4;
      return depth == 0 ? colour_components(resource("/ColorSpace", n), 1) : 0;
    }
    if (!space.isArray() || space.getArrayNItems() == 0 || !space.getArrayItem(0).isName()) return 0;
    const std::string family = space.getArrayItem(0).getName();
    if (family == "/I" || family == "/Indexed" || family == "/Separation") return 1;
    if (family == "/CalGray") return 1;
    if (family == "/CalRGB" || family == "/Lab") return 3;
    if (family == "/DeviceN" && space.getArrayNItems() > 1 && space.getArrayItem(1).isArray()) return space.getArrayItem(1).getArrayNItems();
    if (family == "/ICCBased" && space.getArrayNItems() > 1 && space.getArrayItem(1).isStream()) {
      QPDFObjectHandle n = space.getArrayItem(1).getDict().getKey("/N");
      return n.isInteger() && n.getIntValue() > 0 && n.getIntValue() <= 32 ? static_cast<int>(n.getIntValue()) : 0;
    }
    return 0;
  }

  // The font a Tf (or a graphics state's /Font) sets, judged: a font whose glyphs only its own
  // program knows has the codes its text shows gathered for the glyph sheet (judged_by_sheet());
  // any other is judged on its /ToUnicode (to_unicode_misreads()).
  void judge_font(QPDFObjectHandle f) {
    text_.font_set = true;
    text_.sheet_font.reset();
    text_.misread = false;
    if (!judged_by_sheet(f)) {
      text_.misread = to_unicode_misreads(f);
      return;
    }
    if (!f.isIndirect()) {  // no object to gather its codes under, page by page: its text is read by OCR
      text_.misread = true;
      return;
    }
    text_.sheet_font = f.getObjGen();
    SheetFont& sheet = judgements_.sheet[f.getObjGen()];
    if (!sheet.font.isInitialized()) {
      sheet.font = f;
      sheet.vertical = writes_vertically(f);
    }
  }
  // Whether the glyph a code shows is known only from the font's own program, so that only its
  // rendering tells whether it is a digit: a composite font (Type0) of Identity encoding (code =
  // CID) whose program is embedded — a renderer draws a TrueType CID font's glyphs by /CIDToGIDMap
  // and never reads its 'cmap' table, and a CID-keyed CFF's charset may put any outline at any
  // CID, whatever collection it names (review27 H4) — or that names no collection whose glyphs a
  // reader substitutes (Adobe-Japan1, GB1, CNS1, Korea1: kCollectionDigits). cairo's, Acrobat's
  // and Word's subsets are such fonts: neither 'cmap' nor glyph names tell their digits.
  static bool judged_by_sheet(QPDFObjectHandle f) {
    if (!f.isDictionary() || !f.getKey("/Subtype").isNameAndEquals("/Type0")) return false;
    QPDFObjectHandle encoding = f.getKey("/Encoding");
    if (!encoding.isNameAndEquals("/Identity-H") && !encoding.isNameAndEquals("/Identity-V")) return false;
    QPDFObjectHandle descendants = f.getKey("/DescendantFonts");
    QPDFObjectHandle cid_font = descendants.isArray() && descendants.getArrayNItems() == 1 ? descendants.getArrayItem(0) : QPDFObjectHandle::newNull();
    if (!cid_font.isDictionary()) return false;
    QPDFObjectHandle descriptor = cid_font.getKey("/FontDescriptor");
    if (descriptor.isDictionary()) {
      for (const char* key : {"/FontFile", "/FontFile2", "/FontFile3"}) {
        if (descriptor.getKey(key).isStream()) return true;
      }
    }
    QPDFObjectHandle info = cid_font.getKey("/CIDSystemInfo");
    QPDFObjectHandle registry = info.isDictionary() ? info.getKey("/Registry") : QPDFObjectHandle::newNull();
    QPDFObjectHandle ordering = info.isDictionary() ? info.getKey("/Ordering") : QPDFObjectHandle::newNull();
    return !registry.isString() || registry.getUTF8Value() != "Adobe" || !ordering.isString() || kCollectionDigits.count(ordering.getUTF8Value()) == 0;
  }
  // The two-byte codes text in a font judged by the sheet shows, gathered for its sheet.
  void sheet_codes_shown(std::vector<QPDFObjectHandle>& operands) {
    drawn_.sheet_fonts.insert(*text_.sheet_font);
    SheetFont& sheet = judgements_.sheet[*text_.sheet_font];
    const std::string codes = shown_codes(operands);
    for (std::size_t i = 0; i + 2 <= codes.size() && !sheet.too_many; i += 2) {
      const long long code = static_cast<unsigned char>(codes[i]) << 8 | static_cast<unsigned char>(codes[i + 1]);
      if (sheet.codes.size() >= kMostSheetCodesAFont && sheet.codes.count(code) == 0) sheet.too_many = true;
      else sheet.codes.insert(code);
    }
  }

  // Whether a font's /ToUnicode reads its digits otherwise than its glyphs show them: pdftotext
  // prints what the CMap says ("bcdefghijabi") where a reader shows 123456789018. Text in such a font
  // is read by OCR of the rendered page. Which glyph a code shows:
  // - a simple font (Type 1, TrueType): a digit by its name in the /Encoding's /Differences, or at
  //   0x30–0x39 in a base encoding (Standard, WinAnsi, MacRoman all put the digits there) of a font
  //   not symbolic; judged on its digits' codes only (a glyph named /g12 may be anything);
  // - a composite font (Type0) of a predefined CMap or an embedded one: its codes through that CMap
  //   (an embedded CMap's cidchar and cidrange) to CIDs, and a CID a digit of the character
  //   collection it names (kCollectionDigits) or, for a TrueType program embedded (CIDFontType2
  //   with /FontFile2), a glyph its 'cmap' table gives a digit, through /CIDToGIDMap. Every code is
  //   judged: one mapped to a digit whose glyph is not that digit reads digits not shown
  //   ("A123456789018" reads 13 digits, no 個人番号). One whose digits cannot be known so is not
  //   judged. The gap that stays open there: a predefined or embedded CMap other than Identity
  //   over an embedded program (its 'cmap', or its charset, are its own claims), and Type 3 and
  //   simple embedded fonts whose program draws another glyph than the name their encoding gives.
  // A composite font of Identity encoding whose glyphs only its program knows (judged_by_sheet():
  // cairo's and Acrobat's subsets, with no 'cmap' or glyph names; one with or without a
  // /ToUnicode) is not judged here, nor page by page: the codes its text shows on every page are
  // drawn on a glyph sheet (glyph_sheets()), which the outgoing check renders and reads by OCR
  // once; a font whose codes OCR sees otherwise than pdftotext reads them (a digit read as a
  // letter or as nothing, a letter read as a digit) has its pages read by OCR of the rendered page
  // (cdr::glyph_sheet_reading()). A cairo-printed document of 200 pages costs one OCR pass, not 200.
  // A CMap that cannot be decoded is taken as one that misreads. The verdict on a font (an indirect
  // object) is kept for every page (`judgements_`): its program is decoded once.
  bool to_unicode_misreads(QPDFObjectHandle f) {
    if (!f.isDictionary() || !f.getKey("/ToUnicode").isStream()) return false;
    QPDFObjectHandle subtype = f.getKey("/Subtype");
    const bool composite = subtype.isNameAndEquals("/Type0");
    if (!composite && !subtype.isNameAndEquals("/Type1") && !subtype.isNameAndEquals("/MMType1") && !subtype.isNameAndEquals("/TrueType")) return false;
    if (f.isIndirect()) {
      if (const auto known = judgements_.misreads.find(f.getObjGen()); known != judgements_.misreads.end()) return known->second;
    }
    const std::optional<std::map<long long, long long>> digits = composite ? composite_digits(f) : simple_digits(f);
    bool misreads = false;  // glyphs that cannot be known: its /ToUnicode is taken as it reads (see above)
    if (digits) {
      const std::optional<std::string> cmap = decoded_or_none(f.getKey("/ToUnicode"), "the /ToUnicode CMap of a font");
      // One read to its token cap is not read whole (poppler reads it all): taken as misreading.
      const std::vector<std::string> tokens = cmap ? cmap_tokens(*cmap) : std::vector<std::string>{};
      misreads = !cmap || tokens.size() >= kMostCMapTokens || maps_a_digit_otherwise(tokens, *digits, composite);
    }
    if (f.isIndirect()) judgements_.misreads[f.getObjGen()] = misreads;
    return misreads;
  }
  // A stream decoded; none when it cannot be (a budget spent stops the whole reading).
  std::optional<std::string> decoded_or_none(QPDFObjectHandle stream, const std::string& what) {
    Result<std::string> data = decoded(stream, ctx_, what);
    if (data) return std::move(data).value();
    if (reason_of(data.error()) == "limit") {
      over_ = std::move(data).error();
      throw std::length_error("the PDF decodes beyond the budget");
    }
    return std::nullopt;
  }
  // A simple font's codes whose glyphs are digits: code → the digit's Unicode value.
  static std::map<long long, long long> simple_digits(QPDFObjectHandle f) {
    std::map<long long, long long> digits;
    QPDFObjectHandle encoding = f.getKey("/Encoding"), descriptor = f.getKey("/FontDescriptor");
    QPDFObjectHandle flags = descriptor.isDictionary() ? descriptor.getKey("/Flags") : QPDFObjectHandle::newNull();
    const bool symbolic = flags.isInteger() && (flags.getIntValue() & 4) != 0;
    if (encoding.isName() || (encoding.isDictionary() && encoding.getKey("/BaseEncoding").isName()) || !symbolic) {
      for (long long d = 0; d < 10; ++d) digits[0x30 + d] = 0x30 + d;
    }
    if (encoding.isDictionary() && encoding.getKey("/Differences").isArray()) {
      static const std::map<std::string, long long> kDigitNames = {{"/zero", 0x30}, {"/one", 0x31}, {"/two", 0x32}, {"/three", 0x33}, {"/four", 0x34},
                                                                   {"/five", 0x35}, {"/six", 0x36}, {"/seven", 0x37}, {"/eight", 0x38}, {"/nine", 0x39}};
      long long code = 0;
      for (QPDFObjectHandle& item : encoding.getKey("/Differences").getArrayAsVector()) {
        if (item.isInteger()) {
          code = item.getIntValue();
          continue;
        }
        if (!item.isName() || code < 0 || code > 255) continue;  // a simple font's codes are bytes
        const auto digit = kDigitNames.find(item.getName());
        if (digit != kDigitNames.end()) digits[code] = digit->second;
        else digits.erase(code);
        ++code;
      }
    }
    return digits;
  }
  // A composite font's codes whose glyphs are digits (code → the digit's Unicode value), or none
  // when they cannot be known.
  std::optional<std::map<long long, long long>> composite_digits(QPDFObjectHandle f) {
    QPDFObjectHandle descendants = f.getKey("/DescendantFonts");
    QPDFObjectHandle cid_font = descendants.isArray() && descendants.getArrayNItems() == 1 ? descendants.getArrayItem(0) : QPDFObjectHandle::newNull();
    if (!cid_font.isDictionary()) return std::nullopt;
    // CID → digit.
    std::map<long long, long long> digit_cids;
    QPDFObjectHandle descriptor = cid_font.getKey("/FontDescriptor");
    QPDFObjectHandle program = descriptor.isDictionary() ? descriptor.getKey("/FontFile2") : QPDFObjectHandle::newNull();
    if (cid_font.getKey("/Subtype").isNameAndEquals("/CIDFontType2") && program.isStream()) {
      const std::optional<std::string> font = decoded_or_none(program, "the TrueType program of a font");
      const std::optional<std::map<long long, long long>> glyphs = font ? sfnt_digit_glyphs(*font) : std::nullopt;
      if (!glyphs) return std::nullopt;
      QPDFObjectHandle to_gid = cid_font.getKey("/CIDToGIDMap");
      if (to_gid.isNull() || to_gid.isNameAndEquals("/Identity")) {
        digit_cids = *glyphs;
      } else if (to_gid.isStream()) {
        const std::optional<std::string> map = decoded_or_none(to_gid, "the /CIDToGIDMap of a font");
        if (!map) return std::nullopt;
        for (std::size_t cid = 0; cid + 1 < map->size(); cid += 2) {
          const long long gid = (static_cast<unsigned char>((*map)[cid]) << 8) | static_cast<unsigned char>((*map)[cid + 1]);
          if (const auto digit = glyphs->find(gid); digit != glyphs->end()) digit_cids[static_cast<long long>(cid / 2)] = digit->second;
        }
      } else {
        return std::nullopt;
      }
    } else {
      // The glyphs of a CID-keyed program (or of the font a reader puts in place of one not
      // embedded) are those of its character collection.
      QPDFObjectHandle info = cid_font.getKey("/CIDSystemInfo");
      QPDFObjectHandle registry = info.isDictionary() ? info.getKey("/Registry") : QPDFObjectHandle::newNull();
      QPDFObjectHandle ordering = info.isDictionary() ? info.getKey("/Ordering") : QPDFObjectHandle::newNull();
      if (!registry.isString() || registry.getUTF8Value() != "Adobe" || !ordering.isString()) return std::nullopt;
      const auto collection = kCollectionDigits.find(ordering.getUTF8Value());
      if (collection == kCollectionDigits.end()) return std::nullopt;
      for (const auto& [first, unicode] : collection->second) {
        for (long long d = 0; d < 10; ++d) digit_cids[first + d] = unicode + d;
      }
    }
    // Code → CID.
    QPDFObjectHandle encoding = f.getKey("/Encoding");
    if (encoding.isNameAndEquals("/Identity-H") || encoding.isNameAndEquals("/Identity-V")) return digit_cids;
    if (!encoding.isStream() || encoding.getDict().hasKey("/UseCMap")) return std::nullopt;
    const std::optional<std::string> cmap = decoded_or_none(encoding, "the encoding CMap of a font");
    if (!cmap) return std::nullopt;
    const std::vector<std::string> tokens = cmap_tokens(*cmap);
    if (std::find(tokens.begin(), tokens.end(), "usecmap") != tokens.end()) return std::nullopt;  // codes from a CMap not read here
    return codes_of_cids(tokens, digit_cids);
  }
  // Whether a composite font writes vertically (WMode 1): its encoding a predefined CMap whose
  // name ends in -V, or an embedded one that says so.
  static bool writes_vertically(QPDFObjectHandle f) {
    if (!f.isDictionary() || !f.getKey("/Subtype").isNameAndEquals("/Type0")) return false;
    QPDFObjectHandle encoding = f.getKey("/Encoding");
    if (encoding.isName()) return encoding.getName().size() > 2 && encoding.getName().substr(encoding.getName().size() - 2) == "-V";
    if (!encoding.isStream()) return false;
    QPDFObjectHandle mode = encoding.getDict().getKey("/WMode");
    return mode.isInteger() && mode.getIntValue() == 1;
  }

  // A CMap's tokens: "<hex>" as '<' and its hex digits, "[", "]", or a word; kMostCMapTokens at most.
  static constexpr std::size_t kMostCMapTokens = std::size_t{1} << 20;
  static std::vector<std::string> cmap_tokens(const std::string& cmap) {
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < cmap.size() && tokens.size() < kMostCMapTokens;) {
      const char c = cmap[i];
      if (c == '%') {
        while (i < cmap.size() && cmap[i] != '\n' && cmap[i] != '\r') ++i;
      } else if (c == '<') {
        const std::size_t end = cmap.find('>', i);
        if (end == std::string::npos) break;
        std::string hex = "<";
        for (std::size_t j = i + 1; j < end; ++j) {
          if (std::isxdigit(static_cast<unsigned char>(cmap[j]))) hex += cmap[j];
        }
        tokens.push_back(hex);
        i = end + 1;
      } else if (c == '[' || c == ']') {
        tokens.emplace_back(1, c);
        ++i;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else {
        const std::size_t start = i;
        while (i < cmap.size() && !std::isspace(static_cast<unsigned char>(cmap[i])) && std::string("<>[]%/").find(cmap[i]) == std::string::npos) ++i;
        if (i == start) ++i;
        tokens.push_back(cmap.substr(start, i - start));
      }
    }
    return tokens;
  }
  // A source code or a CID as written in hex ("<0a1f>"); -1 when it is no number of 1–4 bytes.
  static long long cmap_code(const std::string& hex) {
    if (hex.size() < 2 || hex.size() > 9 || hex[0] != '<') return -1;
    return std::stoll(hex.substr(1), nullptr, 16);
  }
  // A destination as UTF-16 units ("<00310032>": 0x31, 0x32), as poppler reads it: four hex digits
  // a unit, fewer as one. Empty when it is none.
  static std::vector<long long> cmap_units(const std::string& hex) {
    std::vector<long long> units;
    if (hex.size() < 2 || hex[0] != '<') return units;
    const std::string digits = hex.substr(1);
    if (digits.empty()) return units;
    if (digits.size() <= 4) return {std::stoll(digits, nullptr, 16)};
    for (std::size_t i = 0; i + 4 <= digits.size() && units.size() < 64; i += 4) units.push_back(std::stoll(digits.substr(i, 4), nullptr, 16));
    return units;
  }
  static bool is_digit_unit(long long u) { return (u >= 0x30 && u <= 0x39) || (u >= 0xFF10 && u <= 0xFF19); }

  // Whether a ToUnicode CMap's bfchar and bfrange sections map a code of `digits` (code → the digit's
  // Unicode value its glyph shows) to other than that digit or its fullwidth form — and, when
  // `every_code`, any other code to text with a digit in it. A bfrange adds its offset to its
  // destination's last unit, however many bytes the codes it spans take (poppler's reading).
  static bool maps_a_digit_otherwise(const std::vector<std::string>& tokens, const std::map<long long, long long>& digits, bool every_code) {
    const auto wrong = [&](long long code, const std::vector<long long>& units) {
      const auto digit = digits.find(code);
      if (digit == digits.end()) return every_code && std::any_of(units.begin(), units.end(), is_digit_unit);
      return units.size() != 1 || (units[0] != digit->second && units[0] != digit->second - 0x30 + 0xFF10);
    };
    enum { kNone, kChar, kRange } section = kNone;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "beginbfchar") section = kChar;
      else if (t == "beginbfrange") section = kRange;
      else if (t == "endbfchar" || t == "endbfrange") section = kNone;
      if (section == kChar && t[0] == '<' && i + 1 < tokens.size() && tokens[i + 1][0] == '<') {
        if (wrong(cmap_code(t), cmap_units(tokens[i + 1]))) return true;
        ++i;
      } else if (section == kRange && t[0] == '<' && i + 2 < tokens.size() && tokens[i + 1][0] == '<') {
        const long long low = cmap_code(t), high = cmap_code(tokens[i + 1]);
        if (low < 0 || high < low) return true;  // not a range a reader can follow: taken as one that misreads
        if (tokens[i + 2][0] == '<') {
          const std::vector<long long> first = cmap_units(tokens[i + 2]);
          if (first.empty()) return true;
          const auto at = [&](long long code) {
            std::vector<long long> units = first;
            units.back() += code - low;
            return units;
          };
          for (auto digit = digits.lower_bound(low); digit != digits.end() && digit->first <= high; ++digit) {
            if (wrong(digit->first, at(digit->first))) return true;
          }
          // The codes of the range whose destination has a digit in it: the units before the last
          // stay, the last runs from first.back() on.
          if (every_code) {
            for (std::size_t u = 0; u + 1 < first.size(); ++u) {
              if (is_digit_unit(first[u])) return true;  // every code of the range reads a digit
            }
            for (const long long base : {0x30LL, 0xFF10LL}) {
              for (long long d = 0; d < 10; ++d) {
                const long long code = low + (base + d - first.back());
                if (code >= low && code <= high && wrong(code, at(code))) return true;
              }
            }
          }
          i += 2;
        } else if (tokens[i + 2] == "[") {
          std::size_t j = i + 3;
          for (long long code = low; j < tokens.size() && tokens[j] != "]"; ++j, ++code) {
            if (tokens[j][0] == '<' && wrong(code, cmap_units(tokens[j]))) return true;
          }
          i = j;
        }
      }
    }
    return false;
  }
  // The codes an encoding CMap's cidchar and cidrange sections give the CIDs of `digit_cids`
  // (CID → digit): code → digit.
  static std::map<long long, long long> codes_of_cids(const std::vector<std::string>& tokens, const std::map<long long, long long>& digit_cids) {
    std::map<long long, long long> codes;
    enum { kNone, kChar, kRange } section = kNone;
    const auto number = [](const std::string& t) -> long long {
      if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) return -1;
      return std::stoll(t);
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "begincidchar") section = kChar;
      else if (t == "begincidrange") section = kRange;
      else if (t == "endcidchar" || t == "endcidrange") section = kNone;
      if (section == kChar && t[0] == '<' && i + 1 < tokens.size()) {
        const long long code = cmap_code(t), cid = number(tokens[i + 1]);
        if (const auto digit = digit_cids.find(cid); code >= 0 && digit != digit_cids.end()) codes[code] = digit->second;
        ++i;
      } else if (section == kRange && t[0] == '<' && i + 2 < tokens.size()) {
        const long long low = cmap_code(t), high = cmap_code(tokens[i + 1]), first = number(tokens[i + 2]);
        if (low >= 0 && high >= low && first >= 0) {
          for (auto digit = digit_cids.lower_bound(first); digit != digit_cids.end() && digit->first <= first + (high - low); ++digit) {
            codes[low + (digit->first - first)] = digit->second;
          }
        }
        i += 2;
      }
    }
    return codes;
  }

  // Whether marked content's properties (a dictionary, or a name in /Properties) give an /ActualText.
  bool replaces_text(QPDFObjectHandle properties) {
    QPDFObjectHandle resolved = properties.isName() ? resource("/Properties", properties.getName()) : properties;
    return resolved.isDictionary() && resolved.hasKey("/ActualText");
  }

  // Whether marked content tagged `tag` with `properties` (a name in /Properties, or a
  // dictionary) is optional content that may be hidden: poppler hides content under any tag that
  // starts with "OC"; properties that are a group or membership dictionary (/OCG, /OCMD) are
  // taken as a layer whatever the tag, as another reader may.
  bool marks_a_layer(QPDFObjectHandle tag, QPDFObjectHandle properties) {
    QPDFObjectHandle resolved = properties.isName() ? resource("/Properties", properties.getName()) : properties;
    const bool oc_tag = tag.isName() && tag.getName().rfind("/OC", 0) == 0;
    const bool group = resolved.isDictionary() && (resolved.getKey("/Type").isNameAndEquals("/OCG") || resolved.getKey("/Type").isNameAndEquals("/OCMD"));
    return (oc_tag || group) && layer_may_hide(resolved);
  }

  void xobject(const std::string& name) {
    QPDFObjectHandle x = resource("/XObject", name);
    if (!x.isStream()) return;
    // An image or a form can be optional content of its own (/OC in its dictionary).
    const bool layer = x.getDict().hasKey("/OC") && layer_may_hide(x.getDict().getKey("/OC"));
    hidden_layers_ += layer ? 1 : 0;
    drawn_xobject(x);
    hidden_layers_ -= layer ? 1 : 0;
  }
  void drawn_xobject(QPDFObjectHandle x) {
    QPDFObjectHandle subtype = x.getDict().getKey("/Subtype");
    if (subtype.isNameAndEquals("/Image")) {
      picture(x.getDict().getKey("/Width"), x.getDict().getKey("/Height"));
      // Its own mask — a soft mask (/SMask) or a stencil (/Mask as a stream; as an array it keys
      // colours out and is no picture) — is a picture of its own pixels drawn in the same square:
      // judged for its size like the image, and read on its own (masks_): a white image whose
      // text is in its mask shows the text on a dark page and nothing on a white one.
      for (const char* key : {"/SMask", "/Mask"}) {
        QPDFObjectHandle mask = x.getDict().getKey(key);
        if (!mask.isStream()) continue;
        picture(mask.getDict().getKey("/Width"), mask.getDict().getKey("/Height"));
        if (legible(mask.getDict().getKey("/Width"), mask.getDict().getKey("/Height"))) masks_.try_emplace(mask.getObjGen(), Mask{mask, key == std::string("/SMask")});
      }
      QPDFObjectHandle alternates = x.getDict().getKey("/Alternates");
      for (QPDFObjectHandle& alternate : alternates.isArray() ? alternates.getArrayAsVector() : std::vector<QPDFObjectHandle>{}) {
        QPDFObjectHandle image = alternate.isDictionary() ? alternate.getKey("/Image") : QPDFObjectHandle::newNull();
        if (image.isStream() && legible(image.getDict().getKey("/Width"), image.getDict().getKey("/Height"))) {
          masks_.try_emplace(image.getObjGen(), Mask{image, false, "alternate"});
        }
      }
    }
    if (!subtype.isNameAndEquals("/Form")) return;
    // What the form draws, in its own space, comes out through its /Matrix and the CTM here.
    if (const Drawn* inside = drawn_by(x, x.getDict().getKey("/Resources"), "form XObject " + std::to_string(x.getObjectID()))) add(*inside, placed(x, ctm_));
  }

  // A colour set to a tiling pattern (PatternType 1, a stream) fills with its cell, which draws like a
  // form: pictures in it are on the page. Its /Matrix maps the cell to the space of the stream that
  // names the pattern, whatever the CTM at the fill (ISO 32000-1 8.7.3.1): Matrix{} is that space. A
  // shading pattern (a dictionary), like `sh`, paints colours from functions and draws no picture.
  void pattern(const std::string& name) {
    QPDFObjectHandle p = resource("/Pattern", name);
    if (p.isDictionary() && meshes(p.getKey("/Shading"))) drawn_.meshed = true;
    if (!p.isStream()) return;
    // Its cell repeats over what it fills: its pictures are anywhere.
    if (const Drawn* inside = drawn_by(p, p.getDict().getKey("/Resources"), "pattern " + name + " (object " + std::to_string(p.getObjectID()) + ")")) add(*inside, placed(p, Matrix{}), true);
  }

  // Whether a shading (a dictionary, or a stream for types 4–7) is a mesh: free-form or lattice
  // triangles, Coons or tensor patches. A type that is not a number is taken as one.
  static bool meshes(QPDFObjectHandle shading) {
    QPDFObjectHandle dict = shading.isStream() ? shading.getDict() : shading;
    if (!dict.isDictionary()) return false;
    QPDFObjectHandle type = dict.getKey("/ShadingType");
    return !type.isInteger() || type.getIntValue() >= 4;
  }

  // A graphics state can bring a soft mask, whose group (a form) is drawn at the CTM where `gs` sets
  // it: a picture in it shows through what it masks. It can set a font too (/Font [font size]).
  void graphics_state(const std::string& name) {
    QPDFObjectHandle state = resource("/ExtGState", name);
    if (!state.isDictionary()) return;
    QPDFObjectHandle mask = state.getKey("/SMask");
    QPDFObjectHandle group = mask.isDictionary() ? mask.getKey("/G") : QPDFObjectHandle::newNull();
    if (group.isStream()) {
      if (const Drawn* inside = drawn_by(group, group.getDict().getKey("/Resources"), "the soft mask of graphics state " + name)) add(*inside, placed(group, ctm_));
    }
    if (QPDFObjectHandle width = state.getKey("/LW"); width.isNumber()) line_width_ = width.getNumericValue();
    if (QPDFObjectHandle cap = state.getKey("/LC"); cap.isInteger()) line_cap_ = cap.getIntValue();
    QPDFObjectHandle set_font = state.getKey("/Font");
    if (set_font.isArray() && set_font.getArrayNItems() == 2) {
      text_.glyphs = font(set_font.getArrayItem(0), "the font of graphics state " + name);
      judge_font(set_font.getArrayItem(0));
      text_.vertical = writes_vertically(set_font.getArrayItem(0));
      text_.digit_codes = digit_codes(set_font.getArrayItem(0));
      text_.font_matrix = set_font.getArrayItem(0).isDictionary() ? set_font.getArrayItem(0).getKey("/FontMatrix") : QPDFObjectHandle::newNull();
      text_.size = set_font.getArrayItem(1).isNumber() ? set_font.getArrayItem(1).getNumericValue() : std::nan("");
    }
  }

  // A Type 3 font draws each glyph with a content stream of its own (/CharProcs): what its glyphs
  // draw, all of them together (which ones a string shows is not followed), in glyph space — a
  // picture among them is drawn wherever its text is shown (glyphs_shown()). `name` says which
  // font, for the person the page is held for ("font /F1"). Null for any other font. The verdict
  // on a font (an indirect object) is kept in `forms_` beside the forms: a font of a hundred
  // thousand glyphs shown on every page is looked into once; a glyph that cannot be read holds
  // the page where the font is set.
  std::optional<Drawn> font(QPDFObjectHandle f, const std::string& name) {
    if (!f.isDictionary() || !f.getKey("/Subtype").isNameAndEquals("/Type3")) return std::nullopt;
    if (const auto seen = fonts_.find(name); seen != fonts_.end()) return seen->second;
    QPDFObjectHandle inner = f.getKey("/Resources");
    // No form is keyed by a null resources object (a form's key holds its own, its page's or the
    // form's number), so a font's key is its own.
    std::vector<QPDFObjGen> chain = chain_;
    if (inner.isDictionary()) chain.insert(chain.begin(), QPDFObjGen());
    const FormKey key{f.getObjGen(), chain};
    Drawn verdict;
    if (const auto known = forms_.find(key); f.isIndirect() && known != forms_.end()) {
      verdict = known->second;
    } else {
      QPDFObjectHandle procs = f.getKey("/CharProcs");
      auto type3 = std::make_shared<Drawn::Type3Glyphs>();
      type3->names = type3_glyph_names(f);
      for (auto& [glyph, proc] : procs.isDictionary() ? procs.getDictAsMap() : std::map<std::string, QPDFObjectHandle>{}) {
        if (!proc.isStream()) continue;
        const Drawn* inside = drawn_by(proc, inner, "glyph " + glyph + " of the Type 3 " + name);
        if (inside == nullptr || inside->unknown) {
          verdict.unknown = true;
          verdict.why_unknown = inside == nullptr ? drawn_.why_unknown : inside->why_unknown;
          break;
        }
        verdict.images += inside->images;
        verdict.legible += inside->legible;
        verdict.least = std::min(verdict.least, inside->least);
        for (const auto& [size, count] : inside->outlines) verdict.outlines[size] += count;
        if (!inside->outlines.empty()) type3->outlines[glyph] = inside->outlines;
        // A glyph's picture or text in a layer that may be hidden is where its text is shown.
        if (verdict.unshown.empty()) verdict.unshown = inside->unshown;
        verdict.text_in_layer = verdict.text_in_layer || inside->text_in_layer;
        verdict.meshed = verdict.meshed || inside->meshed;
      }
      verdict.text = false;  // its glyphs are text pdftotext reads, or pictures: counted as those
      verdict.type3 = std::move(type3);
      if (f.isIndirect()) forms_[key] = verdict;
    }
    if (verdict.unknown) unknown(verdict.why_unknown);
    verdict.why_unknown = name;  // which font, should its pictures be drawn where they are not shown
    fonts_[name] = verdict;
    return verdict;
  }

  // Text shown in a Type 3 font whose glyphs draw pictures: those pictures on the page, through the
  // glyph space's /FontMatrix, the font size and horizontal scaling, the text matrix and the CTM
  // (ISO 32000-1 9.4.4), as poppler draws a glyph. Text rendered invisible (Tr 3) or only as a
  // clip (Tr 7) draws them nowhere the rendered page shows: the page is held.
  void glyphs_shown(std::vector<QPDFObjectHandle>& operands) {
    if (!text_.glyphs || (text_.glyphs->images == 0 && text_.glyphs->unshown.empty() && !text_.glyphs->text_in_layer && text_.glyphs->outlines.empty())) return;
    const Drawn& glyphs = *text_.glyphs;
    if (drawn_.unshown.empty()) drawn_.unshown = glyphs.unshown;
    drawn_.text_in_layer = drawn_.text_in_layer || glyphs.text_in_layer;
    if (text_.render == 3 || text_.render == 7 || text_.render < 0) {
      drawn_.images += glyphs.images;
      drawn_.legible += glyphs.legible;
      if (glyphs.legible > 0 && drawn_.unshown.empty()) {
        drawn_.unshown = "the Type 3 " + glyphs.why_unknown + " draws pictures as glyphs of text rendered invisible or as a clip (Tr " + std::to_string(text_.render) +
                         "), which the page rendered for OCR does not show";
      }
      return;
    }
    QPDFObjectHandle own = text_.font_matrix;
    std::optional<Matrix> placement = matrix_of(own.isArray() ? own.getArrayAsVector() : std::vector<QPDFObjectHandle>{});
    if (placement && tm_ && std::isfinite(text_.size) && std::isfinite(text_.scale)) {
      placement = placement->then(Matrix{text_.size * text_.scale, 0, 0, text_.size, 0, 0}).then(*tm_).then(ctm_);
    } else {
      placement.reset();
    }
    Drawn placed = glyphs;
    placed.unknown = false;  // said where the font was set
    // Each byte shown a glyph (a Type 3 font's codes are bytes), counted with the shapes of the glyph
    // its code names, at their own sizes: a glyph never shown, however large, sizes none of them. A
    // code the /Encoding names no glyph for counts once at each size the font's glyphs have (which
    // glyph a reader takes for it is not followed); a name with no /CharProcs draws nothing, in
    // poppler as here. Text rendered invisibly (Tr 3, 7) paints none.
    placed.outlines.clear();
    placed.outline_spots.clear();
    if (!glyphs.outlines.empty() && text_.render != 3 && text_.render != 7) {
      int finest = std::numeric_limits<int>::max();
      const auto count = [&](int size, std::size_t n) {
        placed.outlines[size] += n;
        finest = std::min(finest, size);
      };
      static const Drawn::Type3Glyphs kNone;
      const Drawn::Type3Glyphs& type3 = glyphs.type3 ? *glyphs.type3 : kNone;
      // How often each code is shown first: a long string costs a pass over its bytes, not one over
      // the font's sizes a byte.
      std::array<std::size_t, 256> times{};
      for (unsigned char code : shown_codes(operands)) ++times[code];
      for (std::size_t code = 0; code < times.size(); ++code) {
        if (times[code] == 0) continue;
        const auto name = type3.names.find(static_cast<long long>(code));
        if (name == type3.names.end()) {
          for (const auto& [size, n] : glyphs.outlines) count(size, times[code]);
          continue;
        }
        const auto own = type3.outlines.find(name->second);
        if (own == type3.outlines.end()) continue;
        for (const auto& [size, n] : own->second) count(size, n * times[code]);
      }
      std::size_t total = 0;
      for (const auto& [size, n] : placed.outlines) total += n;
      if (finest != std::numeric_limits<int>::max()) placed.outline_spots.push_back({0, 0, 0, 0, outline_low(finest) / kOutlineGlyphPixels, true, total});
    }
    placed.lines_across = placed.lines_down = false;  // the text's own, counted where it is shown
    add(placed, placement, true);  // where the text moves to (Td, TJ's offsets) is not followed
  }

  // What `x` (a form, a pattern's cell, a soft mask's group, an appearance, a glyph) draws in its own
  // space, with `inner` as its resources or, without any, the ones it is drawn with. Read once for
  // each pair (`forms_`, shared by all pages): a form drawn on a thousand pages is parsed once. Null
  // when nested too deep (the page is then held).
  const Drawn* drawn_by(QPDFObjectHandle x, QPDFObjectHandle inner, const std::string& what) {
    if (depth_ > kMostNested) {  // not followed: what it shows is not known
      unknown("forms, patterns, masks or glyphs nested deeper than " + std::to_string(kMostNested));
      return nullptr;
    }
    const bool own = inner.isDictionary();
    // A form that draws itself (however deep) adds nothing the second time, as poppler draws it.
    static const Drawn kNothing;
    if (std::find(drawing_.begin(), drawing_.end(), x.getObjGen()) != drawing_.end()) return &kNothing;
    std::vector<QPDFObjGen> chain = chain_;
    if (own) chain.insert(chain.begin(), inner.isIndirect() ? inner.getObjGen() : x.getObjGen());
    const FormKey key{x.getObjGen(), chain};
    if (forms_.try_emplace(key).second) {  // an empty entry while it is read
      Drawn inside;
      DrawnCounter counter(pdf_, ctx_, own ? inner : resources_, own ? x.getObjGen() : owner_, inside, forms_, masks_, judgements_, depth_ + 1);
      counter.drawn_by_this(*this, own, x.getObjGen());
      Result<void> counted = ok();
      try {
        counted = counter.count({x}, what);
      } catch (const std::exception& e) {
        counted = blocked("malformed", what, e.what());
      }
      if (!counted && reason_of(counted.error()) == "limit") {
        over_ = std::move(counted).error();
        throw std::length_error("the PDF decodes beyond the budget");
      }
      if (!counted) {  // every page that draws it shows what is not known
        inside = Drawn{};
        inside.unknown = true;
        inside.why_unknown = what + ": " + counted.error().message;
      }
      forms_[key] = inside;
    }
    return &forms_[key];
  }

  // Adds what a stream draws in its own space, placed here through `placement` (none: a placement
  // that is not a matrix of finite numbers, which leaves its pictures' size unknown); `anywhere`:
  // where on the page it comes out is not known.
  void add(const Drawn& inside, std::optional<Matrix> placement, bool anywhere = false) {
    if (inside.unknown) unknown(inside.why_unknown);
    // A form is read once, without the text state it is drawn in: text it shows in a font it
    // inherits — a Type 3 font of pictures set here — is not followed.
    if (inside.text && text_.glyphs && text_.glyphs->images > 0) {
      unknown("text drawn by a form in the Type 3 " + text_.glyphs->why_unknown + " it inherits, whose glyphs are pictures of a size not followed there");
    }
    if (drawn_.unshown.empty()) drawn_.unshown = inside.unshown;
    if (hidden_layers_ > 0 && inside.legible > 0) in_hidden_layer();
    drawn_.text_in_layer = drawn_.text_in_layer || inside.text_in_layer || (hidden_layers_ > 0 && inside.text);
    drawn_.text = drawn_.text || inside.text;
    drawn_.text_bytes += inside.text_bytes;
    drawn_.text_replaced = drawn_.text_replaced || inside.text_replaced;
    drawn_.sheet_fonts.insert(inside.sheet_fonts.begin(), inside.sheet_fonts.end());
    // A form is read once, without the font it is drawn with: its text in a font judged by the
    // sheet, or one that misreads, is read by OCR of the page; in none, it is the caller's caller's.
    if (inside.text_fontless) {
      if (text_.sheet_font || text_.misread) drawn_.text_replaced = true;
      else if (!text_.font_set) drawn_.text_fontless = true;
    }
    drawn_.meshed = drawn_.meshed || inside.meshed;
    drawn_.images += inside.images;
    drawn_.legible += inside.legible;
    add_outlines(inside, placement, anywhere);
    if (inside.legible == 0) return;
    const double stretch = placement ? placement->least_stretch() : 0;
    const double least = inside.least == 0 || stretch == 0 ? 0.0 : inside.least * stretch;
    drawn_.least = std::min(drawn_.least, least);
    // Its pictures where they come out here; with none known (a font's glyphs are judged together),
    // all of them anywhere at the finest size.
    if (anywhere || !placement || inside.spots.empty()) {
      drawn_.add_spot({0, 0, 0, 0, least, true});
      return;
    }
    for (const Spot& spot : inside.spots) {
      Spot here = spot.anywhere ? spot : placement->box_of(spot.x0, spot.y0, spot.x1, spot.y1);
      here.anywhere = here.anywhere || spot.anywhere;
      here.least = spot.least == 0 || stretch == 0 ? 0.0 : spot.least * stretch;
      drawn_.add_spot(here);
    }
  }

  // The outlines and lines of text a stream draws in its own space, placed here: each size grown by
  // as little and as much as the placement stretches a length, and counted as glyph-sized here when
  // that span reaches kLeastCellSide (there is no most: a poster's digits are glyphs); with no
  // placement known, as glyph-sized. Their boxes as picture spots are, and the bands of the lines
  // of typed digits.
  void add_outlines(const Drawn& inside, std::optional<Matrix> placement, bool anywhere) {
    const double least = placement ? placement->least_stretch() : 0, most = placement ? placement->most_stretch() : 0;
    for (const auto& [size, count] : inside.outlines) {
      const double low = outline_low(size) * least, high = outline_high(size) * most;
      const bool known = least > 0 && most > 0;
      const double here = !known ? 4 * kLeastCellSide : high < kLeastCellSide ? high : std::max(low, kLeastCellSide);
      drawn_.outlines[outline_size(here)] += count;
    }
    for (const Spot& spot : inside.outline_spots) {
      Spot here = anywhere || !placement || spot.anywhere ? Spot{0, 0, 0, 0, 0, true, 0} : placement->box_of(spot.x0, spot.y0, spot.x1, spot.y1);
      here.least = least > 0 ? spot.least * least : 0;
      here.glyphs = spot.glyphs;
      Drawn::add_spot_to(drawn_.outline_spots, here);
    }
    for (const Spot& line : inside.digit_lines) {
      Spot here = anywhere || !placement || line.anywhere ? Spot{0, 0, 0, 0, 0, true, 0} : placement->box_of(line.x0, line.y0, line.x1, line.y1);
      here.least = line.least * least;
      Drawn::add_spot_to(drawn_.digit_lines, here);
    }
    if (!placement) {
      drawn_.lines_across = drawn_.lines_across || inside.lines_across || inside.lines_down;
      drawn_.lines_down = drawn_.lines_down || inside.lines_across || inside.lines_down;
      return;
    }
    const bool across_stays = std::abs(placement->a) >= std::abs(placement->b), down_stays = std::abs(placement->d) >= std::abs(placement->c);
    drawn_.lines_across = drawn_.lines_across || (inside.lines_across && across_stays) || (inside.lines_down && !down_stays);
    drawn_.lines_down = drawn_.lines_down || (inside.lines_down && down_stays) || (inside.lines_across && !across_stays);
  }

  // A stream's own /Matrix (absent: none), then `at`.
  static std::optional<Matrix> placed(QPDFObjectHandle x, const Matrix& at) {
    QPDFObjectHandle own = x.getDict().getKey("/Matrix");
    if (own.isNull()) return at;
    std::optional<Matrix> m = matrix_of(own.isArray() ? own.getArrayAsVector() : std::vector<QPDFObjectHandle>{});
    return m ? std::optional<Matrix>(m->then(at)) : std::nullopt;
  }

  // An appearance's placement on the page: its /BBox through its /Matrix, the bounding box of that
  // fitted to the annotation's /Rect (ISO 32000-1 12.5.5, algorithm 8.1). None when a box is missing
  // or flat.
  static std::optional<Matrix> fitted(QPDFObjectHandle form, QPDFObjectHandle rect) {
    std::optional<Matrix> own = placed(form, Matrix{});
    QPDFObjectHandle box = form.getDict().getKey("/BBox");
    if (!own || !box.isRectangle() || !rect.isRectangle()) return std::nullopt;
    const QPDFObjectHandle::Rectangle b = box.getArrayAsRectangle(), r = rect.getArrayAsRectangle();
    double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
    for (const auto& [x, y] : {std::pair{b.llx, b.lly}, std::pair{b.llx, b.ury}, std::pair{b.urx, b.lly}, std::pair{b.urx, b.ury}}) {
      const double tx = own->a * x + own->c * y + own->e, ty = own->b * x + own->d * y + own->f;
      x0 = std::min(x0, tx), x1 = std::max(x1, tx), y0 = std::min(y0, ty), y1 = std::max(y1, ty);
    }
    const double sx = std::abs(r.urx - r.llx) / (x1 - x0), sy = std::abs(r.ury - r.lly) / (y1 - y0);
    if (!std::isfinite(sx) || !std::isfinite(sy) || sx == 0 || sy == 0) return std::nullopt;
    return own->then(Matrix{sx, 0, 0, sy, std::min(r.llx, r.urx) - x0 * sx, std::min(r.lly, r.ury) - y0 * sy});
  }

  static std::optional<Matrix> matrix_of(std::vector<QPDFObjectHandle> numbers) {
    if (numbers.size() != 6) return std::nullopt;
    double v[6];
    for (std::size_t i = 0; i < 6; ++i) {
      if (!numbers[i].isNumber()) return std::nullopt;
      v[i] = numbers[i].getNumericValue();
      if (!std::isfinite(v[i])) return std::nullopt;
    }
    return Matrix{v[0], v[1], v[2], v[3], v[4], v[5]};
  }
  // Path construction and painting (ISO 32000-1 8.5): each segment of the path through the CTM (a
  // curve by its control points: its box holds it), and at a painting operator its ink measured for
  // glyphs (glyph_cells(), Drawn::outlines) — filled, stroked (each piece grown by half the line
  // width, and a zero-length subpath a dot where the cap is round or square), or both. A clipping
  // path counts as filled: what paints through it (a page-sized fill, `sh`, an image) shows it.
  void path_operator(const std::string& op, std::vector<QPDFObjectHandle>& operands) {
    const auto numbers = [&](std::size_t n) {
      if (operands.size() != n) return false;
      for (auto& o : operands) {
        if (!o.isNumber()) return false;
      }
      return true;
    };
    const auto at = [&](std::size_t i) { return operands[i].getNumericValue(); };
    if (op == "m" && numbers(2)) {
      start_ = current_ = on_page(at(0), at(1));
    } else if (op == "l" && numbers(2) && current_) {
      const Point to = on_page(at(0), at(1));
      piece({*current_, to});
      current_ = to;
    } else if ((op == "c" && numbers(6)) || ((op == "v" || op == "y") && numbers(4))) {
      if (!current_) return;
      std::vector<Point> points{*current_};
      for (std::size_t i = 0; i + 1 < operands.size(); i += 2) points.push_back(on_page(at(i), at(i + 1)));
      piece(points);
      current_ = points.back();
    } else if (op == "h" && current_ && start_) {
      piece({*current_, *start_});
      current_ = start_;
    } else if (op == "W" || op == "W*") {
      clipping_ = true;
    } else if (op == "re" && numbers(4)) {
      const Point a = on_page(at(0), at(1)), b = on_page(at(0) + at(2), at(1)), c = on_page(at(0) + at(2), at(1) + at(3)), d = on_page(at(0), at(1) + at(3));
      piece({a, b}), piece({b, c}), piece({c, d}), piece({d, a});
      start_ = current_ = a;
    } else if (op == "f" || op == "F" || op == "f*" || op == "S" || op == "s" || op == "B" || op == "B*" || op == "b" || op == "b*" || op == "n") {
      if ((op == "s" || op == "b" || op == "b*") && current_ && start_) piece({*current_, *start_});
      const bool fills = op != "S" && op != "s" && op != "n", strokes = op == "S" || op == "s" || op == "B" || op == "B*" || op == "b" || op == "b*";
      // A clip that is one upright rectangle (text or a picture cropped to a box) shows no shape of
      // its own: what paints through it is judged as it is.
      if (fills || strokes || (clipping_ && !one_rectangle(path_))) painted(strokes);
      path_.clear();
      path_overflows_ = clipping_ = false;
      current_.reset();
      start_.reset();
    }
  }
  using Point = std::pair<double, double>;
  Point on_page(double x, double y) const { return {ctm_.a * x + ctm_.c * y + ctm_.e, ctm_.b * x + ctm_.d * y + ctm_.f}; }
  // A segment of the path (a curve's control polygon): its box and length in the stream's space.
  void piece(const std::vector<Point>& points) {
    if (path_.size() >= kMostInkPieces) {
      path_overflows_ = true;
      return;
    }
    Ink ink{points[0].first, points[0].second, points[0].first, points[0].second, 0};
    for (std::size_t i = 1; i < points.size(); ++i) {
      ink.x0 = std::min(ink.x0, points[i].first), ink.y0 = std::min(ink.y0, points[i].second);
      ink.x1 = std::max(ink.x1, points[i].first), ink.y1 = std::max(ink.y1, points[i].second);
      ink.outline += std::hypot(points[i].first - points[i - 1].first, points[i].second - points[i - 1].second);
    }
    if (std::isfinite(ink.x0) && std::isfinite(ink.y0) && std::isfinite(ink.x1) && std::isfinite(ink.y1) && std::isfinite(ink.outline)) path_.push_back(ink);
  }
  // Whether a path is one rectangle upright on the page: pieces across or up it on its box's edges.
  static bool one_rectangle(const std::vector<Ink>& pieces) {
    if (pieces.empty() || pieces.size() > 5) return false;
    double x0 = pieces[0].x0, y0 = pieces[0].y0, x1 = pieces[0].x1, y1 = pieces[0].y1;
    for (const Ink& p : pieces) x0 = std::min(x0, p.x0), y0 = std::min(y0, p.y0), x1 = std::max(x1, p.x1), y1 = std::max(y1, p.y1);
    return std::all_of(pieces.begin(), pieces.end(), [&](const Ink& p) {
      return (p.y0 == p.y1 && (p.y0 == y0 || p.y0 == y1)) || (p.x0 == p.x1 && (p.x0 == x0 || p.x0 == x1));
    });
  }
  // A path's pieces with those drawn twice (the edge two cells of a table share) once, and the
  // straight pieces across or up the page that run on one another (a rule drawn cell by cell, the
  // sides of a table's rows) one piece each: the ink a reader sees.
  static std::vector<Ink> one_by_one(std::vector<Ink> pieces) {
    std::vector<Ink> out, across, up;
    for (const Ink& p : pieces) {
      const bool flat = p.y0 == p.y1 && p.outline == p.x1 - p.x0, upright = p.x0 == p.x1 && p.outline == p.y1 - p.y0;
      (p.outline > 0 && flat ? across : p.outline > 0 && upright ? up : out).push_back(p);
    }
    const auto as_tuple = [](const Ink& p) { return std::tie(p.x0, p.y0, p.x1, p.y1, p.outline); };
    std::sort(out.begin(), out.end(), [&](const Ink& a, const Ink& b) { return as_tuple(a) < as_tuple(b); });
    out.erase(std::unique(out.begin(), out.end(), [&](const Ink& a, const Ink& b) { return as_tuple(a) == as_tuple(b); }), out.end());
    // Runs along one line: sorted by the line, then where they start; each joins the last when it starts before that ends.
    for (const bool is_up : {false, true}) {
      std::vector<Ink>& runs = is_up ? up : across;
      const auto line = [&](const Ink& p) { return is_up ? p.x0 : p.y0; };
      const auto from = [&](const Ink& p) { return is_up ? p.y0 : p.x0; };
      const auto to = [&](const Ink& p) { return is_up ? p.y1 : p.x1; };
      std::sort(runs.begin(), runs.end(), [&](const Ink& a, const Ink& b) { return std::pair(line(a), from(a)) < std::pair(line(b), from(b)); });
      std::size_t first = out.size();
      for (const Ink& p : runs) {
        if (out.size() > first && line(out.back()) == line(p) && from(p) <= to(out.back())) {
          Ink& last = out.back();
          (is_up ? last.y1 : last.x1) = std::max(to(last), to(p));
          last.outline = to(last) - from(last);
          continue;
        }
        out.push_back(p);
      }
    }
    return out;
  }
  // The path painted: its ink as filled (pieces as they are) or stroked (each grown by half the line
  // width through the CTM, its outline both sides and its width; one of no length a dot where the
  // cap is round or square), measured for glyphs.
  void painted(bool strokes) {
    const double half = strokes && std::isfinite(line_width_) ? std::max(0.0, line_width_) * ctm_.most_stretch() / 2 : 0;
    std::vector<Ink> ink;
    ink.reserve(path_.size());
    for (const Ink& p : one_by_one(path_)) {
      if (p.outline == 0) {
        // Butt caps paint nothing of a zero-length subpath (a form's cap is its caller's: not known, taken as round).
        if (!strokes || line_cap_ == 0 || !(half > 0)) continue;
        ink.push_back({p.x0 - half, p.y0 - half, p.x1 + half, p.y1 + half, (line_cap_ == 2 ? 8 : 2 * kPi) * half});
        continue;
      }
      ink.push_back({p.x0 - half, p.y0 - half, p.x1 + half, p.y1 + half, strokes ? 2 * p.outline + 2 * half : p.outline});
    }
    const GlyphCells cells = path_overflows_ ? GlyphCells{0, kLeastOutlinedGlyphs, {}, true} : glyph_cells(ink);
    if (cells.count == 0) return;
    if (cells.unmeasured) {
      drawn_.outlines[outline_size(4 * kLeastCellSide)] += cells.count;
      Drawn::add_spot_to(drawn_.outline_spots, {0, 0, 0, 0, kLeastCellSide / kOutlineGlyphPixels, true, cells.count});
      return;
    }
    drawn_.outlines[outline_size(cells.side)] += cells.count;
    for (const Spot& row : cells.rows) Drawn::add_spot_to(drawn_.outline_spots, row);
  }

  // The codes of a font that read as digits: a simple font's (Type 1, TrueType) whose glyphs are
  // digits (simple_digits()); a composite font's of two-byte codes (Identity-H or -V) that its
  // /ToUnicode reads as text with a digit in it, as pdftotext reads them (its glyphs, should they
  // be digits read otherwise, make the page read by OCR: to_unicode_misreads()). Null when not
  // known — a Type 3 font, a composite font of another encoding or with no /ToUnicode that can be
  // read whole —: any code may read a digit. Kept for each font object read here (`digit_fonts_`).
  std::shared_ptr<const DigitCodes> digit_codes(QPDFObjectHandle f) {
    if (!f.isDictionary()) return nullptr;
    if (f.isIndirect()) {
      if (const auto known = digit_fonts_.find(f.getObjGen()); known != digit_fonts_.end()) return known->second;
    }
    std::shared_ptr<DigitCodes> codes;
    QPDFObjectHandle subtype = f.getKey("/Subtype"), encoding = f.getKey("/Encoding"), to_unicode = f.getKey("/ToUnicode");
    if (subtype.isNameAndEquals("/Type1") || subtype.isNameAndEquals("/MMType1") || subtype.isNameAndEquals("/TrueType")) {
      codes = std::make_shared<DigitCodes>();
      for (const auto& [code, digit] : simple_digits(f)) codes->ranges.emplace_back(code, code);
    } else if (subtype.isNameAndEquals("/Type0") && (encoding.isNameAndEquals("/Identity-H") || encoding.isNameAndEquals("/Identity-V")) && to_unicode.isStream()) {
      const std::optional<std::string> cmap = decoded_or_none(to_unicode, "the /ToUnicode CMap of a font");
      const std::vector<std::string> tokens = cmap ? cmap_tokens(*cmap) : std::vector<std::string>{};
      if (cmap && tokens.size() < kMostCMapTokens) {
        codes = std::make_shared<DigitCodes>();
        codes->two_bytes = true;
        if (!codes_read_as_digits(tokens, codes->ranges)) codes.reset();
      }
    }
    if (codes) std::sort(codes->ranges.begin(), codes->ranges.end());
    if (f.isIndirect()) digit_fonts_[f.getObjGen()] = codes;
    return codes;
  }
  // The codes a /ToUnicode's bfchar and bfrange sections read as text with a digit in it, as ranges
  // of codes (a range whose destination has a digit before its last unit is one whole); false when
  // it cannot be followed (a range that runs backwards, more than kMostDigitRanges ranges).
  static constexpr std::size_t kMostDigitRanges = 4096;
  static bool codes_read_as_digits(const std::vector<std::string>& tokens, std::vector<std::pair<long long, long long>>& ranges) {
    const auto digits_in = [](const std::vector<long long>& units) { return std::any_of(units.begin(), units.end(), is_digit_unit); };
    enum { kNone, kChar, kRange } section = kNone;
    for (std::size_t i = 0; i < tokens.size() && ranges.size() <= kMostDigitRanges; ++i) {
      const std::string& t = tokens[i];
      if (t == "beginbfchar") section = kChar;
      else if (t == "beginbfrange") section = kRange;
      else if (t == "endbfchar" || t == "endbfrange") section = kNone;
      if (section == kChar && t[0] == '<' && i + 1 < tokens.size() && tokens[i + 1][0] == '<') {
        if (digits_in(cmap_units(tokens[i + 1]))) ranges.emplace_back(cmap_code(t), cmap_code(t));
        ++i;
      } else if (section == kRange && t[0] == '<' && i + 2 < tokens.size() && tokens[i + 1][0] == '<') {
        const long long low = cmap_code(t), high = cmap_code(tokens[i + 1]);
        if (low < 0 || high < low) return false;
        if (tokens[i + 2][0] == '<') {
          const std::vector<long long> first = cmap_units(tokens[i + 2]);
          if (first.empty()) return false;
          if (digits_in(std::vector<long long>(first.begin(), first.end() - 1))) {
            ranges.emplace_back(low, high);
          } else {
            for (const long long base : {0x30LL, 0xFF10LL}) {
              for (long long d = 0; d < 10; ++d) {
                const long long code = low + (base + d - first.back());
                if (code >= low && code <= high) ranges.emplace_back(code, code);
              }
            }
          }
          i += 2;
        } else if (tokens[i + 2] == "[") {
          std::size_t j = i + 3;
          for (long long code = low; j < tokens.size() && tokens[j] != "]"; ++j, ++code) {
            if (tokens[j][0] == '<' && digits_in(cmap_units(tokens[j]))) ranges.emplace_back(code, code);
          }
          i = j;
        }
      }
    }
    return ranges.size() <= kMostDigitRanges;
  }
  // Text shown that may hold digits: the band of its line (Drawn::digit_lines), the line's whole
  // length — where the text ends is not followed —, from below the baseline to above the em.
  void digits_shown(std::vector<QPDFObjectHandle>& operands) {
    if (text_.digit_codes) {
      const DigitCodes& digits = *text_.digit_codes;
      const std::string codes = shown_codes(operands);
      const auto reads_a_digit = [&](long long code) {
        const auto after = std::upper_bound(digits.ranges.begin(), digits.ranges.end(), std::pair{code, std::numeric_limits<long long>::max()});
        return after != digits.ranges.begin() && std::prev(after)->second >= code;
      };
      bool any = false;
      const std::size_t width = digits.two_bytes ? 2 : 1;
      for (std::size_t i = 0; i + width <= codes.size() && !any; i += width) {
        const long long code = width == 2 ? static_cast<unsigned char>(codes[i]) << 8 | static_cast<unsigned char>(codes[i + 1]) : static_cast<unsigned char>(codes[i]);
        any = reads_a_digit(code);
      }
      if (!any) return;
    }
    const double size = std::abs(text_.size), along = 1e5 + 1e4 * size;
    if (!line_ || !std::isfinite(size)) {
      Drawn::add_spot_to(drawn_.digit_lines, {0, 0, 0, 0, 0, true, 0});
      return;
    }
    const Matrix m = line_->then(ctm_);
    Spot band = text_.vertical ? m.box_of(-0.6 * size, -along, 0.6 * size, along) : m.box_of(-along, -0.35 * size, along, 1.1 * size);
    band.least = size * m.least_stretch();  // the text's size here: 0 when not known
    Drawn::add_spot_to(drawn_.digit_lines, band);
  }

  // Which way the lines of text shown here run: the text matrix's x axis through the CTM (a
  // vertical font's y axis), across the page or down it; both when the text matrix is not known.
  void lines_shown() {
    if (!tm_) {
      drawn_.lines_across = drawn_.lines_down = true;
      return;
    }
    const Matrix m = tm_->then(ctm_);
    const double dx = text_.vertical ? m.c : m.a, dy = text_.vertical ? m.d : m.b;
    if (std::abs(dx) >= std::abs(dy)) drawn_.lines_across = true;
    else drawn_.lines_down = true;
  }
  static std::size_t shown_bytes(std::vector<QPDFObjectHandle>& operands) {
    std::size_t bytes = 0;
    for (QPDFObjectHandle& shown : operands) {
      if (shown.isString()) bytes += shown.getStringValue().size();
      for (QPDFObjectHandle& item : shown.isArray() ? shown.getArrayAsVector() : std::vector<QPDFObjectHandle>{}) {
        if (item.isString()) bytes += item.getStringValue().size();
      }
    }
    return bytes;
  }
  // The bytes a text-showing operator shows, in order (a Type 3 font's codes).
  static std::string shown_codes(std::vector<QPDFObjectHandle>& operands) {
    std::string codes;
    for (QPDFObjectHandle& shown : operands) {
      if (shown.isString()) codes += shown.getStringValue();
      for (QPDFObjectHandle& item : shown.isArray() ? shown.getArrayAsVector() : std::vector<QPDFObjectHandle>{}) {
        if (item.isString()) codes += item.getStringValue();
      }
    }
    return codes;
  }
  // A Type 3 font's codes and the glyph names its /Encoding's /Differences gives them. A code it
  // leaves to a base encoding is not named here: glyphs_shown() counts it at every size.
  static std::map<long long, std::string> type3_glyph_names(QPDFObjectHandle f) {
    std::map<long long, std::string> names;
    QPDFObjectHandle encoding = f.getKey("/Encoding");
    QPDFObjectHandle differences = encoding.isDictionary() ? encoding.getKey("/Differences") : QPDFObjectHandle::newNull();
    long long code = 0;
    for (QPDFObjectHandle& item : differences.isArray() ? differences.getArrayAsVector() : std::vector<QPDFObjectHandle>{}) {
      if (item.isInteger()) {
        code = item.getIntValue();
        continue;
      }
      if (!item.isName() || code < 0 || code > 255) continue;
      names[code++] = item.getName();
    }
    return names;
  }

  void picture(QPDFObjectHandle width, QPDFObjectHandle height) {
    ++drawn_.images;
    if (!legible(width, height)) return;
    ++drawn_.legible;
    const double size = drawn_size(ctm_, width, height);
    drawn_.least = std::min(drawn_.least, size);
    Spot spot = ctm_.box_of(0, 0, 1, 1);
    spot.least = size;
    drawn_.add_spot(spot);
    if (hidden_layers_ > 0) in_hidden_layer();
  }
  // A legible picture in optional content a reader may not show: pdftoppm draws the layers as the
  // document's default configuration sets them, so a picture in one that is off (or may be turned
  // off or on) is not what OCR of the page reads, while the recipient can switch it on.
  void in_hidden_layer() {
    if (drawn_.unshown.empty()) {
      drawn_.unshown = "a picture in optional content (/OC: a layer that is off, or may be turned off or on, in a reader) is not on the page rendered for OCR";
    }
  }

  // Whether optional content `oc` (a group, or a membership dictionary of groups) may be hidden
  // on the rendered page or in a reader: anything but a group the document's default
  // configuration shows unconditionally — base state on (or none), the group not in its /OFF
  // list, no automatic states (/AS: by print or view usage). A membership dictionary (/OCMD: any
  // off, all off, an expression) or an /OC that is no group counts as one that may hide.
  bool layer_may_hide(QPDFObjectHandle oc) {
    if (!oc.isDictionary() || !oc.getKey("/Type").isNameAndEquals("/OCG")) return true;
    QPDFObjectHandle properties = pdf_.getRoot().getKey("/OCProperties");
    QPDFObjectHandle config = properties.isDictionary() ? properties.getKey("/D") : QPDFObjectHandle::newNull();
    if (!config.isDictionary()) return true;
    QPDFObjectHandle base = config.getKey("/BaseState");
    if ((!base.isNull() && !base.isNameAndEquals("/ON")) || config.hasKey("/AS")) return true;
    QPDFObjectHandle off = config.getKey("/OFF");
    if (!off.isArray()) return false;
    for (QPDFObjectHandle& group : off.getArrayAsVector()) {
      if (group.getObjGen() == oc.getObjGen()) return true;
    }
    return false;
  }
  void unknown(const std::string& why) {
    if (!drawn_.unknown) drawn_.why_unknown = why;
    drawn_.unknown = true;
  }

  // A counter for a stream this one draws: its names looked up, past its own resources (if it has
  // any), in this one's; `stream` is on the list of those being drawn.
  void drawn_by_this(const DrawnCounter& caller, bool own, QPDFObjGen stream) {
    callers_ = caller.callers_;
    chain_ = caller.chain_;
    if (own) {
      callers_.insert(callers_.begin(), caller.resources_);
      chain_.insert(chain_.begin(), owner_);
    }
    drawing_ = caller.drawing_;
    drawing_.push_back(stream);
  }

  QPDF& pdf_;
  const Context& ctx_;
  QPDFObjectHandle resources_;
  QPDFObjGen owner_;
  std::vector<QPDFObjectHandle> callers_;  // the resources of the streams that draw this one, nearest first
  std::vector<QPDFObjGen> chain_{owner_};  // what holds resources_, then each of callers_: a form's key
  std::vector<QPDFObjGen> drawing_;        // the streams being drawn, the page's outermost
  Drawn& drawn_;
  std::map<FormKey, Drawn>& forms_;
  Masks& masks_;
  FontJudgements& judgements_;
  int depth_;
  std::optional<Error> over_;
  std::map<std::string, Drawn> fonts_;  // Type 3 fonts this stream has looked into, by name
  std::map<QPDFObjGen, std::shared_ptr<const DigitCodes>> digit_fonts_;  // digit_codes() of the fonts read here, by object
  std::vector<QPDFObjectHandle> operands_;
  Matrix ctm_;
  // The text state poppler keeps in its graphics state (q and Q save and restore it).
  struct TextState {
    std::optional<Drawn> glyphs;  // a Type 3 font's: what its glyphs draw
    QPDFObjectHandle font_matrix = QPDFObjectHandle::newNull();
    double size = 0, scale = 1;
    long long render = 0;
    bool misread = false;  // a font whose /ToUnicode reads a digit's glyph as another character, or another glyph as a digit
    bool font_set = false;  // a Tf (or a graphics state's /Font) in this stream: a form's text without one is in its caller's font
    std::optional<QPDFObjGen> sheet_font;  // a font judged by the glyph sheet (judged_by_sheet()): its codes are gathered
    bool vertical = false;  // a composite font of vertical writing (WMode 1): lines run down its y axis
    double leading = 0;     // TL: how far T*, ' and " move down a line
    // The codes of the font set that read as digits (digit_codes()); null when not known: any code may.
    std::shared_ptr<const DigitCodes> digit_codes;
  };
  struct SavedState {
    Matrix ctm;
    TextState text;
    double line_width;
    long long line_cap;
  };
  TextState text_;
  std::optional<Matrix> tm_ = Matrix{};
  std::optional<Matrix> line_ = Matrix{};  // the text line matrix (Tm, moved by Td, TD, T*, ' and "): where the line shown runs
  double line_width_ = 1;
  long long line_cap_ = depth_ == 0 ? 0 : 1;  // a form's, glyph's or pattern's is its caller's: not known, taken as round
  std::vector<Ink> path_;  // the path being built, a piece a segment
  bool path_overflows_ = false;  // more than kMostInkPieces segments
  std::optional<Point> current_, start_;  // the current point and the start of its subpath
  bool clipping_ = false;  // a W or W* since the last painting operator: the path clips
  std::vector<SavedState> saved_;
  std::vector<bool> marked_;     // open marked content, innermost last: whether it is a layer that may hide
  std::vector<bool> replacing_;  // beside marked_: whether it gives the text it marks an /ActualText
  std::size_t replaced_text_ = 0;  // how many of those are open
  std::size_t hidden_layers_ = 0;  // how many of those (and optional XObjects being drawn) are open
  bool inline_dict_ = false;
  std::string inline_key_;
  QPDFObjectHandle inline_width_ = QPDFObjectHandle::newNull(), inline_height_ = QPDFObjectHandle::newNull();
  std::map<std::string, QPDFObjectHandle> inline_entries_;  // the inline image's dictionary, by key as written (/W, /Width)
};

// The resolution a legible picture drawn at `least` units a pixel needs to come out at
// kLeastPdfPictureScale of its own pixels (at least × dpi / 72 pixels a pixel), kPdfPageDpi at the
// least — a scanner's 600 dpi page is rendered at 300 dpi. Infinity for a size not known.
double dpi_needed(double least) {
  if (!(least > 0)) return std::numeric_limits<double>::infinity();
  double dpi = std::max<double>(kPdfPageDpi, std::ceil(kLeastPdfPictureScale * 72 / least));
  if (least * dpi / 72 < kLeastPdfPictureScale) ++dpi;  // rounded under the scale
  return dpi;
}

// How far along a line of text a number reaches: twelve digits and their spaces at 24 pt are some
// 190 pt. A region of a picture on a page with typed text reaches this much further along its lines.
constexpr double kLineReach = 216;

// A box on the page (default user space) and the dpi what is in it needs.
struct Area {
  double x0, y0, x1, y1;
  double dpi;
};

// Where a box of the page comes out in pdftoppm's picture of it at `dpi`: pixels from its top left,
// after /Rotate (clockwise, as poppler turns the page) — the MediaBox's corner (llx, ury) is the
// top left of an unturned page. Whole pixels that hold the box, within the page.
struct PixelBox {
  double x0, y0, x1, y1;
};
PdfRegion pixels_of(const Area& area, const QPDFObjectHandle::Rectangle& media, long long rotate) {
  const double s = area.dpi / 72;
  PixelBox p{};
  double width = (media.urx - media.llx) * s, height = (media.ury - media.lly) * s;
  if (rotate == 0) p = {(area.x0 - media.llx) * s, (media.ury - area.y1) * s, (area.x1 - media.llx) * s, (media.ury - area.y0) * s};
  if (rotate == 90) p = {(area.y0 - media.lly) * s, (area.x0 - media.llx) * s, (area.y1 - media.lly) * s, (area.x1 - media.llx) * s};
  if (rotate == 180) p = {(media.urx - area.x1) * s, (area.y0 - media.lly) * s, (media.urx - area.x0) * s, (area.y1 - media.lly) * s};
  if (rotate == 270) p = {(media.ury - area.y1) * s, (media.urx - area.x1) * s, (media.ury - area.y0) * s, (media.urx - area.x0) * s};
  if (rotate == 90 || rotate == 270) std::swap(width, height);
  // pdftoppm makes a page of so many whole pixels: a part ends there, a pixel short of its edge at most.
  const double page_width = std::floor(width), page_height = std::floor(height);
  const double x0 = std::clamp(std::floor(p.x0), 0.0, page_width), y0 = std::clamp(std::floor(p.y0), 0.0, page_height);
  const double x1 = std::clamp(std::ceil(p.x1), 0.0, page_width), y1 = std::clamp(std::ceil(p.y1), 0.0, page_height);
  return {static_cast<std::uint32_t>(x0), static_cast<std::uint32_t>(y0), static_cast<std::uint32_t>(x1 - x0), static_cast<std::uint32_t>(y1 - y0),
          static_cast<std::uint32_t>(page_width), static_cast<std::uint32_t>(page_height)};
}

// A region cut into the fewest strips of at most kMostPdfPagePixels each, one above the other, each
// the region's full width, overlapping by kPdfTileOverlap; none (held) when more than
// kMostPdfPageParts would be needed. Only strips: a line of text runs across the page, and the
// overlap holds whole a line up to an inch high on a seam along it. A seam across a line (tiles
// side by side) cuts a number longer than the overlap — twelve digits at 12 pt are some 92 pt —
// so that no tile reads it whole, and the page would pass (review25b H4).
std::vector<PdfRegion> tiles_of(const PdfRegion& region, double dpi) {
  if (static_cast<double>(region.width) * region.height <= kMostPdfPagePixels) return {region};
  const double overlap = std::ceil(kPdfTileOverlap * dpi / 72);
  for (std::size_t count = 2; count <= kMostPdfPageParts; ++count) {
    // Strips of one height, the last ending at the region's bottom; each starts `overlap` before the
    // previous one ends. One as high as the region (it is lower than the overlap) cuts nothing.
    const double each = std::ceil((region.height + (count - 1) * overlap) / count);
    if (each >= region.height || static_cast<double>(region.width) * each > kMostPdfPagePixels) continue;
    std::vector<PdfRegion> strips;
    for (std::size_t i = 0; i < count; ++i) {
      PdfRegion strip = region;
      strip.y = region.y + static_cast<std::uint32_t>(std::max(0.0, std::min(static_cast<double>(i) * (each - overlap), region.height - each)));
      strip.height = static_cast<std::uint32_t>(each);
      strips.push_back(strip);
    }
    return strips;
  }
  return {};
}

// How a page of pictures is rendered for OCR (pdf_page_picture()), or why it cannot be read so.
// Whole, at the least dpi at which every legible picture comes out at kLeastPdfPictureScale of its
// own pixels (a card's number shrunk to a few pixels reads as nothing, and the PDF would pass),
// when the page fits in kMostPdfPagePixels at it (pdftoppm renders the MediaBox). A larger page —
// an A1 drawing with a 1200 dpi stamp — in parts (PdfRegion): the regions of its pictures that
// need more than the page fits at, each at its own dpi, cut into strips past the budget, and the page whole
// at the dpi the rest need if it fits. Held: a picture whose size is not known, one that needs more
// than kMostPdfPageDpi, a page of no size, or one that would take more than kMostPdfPageParts parts.
// A page's drawing with its glyph-like cells (Drawn::outlines, in page space; glyph-sized when
// kLeastCellSide or more across times `unit`, the page's /UserUnit, as a reader shows it) counted
// as pictures when there are kLeastOutlinedGlyphs of them or more — each a legible picture, where
// they were painted, at the size the smallest line of them needs (kOutlineGlyphPixels a cell): the
// least size an octave of sizes from which holds kLeastOutlinedGlyphs cells, or the least of all
// when no octave does —, or when any lies on a line of typed digits (a number half typed and half
// drawn: any count above one or two could be met by typing the rest), those on such lines. Fewer
// elsewhere (a logo, a few bullets) leave it as it was. pdftoppm renders the page in its user
// space, /UserUnit or not: the sizes pictures are rendered at are those.
// A drawn digit beside typed ones: its row of cells at least half the text's size (a bullet, a
// circle a third of it, is none), its cells no more than twice it.
constexpr double kLeastDrawnToText = 0.5, kMostCellToText = 2;
Drawn with_outlines(const Drawn& drawn, double unit) {
  const double floor = kLeastCellSide / unit;
  std::size_t count = 0;
  double smallest = std::numeric_limits<double>::infinity(), line = smallest;
  for (auto at = drawn.outlines.begin(); at != drawn.outlines.end(); ++at) {
    const auto& [size, n] = *at;
    if (outline_high(size) < floor) continue;
    count += n;
    smallest = std::min(smallest, std::max(outline_low(size), floor));
    std::size_t octave = 0;
    for (auto in = at; in != drawn.outlines.end() && in->first < size + 4; ++in) octave += in->second;
    if (octave >= kLeastOutlinedGlyphs) line = std::min(line, std::max(outline_low(size), floor));
  }
  if (count == 0) return drawn;
  std::vector<Spot> read;
  for (const Spot& spot : drawn.outline_spots) {
    if (spot.glyphs == 0 || (spot.least > 0 && spot.least * kOutlineGlyphPixels * 1.2 < floor)) continue;  // specks only
    // On a line of typed digits, and of a size a digit beside them could be (a calendar's boxes around
    // its dates, a table's cells, are larger; a list's bullets smaller).
    const double side = spot.least * kOutlineGlyphPixels;
    const bool on_a_line = std::any_of(drawn.digit_lines.begin(), drawn.digit_lines.end(), [&](const Spot& band) {
      const double extent = std::max(spot.x1 - spot.x0, spot.y1 - spot.y0);
      const bool sized = !(band.least > 0) || !(side > 0) || spot.anywhere || (extent >= kLeastDrawnToText * band.least && side <= kMostCellToText * band.least);
      return sized && (band.anywhere || spot.anywhere || !(spot.x1 < band.x0 || band.x1 < spot.x0 || spot.y1 < band.y0 || band.y1 < spot.y0));
    });
    if (count >= kLeastOutlinedGlyphs || on_a_line) read.push_back(spot);
  }
  if (read.empty() && count < kLeastOutlinedGlyphs) return drawn;
  if (std::isfinite(line)) smallest = line;
  Drawn judged = drawn;
  const double least = smallest / kOutlineGlyphPixels;
  judged.legible += count;
  judged.least = std::min(judged.least, least);
  for (Spot spot : read) {
    if (spot.least > 0) spot.least = std::max(spot.least, least);
    judged.least = std::min(judged.least, spot.least);  // 0, a size not known, holds the page
    judged.add_spot(spot);
  }
  if (read.empty()) judged.add_spot({0, 0, 0, 0, least, true, 0});
  return judged;
}

struct PageRendering {
  std::vector<PdfPage> parts;
  std::string why_not;  // "" when it is rendered as `parts` say
};
PageRendering rendering_of(QPDFPageObjectHelper& page, const Drawn& drawn, std::uint32_t number) {
  if (drawn.legible > 0 && drawn.least == 0) return {{}, "a picture's size in pixels or on the page is not known"};
  const double dpi = drawn.legible > 0 ? dpi_needed(drawn.least) : kPdfPageDpi;
  const std::string shrunk = drawn.legible > 0 && dpi > kPdfPageDpi ? "a picture is drawn at " + std::to_string(static_cast<long long>(drawn.least * kPdfPageDpi / 72 * 100)) +
                                                                          " % of its pixels at " + std::to_string(kPdfPageDpi) + " dpi; "
                                                                    : "";
  if (!(dpi <= kMostPdfPageDpi)) {
    return {{}, shrunk + "read at " + std::to_string(static_cast<int>(kLeastPdfPictureScale * 100)) + " % it would need more than the " + std::to_string(kMostPdfPageDpi) +
                    " dpi a page is rendered at"};
  }
  QPDFObjectHandle box = page.getAttribute("/MediaBox", false);
  if (!box.isRectangle()) return {{}, "the page's size (MediaBox) is not known"};
  const QPDFObjectHandle::Rectangle r = box.getArrayAsRectangle();
  const QPDFObjectHandle::Rectangle media{std::min(r.llx, r.urx), std::min(r.lly, r.ury), std::max(r.llx, r.urx), std::max(r.lly, r.ury)};
  const double width = media.urx - media.llx, height = media.ury - media.lly, pixels = width * dpi / 72 * height * dpi / 72;
  if (std::isfinite(pixels) && pixels <= kMostPdfPagePixels) return {{{number, static_cast<std::uint32_t>(dpi)}}, ""};
  const std::string too_large = shrunk + "the page (" + std::to_string(static_cast<long long>(width)) + " × " + std::to_string(static_cast<long long>(height)) +
                                " pt) is larger at " + std::to_string(static_cast<long long>(dpi)) + " dpi than the " +
                                std::to_string(static_cast<long long>(kMostPdfPagePixels)) + " pixels a page is rendered in for OCR";
  if (!std::isfinite(pixels) || !(width > 0) || !(height > 0) || width > 14400 || height > 14400) return {{}, too_large};
  // In parts: where each region lands in pdftoppm's picture depends on how poppler turns the page.
  QPDFObjectHandle rotate = page.getAttribute("/Rotate", false);
  if (!rotate.isNull() && !rotate.isInteger()) return {{}, too_large + "; its /Rotate is not a whole number, so its parts cannot be placed"};
  const long long turned = rotate.isInteger() ? ((rotate.getIntValue() % 360) + 360) % 360 : 0;
  if (turned % 90 != 0) return {{}, too_large + "; its /Rotate is not a quarter turn, so its parts cannot be placed"};
  // The whole page, at the most it fits at, reads the pictures that need no more; the others, and
  // all on a page too large even at kPdfPageDpi, in regions of their own.
  const double fits = std::floor(72 * std::sqrt(kMostPdfPagePixels / (width * height)));
  double whole = 0;
  std::vector<Area> areas;
  std::vector<Spot> spots = drawn.spots;
  if (spots.empty()) spots.push_back({0, 0, 0, 0, drawn.least, true});  // pictures whose place was not kept: anywhere
  for (const Spot& spot : spots) {
    const double needs = dpi_needed(spot.least);
    if (fits >= kPdfPageDpi && needs <= fits) {
      whole = std::max(whole, needs);
      continue;
    }
    Area area = spot.anywhere ? Area{media.llx, media.lly, media.urx, media.ury, needs}
                              : Area{std::max(media.llx, spot.x0 - kPdfRegionMargin), std::max(media.lly, spot.y0 - kPdfRegionMargin),
                                     std::min(media.urx, spot.x1 + kPdfRegionMargin), std::min(media.ury, spot.y1 + kPdfRegionMargin), needs};
    if (area.x0 >= area.x1 || area.y0 >= area.y1) continue;  // off the page: neither pdftoppm nor a reader shows it
    // On a page with typed text, a region reaches kLineReach further along its lines, each way: a
    // number half typed beside a picture and half in it is read whole (review M1) — a region of the
    // picture alone reads half a number, and the text half pdftotext reads is no number either.
    if (drawn.lines_across) area.x0 = std::max(media.llx, area.x0 - kLineReach), area.x1 = std::min(media.urx, area.x1 + kLineReach);
    if (drawn.lines_down) area.y0 = std::max(media.lly, area.y0 - kLineReach), area.y1 = std::min(media.ury, area.y1 + kLineReach);
    areas.push_back(area);
  }
  // Regions that overlap are read as one, at the finer dpi: a number across two pictures is whole.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t i = 0; i < areas.size() && !merged; ++i) {
      for (std::size_t j = i + 1; j < areas.size() && !merged; ++j) {
        Area& a = areas[i];
        const Area& b = areas[j];
        if (a.x0 > b.x1 || b.x0 > a.x1 || a.y0 > b.y1 || b.y0 > a.y1) continue;
        a = {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1), std::max(a.dpi, b.dpi)};
        areas.erase(areas.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
      }
    }
  }
  PageRendering rendering;
  if (fits >= kPdfPageDpi) rendering.parts.push_back({number, static_cast<std::uint32_t>(std::max<double>(whole, kPdfPageDpi))});  // the page as a reader sees it
  for (const Area& area : areas) {
    const PdfRegion region = pixels_of(area, media, turned);
    if (region.width == 0 || region.height == 0) continue;
    const std::vector<PdfRegion> tiles = tiles_of(region, area.dpi);
    if (tiles.empty() || rendering.parts.size() + tiles.size() > kMostPdfPageParts) {
      return {{}, too_large + "; read in parts, its pictures' regions would take more than the " + std::to_string(kMostPdfPageParts) + " parts of up to " +
                      std::to_string(static_cast<long long>(kMostPdfPagePixels)) + " pixels a page is read in"};
    }
    for (const PdfRegion& tile : tiles) rendering.parts.push_back({number, static_cast<std::uint32_t>(area.dpi), tile});
  }
  if (rendering.parts.empty()) return {{}, too_large + "; none of its pictures is on the page, to be read in a part of it"};
  return rendering;
}

QPDFObjectHandle picture_copy(QPDF& out, const Mask& mask);
// An image's /Width or /Height (an integer: legible() took it so).
long long pixels(QPDFObjectHandle image, const char* key) { return image.getDict().getKey(key).getIntValue(); }

// A mask as a PDF of its own for OCR: one page that draws it as a grey picture — a soft mask's
// opaque parts dark on light, a stencil's painted parts black — at half its pixels at
// kPdfPageDpi, as a page is judged. Its data is copied as it is, filters and all (JBIG2, CCITT,
// DCT): poppler decodes it when the page is rendered, nothing here. Throws as qpdf does.
std::string mask_as_pdf(const Mask& mask) {
  QPDF out;
  out.emptyPDF();
  const QPDFObjectHandle image = picture_copy(out, mask);
  constexpr double kUnitsPerPixel = kLeastPdfPictureScale * 72 / kPdfPageDpi;
  QPDFObjectHandle width = QPDFObjectHandle::newReal(static_cast<double>(pixels(mask.stream, "/Width")) * kUnitsPerPixel, 2);
  QPDFObjectHandle height = QPDFObjectHandle::newReal(static_cast<double>(pixels(mask.stream, "/Height")) * kUnitsPerPixel, 2);
  add_picture_page(out, image, width.unparse(), height.unparse());
  return written_plain(out);  // the data as it came: a bomb is not expanded here
}

// Page thumbnails a sheet holds at most, and the largest side of one put on a sheet (a thumbnail
// is some 106 pixels; a larger picture is read on its own, as a mask is).
constexpr std::size_t kMostThumbnailsASheet = 64;
constexpr std::size_t kMostThumbnailSheets = 4;
constexpr long long kMostSheetThumbnailSide = 256;

// Thumbnails as a PDF of one page, a sheet that draws them in a grid, each at half its pixels at
// kPdfPageDpi as mask_as_pdf() draws one: a document's thumbnails are read by one OCR pass, not
// one each. Throws as qpdf does.
std::string thumbnails_as_pdf(const std::vector<Mask>& thumbnails) {
  QPDF out;
  out.emptyPDF();
  constexpr double kUnitsPerPixel = kLeastPdfPictureScale * 72 / kPdfPageDpi, kGap = 4;
  const auto columns = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(thumbnails.size()))));
  const double cell = static_cast<double>(kMostSheetThumbnailSide) * kUnitsPerPixel + kGap;
  const std::size_t rows = (thumbnails.size() + columns - 1) / columns;
  std::string content;
  QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
  for (std::size_t i = 0; i < thumbnails.size(); ++i) {
    const QPDFObjectHandle image = picture_copy(out, thumbnails[i]);
    const std::string name = "/Im" + std::to_string(i);
    xobjects.replaceKey(name, image);
    const double w = static_cast<double>(pixels(thumbnails[i].stream, "/Width")) * kUnitsPerPixel;
    const double h = static_cast<double>(pixels(thumbnails[i].stream, "/Height")) * kUnitsPerPixel;
    const double x = static_cast<double>(i % columns) * cell + kGap, y = static_cast<double>(rows - 1 - i / columns) * cell + kGap;
    content += "q " + QPDFObjectHandle::newReal(w, 2).unparse() + " 0 0 " + QPDFObjectHandle::newReal(h, 2).unparse() + " " + QPDFObjectHandle::newReal(x, 2).unparse() +
               " " + QPDFObjectHandle::newReal(y, 2).unparse() + " cm " + name + " Do Q\n";
  }
  QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
  resources.replaceKey("/XObject", xobjects);
  QPDFObjectHandle page = QPDFObjectHandle::newDictionary();
  page.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
  page.replaceKey("/MediaBox", QPDFObjectHandle::newArray({QPDFObjectHandle::newInteger(0), QPDFObjectHandle::newInteger(0),
                                                           QPDFObjectHandle::newReal(static_cast<double>(columns) * cell + kGap, 2),
                                                           QPDFObjectHandle::newReal(static_cast<double>(rows) * cell + kGap, 2)}));
  page.replaceKey("/Resources", resources);
  page.replaceKey("/Contents", QPDFObjectHandle::newStream(&out, content));
  QPDFPageDocumentHelper(out).addPage(out.makeIndirectObject(page), false);
  return written_plain(out);
}

// A mask, thumbnail or alternate copied into `out` as a picture of its own (an image XObject):
// a soft mask's opaque parts dark on light, a stencil's painted parts black, the others in their
// own colours. Its data is copied as it is, filters and all.
QPDFObjectHandle picture_copy(QPDF& out, const Mask& mask) {
  QPDFObjectHandle image = out.copyForeignObject(mask.stream);
  QPDFObjectHandle from = image.getDict();
  // A new dictionary of what the picture needs: the mask's own /SMask, /Mask, /Matte or optional
  // content (/OC, which could hide it) are not carried over.
  QPDFObjectHandle dict = QPDFObjectHandle::newDictionary();
  for (const char* key : {"/Width", "/Height", "/Filter", "/DecodeParms"}) {
    if (from.hasKey(key)) dict.replaceKey(key, from.getKey(key));
  }
  dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
  dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
  QPDFObjectHandle decode = from.getKey("/Decode");
  const bool pair = decode.isArray() && decode.getArrayNItems() == 2;
  const bool stencil = from.getKey("/ImageMask").isBool() && from.getKey("/ImageMask").getBoolValue();
  if (mask.kind != "mask" && !stencil) {
    // A thumbnail or an alternate: the picture in its own colours.
    for (const char* key : {"/ColorSpace", "/BitsPerComponent", "/Decode"}) {
      if (from.hasKey(key)) dict.replaceKey(key, from.getKey(key));
    }
  } else if (mask.soft) {
    dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceGray"));
    // Opacity 1 is what the image shows through: drawn dark, as print on paper.
    dict.replaceKey("/BitsPerComponent", from.getKey("/BitsPerComponent"));
    dict.replaceKey("/Decode", pair ? QPDFObjectHandle::newArray({decode.getArrayItem(1), decode.getArrayItem(0)})
                                    : QPDFObjectHandle::newArray({QPDFObjectHandle::newInteger(1), QPDFObjectHandle::newInteger(0)}));
  } else {
    // A stencil's sample 0 (with its /Decode) is painted: as a grey picture of one bit, black.
    dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceGray"));
    dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(1));
    if (pair) dict.replaceKey("/Decode", decode);
  }
  image.replaceDict(dict);
  return image;
}

// A page that shows text in a font judged by the glyph sheet, as OCR would read it: its parts, or
// why it cannot be read so.
struct SheetPage {
  std::vector<PdfPage> parts;
  std::string why_not;
};

// A glyph sheet's layout, in points: each code drawn three times a kSheetEm apart (its own
// positions, not the font's widths, which could move a copy into another cell), kSheetGap between
// cells, a line of cells kSheetLine apart; kSheetColumns cells a line. Tesseract reads a code
// drawn alone badly (an 'a' as '2'), three of it as a word ("aaa"). At kPdfPageDpi a 14-point em
// is 39 pixels, a digit some 28 high.
constexpr double kSheetEm = 14, kSheetGap = 1.5 * kSheetEm, kSheetCell = 3 * kSheetEm + kSheetGap, kSheetLine = 2 * kSheetEm, kSheetMargin = 2 * kSheetEm;
constexpr std::size_t kSheetColumns = 10;
// Cells a sheet holds (one OCR pass takes some 10 s for 100), and sheets a PDF: past them, the
// pages of the fonts left over are read by OCR as those of a font that misreads.
constexpr std::size_t kMostGlyphCellsASheet = 160;
constexpr std::size_t kMostGlyphSheets = 4;

// UTF-16 units as UTF-8 (a surrogate pair joined; a lone surrogate as U+FFFD).
std::string utf8_of_units(const std::vector<long long>& units) {
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    long long c = units[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (c < 0 || c > 0xFFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      c = 0xFFFD;
    }
    append_utf8(out, static_cast<char32_t>(c));
  }
  return out;
}

// One sheet of `cells` (font index, code) drawn in the fonts of `fonts` (copied into it), with
// each cell's place in pixels at kPdfPageDpi. Throws as qpdf does.
std::string glyph_sheet_pdf(const std::vector<const SheetFont*>& fonts, const std::vector<std::pair<std::size_t, long long>>& cells,
                            std::vector<std::pair<std::uint32_t, std::uint32_t>>& places) {
  QPDF out;
  out.emptyPDF();
  const std::size_t lines = (cells.size() + kSheetColumns - 1) / kSheetColumns;
  const double width = 2 * kSheetMargin + static_cast<double>(kSheetColumns) * kSheetCell, height = 2 * kSheetMargin + static_cast<double>(lines) * kSheetLine;
  QPDFObjectHandle font_resources = QPDFObjectHandle::newDictionary();
  for (std::size_t i = 0; i < fonts.size(); ++i) font_resources.replaceKey("/G" + std::to_string(i), out.copyForeignObject(fonts[i]->font));
  const auto number = [](double v) { return QPDFObjectHandle::newReal(v, 2).unparse(); };
  std::string content = "0 g\n";
  constexpr double kScale = static_cast<double>(kPdfPageDpi) / 72;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const auto [font, code] = cells[i];
    const double left = kSheetMargin + static_cast<double>(i % kSheetColumns) * kSheetCell, top = kSheetMargin + static_cast<double>(i / kSheetColumns) * kSheetLine;
    places.emplace_back(static_cast<std::uint32_t>(left * kScale), static_cast<std::uint32_t>(top * kScale));
    char hex[8];
    std::snprintf(hex, sizeof hex, "<%04llX>", code & 0xFFFF);
    for (int copy = 0; copy < 3; ++copy) {
      // A vertical font's glyph hangs below its origin, centred on it.
      const double x = left + kSheetGap / 2 + copy * kSheetEm + (fonts[font]->vertical ? kSheetEm / 2 : 0);
      const double y = height - top - (fonts[font]->vertical ? 0.3 : 1.4) * kSheetEm;
      content += "BT /G" + std::to_string(font) + " " + number(kSheetEm) + " Tf 0 Tr " + number(x) + " " + number(y) + " Td " + hex + " Tj ET\n";
    }
  }
  QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
  resources.replaceKey("/Font", font_resources);
  QPDFObjectHandle page = QPDFObjectHandle::newDictionary();
  page.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
  page.replaceKey("/MediaBox", QPDFObjectHandle::newArray({QPDFObjectHandle::newInteger(0), QPDFObjectHandle::newInteger(0), QPDFObjectHandle::newReal(width, 2),
                                                           QPDFObjectHandle::newReal(height, 2)}));
  page.replaceKey("/Resources", resources);
  page.replaceKey("/Contents", QPDFObjectHandle::newStream(&out, content));
  QPDFPageDocumentHelper(out).addPage(out.makeIndirectObject(page), false);
  return written_plain(out);
}

// The glyph sheets of `fonts` (judged_by_sheet()), kMostGlyphCellsASheet codes a sheet, into
// `sheets`; each cell with pdftotext's reading of its code (the font's /ToUnicode). The pages of
// the fonts the sheets do not hold (past kMostSheetCodesAFont codes, past kMostGlyphSheets, a font
// that cannot be copied) are returned: they are read by OCR as those of a font that misreads.
Result<std::set<std::uint32_t>> glyph_sheets(const std::map<QPDFObjGen, SheetFont>& fonts, const std::map<std::uint32_t, SheetPage>& pages, const Context& ctx,
                                            std::vector<GlyphSheet>& sheets) {
  std::set<std::uint32_t> left_over;
  std::vector<const SheetFont*> on_sheet;
  std::vector<GlyphFont> sheet_fonts;
  std::vector<std::pair<std::size_t, std::size_t>> cells;  // font on the sheet, its cell
  const auto finish = [&]() {
    if (cells.empty()) return;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> places;
    std::vector<std::pair<std::size_t, long long>> codes;
    for (const auto& [font, cell] : cells) codes.emplace_back(font, sheet_fonts[font].cells[cell].code);
    GlyphSheet sheet;
    try {
      sheet.pdf = glyph_sheet_pdf(on_sheet, codes, places);
    } catch (const std::exception&) {
      for (const SheetFont* font : on_sheet) left_over.insert(font->pages.begin(), font->pages.end());
      on_sheet.clear(), sheet_fonts.clear(), cells.clear();
      return;
    }
    constexpr double kScale = static_cast<double>(kPdfPageDpi) / 72;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      GlyphCell& cell = sheet_fonts[cells[i].first].cells[cells[i].second];
      cell.x = places[i].first, cell.y = places[i].second;
      cell.width = static_cast<std::uint32_t>(kSheetCell * kScale), cell.height = static_cast<std::uint32_t>(kSheetLine * kScale);
    }
    sheet.fonts = std::move(sheet_fonts);
    sheets.push_back(std::move(sheet));
    on_sheet.clear(), sheet_fonts.clear(), cells.clear();
  };
  for (const auto& [id, font] : fonts) {
    if (font.codes.empty()) continue;
    if (font.too_many || sheets.size() >= kMostGlyphSheets) {
      left_over.insert(font.pages.begin(), font.pages.end());
      continue;
    }
    // pdftotext's reading of each code: its /ToUnicode's, none known without one (poppler guesses).
    QPDFObjectHandle dict = font.font;  // qpdf's accessors are not const
    std::optional<std::map<long long, std::vector<long long>>> read;
    if (QPDFObjectHandle to_unicode = dict.getKey("/ToUnicode"); to_unicode.isStream()) {
      Result<std::string> cmap = decoded(to_unicode, ctx, "the /ToUnicode CMap of a font");
      if (!cmap && reason_of(cmap.error()) == "limit") return std::move(cmap).error();
      if (cmap) read = DrawnCounter::unicode_of_codes(*cmap, font.codes);
    }
    GlyphFont described;
    described.name = "font " + std::to_string(id.getObj()) + (dict.getKey("/BaseFont").isName() ? " (" + dict.getKey("/BaseFont").getName().substr(1, 60) + ")" : "");
    for (const std::uint32_t number : font.pages) {
      const auto page = pages.find(number);
      if (page == pages.end()) continue;
      if (!page->second.why_not.empty()) {
        if (described.unrenderable.empty()) described.unrenderable = "page " + std::to_string(number) + ": " + page->second.why_not;
        continue;
      }
      described.pages.insert(described.pages.end(), page->second.parts.begin(), page->second.parts.end());
    }
    for (const long long code : font.codes) {
      if (cells.size() >= kMostGlyphCellsASheet) {  // a font of many codes goes on to the next sheet
        finish();
        if (sheets.size() >= kMostGlyphSheets) {
          left_over.insert(font.pages.begin(), font.pages.end());
          break;
        }
      }
      if (on_sheet.empty() || on_sheet.back() != &font) {
        on_sheet.push_back(&font);
        GlyphFont copy = described;
        copy.cells.clear();
        sheet_fonts.push_back(std::move(copy));
      }
      GlyphCell cell;
      cell.code = code;
      if (read) {
        if (const auto unicode = read->find(code); unicode != read->end()) {
          cell.read_known = true;
          cell.read = utf8_of_units(unicode->second);
        }
      }
      cells.emplace_back(sheet_fonts.size() - 1, sheet_fonts.back().cells.size());
      sheet_fonts.back().cells.push_back(std::move(cell));
    }
  }
  finish();
  return left_over;
}

}  // namespace

Result<ReadContent> pdf_content(std::string_view bytes, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("document") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  QPDF pdf;
  SANSO_TRY(open_pdf(pdf, bytes, where));
  ReadContent content;
  std::string& out = content.text;
  try {
    // Every object, reachable or not: the information dictionary (an indirect object, or direct in
    // the trailer), form fields (/T, /TU, /V, /Opt), annotations (/Contents, /T, /Subj) and the
    // XMP metadata streams, whichever object holds them. A string anywhere is text a reader may show.
    if (QPDFObjectHandle info = pdf.getTrailer().getKey("/Info"); info.isDictionary() && !info.isIndirect()) strings_of(info, out, 0);
    // Embedded files: the streams file specifications (/EF: the /EmbeddedFiles name tree, attachment
    // annotations, /AF) point to, named by the specification, and any stream typed /EmbeddedFile.
    std::map<QPDFObjGen, std::string> files;
    std::vector<QPDFObjectHandle> objects = pdf.getAllObjects();
    for (QPDFObjectHandle& obj : objects) {
      QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
      if (!dict.isDictionary() || !dict.getKey("/EF").isDictionary()) continue;
      std::string name;
      for (const char* key : {"/UF", "/F"}) {
        if (name.empty() && dict.getKey(key).isString()) name = dict.getKey(key).getUTF8Value();
      }
      for (auto& [key, file] : dict.getKey("/EF").getDictAsMap()) {
        if (file.isStream()) files.emplace(file.getObjGen(), name);
      }
    }
    std::size_t unnamed = 0;
    for (QPDFObjectHandle& obj : objects) {
      if (out.size() > kMostPdfStringBytes) return blocked("limit", where, "the PDF holds more than 16 MiB of strings");
      QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
      if (obj.isStream() && dict.getKey("/Type").isNameAndEquals("/Metadata")) {
        out += SANSO_TRY(decoded(obj, ctx, "XMP metadata"));
        out += '\n';
        continue;
      }
      const auto file = obj.isStream() ? files.find(obj.getObjGen()) : files.end();
      if (obj.isStream() && (file != files.end() || dict.getKey("/Type").isNameAndEquals("/EmbeddedFile"))) {
        std::string data = SANSO_TRY(decoded(obj, ctx, "embedded file"));
        std::string name = file != files.end() ? file->second : "";
        const auto cut = name.find_last_of("/\\");
        if (cut != std::string::npos) name.erase(0, cut + 1);
        if (name.empty()) name = "embedded file " + std::to_string(++unnamed);
        content.embedded.push_back({std::move(name), std::move(data)});
        continue;
      }
      strings_of(dict, out, 0);
      std::vector<QPDFObjectHandle> text_streams;
      text_streams_of(dict, text_streams, 0);
      for (QPDFObjectHandle& value : text_streams) {
        out += QPDFObjectHandle::newString(SANSO_TRY(decoded(value, ctx, "a value or script held as a stream"))).getUTF8Value();
        out += '\n';
      }
    }
    // The XFA form of the catalog's AcroForm: its XML packets (one stream, or an array of names and
    // streams, which together are one XDP document) — the data a form-filling reader shows — read as
    // every XML of a document is (xml_text(): text, comments, processing instructions, attributes,
    // references decoded). Packets that are not well-formed XML together are read as their source
    // with character references decoded, markup and all.
    if (QPDFObjectHandle form = pdf.getRoot().getKey("/AcroForm"); form.isDictionary()) {
      QPDFObjectHandle xfa = form.getKey("/XFA");
      std::vector<QPDFObjectHandle> packets = xfa.isArray() ? xfa.getArrayAsVector() : std::vector<QPDFObjectHandle>{xfa};
      std::string xdp;
      for (auto& packet : packets) {
        if (!packet.isStream()) continue;
        xdp += SANSO_TRY(decoded(packet, ctx, "XFA form"));
      }
      if (!xdp.empty() && !xml_text(xdp, out)) out += mime::decode_character_references(xdp) + "\n";
    }
    // A page that shows pictures and no text is a scan (of a 個人番号カード, say): pdftotext finds
    // nothing on it, so it is named as a picture that cannot be read. So is a page with text and a
    // picture that can hold a line of text (legible()): a scanned card with a typed page number
    // is still a scan, and pdftotext reads the page number only.
    std::size_t page_number = 0;
    std::string scans, pictures, held, layered, annotated, replaced, outlines, meshed;
    std::map<FormKey, Drawn> forms;
    Masks masks;
    std::vector<Mask> thumbnails;  // page thumbnails of a thumbnail's size, in page order, each once
    std::set<QPDFObjGen> thumbnail_ids;
    FontJudgements judgements;
    std::map<std::uint32_t, SheetPage> sheet_pages;  // the pages that show text in fonts judged by the glyph sheet
    for (QPDFObjectHandle page : pdf.getAllPages()) {
      ++page_number;
      Drawn drawn;
      QPDFPageObjectHelper helper(page);
      // A /Contents array with anything but streams in it (null, a missing object, a dictionary):
      // poppler draws nothing of the page (pdftotext reads nothing, pdftoppm renders it blank),
      // other readers skip the item and draw the rest. What the recipient sees is not known.
      if (QPDFObjectHandle contents = page.getKey("/Contents"); contents.isArray()) {
        std::vector<QPDFObjectHandle> items = contents.getArrayAsVector();
        for (std::size_t i = 0; i < items.size() && !drawn.unknown; ++i) {
          if (items[i].isStream()) continue;
          drawn.unknown = true;
          drawn.why_unknown = "ページの内容（/Contents）の配列の " + std::to_string(i + 1) + " 番目が内容ストリームでなく、読むアプリによって描かれるものが異なる / item " +
                              std::to_string(i + 1) + " of the page's /Contents array is not a content stream (" + items[i].unparse().substr(0, 40) +
                              "): poppler draws nothing of such a page, other readers draw the rest";
        }
      }
      DrawnCounter counter(pdf, ctx, helper.getAttribute("/Resources", false), page.getObjGen(), drawn, forms, masks, judgements, 0);
      Result<void> counted = ok();
      try {
        counted = counter.count(helper.getPageContents(), "page " + std::to_string(page_number));
        if (counted) counted = counter.annotations(page.getKey("/Annots"));
      } catch (const std::exception& e) {
        counted = blocked("malformed", "page " + std::to_string(page_number), e.what());
      }
      if (!counted && reason_of(counted.error()) == "limit") return std::move(counted).error();
      if (drawn.text_in_layer) layered += (layered.empty() ? "" : ", ") + std::to_string(page_number);
      if (drawn.text_unshown) annotated += (annotated.empty() ? "" : ", ") + std::to_string(page_number);
      std::string unreadable;  // why OCR of the rendered page could not be trusted: the page stays held
      if (!counted || drawn.unknown) {
        drawn.images = std::max<std::size_t>(drawn.images, 1);  // what it draws is unknown: not taken for text
        drawn.text = false;
        unreadable = "what it draws could not be counted (" + (counted || drawn.unknown ? drawn.why_unknown : counted.error().message) + ")";
      }
      // Thumbnail: a picture of the page a reader shows beside it, whatever it holds.
      // Thumbnails of a thumbnail's size go on sheets (thumbnails_as_pdf()), read apart from the masks.
      if (QPDFObjectHandle thumb = page.getKey("/Thumb"); thumb.isStream() && legible(thumb.getDict().getKey("/Width"), thumb.getDict().getKey("/Height"))) {
        QPDFObjectHandle w = thumb.getDict().getKey("/Width"), h = thumb.getDict().getKey("/Height");
        const bool small = w.isInteger() && h.isInteger() && w.getIntValue() <= kMostSheetThumbnailSide && h.getIntValue() <= kMostSheetThumbnailSide;
        if (!small) masks.try_emplace(thumb.getObjGen(), Mask{thumb, false, "thumbnail"});
        else if (thumbnail_ids.insert(thumb.getObjGen()).second) thumbnails.push_back(Mask{thumb, false, "thumbnail"});
      }
      // /UserUnit: a reader shows a unit of user space as so many 1/72 inch (ISO 32000-1 14.11.2).
      QPDFObjectHandle user_unit = page.getKey("/UserUnit");
      const double unit = user_unit.isNumber() && user_unit.getNumericValue() > 0 && std::isfinite(user_unit.getNumericValue()) ? user_unit.getNumericValue() : 1;
      const Drawn judged = with_outlines(drawn, unit);
      const bool outlined = judged.legible > drawn.legible;
      // A page with text in a font judged by the glyph sheet: how it is read by OCR should the font
      // misread (rendered whole or in parts, as a page of pictures), or why it cannot be.
      if (!drawn.sheet_fonts.empty()) {
        SheetPage& as_read = sheet_pages[static_cast<std::uint32_t>(page_number)];
        as_read.why_not = unreadable.empty() ? drawn.unshown : unreadable;
        if (as_read.why_not.empty()) {
          PageRendering rendering = rendering_of(helper, judged, static_cast<std::uint32_t>(page_number));
          as_read.why_not = rendering.why_not;
          as_read.parts = std::move(rendering.parts);
        }
        for (const QPDFObjGen& font : drawn.sheet_fonts) judgements.sheet[font].pages.insert(static_cast<std::uint32_t>(page_number));
      }
      if (drawn.images > 0 && !drawn.text) scans += (scans.empty() ? "" : ", ") + std::to_string(page_number);
      else if (drawn.legible > 0) pictures += (pictures.empty() ? "" : ", ") + std::to_string(page_number);
      else if (drawn.text_replaced) replaced += (replaced.empty() ? "" : ", ") + std::to_string(page_number);  // read as its picture is
      else if (outlined) outlines += (outlines.empty() ? "" : ", ") + std::to_string(page_number);
      else if (drawn.meshed) meshed += (meshed.empty() ? "" : ", ") + std::to_string(page_number);  // read as its picture is
      else continue;
      if (unreadable.empty()) unreadable = drawn.unshown;
      PageRendering rendering;
      if (unreadable.empty()) rendering = rendering_of(helper, judged, static_cast<std::uint32_t>(page_number));
      if (unreadable.empty()) unreadable = rendering.why_not;
      if (unreadable.empty()) content.picture_pages.insert(content.picture_pages.end(), rendering.parts.begin(), rendering.parts.end());
      else held += (held.empty() ? "" : "; ") + std::string("page ") + std::to_string(page_number) + ": " + unreadable;
    }
    // The glyph sheets; the pages of fonts past what they hold are read by OCR as misreading ones.
    const std::set<std::uint32_t> left_over = SANSO_TRY(glyph_sheets(judgements.sheet, sheet_pages, ctx, content.glyph_sheets));
    for (const std::uint32_t number : left_over) {
      const SheetPage& page = sheet_pages[number];
      if (!page.why_not.empty()) {
        held += (held.empty() ? "" : "; ") + std::string("page ") + std::to_string(number) + ": " + page.why_not;
        continue;
      }
      if (std::any_of(content.picture_pages.begin(), content.picture_pages.end(), [&](const PdfPage& p) { return p.number == number; })) continue;
      content.picture_pages.insert(content.picture_pages.end(), page.parts.begin(), page.parts.end());
      replaced += (replaced.empty() ? "" : ", ") + std::to_string(number);
    }
    std::string why;
    if (!scans.empty()) why = "page(s) " + scans + " show pictures and no text; a scan is not read";
    if (!pictures.empty()) why += (why.empty() ? "" : "; ") + std::string("page(s) ") + pictures + " have pictures whose text cannot be read";
    // Text marked with an /ActualText, or in a font whose /ToUnicode reads digits' glyphs as other
    // characters, reads otherwise in pdftotext than a reader shows it: the page is rendered and read
    // by OCR like a page of pictures.
    if (!replaced.empty()) {
      why += (why.empty() ? "" : "; ") + replaced + " ページの文字は、pdftotext が表示とは別の文字として読む（/ActualText、数字の字形を別の文字とする /ToUnicode）/ page(s) " +
             replaced + " show text pdftotext reads as other characters than those shown (/ActualText, a /ToUnicode that maps digits' glyphs to others)";
    }
    // Text drawn as shapes (outlines: a flyer's type outlined for print, a CAD drawing's pen-stroked
    // lettering, or a number drawn so to pass unread) is no text pdftotext reads.
    if (!outlines.empty()) {
      why += (why.empty() ? "" : "; ") + outlines + " ページに文字の大きさの図形（アウトライン化した文字、線や点で描いた文字など）が " + std::to_string(kLeastOutlinedGlyphs) +
             " 個以上、または数字を打った行にあり、pdftotext では読めない / page(s) " + outlines + " draw " + std::to_string(kLeastOutlinedGlyphs) +
             " or more shapes the size of glyphs (text drawn as outlines or strokes), or some on a line of typed digits, which pdftotext does not read";
    }
    // A mesh shading draws with triangles and patches, no path: what shapes it makes is not
    // counted, and text drawn so (dot-matrix digits) is no text pdftotext reads.
    if (!meshed.empty()) {
      why += (why.empty() ? "" : "; ") + meshed + " ページにメッシュ状のシェーディング（ShadingType 4–7）があり、描く図形は pdftotext では読めない / page(s) " + meshed +
             " paint mesh shadings (ShadingType 4–7), whose triangles and patches can draw text pdftotext does not read";
    }
    // One page OCR could not be trusted on holds the PDF: none is rendered (the outgoing check renders
    // the pages named in picture_pages and lets the entry go), and the entry says why.
    if (!held.empty()) {
      content.picture_pages.clear();
      why += "; not read by OCR: " + held;
    }
    if (!why.empty()) content.pages_unread = "image: " + why;
    // Text in a layer that is off (or may be turned off or on) is text the recipient can show, and
    // pdftotext, which reads the layers as the document first shows them, never sees it.
    if (!layered.empty()) {
      content.unread.push_back({"layers", "text: page(s) " + layered + " show text in optional content (/OC) that a reader may hide or show; "
                                          "pdftotext reads only the layers the document shows at first, so that text is not read"});
    }
    // Text in an annotation's appearance the screen does not show (hidden, printed only, a down or
    // rollover appearance, a state other than the one shown) is text a reader prints or shows on a
    // click, and pdftotext never sees it.
    if (!annotated.empty()) {
      content.unread.push_back({"annotations", "text: " + annotated + " ページの注釈に、画面に表示されない外観（非表示・印刷のみ・押下時・ロールオーバー・別の状態）の文字があり、"
                                               "pdftotext はそれを読まない / page(s) " + annotated +
                                               " have annotations whose appearances the screen does not show at first (hidden, printed only, down, rollover or another "
                                               "state) draw text; pdftotext reads only what the screen shows, so that text is not read"});
    }
    // Each legible mask of an image drawn on a page, as a PDF of its own ("mask 12.pdf", its object
    // number) read as any PDF inside this one is: its page rendered and read by OCR. Past
    // kMostMasksRead the rest are named unread, held.
    std::size_t mask_count = 0;
    for (const auto& [id, mask] : masks) {
      if (++mask_count > kMostMasksRead) {
        content.unread.push_back({"masks", "image: more than " + std::to_string(kMostMasksRead) + " images drawn through masks of their own, page thumbnails larger than " +
                                               std::to_string(kMostSheetThumbnailSide) + " pixels (/Thumb) and alternates of images (/Alternates); those past the " + std::to_string(kMostMasksRead) + "th are not read"});
        break;
      }
      const std::string name = mask.kind + " " + std::to_string(id.getObj()) + ".pdf";
      try {
        content.embedded.push_back({name, mask_as_pdf(mask)});
      } catch (const std::exception& e) {
        content.unread.push_back({name, std::string("malformed: the ") + mask.kind + " (object " + std::to_string(id.getObj()) + ") cannot be copied to be read: " + e.what()});
      }
    }
    // The thumbnails, kMostThumbnailsASheet a sheet read by OCR as a PDF of its own; past
    // kMostThumbnailSheets sheets the rest are named unread, held.
    for (std::size_t first = 0; first < thumbnails.size(); first += kMostThumbnailsASheet) {
      const std::size_t sheet = first / kMostThumbnailsASheet + 1;
      if (sheet > kMostThumbnailSheets) {
        content.unread.push_back({"thumbnails", "image: more than " + std::to_string(kMostThumbnailsASheet * kMostThumbnailSheets) +
                                                    " page thumbnails (/Thumb); those past the " + std::to_string(kMostThumbnailsASheet * kMostThumbnailSheets) + "th are not read"});
        break;
      }
      const std::string name = "thumbnails " + std::to_string(sheet) + ".pdf";
      try {
        const std::size_t last = std::min(thumbnails.size(), first + kMostThumbnailsASheet);
        content.embedded.push_back({name, thumbnails_as_pdf(std::vector<Mask>(thumbnails.begin() + static_cast<std::ptrdiff_t>(first), thumbnails.begin() + static_cast<std::ptrdiff_t>(last)))});
      } catch (const std::exception& e) {
        content.unread.push_back({name, std::string("malformed: page thumbnails cannot be copied to be read: ") + e.what()});
      }
    }
  } catch (const QPDFExc& e) {
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.getMessageDetail());
  } catch (const std::exception& e) {
    return blocked("malformed", where, std::string("the PDF cannot be read: ") + e.what());
  }
  return content;
}

Result<std::string> pdf_strings(std::string_view bytes, const Context& ctx) {
  auto content = pdf_content(bytes, ctx);
  if (!content) return std::move(content).error();
  return std::move(content->text);
}

}  // namespace sanso::cdr::internal
