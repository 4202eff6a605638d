// Shared between the engine's dispatcher and its per-format rebuilders. Not for use outside cdr.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdr/cdr.h"
#include "core/result.h"

namespace sanso::cdr::internal {

// The state of one sanitize() call, shared by nested members: findings, the unpacking budget.
struct Context {
  const CdrPolicy& policy;
  std::vector<Finding>& findings;
  std::uint64_t& expanded;  // bytes unpacked so far from the top-level input
  int depth = 0;
  std::string prefix;       // "outer.zip!" for members of an archive

  void add(FindingKind kind, std::string location, FindingAction action) const {
    findings.push_back({kind, prefix + location, action});
  }
  // Counts `bytes` more unpacked; an error ("cdr.limit") once the input's budget is spent.
  Result<void> charge(std::uint64_t bytes, std::string_view where) const;
  // A context for a member one level down (archives, embedded packages).
  Context nested(std::string_view member) const;
};

// A blocked outcome travels as an Error whose code is "cdr.<reason>".
Error blocked(std::string_view reason, std::string where, std::string message);

// The reason an Error blocks for: the part after "cdr." for a rebuilder's, the matching reason for
// a sandbox's ("timeout", "sandbox-violation", "limit"), else "internal".
std::string reason_of(const Error& e);
// Makes `result` a blocked one for this error, located at its `where` (else `name`).
void block_with(CdrResult& result, const Error& e, std::string_view name);

// A rebuilt file: its bytes and its (possibly changed) type, e.g. docm → docx.
struct Rebuilt {
  std::string bytes;
  std::string type;
};

// What kind of content a type is: which rebuilder takes it, or why none does. kNone only where
// an extension promises nothing (extension_family).
enum class Family : std::uint8_t { kNone, kWord, kExcel, kPowerpoint, kOoxml, kOdfText, kOdfSpreadsheet, kOdfPresentation, kOdfGraphics, kPdf, kRtf, kImage, kText, kHtml, kArchive, kXps, kEbook, kMessage, kMedia, kSpreadsheetActive, kWebArchive, kOfficeXml, kXmlActive, kOle2, kExecutable, kUnknown };
// The family's name ("word", "odf-text", "executable", …; "" for kNone): what [cdr] extension_map
// may name instead of a type.
std::string_view to_string(Family family);
// The four OpenDocument families.
bool is_odf(Family family);
// Word, Excel and PowerPoint packages, and OOXML whose main part is unknown.
bool is_ooxml(Family family);

// What a file is, from its bytes (and, only to tell CSV from text, its name).
struct Detected {
  std::string type;  // "docx", "pdf", "pe", "zip", "text", "csv", "unknown", …
  Family family = Family::kUnknown;
};
Detected detect(std::string_view bytes, std::string_view name, const Context& ctx);
// Text as markup sniffing needs it: UTF-16 and UTF-32 (by their BOM) narrowed to ASCII with
// '?' for everything else, a UTF-8 BOM dropped; other bytes as they are.
std::string sniffable_text(std::string_view bytes);
// Whether lower-case markup has a start tag whose local name is one of `names`, whatever its
// prefix ("<x:script" is a script when x is bound to XHTML: a prefix is only an alias).
bool has_tag_named(std::string_view lower, std::initializer_list<std::string_view> names);
// The family an extension ("docx", lower-case, no dot) promises; kNone when it promises nothing.
Family extension_family(std::string_view extension);
// Extensions blocked whatever the content: executables, scripts, shortcuts, disk images.
bool is_dangerous_extension(std::string_view extension);
// One path segment as Windows will name the file: an NTFS stream suffix (":stream", "::$DATA")
// and trailing periods and spaces removed ("x.vbs." → "x.vbs"). Types are judged on this name.
std::string windows_file_name(std::string_view segment);

// Full sanitize of a member or the top-level input, with its type detected and checked.
Result<Rebuilt> sanitize_any(std::string_view bytes, std::string_view name, const Context& ctx, std::string* type_out = nullptr);

// Per format. Each removes what it must, records findings and returns the rebuilt bytes, or an
// Error "cdr.<reason>" to block.
Result<Rebuilt> sanitize_ooxml(std::string_view bytes, std::string_view type, const Context& ctx);
Result<Rebuilt> sanitize_odf(std::string_view bytes, std::string_view type, const Context& ctx);
Result<Rebuilt> sanitize_pdf(std::string_view bytes, const Context& ctx);
// A second reader for PDF outputs (tests, the fuzz oracle): every remnant of JavaScript,
// dangerous actions, additional-action triggers, embedded or associated files and XFA in any
// object of `pdf`, each as "object N: what"; empty when there is none.
std::vector<std::string> pdf_active_content(std::string_view pdf);
// The same for rebuilt OOXML and ODF packages (cdr/check.cc): macro, script, object and add-in
// members and content types, forbidden or external relationships, script and object elements
// and event attributes by namespace, script and non-web links, forbidden Word fields.
std::vector<std::string> package_active_content(std::string_view package);
// The same for rebuilt RTF: object, template and datastore destinations, linked pictures,
// forbidden field instructions.
std::vector<std::string> rtf_active_content(std::string_view rtf);
Result<Rebuilt> sanitize_rtf(std::string_view bytes, const Context& ctx);
Result<Rebuilt> sanitize_ole2(std::string_view bytes, std::string_view type, const Context& ctx);
Result<Rebuilt> sanitize_image(std::string_view bytes, std::string_view type, const Context& ctx);
Result<Rebuilt> sanitize_svg(std::string_view bytes, const Context& ctx);
Result<Rebuilt> sanitize_text(std::string_view bytes, std::string_view type, const Context& ctx);
Result<Rebuilt> sanitize_html(std::string_view bytes, const Context& ctx);
Result<Rebuilt> sanitize_archive(std::string_view bytes, std::string_view type, const Context& ctx);

// The members of an archive (zip, 7z, RAR, LZH, tar, cab, gz/bz2/xz) unpacked under the engine's
// limits, with safe names: what sanitize_archive() rebuilds and extract_texts() reads. An encrypted
// member is "cdr.encrypted", an exceeded limit (members, expanded size, ratio) "cdr.limit".
struct ArchiveMember {
  std::string name;
  std::string data;
};
Result<std::vector<ArchiveMember>> read_archive(std::string_view bytes, std::string_view type, const Context& ctx);
// What a reader for content checks finds in a document besides its text: files embedded in it, to be
// read as files of their own under the document's path ("a.rtf/object 1"), and parts it cannot
// read, each with why ("pictures", "image: …").
struct ReadContent {
  std::string text;
  std::vector<ArchiveMember> embedded;
  std::vector<std::pair<std::string, std::string>> unread;  // name, reason ("reason: message")
  // A PDF's pages of pictures: why they are not read as its text ("image: …"; "" when none is), the
  // "pages" piece beside the PDF's own, and the pages OCR reads rendered (none when any is held).
  std::string pages_unread;
  std::vector<PdfPage> picture_pages;  // whole pages, or parts of a large one (PdfRegion)
  // Its glyph sheets (fonts whose glyphs only their programs know), read by OCR before the pages are
  // chosen; a "pages" piece carries them with or without pages of pictures.
  std::vector<GlyphSheet> glyph_sheets;
  // A metafile that paints anything but text: why it is not read as its text ("image: …", or
  // "unsupported: …" when it declares no size; "" when it paints nothing else), the "drawing"
  // piece beside its own, and its copy sized for rendering, which OCR reads rendered.
  std::string drawing_unread;
  std::string drawing;
  // Further copies read with it, named after the metafile: "drawing/part-K", a part of a drawing
  // too large to read whole; "drawing-gdi", a dual EMF's EMF records without its EMF+ ones.
  std::vector<std::pair<std::string, std::string>> more_drawings;
};
// The text of an XML document for content checks (extract.cc): text nodes, comments, processing
// instructions and attribute values, entities and references decoded; the text as the office lays
// it out and again element by element, a sheet's headers without Excel's codes. False, `out`
// untouched, when it is not well-formed XML.
bool xml_text(std::string_view xml, std::string& out);
// Excel's header or footer code (<oddHeader>&C&"MS Gothic"&12機密性３Ａ</oddHeader>) as the page
// shows it, its codes taken out; a line for each way a font size's digits may be read.
void sheet_header_text(std::string_view code, std::string& out);
// The number of digits each cell style of a workbook (xl/styles.xml, its cellXfs in order) pads a
// number to with zeros: 12 for "000000000000" and 0000"-"0000"-"0000, 1 for General. Empty when
// the part does not parse.
std::vector<std::size_t> sheet_style_widths(std::string_view styles_xml);
// What Excel shows of a worksheet's cells that its XML does not spell (sheet_values.cc): a number
// in E notation or padded by its style as its digits, a formula's string literals joined; and the
// cells whose value is computed only when the file is opened (a formula with numbers in it and no
// value stored), each why it cannot be checked.
struct SheetValues {
  std::string text;
  std::vector<std::string> unchecked;
};
// `recalculated_on_open`: the workbook asks Excel to compute every formula again when it opens
// (workbook_recalculates_on_open); a formula with numbers of its own then shows what it computes,
// not its stored value, and is not checked — as a cell whose <f ca="1"> asks the same.
SheetValues sheet_values(std::string_view sheet_xml, const std::vector<std::size_t>& style_widths, bool recalculated_on_open = false);
// Whether a workbook part (xl/workbook.xml) has <calcPr fullCalcOnLoad="1"/> or forceFullCalc.
bool workbook_recalculates_on_open(std::string_view workbook_xml);
// An OpenDocument spreadsheet's number and cell styles (content.xml's automatic styles and
// styles.xml's, read by ods_styles): the width each data style pads numbers to (with a
// percentage's hundredfold), and each cell style's data style and parent.
struct OdsStyles {
  std::map<std::string, std::size_t> data_widths;
  std::map<std::string, std::pair<std::string, std::string>> cell_styles;  // name ("" the default) → data style, parent
  std::size_t width_of(const std::string& cell_style) const;
};
void ods_styles(std::string_view xml, OdsStyles& into);
// What Calc shows of an ODS's cells that content.xml does not spell, as sheet_values() for xlsx:
// office:value in E notation or padded by the cell's style (its own, its row's or its column's
// default), a table:formula's string literals joined, and formulas with numbers of their own and
// no value stored, not checked.
SheetValues ods_values(std::string_view content_xml, const OdsStyles& styles);
// An OLE1 embedded object ([MS-OLEDS] 2.2.4 ObjectHeader + NativeData, as RTF's \objdata and
// Word 6 keep it): its native data, a Packager object's file unwrapped (`label` then names it).
// Linked objects and presentations carry no file: "cdr.unsupported".
Result<ArchiveMember> ole1_object(std::string_view bytes, std::string label);
// A Packager object's native data ("\x01Ole10Native" stream, with its size first when
// `with_size`): the file it wraps, named by its label.
Result<ArchiveMember> packager_file(std::string_view bytes, bool with_size);
Result<ReadContent> rtf_content(std::string_view bytes, const Context& ctx);
// Every stream of a compound file read or named: ole2_text()'s text, embedded objects (ObjectPool,
// MBD…, Package, Ole10Native, CONTENTS) as files, an Outlook item's (.msg) string properties and
// attachments; pictures, macros and streams of no known meaning as unread.
Result<ReadContent> ole2_content(std::string_view bytes, std::string_view type, const Context& ctx);
// pdf_strings() with the XFA form's XML, and embedded files (/EF of any file specification,
// /EmbeddedFiles, attachment annotations) as files named by their file specification.
Result<ReadContent> pdf_content(std::string_view bytes, const Context& ctx);
// The text of a legacy Office file for content checks, as UTF-8: Word's document text from the piece
// table, Excel's strings (SST, LABEL) and cell numbers (NUMBER, RK, MULRK), PowerPoint's text atoms.
// A password-protected file is "cdr.encrypted"; one that cannot be read "cdr.malformed".
Result<std::string> ole2_text(std::string_view bytes, std::string_view type, const Context& ctx);
// The text of an RTF document for content checks, as UTF-8 (\'hh in the document's code page, \uN),
// without font, colour and style tables, pictures, object data and field instructions.
Result<std::string> rtf_text(std::string_view bytes, const Context& ctx);
// A PDF's strings that pdftotext does not print: the document information dictionary, the XMP
// metadata, form field values and names, annotation contents; "cdr.encrypted" when it opens only with
// a password, "cdr.malformed" when qpdf cannot read it.
Result<std::string> pdf_strings(std::string_view bytes, const Context& ctx);

// Rasterize mode: rendered page images (PNG, as pdftoppm writes them) re-encoded and bound into a
// PDF of one image per page at the policy's resolution.
Result<Rebuilt> assemble_page_images(const std::vector<std::string_view>& images, const Context& ctx);

// A Word field instruction that runs or fetches something ("DDEAUTO …", "INCLUDETEXT …"): its
// finding kind (kDdeField, kRemoteField), or none when harmless. Shared by OOXML and RTF.
std::optional<FindingKind> dangerous_field_kind(std::string_view instruction);
// What a field nested in another field's instruction contributes to it when Word updates fields:
// QUOTE's argument ("QUOTE 68 68 69" gives "DDE", QUOTE "x" gives x), any other field its last
// result. Shared by Word binary and RTF.
std::string nested_field_value(const std::string& instruction, const std::string& result);

// OLE2 (compound file) inspection, shared by detection and the legacy-Office check.
// The type and family together, from the streams inside: "doc" (Word), "xls" (Excel), "ppt"
// (PowerPoint), "msg" (Outlook), "encrypted-ooxml" or "ole2" (both Family::kOle2).
Detected ole2_kind(std::string_view bytes);
// The two streams of a password-protected OOXML compound file ("encrypted-ooxml"): EncryptionInfo
// and EncryptedPackage, each at most `max` bytes ("cdr.limit"); "cdr.malformed" without both.
Result<std::pair<std::string, std::string>> encrypted_ooxml_streams(std::string_view bytes, std::size_t max);
// A password-protected PDF opened with `password` and written without encryption: the plain PDF,
// still to be rebuilt. "unlock.password" when the password opens nothing, "unlock.not-encrypted"
// for a PDF that needs none.
Result<std::string> decrypt_pdf(std::string_view bytes, std::string_view password);
void prepare_images();  // the image codecs' lazy set-up (fonts, loader modules), before a sandbox filter applies
// Whether every PNG chunk's declared length fits in the file: libpng allocates a chunk's length
// before reading it (a 200-byte file could ask for 2 GiB).
bool png_chunks_fit(std::string_view png);

}  // namespace sanso::cdr::internal
