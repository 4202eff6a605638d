// Content type from the bytes: magic numbers first, then a look inside containers (a zip is OOXML
// when it has [Content_Types].xml, ODF when it has a mimetype member, …).
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstring>

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
  if (starts(b, "\xFF\xFE") || starts(b, "\xFE\xFF")) return false;  // UTF-16 with BOM
  std::size_t probe = std::min<std::size_t>(b.size(), 65536);
  std::size_t controls = 0;
  for (std::size_t i = 0; i < probe; ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    if (c == 0) return true;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B && c != 0x0E && c != 0x0F) ++controls;
  }
  return controls * 100 > probe;  // more than 1 % odd control bytes: not text
}

// Text whose first markup says what it is.
Detected detect_text(std::string_view b, std::string_view name) {
  std::string_view t = b;
  if (starts(t, "\xEF\xBB\xBF")) t.remove_prefix(3);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n')) t.remove_prefix(1);
  std::string head = ascii_lower(t.substr(0, 4096));
  if (starts(head, "id;p") || starts(head, "id;")) return {"sylk", "spreadsheet-active"};
  if (starts(head, "mime-version:") && head.find("multipart/related") != std::string::npos) return {"mht", "web-archive"};
  for (const char* h : {"from:", "received:", "return-path:", "mime-version:", "message-id:", "date:", "subject:", "to:"}) {
    if (starts(head, h)) return {"email", "message"};
  }
  if (starts(head, "<")) {
    if (head.find("<?mso-application") != std::string::npos || head.find("urn:schemas-microsoft-com:office:") != std::string::npos ||
        head.find("schemas.microsoft.com/office/word/2003") != std::string::npos) {
      return {"office-xml", "office-xml"};
    }
    if (head.find("<svg") != std::string::npos) return {"svg", "image"};
    if (head.find("<!doctype html") != std::string::npos || head.find("<html") != std::string::npos || head.find("<head") != std::string::npos ||
        head.find("<body") != std::string::npos || head.find("<script") != std::string::npos || head.find("<hta:") != std::string::npos) {
      return {"html", "html"};
    }
    if (starts(head, "<?xml")) return {"xml", "text"};
  }
  std::string ext = file_extension(name);
  if (ext == "csv") return {"csv", "text"};
  if (ext == "tsv" || ext == "tab") return {"tsv", "text"};
  return {"text", "text"};
}

}  // namespace

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
      {"msg", "message"}, {"eml", "message"}, {"slk", "spreadsheet-active"}, {"mht", "web-archive"}, {"mhtml", "web-archive"},
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
      "vb", "ws", "xbap", "hme", "jnlp", "iqy", "slk", "svgz", "mht", "mhtml", "xnk", "theme", "themepack", "diagcab"};
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
