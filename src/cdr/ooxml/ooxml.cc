// OOXML (docx/xlsx/pptx and their macro-enabled and template forms) rebuilt from what is known
// good (ECMA-376 Part 2, OPC): starting at the package's root relationships, a part is kept only
// when it is reached by a relationship type we allow, has the content type that relationship
// type requires, and its content is what that type says — XML parts parse (namespaces resolved)
// with the root element the type names and are written again; pictures are decoded and encoded
// again. Every other part, relationship and content-type entry is dropped and reported; the
// package's [Content_Types].xml and relationship parts are written anew. What cannot be parsed
// is not passed: the file is blocked as malformed.
#include <pugixml.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <sstream>

#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "cdr/ooxml/disarm.h"
#include "cdr/ooxml/xml.h"
#include "core/text.h"

namespace sanso::cdr::internal {
namespace {

using ooxml::XmlPart;

constexpr std::string_view kRelTypes = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
constexpr std::string_view kRelsContentType = "application/vnd.openxmlformats-package.relationships+xml";
constexpr std::string_view kOfficeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";

bool ends_with(std::string_view s, std::string_view suffix) { return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix; }
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// What a kept part may hold: an XML part with this root element, or a picture.
struct PartSpec {
  std::string_view content_type;
  std::string_view root_ns;     // "" for a picture
  std::string_view root_local;  // for a picture: the type detect() must find ("png", "emf", …)
};

constexpr std::string_view kW = ooxml::kNsWordMain, kX = ooxml::kNsSheetMain, kP = ooxml::kNsSlideMain, kA = ooxml::kNsDrawingMain;
constexpr std::string_view kChart = "http://schemas.openxmlformats.org/drawingml/2006/chart";
constexpr std::string_view kDiagram = "http://schemas.openxmlformats.org/drawingml/2006/diagram";

constexpr PartSpec kPictures[] = {
    {"image/png", "", "png"},   {"image/jpeg", "", "jpeg"}, {"image/jpg", "", "jpeg"}, {"image/gif", "", "gif"},   {"image/bmp", "", "bmp"},
    {"image/tiff", "", "tiff"}, {"image/x-emf", "", "emf"}, {"image/emf", "", "emf"},  {"image/x-wmf", "", "wmf"}, {"image/wmf", "", "wmf"},
};

// A relationship type we follow and what its target must be. Where it may start is in
// allowed_from(): the part types that may hold it.
struct RelRule {
  std::string_view type;
  std::vector<PartSpec> targets;  // empty: pictures
};

const std::vector<RelRule>& rel_rules() {
  static const std::vector<RelRule> kRules = [&] {
    std::vector<RelRule> r;
    auto add = [&](std::string_view type, std::vector<PartSpec> targets) { r.push_back({type, std::move(targets)}); };
    add(kOfficeDocument,
        {{"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", kW, "document"},
         {"application/vnd.ms-word.document.macroenabled.main+xml", kW, "document"},
         {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", kW, "document"},
         {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", kW, "document"},
         {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", kX, "workbook"},
         {"application/vnd.ms-excel.sheet.macroenabled.main+xml", kX, "workbook"},
         {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", kX, "workbook"},
         {"application/vnd.ms-excel.template.macroenabled.main+xml", kX, "workbook"},
         {"application/vnd.ms-excel.addin.macroenabled.main+xml", kX, "workbook"},
         {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", kP, "presentation"},
         {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", kP, "presentation"},
         {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", kP, "presentation"},
         {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", kP, "presentation"},
         {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", kP, "presentation"},
         {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", kP, "presentation"},
         {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", kP, "presentation"}});
    add("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
        {{"application/vnd.openxmlformats-package.core-properties+xml", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties", "coreProperties"}});
    add("http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
        {{"application/vnd.openxmlformats-officedocument.extended-properties+xml", "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties", "Properties"}});
    add("http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
        {{"application/vnd.openxmlformats-officedocument.custom-properties+xml", "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties", "Properties"}});
    add("http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail", {});
    add("http://schemas.openxmlformats.org/officeDocument/2006/relationships/image", {});
    const std::string_view wml = "application/vnd.openxmlformats-officedocument.wordprocessingml.";
    const std::string_view sml = "application/vnd.openxmlformats-officedocument.spreadsheetml.";
    const std::string_view pml = "application/vnd.openxmlformats-officedocument.presentationml.";
    const std::string_view dml = "application/vnd.openxmlformats-officedocument.drawingml.";
    // Content types are built from these stems once and kept for the program's life.
    static std::deque<std::string> names;
    auto ct = [&](std::string_view stem, std::string_view rest) -> std::string_view { return names.emplace_back(std::string(stem) + std::string(rest)); };
    auto rel = [&](std::string_view suffix) -> std::string_view { return names.emplace_back(std::string(kRelTypes) + std::string(suffix)); };
    add(rel("styles"), {{ct(wml, "styles+xml"), kW, "styles"}, {ct(sml, "styles+xml"), kX, "styleSheet"}});
    add(rel("settings"), {{ct(wml, "settings+xml"), kW, "settings"}});
    add(rel("webSettings"), {{ct(wml, "webSettings+xml"), kW, "webSettings"}});
    add(rel("fontTable"), {{ct(wml, "fontTable+xml"), kW, "fonts"}});
    add(rel("numbering"), {{ct(wml, "numbering+xml"), kW, "numbering"}});
    add(rel("footnotes"), {{ct(wml, "footnotes+xml"), kW, "footnotes"}});
    add(rel("endnotes"), {{ct(wml, "endnotes+xml"), kW, "endnotes"}});
    add(rel("header"), {{ct(wml, "header+xml"), kW, "hdr"}});
    add(rel("footer"), {{ct(wml, "footer+xml"), kW, "ftr"}});
    add(rel("glossaryDocument"), {{ct(wml, "document.glossary+xml"), kW, "glossaryDocument"}});
    add(rel("comments"), {{ct(wml, "comments+xml"), kW, "comments"}, {ct(sml, "comments+xml"), kX, "comments"}, {ct(pml, "comments+xml"), kP, "cmLst"}});
    add("http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects", {{"application/vnd.ms-word.stylesWithEffects+xml", kW, "styles"}});
    add("http://schemas.microsoft.com/office/2011/relationships/people", {{ct(wml, "people+xml"), "http://schemas.microsoft.com/office/word/2012/wordml", "people"}});
    add("http://schemas.microsoft.com/office/2011/relationships/commentsExtended",
        {{ct(wml, "commentsExtended+xml"), "http://schemas.microsoft.com/office/word/2012/wordml", "commentsEx"}});
    add("http://schemas.microsoft.com/office/2016/09/relationships/commentsIds",
        {{ct(wml, "commentsIds+xml"), "http://schemas.microsoft.com/office/word/2016/wordml/cid", "commentsIds"}});
    add(rel("theme"), {{"application/vnd.openxmlformats-officedocument.theme+xml", kA, "theme"}});
    add(rel("themeOverride"), {{"application/vnd.openxmlformats-officedocument.themeOverride+xml", kA, "themeOverride"}});
    add(rel("worksheet"), {{ct(sml, "worksheet+xml"), kX, "worksheet"}});
    add(rel("chartsheet"), {{ct(sml, "chartsheet+xml"), kX, "chartsheet"}});
    add(rel("sharedStrings"), {{ct(sml, "sharedStrings+xml"), kX, "sst"}});
    add(rel("calcChain"), {{ct(sml, "calcChain+xml"), kX, "calcChain"}});
    add(rel("table"), {{ct(sml, "table+xml"), kX, "table"}});
    add(rel("pivotTable"), {{ct(sml, "pivotTable+xml"), kX, "pivotTableDefinition"}});
    add(rel("pivotCacheDefinition"), {{ct(sml, "pivotCacheDefinition+xml"), kX, "pivotCacheDefinition"}});
    add(rel("pivotCacheRecords"), {{ct(sml, "pivotCacheRecords+xml"), kX, "pivotCacheRecords"}});
    add(rel("drawing"), {{"application/vnd.openxmlformats-officedocument.drawing+xml", "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing", "wsDr"}});
    add(rel("vmlDrawing"), {{"application/vnd.openxmlformats-officedocument.vmlDrawing", "", "xml"}});
    add(rel("chart"), {{ct(dml, "chart+xml"), kChart, "chartSpace"}});
    add(rel("chartUserShapes"), {{ct(dml, "chartshapes+xml"), kChart, "userShapes"}});
    add("http://schemas.microsoft.com/office/2011/relationships/chartStyle",
        {{"application/vnd.ms-office.chartstyle+xml", "http://schemas.microsoft.com/office/drawing/2012/chartStyle", "chartStyle"}});
    add("http://schemas.microsoft.com/office/2011/relationships/chartColorStyle",
        {{"application/vnd.ms-office.chartcolorstyle+xml", "http://schemas.microsoft.com/office/drawing/2012/chartStyle", "colorStyle"}});
    add(rel("diagramData"), {{ct(dml, "diagramData+xml"), kDiagram, "dataModel"}});
    add(rel("diagramLayout"), {{ct(dml, "diagramLayout+xml"), kDiagram, "layoutDef"}});
    add(rel("diagramQuickStyle"), {{ct(dml, "diagramStyle+xml"), kDiagram, "styleDef"}});
    add(rel("diagramColors"), {{ct(dml, "diagramColors+xml"), kDiagram, "colorsDef"}});
    add("http://schemas.microsoft.com/office/2007/relationships/diagramDrawing",
        {{"application/vnd.ms-office.drawingml.diagramDrawing+xml", "http://schemas.microsoft.com/office/drawing/2008/diagram", "drawing"}});
    add(rel("slide"), {{ct(pml, "slide+xml"), kP, "sld"}});
    add(rel("slideLayout"), {{ct(pml, "slideLayout+xml"), kP, "sldLayout"}});
    add(rel("slideMaster"), {{ct(pml, "slideMaster+xml"), kP, "sldMaster"}});
    add(rel("notesSlide"), {{ct(pml, "notesSlide+xml"), kP, "notes"}});
    add(rel("notesMaster"), {{ct(pml, "notesMaster+xml"), kP, "notesMaster"}});
    add(rel("handoutMaster"), {{ct(pml, "handoutMaster+xml"), kP, "handoutMaster"}});
    add(rel("presProps"), {{ct(pml, "presProps+xml"), kP, "presentationPr"}});
    add(rel("viewProps"), {{ct(pml, "viewProps+xml"), kP, "viewPr"}});
    add(rel("tableStyles"), {{ct(pml, "tableStyles+xml"), kA, "tblStyleLst"}});
    add(rel("tags"), {{ct(pml, "tags+xml"), kP, "tagLst"}});
    add(rel("commentAuthors"), {{ct(pml, "commentAuthors+xml"), kP, "cmAuthorLst"}});
    return r;
  }();
  return kRules;
}

const RelRule* rule_for(std::string_view type) {
  for (const auto& r : rel_rules()) {
    if (r.type == type) return &r;
  }
  return nullptr;
}

// Which relationship types a part of each type may hold (ECMA-376 Part 1, each part's "Source
// Relationship"; Microsoft's extensions as Office writes them). A type allowed somewhere is not
// allowed everywhere: a header reaching a VML drawing or a worksheet, a settings part reaching a
// header, a picture with relationships of its own — none is what a reader expects there, so none
// is followed. Sources are named by their root element ({namespace, local name}); the package
// root is {"", ""} and legacy VML (no namespace) is {"", "xml"}.
struct SourceRule {
  std::string_view ns, local;
  std::vector<std::string_view> types;  // a suffix of kRelTypes, or a whole type URI
};

const std::vector<SourceRule>& source_rules() {
  static const std::vector<SourceRule> kRules = [] {
    constexpr std::string_view kDsp = "http://schemas.microsoft.com/office/drawing/2008/diagram";
    constexpr std::string_view kW12 = "http://schemas.microsoft.com/office/word/2012/wordml";
    constexpr std::string_view kCid = "http://schemas.microsoft.com/office/word/2016/wordml/cid";
    constexpr std::string_view kXdr = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing";
    constexpr std::string_view kChartStyle = "http://schemas.microsoft.com/office/drawing/2012/chartStyle";
    const std::string_view diagram_drawing = "http://schemas.microsoft.com/office/2007/relationships/diagramDrawing";
    // What any part showing drawings may reach: pictures, charts, SmartArt and web links.
    const std::vector<std::string_view> drawings = {"image", "chart", "diagramData", "diagramLayout", "diagramQuickStyle", "diagramColors", diagram_drawing, "hyperlink"};
    auto with = [&](std::vector<std::string_view> more) {
      more.insert(more.end(), drawings.begin(), drawings.end());
      return more;
    };
    const std::vector<std::string_view> word_main = {"styles", "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects", "settings", "webSettings",
                                                     "fontTable", "numbering", "footnotes", "endnotes", "header", "footer", "comments",
                                                     "http://schemas.microsoft.com/office/2011/relationships/people",
                                                     "http://schemas.microsoft.com/office/2011/relationships/commentsExtended",
                                                     "http://schemas.microsoft.com/office/2016/09/relationships/commentsIds", "theme"};
    std::vector<std::string_view> document = with(word_main);
    document.push_back("glossaryDocument");
    return std::vector<SourceRule>{
        {"", "",
         {kOfficeDocument, "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "extended-properties", "custom-properties",
          "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"}},
        // WordprocessingML
        {kW, "document", document},
        {kW, "glossaryDocument", with(word_main)},
        {kW, "hdr", drawings},
        {kW, "ftr", drawings},
        {kW, "footnotes", drawings},
        {kW, "endnotes", drawings},
        {kW, "comments", drawings},
        {kW, "numbering", {"image"}},  // picture bullets
        {kW, "styles", {}},
        {kW, "settings", {}},
        {kW, "webSettings", {}},
        {kW, "fonts", {}},
        {kW12, "people", {}},
        {kW12, "commentsEx", {}},
        {kCid, "commentsIds", {}},
        // SpreadsheetML
        {kX, "workbook", {"worksheet", "chartsheet", "styles", "sharedStrings", "calcChain", "theme", "pivotCacheDefinition"}},
        {kX, "worksheet", {"drawing", "vmlDrawing", "comments", "table", "pivotTable", "image", "hyperlink"}},
        {kX, "chartsheet", {"drawing", "vmlDrawing"}},
        {kX, "pivotTableDefinition", {"pivotCacheDefinition"}},
        {kX, "pivotCacheDefinition", {"pivotCacheRecords"}},
        {kXdr, "wsDr", drawings},
        {"", "xml", {"image", "hyperlink"}},  // legacy VML: comment boxes, header pictures
        // DrawingML parts
        {kA, "theme", {"image"}},
        {kA, "themeOverride", {"image"}},
        {kChart, "chartSpace",
         {"chartUserShapes", "http://schemas.microsoft.com/office/2011/relationships/chartStyle", "http://schemas.microsoft.com/office/2011/relationships/chartColorStyle",
          "themeOverride", "image"}},
        {kChart, "userShapes", {"image", "hyperlink"}},
        {kChartStyle, "chartStyle", {}},
        {kChartStyle, "colorStyle", {}},
        {kDiagram, "dataModel", {"image", "hyperlink"}},
        {kDiagram, "layoutDef", {"image"}},
        {kDsp, "drawing", {"image", "hyperlink"}},
        // PresentationML
        {kP, "presentation",
         {"slide", "slideMaster", "notesMaster", "handoutMaster", "presProps", "viewProps", "tableStyles", "theme", "commentAuthors", "tags"}},
        {kP, "sld", with({"slideLayout", "notesSlide", "comments", "tags", "vmlDrawing", "slide"})},
        {kP, "sldLayout", with({"slideMaster", "tags", "vmlDrawing"})},
        {kP, "sldMaster", with({"slideLayout", "theme", "tags", "vmlDrawing"})},
        {kP, "notes", with({"notesMaster", "slide"})},
        {kP, "notesMaster", with({"theme", "tags"})},
        {kP, "handoutMaster", with({"theme", "tags"})},
    };
  }();
  return kRules;
}

// Whether a part reached as `source` (nullptr: the package root) may hold a relationship of `type`.
bool allowed_from(const PartSpec* source, std::string_view type) {
  const std::string_view ns = source == nullptr ? "" : source->root_ns;
  const std::string_view local = source == nullptr ? "" : source->root_local;
  for (const auto& s : source_rules()) {
    if (s.ns != ns || s.local != local) continue;
    for (std::string_view t : s.types) {
      if (t == type || (t.find(':') == std::string_view::npos && type.size() == kRelTypes.size() + t.size() && starts_with(type, kRelTypes) && ends_with(type, t))) return true;
    }
    return false;
  }
  return false;  // a part type not listed holds no relationships we follow
}

// The finding for a relationship type we do not follow.
FindingKind kind_of_relationship(std::string_view type) {
  std::string t = ascii_lower(type);
  auto last = t.substr(t.rfind('/') + 1);
  if (last == "vbaproject" || last == "wordvbadata" || last == "keymapcustomizations" || last == "attachedtoolbars" || last == "vbaprojectsignature" ||
      last == "vbaprojectsignatureagile" || last == "vbaprojectsignaturev3") {
    return FindingKind::kVbaMacro;
  }
  if (last == "xlmacrosheet" || last == "xlintlmacrosheet" || last == "dialogsheet" || last == "macrosheet") return FindingKind::kExcel4Macro;
  if (last == "control" || last == "activexcontrolbinary") return FindingKind::kActivex;
  if (last == "oleobject" || last == "package") return FindingKind::kOleObject;
  if (last == "extensibility" || ends_with(t, "/ui/extensibility") || starts_with(last, "ui")) return FindingKind::kCustomUi;
  if (last == "connections") return FindingKind::kDataConnection;
  if (last == "querytable") return FindingKind::kQueryTable;
  if (last == "externallink" || last == "externallinkpath" || last == "volatiledependencies") return FindingKind::kExternalLink;
  if (t.find("digital-signature") != std::string::npos) return FindingKind::kDigitalSignature;
  if (last == "attachedtemplate") return FindingKind::kExternalTemplate;
  if (last == "afchunk") return FindingKind::kAltChunk;
  if (last == "webextension" || last == "webextensiontaskpanes") return FindingKind::kWebExtension;
  if (last == "mailmergesource" || last == "mailmergeheadersource" || last == "recipientdata") return FindingKind::kMailMerge;
  if (last == "font") return FindingKind::kEmbeddedFont;
  if (last == "customxml" || last == "customxmlprops") return FindingKind::kCustomXml;
  if (last == "printersettings") return FindingKind::kPrinterSettings;
  if (last == "video" || last == "audio" || last == "media") return FindingKind::kMedia;
  if (last == "subdocument" || last == "frame") return FindingKind::kSubDocument;
  if (last == "hyperlink") return FindingKind::kHyperlink;
  return FindingKind::kUnknownRelationship;
}

// The macro-free content type for a macro-enabled main part, and the file type it makes.
std::pair<std::string, std::string> macro_free(std::string_view content_type) {
  static const std::map<std::string, std::pair<std::string, std::string>> kMap = {
      {"application/vnd.ms-word.document.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "docx"}},
      {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", "dotx"}},
      {"application/vnd.ms-excel.sheet.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx"}},
      {"application/vnd.ms-excel.template.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", "xltx"}},
      {"application/vnd.ms-excel.addin.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx"}},
      {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx"}},
      {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", "ppsx"}},
      {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", "potx"}},
      {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx"}},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", {"", "docx"}},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", {"", "dotx"}},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", {"", "xlsx"}},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", {"", "xltx"}},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", {"", "pptx"}},
      {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", {"", "ppsx"}},
      {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", {"", "potx"}},
  };
  auto it = kMap.find(ascii_lower(content_type));
  return it == kMap.end() ? std::pair<std::string, std::string>{} : it->second;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
int hex_value(char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10; }
bool is_unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// Why a zip member name is not a valid part name (ECMA-376 Part 2 §6.2.2), or "" when it is.
// Office and other readers map these spellings onto other names; a package using them is
// ambiguous, so it is refused rather than guessed at.
std::string bad_part_name(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.find('\\') != std::string_view::npos) return "a backslash in the name";
  if (name.front() == '/') return "an absolute name";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return "a control character in the name";
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    std::string_view seg = name.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg.empty()) return "an empty path segment";
    if (seg == "." || seg == "..") return "a '.' or '..' segment";
    if (seg.back() == '.') return "a segment ending in '.'";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '%') continue;
    if (i + 2 >= name.size() || !is_hex(name[i + 1]) || !is_hex(name[i + 2])) return "a bad percent escape";
    const auto c = static_cast<unsigned char>(hex_value(name[i + 1]) * 16 + hex_value(name[i + 2]));
    // An escaped '%' would make the name mean something else when decoded twice.
    if (c == '/' || c == '\\' || c == '%' || c == 0 || is_unreserved(c)) return "a percent escape of '/', '\\', '%', NUL or an unreserved character";
  }
  return "";
}

// A valid part name (bad_part_name() found nothing) with its percent escapes decoded: OPC names
// a part by the URI, so "xl/%E3%81%82.xml" and "xl/あ.xml" are the same part and must meet
// the same content-type entry and the same checks.
std::string decoded_part_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size()) {
      out.push_back(static_cast<char>(hex_value(name[i + 1]) * 16 + hex_value(name[i + 2])));
      i += 2;
    } else {
      out.push_back(name[i]);
    }
  }
  return out;
}

// A decoded part name as a key: part names compare case-insensitively (ASCII, as OPC does).
std::string part_key(std::string_view decoded_name) { return ascii_lower(decoded_name); }

// A decoded part name written as a URI (relationship targets, content-type overrides): spaces,
// '%', non-ASCII bytes (UTF-8 names) and characters a URI may not hold are percent-encoded.
std::string uri_encoded(std::string_view path) {
  std::string encoded;
  for (unsigned char c : path) {
    if (c <= 0x20 || c >= 0x7F || c == '%' || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}' || c == '|' || c == '^') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    } else {
      encoded += static_cast<char>(c);
    }
  }
  return encoded;
}

std::string folder_of(std::string_view part) {
  auto slash = part.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

// "word/document.xml" → "word/_rels/document.xml.rels"; the package root ("") → "_rels/.rels".
std::string rels_part_of(std::string_view part) {
  auto slash = part.rfind('/');
  std::string dir = slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
  std::string file(slash == std::string_view::npos ? part : part.substr(slash + 1));
  return dir + "_rels/" + file + ".rels";
}

// The part an internal target names, from the folder of its source; "" when it names none
// validly (an escape of '/', a query or fragment, a climb above the root).
std::string resolve_target(std::string_view source_folder, std::string_view target) {
  if (target.empty() || target.find_first_of("?#\\") != std::string_view::npos) return "";
  std::string decoded;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%') {
      if (i + 2 >= target.size() || !is_hex(target[i + 1]) || !is_hex(target[i + 2])) return "";
      const char c = static_cast<char>(hex_value(target[i + 1]) * 16 + hex_value(target[i + 2]));
      if (c == '/' || c == '\\' || c == '\0' || c == '%') return "";
      decoded.push_back(c);
      i += 2;
    } else {
      decoded.push_back(target[i]);
    }
  }
  std::string path = decoded.front() == '/' ? decoded.substr(1) : std::string(source_folder) + decoded;
  std::vector<std::string> segments;
  std::stringstream ss(path);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (segments.empty()) return "";
      segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out;
  for (const auto& s : segments) out += (out.empty() ? "" : "/") + s;
  return out;
}

// `to` relative to the folder `from_folder`, as a relationship target.
std::string relative_target(std::string_view from_folder, std::string_view to) {
  std::vector<std::string> from, dest;
  std::stringstream a{std::string(from_folder)}, b{std::string(to)};
  for (std::string s; std::getline(a, s, '/');) {
    if (!s.empty()) from.push_back(s);
  }
  for (std::string s; std::getline(b, s, '/');) dest.push_back(s);
  std::size_t common = 0;
  while (common < from.size() && common + 1 < dest.size() && from[common] == dest[common]) ++common;
  std::string out;
  for (std::size_t i = common; i < from.size(); ++i) out += "../";
  for (std::size_t i = common; i < dest.size(); ++i) out += dest[i] + (i + 1 < dest.size() ? "/" : "");
  return uri_encoded(out);
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

// Windows metafiles cannot be rebuilt here; they are kept only when they are what they claim:
// an EMF header record (type 1, " EMF" signature), a WMF header (placeable or plain).
bool is_metafile(std::string_view b, std::string_view type) {
  if (type == "emf") return b.size() >= 88 && le32(b, 0) == 1 && b.substr(40, 4) == " EMF";
  if (b.size() >= 22 && le32(b, 0) == 0x9AC6CDD7u) return true;
  return b.size() >= 18 && (b[0] == 1 || b[0] == 2) && b[1] == 0 && b[2] == 9 && b[3] == 0;
}

bool is_xml(const PartSpec& spec) { return !spec.root_ns.empty() || spec.root_local == "xml"; }

struct Relationship {
  std::string id, type, target;
  bool external = false;
  std::string part;  // the resolved target part's key, for internal ones
};

struct Part {
  std::string name;  // as stored
  std::string bytes;
  std::string content_type;  // declared
  const PartSpec* spec = nullptr;  // what it was reached as; null until reached
  bool dropped = false;
  bool accounted = false;  // reached, or reported when its relationship was dropped
  std::vector<Relationship> rels;
  XmlPart xml;
  std::string out_content_type;
  std::string out_bytes;
};

class PackageRebuild {
 public:
  PackageRebuild(std::string_view type, const Context& ctx) : detected_type_(type), ctx_(ctx) {}

  Result<Rebuilt> run(std::string_view bytes) {
    SANSO_TRY(read_members(bytes));
    SANSO_TRY(read_content_types());
    SANSO_TRY(walk_graph());
    SANSO_TRY(check_parts());
    SANSO_TRY(disarm_parts());
    report_orphans();
    return write();
  }

 private:
  Error malformed(const std::string& where, const std::string& why) const { return blocked("malformed", ctx_.prefix + where, why); }

  Result<void> read_members(std::string_view bytes) {
    auto reader_or = ZipReader::open(bytes, ctx_);
    if (!reader_or) return std::move(reader_or).error();
    const ZipReader& zip = **reader_or;
    for (const auto& e : zip.entries()) {
      if (e.encrypted) return blocked("encrypted", ctx_.prefix + e.name, "the package has an encrypted member");
      if (e.directory) continue;
      if (std::string why = bad_part_name(e.name); !why.empty()) return malformed(e.name, "the member name is not a valid part name: " + why);
      auto bytes_or = zip.read(e, ctx_);
      if (!bytes_or) return std::move(bytes_or).error();
      const std::string name = decoded_part_name(e.name);
      std::string key = part_key(name);
      if (parts_.count(key)) return malformed(e.name, "two parts share this name when case and percent-encoding are ignored (an ambiguous package)");
      order_.push_back(key);
      Part& p = parts_[key];
      p.name = name;
      p.bytes = std::move(bytes_or).value();
    }
    return ok();
  }

  Result<void> read_content_types() {
    auto it = parts_.find("[content_types].xml");
    if (it == parts_.end()) return malformed("[Content_Types].xml", "the package has no content types");
    it->second.accounted = true;
    XmlPart types;
    SANSO_TRY(ooxml::read_part(it->second.bytes, it->second.name, ctx_, types));
    if (types.root_ns != ooxml::kNsContentTypes || types.root_local != "Types") return malformed(it->second.name, "the root element is not <Types>");
    std::map<std::string, std::string> defaults;
    for (pugi::xml_node n : types.doc.document_element().children()) {
      std::string_view name = n.name();
      if (name == "Default") {
        std::string ext = ascii_lower(n.attribute("Extension").value());
        std::string type = n.attribute("ContentType").value();
        if (auto [d, fresh] = defaults.emplace(ext, type); !fresh && ascii_lower(d->second) != ascii_lower(type)) {
          return malformed(it->second.name, "two Default entries give the extension '" + ext + "' different content types");
        }
      } else if (name == "Override") {
        std::string part = n.attribute("PartName").value();
        if (part.empty() || part.front() != '/') return malformed(it->second.name, "an Override names '" + part + "', not an absolute part name");
        if (std::string why = bad_part_name(part.substr(1)); !why.empty()) return malformed(it->second.name, "an Override names '" + part + "': " + why);
        std::string type = n.attribute("ContentType").value();
        if (auto [o, fresh] = overrides_.emplace(part_key(decoded_part_name(part.substr(1))), type); !fresh && ascii_lower(o->second) != ascii_lower(type)) {
          return malformed(it->second.name, "two Override entries give " + part + " different content types");
        }
      }
    }
    for (auto& [key, p] : parts_) {
      if (auto o = overrides_.find(key); o != overrides_.end()) {
        p.content_type = ascii_lower(o->second);
      } else if (auto dot = key.rfind('.'); dot != std::string::npos && key.find('/', dot) == std::string::npos) {
        if (auto d = defaults.find(key.substr(dot + 1)); d != defaults.end()) p.content_type = ascii_lower(d->second);
      }
    }
    return ok();
  }

  // Reads a relationship part; "" source for the package root.
  Result<std::vector<Relationship>> read_relationships(const std::string& source) {
    std::vector<Relationship> out;
    auto it = parts_.find(part_key(rels_part_of(source)));
    if (it == parts_.end()) return out;
    Part& rp = it->second;
    rp.accounted = true;
    if (rp.content_type != kRelsContentType) return malformed(rp.name, "the relationship part's content type is '" + rp.content_type + "'");
    XmlPart rels;
    SANSO_TRY(ooxml::read_part(rp.bytes, rp.name, ctx_, rels));
    if (rels.root_ns != ooxml::kNsPackageRels || rels.root_local != "Relationships") return malformed(rp.name, "the root element is not <Relationships>");
    std::set<std::string> ids;
    for (pugi::xml_node n : rels.doc.document_element().children("Relationship")) {
      Relationship r{n.attribute("Id").value(), n.attribute("Type").value(), n.attribute("Target").value(), false, ""};
      std::string mode = n.attribute("TargetMode").value();
      if (mode != "" && mode != "Internal" && mode != "External") return malformed(rp.name + "#" + r.id, "TargetMode is '" + mode + "'");
      r.external = mode == "External";
      if (r.id.empty() || !ids.insert(r.id).second) return malformed(rp.name + "#" + r.id, "relationship ids must be present and unique");
      out.push_back(std::move(r));
    }
    return out;
  }

  // From the package root, follows the relationships we allow to the parts they may reach.
  Result<void> walk_graph() {
    std::deque<std::string> queue{""};
    std::set<std::string> visited{""};
    while (!queue.empty()) {
      std::string source = queue.front();
      queue.pop_front();
      auto rels_or = read_relationships(source.empty() ? "" : parts_[source].name);
      if (!rels_or) return std::move(rels_or).error();
      const std::string where = source.empty() ? "_rels/.rels" : rels_part_of(parts_[source].name);
      std::vector<Relationship> kept;
      for (auto& r : *rels_or) {
        if (!follow(source, r, where)) continue;
        if (!r.external && visited.insert(r.part).second && is_xml(*parts_[r.part].spec)) queue.push_back(r.part);
        kept.push_back(std::move(r));
      }
      if (source.empty()) root_rels_ = std::move(kept);
      else parts_[source].rels = std::move(kept);
    }
    const auto mains = std::count_if(root_rels_.begin(), root_rels_.end(), [](const Relationship& r) { return r.type == kOfficeDocument; });
    if (mains > 1) return malformed("_rels/.rels", "the package has more than one main document (an ambiguous package)");
    if (mains == 0) return malformed("_rels/.rels", "the package has no main document of a type this engine rebuilds (docx, xlsx, pptx and their macro and template forms)");
    return ok();
  }

  // Whether relationship `r` of `source` stays; when it goes, the reason is reported.
  bool follow(const std::string& source, Relationship& r, const std::string& where) {
    const std::string at = where + "#" + r.id;
    if (r.external) {
      const bool hyperlink = r.type == std::string(kRelTypes) + "hyperlink";
      if (hyperlink && ctx_.policy.keep_hyperlinks && ooxml::is_safe_link_target(r.target)) return true;
      FindingKind kind = hyperlink && !ctx_.policy.keep_hyperlinks ? FindingKind::kHyperlink : kind_of_relationship(r.type);
      if (kind == FindingKind::kHyperlink && ctx_.policy.keep_hyperlinks) kind = FindingKind::kExternalRelationship;  // a file:, UNC or other scheme
      if (kind == FindingKind::kUnknownRelationship || (kind == FindingKind::kOleObject && starts_with(ascii_lower(r.target), "mhtml:"))) kind = FindingKind::kExternalRelationship;
      ctx_.add(kind, at, FindingAction::kRemoved);
      return false;
    }
    const RelRule* rule = rule_for(r.type);
    r.part = part_key(resolve_target(folder_of(source.empty() ? "" : parts_[source].name), r.target));
    auto target = r.part.empty() ? parts_.end() : parts_.find(r.part);
    const bool placed = rule != nullptr && allowed_from(source.empty() ? nullptr : parts_[source].spec, r.type);
    if (!placed) {
      // A type we follow elsewhere but not from this kind of part: the relationship goes; its
      // target stays only if an allowed relationship reaches it too (else it is an orphan).
      if (rule != nullptr) {
        ctx_.add(FindingKind::kMisplacedRelationship, at, FindingAction::kRemoved);
        return false;
      }
      if (target != parts_.end() && !target->second.accounted) {
        target->second.accounted = true;
        ctx_.add(kind_of_relationship(r.type), target->second.name, FindingAction::kRemoved);
      } else if (target == parts_.end()) {
        ctx_.add(kind_of_relationship(r.type), at, FindingAction::kRemoved);
      }
      return false;
    }
    if (target == parts_.end()) {
      if (r.type == kOfficeDocument) return false;  // reported as a missing main document
      ctx_.add(FindingKind::kMissingPart, at, FindingAction::kRemoved);
      return false;
    }
    Part& p = target->second;
    const PartSpec* spec = nullptr;
    if (rule->targets.empty()) {
      for (const auto& pic : kPictures) {
        if (p.content_type == ascii_lower(pic.content_type)) spec = &pic;
      }
    } else {
      for (const auto& t : rule->targets) {
        if (p.content_type == ascii_lower(t.content_type)) spec = &t;
      }
    }
    if (spec == nullptr || (p.spec != nullptr && p.spec != spec && p.spec->root_local != spec->root_local)) {
      if (r.type == kOfficeDocument) return false;
      ctx_.add(FindingKind::kPartTypeMismatch, p.name, FindingAction::kRemoved);
      p.accounted = true;
      return false;
    }
    p.spec = spec;
    p.accounted = true;
    return true;
  }

  // Every reached part is read as what it was reached as.
  Result<void> check_parts() {
    for (const auto& key : order_) {
      Part& p = parts_[key];
      if (p.spec == nullptr) continue;
      if (is_xml(*p.spec)) {
        const bool vml = p.spec->root_ns.empty();
        SANSO_TRY(ooxml::read_part(p.bytes, p.name, ctx_, p.xml, vml));
        if (p.xml.root_ns != p.spec->root_ns || p.xml.root_local != p.spec->root_local) {
          return malformed(p.name, "declared as " + p.content_type + " but its root element is " + (p.xml.root_ns.empty() ? "" : "{" + p.xml.root_ns + "}") +
                                       p.xml.root_local + ", not " + (vml ? "" : "{" + std::string(p.spec->root_ns) + "}") + std::string(p.spec->root_local));
        }
        p.out_content_type = p.spec->content_type;
        continue;
      }
      SANSO_TRY(check_picture(p));
    }
    return ok();
  }

  // A picture is kept only when its bytes are the picture type it is declared as; raster
  // pictures are decoded and encoded again, metafiles checked by their header.
  Result<void> check_picture(Part& p) {
    const std::string_view want = p.spec->root_local;
    if (want == "emf" || want == "wmf") {
      if (!is_metafile(p.bytes, want)) return drop_mismatch(p);
      p.out_bytes = p.bytes;
      p.out_content_type = p.spec->content_type;
      return ok();
    }
    Detected d = detect(p.bytes, p.name, ctx_);
    if (d.type != want) return drop_mismatch(p);
    Context nested = ctx_.nested(p.name);
    auto rebuilt = sanitize_image(p.bytes, d.type, nested);
    // A picture that does not decode is not one; a limit (a pixel bomb) blocks the file.
    if (!rebuilt && reason_of(rebuilt.error()) == "malformed") return drop_mismatch(p);
    if (!rebuilt) return std::move(rebuilt).error();
    p.out_bytes = std::move(rebuilt->bytes);
    p.out_content_type = rebuilt->type == d.type ? std::string(p.spec->content_type) : "image/" + rebuilt->type;
    return ok();
  }

  Result<void> drop_mismatch(Part& p) {
    ctx_.add(FindingKind::kPartTypeMismatch, p.name, FindingAction::kRemoved);
    p.dropped = true;
    return ok();
  }

  bool kept(const Relationship& r) const {
    if (r.external) return true;
    auto it = parts_.find(r.part);
    return it != parts_.end() && !it->second.dropped && it->second.spec != nullptr;
  }

  // The content rules, with each part's references cut to the relationships that stayed.
  Result<void> disarm_parts() {
    std::erase_if(root_rels_, [&](const Relationship& r) { return !kept(r); });
    for (const auto& key : order_) {
      Part& p = parts_[key];
      if (p.spec == nullptr || p.dropped || p.xml.root_local.empty()) continue;
      std::erase_if(p.rels, [&](const Relationship& r) { return !kept(r); });
      ooxml::KeptReferences refs;
      for (const auto& r : p.rels) (r.external ? refs.hyperlinks : refs.internal).insert(r.id);
      SANSO_TRY(ooxml::disarm_part(p.xml.doc, refs, p.name, ctx_));
      p.out_bytes = ooxml::write_part(p.xml.doc);
    }
    return ok();
  }

  void report_orphans() {
    for (const auto& key : order_) {
      Part& p = parts_[key];
      if (p.accounted) continue;
      // A relationship part of a part that was itself dropped or never reached goes with it.
      if (auto pos = key.rfind("_rels/"); pos != std::string::npos && ends_with(key, ".rels")) {
        std::string source = key.substr(0, pos) + key.substr(pos + 6, key.size() - pos - 6 - 5);
        if (auto src = parts_.find(source); src != parts_.end()) {
          // A picture has no relationships: a relationship part beside a kept one is reported.
          if (src->second.spec != nullptr && !src->second.dropped && !is_xml(*src->second.spec)) ctx_.add(FindingKind::kMisplacedRelationship, p.name, FindingAction::kRemoved);
          continue;  // otherwise it goes with its source part, kept or reported
        }
      }
      ctx_.add(FindingKind::kOrphanPart, p.name, FindingAction::kRemoved);
    }
  }

  std::string write_relationships(const std::string& source, const std::vector<Relationship>& rels) {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("Relationships");
    root.append_attribute("xmlns").set_value(std::string(ooxml::kNsPackageRels).c_str());
    const std::string folder = folder_of(source);
    for (const auto& r : rels) {
      pugi::xml_node n = root.append_child("Relationship");
      n.append_attribute("Id").set_value(r.id.c_str());
      n.append_attribute("Type").set_value(r.type.c_str());
      n.append_attribute("Target").set_value(r.external ? r.target.c_str() : relative_target(folder, parts_[r.part].name).c_str());
      if (r.external) n.append_attribute("TargetMode").set_value("External");
    }
    return ooxml::write_part(doc);
  }

  Result<Rebuilt> write() {
    std::string out_type(detected_type_);
    pugi::xml_document types;
    pugi::xml_node root = types.append_child("Types");
    root.append_attribute("xmlns").set_value(std::string(ooxml::kNsContentTypes).c_str());
    pugi::xml_node rels_default = root.append_child("Default");
    rels_default.append_attribute("Extension").set_value("rels");
    rels_default.append_attribute("ContentType").set_value(std::string(kRelsContentType).c_str());
    std::vector<std::pair<std::string, std::string>> members;
    members.emplace_back("_rels/.rels", write_relationships("", root_rels_));
    for (const auto& r : root_rels_) {
      if (r.type != kOfficeDocument) continue;
      Part& main = parts_[r.part];
      auto [free_type, free_name] = macro_free(main.content_type);
      if (!free_type.empty()) {
        ctx_.add(FindingKind::kMacroEnabledType, main.name, FindingAction::kConverted);
        main.out_content_type = free_type;
      }
      if (auto [_, name] = macro_free(main.out_content_type); !name.empty()) out_type = name;
    }
    for (const auto& key : order_) {
      Part& p = parts_[key];
      if (p.spec == nullptr || p.dropped) continue;
      pugi::xml_node o = root.append_child("Override");
      o.append_attribute("PartName").set_value(("/" + uri_encoded(p.name)).c_str());
      o.append_attribute("ContentType").set_value(p.out_content_type.c_str());
      members.emplace_back(p.name, std::move(p.out_bytes));
      if (!p.rels.empty()) members.emplace_back(rels_part_of(p.name), write_relationships(p.name, p.rels));
    }
    ZipWriter writer;
    writer.add("[Content_Types].xml", ooxml::write_part(types));
    for (auto& [name, bytes] : members) writer.add(std::move(name), std::move(bytes));
    auto out = writer.finish();
    if (!out) return std::move(out).error();
    return Rebuilt{std::move(out).value(), out_type};
  }

  std::string detected_type_;
  const Context& ctx_;
  std::map<std::string, Part> parts_;  // by part_key
  std::vector<std::string> order_;     // keys in the input's member order
  std::map<std::string, std::string> overrides_;
  std::vector<Relationship> root_rels_;
};

}  // namespace

Result<Rebuilt> sanitize_ooxml(std::string_view bytes, std::string_view type, const Context& ctx) {
  if (type == "xlsb") return blocked("unsupported", ctx.prefix, "binary Excel workbooks (.xlsb) are not rebuilt; ask the sender for .xlsx");
  PackageRebuild rebuild(type, ctx);
  return rebuild.run(bytes);
}

}  // namespace sanso::cdr::internal
