// Content type from the bytes: magic numbers first, then a look inside containers (a zip is OOXML
// when it has [Content_Types].xml, ODF when it has a mimetype member, …).
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <initializer_list>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "cdr/internal/zip_package.h"
#include "mime/charset.h"

namespace sanso::cdr::internal {
namespace {

bool starts(std::string_view b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && b.substr(at, magic.size()) == magic;
}



struct MainType {
  const char* content_type;
  const char* type;
  Family family;
};
constexpr std::array<MainType, 19> kOoxmlMain{{
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "docx", Family::kWord},
    {"application/vnd.ms-word.document.macroenabled.main+xml", "docm", Family::kWord},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", "dotx", Family::kWord},
    {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", "dotm", Family::kWord},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx", Family::kExcel},
    {"application/vnd.ms-excel.sheet.macroenabled.main+xml", "xlsm", Family::kExcel},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", "xltx", Family::kExcel},
    {"application/vnd.ms-excel.template.macroenabled.main+xml", "xltm", Family::kExcel},
    {"application/vnd.ms-excel.addin.macroenabled.main+xml", "xlam", Family::kExcel},
    {"application/vnd.ms-excel.sheet.binary.macroenabled.main", "xlsb", Family::kExcel},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx", Family::kPowerpoint},
    {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", "pptm", Family::kPowerpoint},
    {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", "ppsx", Family::kPowerpoint},
    {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", "ppsm", Family::kPowerpoint},
    {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", "potx", Family::kPowerpoint},
    {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", "potm", Family::kPowerpoint},
    {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", "ppam", Family::kPowerpoint},
    {"application/vnd.ms-package.xps-fixeddocumentsequence+xml", "xps", Family::kXps},
    {"application/vnd.ms-xpsdocument", "xps", Family::kXps},
}};

Detected detect_zip(std::string_view bytes, const Context& ctx) {
  auto reader = ZipReader::open(bytes, ctx);
  if (!reader) return {"zip", Family::kArchive};  // the archive rebuilder reports what is wrong
  const ZipReader& zip = **reader;
  if (const ZipEntry* types = zip.find("[Content_Types].xml"); types != nullptr && types->size < (std::uint64_t{8} << 20)) {
    std::uint64_t scratch = 0;
    std::vector<Finding> ignored;
    Context probe{ctx.policy, ignored, scratch, ctx.depth, ctx.prefix};
    auto xml = zip.read(*types, probe);
    if (xml) {
      pugi::xml_document doc;
      if (doc.load_buffer(xml->data(), xml->size(), pugi::parse_default)) {
        for (pugi::xml_node n : doc.document_element().children()) {
          std::string ct = ascii_lower(n.attribute("ContentType").value());
          for (const auto& m : kOoxmlMain) {
            if (ct == m.content_type) return {m.type, m.family};
          }
        }
      }
    }
    return {"ooxml", Family::kOoxml};  // a package whose main part we do not know
  }
  if (const ZipEntry* mt = zip.find("mimetype"); mt != nullptr && mt->size < 256) {
    std::uint64_t scratch = 0;
    std::vector<Finding> ignored;
    Context probe{ctx.policy, ignored, scratch, ctx.depth, ctx.prefix};
    auto m = zip.read(*mt, probe);
    if (m) {
      struct OdfType {
        const char* media_type;
        const char* type;
        Family family;
      };
      static constexpr std::array<OdfType, 8> kOdf{{
          {"application/vnd.oasis.opendocument.text", "odt", Family::kOdfText},
          {"application/vnd.oasis.opendocument.text-template", "ott", Family::kOdfText},
          {"application/vnd.oasis.opendocument.spreadsheet", "ods", Family::kOdfSpreadsheet},
          {"application/vnd.oasis.opendocument.spreadsheet-template", "ots", Family::kOdfSpreadsheet},
          {"application/vnd.oasis.opendocument.presentation", "odp", Family::kOdfPresentation},
          {"application/vnd.oasis.opendocument.presentation-template", "otp", Family::kOdfPresentation},
          {"application/vnd.oasis.opendocument.graphics", "odg", Family::kOdfGraphics},
          {"application/epub+zip", "epub", Family::kEbook},
      }};
      for (const auto& o : kOdf) {
        if (*m == o.media_type) return {o.type, o.family};
      }
    }
  }
  if (zip.find("AndroidManifest.xml") != nullptr || zip.find("classes.dex") != nullptr) return {"apk", Family::kExecutable};
  if (zip.find("META-INF/MANIFEST.MF") != nullptr) {
    for (const auto& e : zip.entries()) {
      if (e.name.size() > 6 && e.name.compare(e.name.size() - 6, 6, ".class") == 0) return {"jar", Family::kExecutable};
    }
  }
  return {"zip", Family::kArchive};
}

bool looks_binary(std::string_view b) {
  if (starts(b, "\xFF\xFE") || starts(b, "\xFE\xFF") || starts(b, std::string_view("\0\0\xFE\xFF", 4))) return false;  // UTF-16/32 with BOM
  std::size_t probe = std::min<std::size_t>(b.size(), 65536);
  std::size_t controls = 0;
  for (std::size_t i = 0; i < probe; ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    if (c == 0) return true;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B && c != 0x0E && c != 0x0F) ++controls;
  }
  return controls * 100 > probe;  // more than 1 % odd control bytes: not text
}

// The local name of the first element ("" when there is none): after the XML declaration,
// processing instructions, comments and the doctype.
std::string root_element(std::string_view lower) {
  for (std::size_t lt = lower.find('<'); lt != std::string_view::npos; lt = lower.find('<', lt + 1)) {
    if (lower.compare(lt, 4, "<!--") == 0) {
      const auto close = lower.find("-->", lt + 4);
      if (close == std::string_view::npos) return "";
      lt = close;
      continue;
    }
    if (lt + 1 < lower.size() && (lower[lt + 1] == '?' || lower[lt + 1] == '!')) continue;
    std::size_t end = lt + 1;
    while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) || lower[end] == ':' || lower[end] == '-' || lower[end] == '_')) ++end;
    std::string_view qname = lower.substr(lt + 1, end - lt - 1);
    const auto colon = qname.rfind(':');
    return std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
  }
  return "";
}

// Text whose markup says what it is, wherever in the file it is: a flat ODF or an HTA after a
// few KiB of padding is still what Office or mshta will open.
Detected detect_text(std::string_view b, std::string_view name) {
  const std::string all = ascii_lower(sniffable_text(b));
  std::string_view t = all;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n')) t.remove_prefix(1);
  const std::string_view head = t.substr(0, 4096);
  if (starts(head, "id;p") || starts(head, "id;")) return {"sylk", Family::kSpreadsheetActive};
  if (starts(head, "mime-version:") && head.find("multipart/related") != std::string::npos) return {"mht", Family::kWebArchive};
  for (const char* h : {"from:", "received:", "return-path:", "mime-version:", "message-id:", "date:", "subject:", "to:"}) {
    if (starts(head, h)) return {"email", Family::kMessage};
  }
  auto has = [&](std::string_view marker) { return all.find(marker) != std::string::npos; };
  if (has("<?mso-application") || has("urn:schemas-microsoft-com:office:") || has("schemas.microsoft.com/office/word/2003")) {
    return {"office-xml", Family::kOfficeXml};
  }
  if (has("urn:oasis:names:tc:opendocument:xmlns:office:")) return {"flat-odf", Family::kOfficeXml};
  // XSLT runs script in the reader (msxsl:script); a stylesheet instruction fetches one.
  if (has("http://www.w3.org/1999/xsl/transform") || has("urn:schemas-microsoft-com:xslt") || has("<?xml-stylesheet")) return {"xslt", Family::kXmlActive};
  // The root element decides first (an HTML page may hold inline SVG); then markup anywhere.
  const std::string root = root_element(all);
  if (root == "svg") return {"svg", Family::kImage};
  if (root != "html" && (has("http://www.w3.org/2000/svg") || has_tag_named(all, {"svg"}))) return {"svg", Family::kImage};
  if (has("http://www.w3.org/1999/xhtml") || has("<!doctype html") || has("<hta:") ||
      has_tag_named(all, {"html", "head", "body", "script", "iframe", "frameset", "object", "embed", "applet", "job", "component", "scriptlet"})) {
    return {"html", Family::kHtml};
  }
  std::string ext = file_extension(name);
  // A browser renders a file of these names as HTML whatever it holds: a fragment without an
  // <html> or <body> ("<p>1234<b></b>56789018</p>", a data: URI in a link) is read as one.
  if (ext == "htm" || ext == "html" || ext == "xhtml" || ext == "shtml") return {"html", Family::kHtml};
  if (starts(head, "<?xml")) return {"xml", Family::kText};
  if (ext == "csv") return {"csv", Family::kText};
  if (ext == "tsv" || ext == "tab") return {"tsv", Family::kText};
  return {"text", Family::kText};
}

}  // namespace

// Whether `lower` has a start tag whose local name (after any prefix: "<x:html" is html when x is
// bound to XHTML, and a prefix is only an alias) is one of `names`.
bool has_tag_named(std::string_view lower, std::initializer_list<std::string_view> names) {
  for (std::size_t lt = lower.find('<'); lt != std::string_view::npos; lt = lower.find('<', lt + 1)) {
    std::size_t end = lt + 1;
    while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) || lower[end] == ':' || lower[end] == '-' || lower[end] == '_' ||
                                  lower[end] == '.')) {
      ++end;
    }
    std::string_view qname = lower.substr(lt + 1, end - lt - 1);
    const auto colon = qname.rfind(':');
    const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
    for (std::string_view n : names) {
      if (local == n) return true;
    }
  }
  return false;
}

std::string sniffable_text(std::string_view b) {
  auto unit_text = [&](std::size_t skip, std::size_t width, bool big_endian) {
    std::string out;
    out.reserve((b.size() - skip) / width);
    for (std::size_t at = skip; at + width <= b.size(); at += width) {
      std::uint32_t unit = 0;
      for (std::size_t i = 0; i < width; ++i) {
        const std::uint32_t byte = static_cast<unsigned char>(b[at + (big_endian ? i : width - 1 - i)]);
        unit = (unit << 8) | byte;
      }
      out.push_back(unit < 0x80 ? static_cast<char>(unit) : '?');  // markup is ASCII; the rest only has to stay in place
    }
    return out;
  };
  if (starts(b, std::string_view("\xFF\xFE\0\0", 4))) return unit_text(4, 4, false);
  if (starts(b, std::string_view("\0\0\xFE\xFF", 4))) return unit_text(4, 4, true);
  if (starts(b, "\xFF\xFE")) return unit_text(2, 2, false);
  if (starts(b, "\xFE\xFF")) return unit_text(2, 2, true);
  if (starts(b, "\xEF\xBB\xBF")) return std::string(b.substr(3));
  return std::string(b);
}

Family extension_family(std::string_view extension) {
  struct Row {
    const char* ext;
    Family family;
  };
  static constexpr Row kRows[] = {
      {"doc", Family::kWord}, {"dot", Family::kWord}, {"docx", Family::kWord}, {"docm", Family::kWord}, {"dotx", Family::kWord}, {"dotm", Family::kWord}, {"wbk", Family::kWord},
      {"xls", Family::kExcel}, {"xlt", Family::kExcel}, {"xla", Family::kExcel}, {"xlsx", Family::kExcel}, {"xlsm", Family::kExcel}, {"xlsb", Family::kExcel}, {"xltx", Family::kExcel},
      {"xltm", Family::kExcel}, {"xlam", Family::kExcel}, {"ppt", Family::kPowerpoint}, {"pps", Family::kPowerpoint}, {"pot", Family::kPowerpoint}, {"pptx", Family::kPowerpoint},
      {"pptm", Family::kPowerpoint}, {"ppsx", Family::kPowerpoint}, {"ppsm", Family::kPowerpoint}, {"potx", Family::kPowerpoint}, {"potm", Family::kPowerpoint},
      {"ppam", Family::kPowerpoint}, {"rtf", Family::kRtf}, {"pdf", Family::kPdf}, {"odt", Family::kOdfText}, {"ott", Family::kOdfText}, {"ods", Family::kOdfSpreadsheet},
      {"ots", Family::kOdfSpreadsheet}, {"odp", Family::kOdfPresentation}, {"otp", Family::kOdfPresentation}, {"odg", Family::kOdfGraphics},
      {"jpg", Family::kImage}, {"jpeg", Family::kImage}, {"jpe", Family::kImage}, {"jfif", Family::kImage}, {"png", Family::kImage}, {"gif", Family::kImage}, {"bmp", Family::kImage},
      {"dib", Family::kImage}, {"tif", Family::kImage}, {"tiff", Family::kImage}, {"webp", Family::kImage}, {"svg", Family::kImage},
      {"zip", Family::kArchive}, {"lzh", Family::kArchive}, {"lha", Family::kArchive}, {"7z", Family::kArchive}, {"rar", Family::kArchive}, {"tar", Family::kArchive},
      {"tgz", Family::kArchive}, {"gz", Family::kArchive}, {"bz2", Family::kArchive}, {"tbz", Family::kArchive}, {"tbz2", Family::kArchive}, {"xz", Family::kArchive},
      {"txz", Family::kArchive}, {"cab", Family::kArchive},
      {"txt", Family::kText}, {"csv", Family::kText}, {"tsv", Family::kText}, {"tab", Family::kText}, {"log", Family::kText}, {"md", Family::kText}, {"xml", Family::kText},
      {"json", Family::kText}, {"ini", Family::kText}, {"conf", Family::kText}, {"cfg", Family::kText}, {"yaml", Family::kText}, {"yml", Family::kText},
      {"htm", Family::kHtml}, {"html", Family::kHtml}, {"xhtml", Family::kHtml}, {"xps", Family::kXps}, {"oxps", Family::kXps}, {"epub", Family::kEbook},
      {"msg", Family::kMessage}, {"eml", Family::kMessage},
      // Media: recognised, judged by content, not rebuilt ("unsupported" says so, not the name).
      {"ogg", Family::kMedia}, {"oga", Family::kMedia}, {"mp3", Family::kMedia}, {"mp4", Family::kMedia}, {"m4a", Family::kMedia}, {"mov", Family::kMedia}, {"wav", Family::kMedia},
      {"avi", Family::kMedia}, {"flac", Family::kMedia}, {"mkv", Family::kMedia}, {"webm", Family::kMedia}, {"wma", Family::kMedia}, {"wmv", Family::kMedia}, {"slk", Family::kSpreadsheetActive}, {"mht", Family::kWebArchive}, {"mhtml", Family::kWebArchive},
  };
  for (const auto& r : kRows) {
    if (extension == r.ext) return r.family;
  }
  return Family::kNone;
}

bool is_dangerous_extension(std::string_view extension) {
  static constexpr const char* kDangerous[] = {
      "exe", "dll", "scr", "com", "pif", "cpl", "msi", "msp", "mst", "jar", "js", "jse", "vbs", "vbe", "wsf", "wsh", "wsc", "ps1",
      "psm1", "psd1", "ps1xml", "bat", "cmd", "hta", "lnk", "url", "inf", "reg", "scf", "sh", "iso", "img", "vhd", "vhdx", "one",
      "onepkg", "chm", "hlp", "application", "gadget", "msc", "appx", "appxbundle", "msix", "msixbundle", "appref-ms",
      "settingcontent-ms", "library-ms", "search-ms", "xll", "sys", "drv", "ocx", "apk", "app", "dmg", "pkg", "deb", "rpm", "elf",
      "bin", "run", "py", "pyw", "pl", "rb", "php", "desktop", "website", "cer", "crt", "der", "ins", "isp", "sct", "shb", "shs",
      "vb", "ws", "xbap", "hme", "jnlp", "iqy", "slk", "svgz", "mht", "mhtml", "xnk", "theme", "themepack", "diagcab",
      // They reach out when opened: a remote desktop session, a search connector or query to a
      // server, an app installer URL, a Windows Sandbox configuration that maps folders and runs
      // a command, PowerShell console files, XSLT with script blocks, server-side includes.
      "rdp", "searchconnector-ms", "rqy", "dqy", "appinstaller", "wsb", "psc1", "psc2", "xsl", "xslt", "shtml", "shtm", "stm", "xht",
      "msh", "msh1", "msh2", "mshxml", "msh1xml", "msh2xml", "ps2", "ps2xml", "ade", "adp", "mda", "mdb", "mde", "accde", "mam", "maq",
      "mar", "mat", "mav", "maw", "mcf", "msu", "ppkg", "pssc", "grp", "ms-appinstaller", "oxt", "vsto", "vsix", "wiz", "ksh",
      "csh", "bash", "zsh", "fish", "command", "tool", "workflow", "scpt", "scptd", "applescript", "action"};
  for (const char* d : kDangerous) {
    if (extension == d) return true;
  }
  return false;
}

namespace {
// Indexed by Family's values.
constexpr std::string_view kFamilyNames[] = {
    "",
    "word",
    "excel",
    "powerpoint",
    "ooxml",
    "odf-text",
    "odf-spreadsheet",
    "odf-presentation",
    "odf-graphics",
    "pdf",
    "rtf",
    "image",
    "text",
    "html",
    "archive",
    "xps",
    "ebook",
    "message",
    "media",
    "spreadsheet-active",
    "web-archive",
    "office-xml",
    "xml-active",
    "ole2",
    "executable",
    "unknown",
};
static_assert(std::size(kFamilyNames) == static_cast<std::size_t>(Family::kUnknown) + 1);
}  // namespace

std::string_view to_string(Family family) { return kFamilyNames[static_cast<std::size_t>(family)]; }
bool is_odf(Family f) { return f == Family::kOdfText || f == Family::kOdfSpreadsheet || f == Family::kOdfPresentation || f == Family::kOdfGraphics; }
bool is_ooxml(Family f) { return f == Family::kWord || f == Family::kExcel || f == Family::kPowerpoint || f == Family::kOoxml; }

Detected detect(std::string_view b, std::string_view name, const Context& ctx) {
  if (b.empty()) return {"empty", Family::kText};
  // Executables and things Windows runs.
  if (starts(b, "MZ")) return {"pe", Family::kExecutable};
  if (starts(b, "\x7F" "ELF")) return {"elf", Family::kExecutable};
  if (starts(b, "\xFE\xED\xFA\xCE") || starts(b, "\xFE\xED\xFA\xCF") || starts(b, "\xCE\xFA\xED\xFE") || starts(b, "\xCF\xFA\xED\xFE") ||
      starts(b, "\xCA\xFE\xBA\xBE")) {
    return {"macho", Family::kExecutable};
  }
  if (starts(b, std::string_view("\x4C\x00\x00\x00\x01\x14\x02\x00", 8))) return {"lnk", Family::kExecutable};
  if (starts(b, "#!")) return {"script", Family::kExecutable};
  if (starts(b, "ITSF")) return {"chm", Family::kExecutable};
  if (starts(b, "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3")) return {"onenote", Family::kExecutable};
  if (starts(b, "CD001", 0x8001) || starts(b, "CD001", 0x8801) || starts(b, "CD001", 0x9001) || starts(b, "BEA01", 0x8001)) {
    return {"iso", Family::kExecutable};
  }
  if (starts(b, "conectix") || starts(b, "vhdxfile") || starts(b, "KDMV")) return {"disk-image", Family::kExecutable};
  if (starts(b, "dex\n")) return {"dex", Family::kExecutable};
  if (starts(b, std::string_view("\0asm", 4))) return {"wasm", Family::kExecutable};
  // Documents.
  if (b.substr(0, 1024).find("%PDF-") != std::string_view::npos) return {"pdf", Family::kPdf};
  if (starts(b, "{\\rt")) return {"rtf", Family::kRtf};  // Word opens "{\rt" as RTF, whatever follows
  if (starts(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return ole2_kind(b);
  if (starts(b, "PK\x03\x04") || starts(b, "PK\x05\x06") || starts(b, "PK\x07\x08")) return detect_zip(b, ctx);
  // Images.
  if (starts(b, "\xFF\xD8\xFF")) return {"jpeg", Family::kImage};
  if (starts(b, "\x89PNG\r\n\x1A\n")) return {"png", Family::kImage};
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return {"gif", Family::kImage};
  if (starts(b, "BM") && b.size() > 26) return {"bmp", Family::kImage};
  if (starts(b, std::string_view("II*\0", 4)) || starts(b, std::string_view("MM\0*", 4))) return {"tiff", Family::kImage};
  if (starts(b, "RIFF") && starts(b, "WEBP", 8)) return {"webp", Family::kImage};
  // Archives.
  if (starts(b, "Rar!\x1A\x07")) return {"rar", Family::kArchive};
  if (starts(b, "7z\xBC\xAF\x27\x1C")) return {"7z", Family::kArchive};
  if (starts(b, "\x1F\x8B")) return {"gzip", Family::kArchive};
  if (starts(b, "BZh")) return {"bzip2", Family::kArchive};
  if (starts(b, std::string_view("\xFD" "7zXZ\0", 6))) return {"xz", Family::kArchive};
  if (starts(b, "MSCF")) return {"cab", Family::kArchive};
  if (starts(b, "ustar", 257)) return {"tar", Family::kArchive};
  if (b.size() > 7 && b[2] == '-' && b[6] == '-' && (starts(b, "lh", 3) || starts(b, "lz", 3))) return {"lzh", Family::kArchive};
  // Media we recognise but do not rebuild.
  if (starts(b, "OggS") || starts(b, "ftyp", 4) || starts(b, "ID3") || starts(b, "fLaC") || starts(b, "\x1A\x45\xDF\xA3") ||
      (starts(b, "RIFF") && (starts(b, "WAVE", 8) || starts(b, "AVI ", 8)))) {
    return {"media", Family::kMedia};
  }
  if (!looks_binary(b)) return detect_text(b, name);
  return {"unknown", Family::kUnknown};
}

}  // namespace sanso::cdr::internal
