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
  const char* family;
};
constexpr std::array<MainType, 19> kOoxmlMain{{
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "docx", "word"},
    {"application/vnd.ms-word.document.macroenabled.main+xml", "docm", "word"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", "dotx", "word"},
    {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", "dotm", "word"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx", "excel"},
    {"application/vnd.ms-excel.sheet.macroenabled.main+xml", "xlsm", "excel"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", "xltx", "excel"},
    {"application/vnd.ms-excel.template.macroenabled.main+xml", "xltm", "excel"},
    {"application/vnd.ms-excel.addin.macroenabled.main+xml", "xlam", "excel"},
    {"application/vnd.ms-excel.sheet.binary.macroenabled.main", "xlsb", "excel"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx", "powerpoint"},
    {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", "pptm", "powerpoint"},
    {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", "ppsx", "powerpoint"},
    {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", "ppsm", "powerpoint"},
    {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", "potx", "powerpoint"},
    {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", "potm", "powerpoint"},
    {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", "ppam", "powerpoint"},
    {"application/vnd.ms-package.xps-fixeddocumentsequence+xml", "xps", "xps"},
    {"application/vnd.ms-xpsdocument", "xps", "xps"},
}};

Detected detect_zip(std::string_view bytes, const Context& ctx) {
  auto reader = ZipReader::open(bytes, ctx);
  if (!reader) return {"zip", "archive"};  // the archive rebuilder reports what is wrong
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
    return {"ooxml", "ooxml"};  // a package whose main part we do not know
  }
  if (const ZipEntry* mt = zip.find("mimetype"); mt != nullptr && mt->size < 256) {
    std::uint64_t scratch = 0;
    std::vector<Finding> ignored;
    Context probe{ctx.policy, ignored, scratch, ctx.depth, ctx.prefix};
    auto m = zip.read(*mt, probe);
    if (m) {
      static constexpr std::array<std::array<const char*, 3>, 8> kOdf{{
          {"application/vnd.oasis.opendocument.text", "odt", "odf-text"},
          {"application/vnd.oasis.opendocument.text-template", "ott", "odf-text"},
          {"application/vnd.oasis.opendocument.spreadsheet", "ods", "odf-spreadsheet"},
          {"application/vnd.oasis.opendocument.spreadsheet-template", "ots", "odf-spreadsheet"},
          {"application/vnd.oasis.opendocument.presentation", "odp", "odf-presentation"},
          {"application/vnd.oasis.opendocument.presentation-template", "otp", "odf-presentation"},
          {"application/vnd.oasis.opendocument.graphics", "odg", "odf-graphics"},
          {"application/epub+zip", "epub", "ebook"},
      }};
      for (const auto& o : kOdf) {
        if (*m == o[0]) return {o[1], o[2]};
      }
    }
  }
  if (zip.find("AndroidManifest.xml") != nullptr || zip.find("classes.dex") != nullptr) return {"apk", "executable"};
  if (zip.find("META-INF/MANIFEST.MF") != nullptr) {
    for (const auto& e : zip.entries()) {
      if (e.name.size() > 6 && e.name.compare(e.name.size() - 6, 6, ".class") == 0) return {"jar", "executable"};
    }
  }
  return {"zip", "archive"};
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
  if (starts(head, "id;p") || starts(head, "id;")) return {"sylk", "spreadsheet-active"};
  if (starts(head, "mime-version:") && head.find("multipart/related") != std::string::npos) return {"mht", "web-archive"};
  for (const char* h : {"from:", "received:", "return-path:", "mime-version:", "message-id:", "date:", "subject:", "to:"}) {
    if (starts(head, h)) return {"email", "message"};
  }
  auto has = [&](std::string_view marker) { return all.find(marker) != std::string::npos; };
  if (has("<?mso-application") || has("urn:schemas-microsoft-com:office:") || has("schemas.microsoft.com/office/word/2003")) {
    return {"office-xml", "office-xml"};
  }
  if (has("urn:oasis:names:tc:opendocument:xmlns:office:")) return {"flat-odf", "office-xml"};
  // XSLT runs script in the reader (msxsl:script); a stylesheet instruction fetches one.
  if (has("http://www.w3.org/1999/xsl/transform") || has("urn:schemas-microsoft-com:xslt") || has("<?xml-stylesheet")) return {"xslt", "xml-active"};
  // The root element decides first (an HTML page may hold inline SVG); then markup anywhere.
  const std::string root = root_element(all);
  if (root == "svg") return {"svg", "image"};
  if (root != "html" && (has("http://www.w3.org/2000/svg") || has_tag_named(all, {"svg"}))) return {"svg", "image"};
  if (has("http://www.w3.org/1999/xhtml") || has("<!doctype html") || has("<hta:") ||
      has_tag_named(all, {"html", "head", "body", "script", "iframe", "frameset", "object", "embed", "applet", "job", "component", "scriptlet"})) {
    return {"html", "html"};
  }
  if (starts(head, "<?xml")) return {"xml", "text"};
  std::string ext = file_extension(name);
  if (ext == "csv") return {"csv", "text"};
  if (ext == "tsv" || ext == "tab") return {"tsv", "text"};
  return {"text", "text"};
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

std::string_view extension_family(std::string_view extension) {
  struct Row {
    const char* ext;
    const char* family;
  };
  static constexpr Row kRows[] = {
      {"doc", "word"}, {"dot", "word"}, {"docx", "word"}, {"docm", "word"}, {"dotx", "word"}, {"dotm", "word"}, {"wbk", "word"},
      {"xls", "excel"}, {"xlt", "excel"}, {"xla", "excel"}, {"xlsx", "excel"}, {"xlsm", "excel"}, {"xlsb", "excel"}, {"xltx", "excel"},
      {"xltm", "excel"}, {"xlam", "excel"}, {"ppt", "powerpoint"}, {"pps", "powerpoint"}, {"pot", "powerpoint"}, {"pptx", "powerpoint"},
      {"pptm", "powerpoint"}, {"ppsx", "powerpoint"}, {"ppsm", "powerpoint"}, {"potx", "powerpoint"}, {"potm", "powerpoint"},
      {"ppam", "powerpoint"}, {"rtf", "rtf"}, {"pdf", "pdf"}, {"odt", "odf-text"}, {"ott", "odf-text"}, {"ods", "odf-spreadsheet"},
      {"ots", "odf-spreadsheet"}, {"odp", "odf-presentation"}, {"otp", "odf-presentation"}, {"odg", "odf-graphics"},
      {"jpg", "image"}, {"jpeg", "image"}, {"jpe", "image"}, {"jfif", "image"}, {"png", "image"}, {"gif", "image"}, {"bmp", "image"},
      {"dib", "image"}, {"tif", "image"}, {"tiff", "image"}, {"webp", "image"}, {"svg", "image"},
      {"zip", "archive"}, {"lzh", "archive"}, {"lha", "archive"}, {"7z", "archive"}, {"rar", "archive"}, {"tar", "archive"},
      {"tgz", "archive"}, {"gz", "archive"}, {"bz2", "archive"}, {"tbz", "archive"}, {"tbz2", "archive"}, {"xz", "archive"},
      {"txz", "archive"}, {"cab", "archive"},
      {"txt", "text"}, {"csv", "text"}, {"tsv", "text"}, {"tab", "text"}, {"log", "text"}, {"md", "text"}, {"xml", "text"},
      {"json", "text"}, {"ini", "text"}, {"conf", "text"}, {"cfg", "text"}, {"yaml", "text"}, {"yml", "text"},
      {"htm", "html"}, {"html", "html"}, {"xhtml", "html"}, {"xps", "xps"}, {"oxps", "xps"}, {"epub", "ebook"},
      {"msg", "message"}, {"eml", "message"},
      // Media: recognised, judged by content, not rebuilt ("unsupported" says so, not the name).
      {"ogg", "media"}, {"oga", "media"}, {"mp3", "media"}, {"mp4", "media"}, {"m4a", "media"}, {"mov", "media"}, {"wav", "media"},
      {"avi", "media"}, {"flac", "media"}, {"mkv", "media"}, {"webm", "media"}, {"wma", "media"}, {"wmv", "media"}, {"slk", "spreadsheet-active"}, {"mht", "web-archive"}, {"mhtml", "web-archive"},
  };
  for (const auto& r : kRows) {
    if (extension == r.ext) return r.family;
  }
  return "";
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

Detected detect(std::string_view b, std::string_view name, const Context& ctx) {
  if (b.empty()) return {"empty", "text"};
  // Executables and things Windows runs.
  if (starts(b, "MZ")) return {"pe", "executable"};
  if (starts(b, "\x7F" "ELF")) return {"elf", "executable"};
  if (starts(b, "\xFE\xED\xFA\xCE") || starts(b, "\xFE\xED\xFA\xCF") || starts(b, "\xCE\xFA\xED\xFE") || starts(b, "\xCF\xFA\xED\xFE") ||
      starts(b, "\xCA\xFE\xBA\xBE")) {
    return {"macho", "executable"};
  }
  if (starts(b, std::string_view("\x4C\x00\x00\x00\x01\x14\x02\x00", 8))) return {"lnk", "executable"};
  if (starts(b, "#!")) return {"script", "executable"};
  if (starts(b, "ITSF")) return {"chm", "executable"};
  if (starts(b, "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3")) return {"onenote", "executable"};
  if (starts(b, "CD001", 0x8001) || starts(b, "CD001", 0x8801) || starts(b, "CD001", 0x9001) || starts(b, "BEA01", 0x8001)) {
    return {"iso", "executable"};
  }
  if (starts(b, "conectix") || starts(b, "vhdxfile") || starts(b, "KDMV")) return {"disk-image", "executable"};
  if (starts(b, "dex\n")) return {"dex", "executable"};
  if (starts(b, std::string_view("\0asm", 4))) return {"wasm", "executable"};
  // Documents.
  if (b.substr(0, 1024).find("%PDF-") != std::string_view::npos) return {"pdf", "pdf"};
  if (starts(b, "{\\rt")) return {"rtf", "rtf"};  // Word opens "{\rt" as RTF, whatever follows
  if (starts(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    std::string kind = ole2_kind(b);
    std::string_view family = kind == "doc" ? "word" : kind == "xls" ? "excel" : kind == "ppt" ? "powerpoint" : kind == "msg" ? "message" : "ole2";
    return {kind, std::string(family)};
  }
  if (starts(b, "PK\x03\x04") || starts(b, "PK\x05\x06") || starts(b, "PK\x07\x08")) return detect_zip(b, ctx);
  // Images.
  if (starts(b, "\xFF\xD8\xFF")) return {"jpeg", "image"};
  if (starts(b, "\x89PNG\r\n\x1A\n")) return {"png", "image"};
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return {"gif", "image"};
  if (starts(b, "BM") && b.size() > 26) return {"bmp", "image"};
  if (starts(b, std::string_view("II*\0", 4)) || starts(b, std::string_view("MM\0*", 4))) return {"tiff", "image"};
  if (starts(b, "RIFF") && starts(b, "WEBP", 8)) return {"webp", "image"};
  // Archives.
  if (starts(b, "Rar!\x1A\x07")) return {"rar", "archive"};
  if (starts(b, "7z\xBC\xAF\x27\x1C")) return {"7z", "archive"};
  if (starts(b, "\x1F\x8B")) return {"gzip", "archive"};
  if (starts(b, "BZh")) return {"bzip2", "archive"};
  if (starts(b, std::string_view("\xFD" "7zXZ\0", 6))) return {"xz", "archive"};
  if (starts(b, "MSCF")) return {"cab", "archive"};
  if (starts(b, "ustar", 257)) return {"tar", "archive"};
  if (b.size() > 7 && b[2] == '-' && b[6] == '-' && (starts(b, "lh", 3) || starts(b, "lz", 3))) return {"lzh", "archive"};
  // Media we recognise but do not rebuild.
  if (starts(b, "OggS") || starts(b, "ftyp", 4) || starts(b, "ID3") || starts(b, "fLaC") || starts(b, "\x1A\x45\xDF\xA3") ||
      (starts(b, "RIFF") && (starts(b, "WAVE", 8) || starts(b, "AVI ", 8)))) {
    return {"media", "media"};
  }
  if (!looks_binary(b)) return detect_text(b, name);
  return {"unknown", "unknown"};
}

}  // namespace sanso::cdr::internal
