#include "mime/charset.h"

#include <dirent.h>
#include <iconv.h>
#include <link.h>
#include <uchardet/uchardet.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "core/text.h"

namespace sanso::mime {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Converters stay open for the life of the thread. Opening one needs no file access only when its
// gconv module is already loaded, which preload_charsets() sees to for every module before a
// sandbox's filter closes. One set per thread: an iconv_t carries conversion state.
struct Converters {
  std::unordered_map<std::string, iconv_t> open;
  ~Converters() {
    for (auto& [name, cd] : open) {
      if (cd != reinterpret_cast<iconv_t>(-1)) iconv_close(cd);
    }
  }
};

iconv_t converter(const char* from) {
  thread_local Converters converters;
  auto it = converters.open.find(from);
  if (it != converters.open.end()) return it->second;
  iconv_t cd = iconv_open("UTF-8", from);
  converters.open.emplace(from, cd);
  return cd;
}

// Converts with iconv; each byte iconv refuses becomes one U+FFFD and is counted.
std::string decode_utf8_lenient(std::string_view in, std::size_t& replaced);

// The width of one code unit of `from`: a bad UTF-16 unit (a lone surrogate) is skipped whole, or
// everything after it would be read one byte out of step (a number after it unreadable).
std::size_t code_unit_bytes(const char* from) {
  if (from == nullptr) return 1;
  std::string name;
  for (const char* p = from; *p != '\0'; ++p) {
    if (*p != '-' && *p != '_') name += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  }
  if (name.rfind("UTF16", 0) == 0 || name.rfind("UCS2", 0) == 0 || name == "UNICODE" || name.rfind("UNICODELITTLE", 0) == 0 || name.rfind("UNICODEBIG", 0) == 0) return 2;
  if (name.rfind("UTF32", 0) == 0 || name.rfind("UCS4", 0) == 0) return 4;
  return 1;
}

std::string iconv_to_utf8(std::string_view in, const char* from, std::size_t& replaced) {
  std::string out;
  iconv_t cd = from != nullptr ? converter(from) : reinterpret_cast<iconv_t>(-1);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    // An unknown charset (`from` null): keep ASCII, replace the rest.
    for (char c : in) {
      if (static_cast<unsigned char>(c) < 0x80) {
        out += c;
      } else {
        append_utf8(out, kReplacement);
        ++replaced;
      }
    }
    return out;
  }
  out.reserve(in.size() * 3 / 2 + 16);
  const std::size_t unit = code_unit_bytes(from);
  char* src = const_cast<char*>(in.data());
  std::size_t left = in.size();
  char buf[4096];
  while (left > 0) {
    char* dst = buf;
    std::size_t room = sizeof buf;
    std::size_t rc = iconv(cd, &src, &left, &dst, &room);
    out.append(buf, static_cast<std::size_t>(dst - buf));
    if (rc == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence at the end): skip one code unit.
      append_utf8(out, kReplacement);
      ++replaced;
      const std::size_t skip = std::min(left, unit);
      src += skip;
      left -= skip;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial state for the next caller
  // glibc's converters can emit sequences beyond U+10FFFF (its UTF-8 reader accepts them, and a
  // mangled label such as "utf\xE38" reaches it as UTF-8): never let them out as "UTF-8".
  if (!is_valid_utf8(out)) out = decode_utf8_lenient(out, replaced);
  return out;
}

// One character through an open converter, which is then reset for the next. The JIS tables take
// 17,672 characters: opening a converter for each cost a walk over every loaded gconv module at
// each close (a third of a batch command's start-up once every module is loaded).
char32_t iconv_one(iconv_t cd, const unsigned char* bytes, std::size_t n) {
  char* src = reinterpret_cast<char*>(const_cast<unsigned char*>(bytes));
  std::size_t left = n;
  unsigned char out[8] = {};
  char* dst = reinterpret_cast<char*>(out);
  std::size_t room = sizeof out;
  std::size_t rc = iconv(cd, &src, &left, &dst, &room);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  if (rc == static_cast<std::size_t>(-1) || left != 0 || room != 4) return 0;
  return static_cast<char32_t>(out[0] | (out[1] << 8) | (out[2] << 16) | (out[3] << 24));
}

// A converter to UTF-32LE for the life of a scope; closed() when glibc lacks the charset.
struct ScopedConverter {
  iconv_t cd;
  explicit ScopedConverter(const char* from) : cd(iconv_open("UTF-32LE", from)) {}
  ~ScopedConverter() {
    if (!closed()) iconv_close(cd);
  }
  ScopedConverter(const ScopedConverter&) = delete;
  ScopedConverter& operator=(const ScopedConverter&) = delete;
  bool closed() const { return cd == reinterpret_cast<iconv_t>(-1); }
  char32_t one(const unsigned char* bytes, std::size_t n) const { return closed() ? 0 : iconv_one(cd, bytes, n); }
};

// JIS row/cell (0x21–0x7E each) → the Shift_JIS bytes CP932 uses for the same character.
void jis_to_sjis(unsigned j1, unsigned j2, unsigned char out[2]) {
  out[0] = static_cast<unsigned char>(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0));
  if (j1 & 1) {
    out[1] = static_cast<unsigned char>(j2 + (j2 >= 0x60 ? 0x20 : 0x1F));
  } else {
    out[1] = static_cast<unsigned char>(j2 + 0x7E);
  }
}

// JIS X 0208 as CP932 sees it (NEC row 13, NEC-selected IBM rows 89–92), and JIS X 0212,
// built once from glibc's CP932 and EUC-JP tables: glibc has no CP50220 of its own.
struct JisTables {
  std::array<char32_t, 94 * 94> jis0208{};
  std::array<char32_t, 94 * 94> jis0212{};
  std::unordered_map<char32_t, std::uint16_t> to_jis0208;

  JisTables() {
    const ScopedConverter cp932("CP932");
    const ScopedConverter euc_jp("EUC-JP");
    for (unsigned j1 = 0x21; j1 <= 0x7E; ++j1) {
      for (unsigned j2 = 0x21; j2 <= 0x7E; ++j2) {
        unsigned char sjis[2];
        jis_to_sjis(j1, j2, sjis);
        char32_t c = cp932.one(sjis, 2);
        std::size_t at = (j1 - 0x21) * 94 + (j2 - 0x21);
        jis0208[at] = c;
        // The first code wins: NEC row 13 before the IBM rows for their shared characters.
        if (c != 0) to_jis0208.emplace(c, static_cast<std::uint16_t>((j1 << 8) | j2));
        unsigned char euc[3] = {0x8F, static_cast<unsigned char>(j1 | 0x80), static_cast<unsigned char>(j2 | 0x80)};
        jis0212[at] = euc_jp.one(euc, 3);
      }
    }
    // Seven JIS codes CP932 maps to other code points than JIS does (〜 as U+FF5E instead of
    // U+301C, the "wave dash problem"). ISO-2022-JP text decodes to the JIS characters, as
    // ISO-2022-JP-MS and eucJP-ms do; both forms encode back to the same code.
    const std::pair<std::uint16_t, char32_t> kJisForms[] = {{0x2141, 0x301C}, {0x2142, 0x2016}, {0x213D, 0x2014},
                                                            {0x215D, 0x2212}, {0x2171, 0x00A2}, {0x2172, 0x00A3},
                                                            {0x224C, 0x00AC}};
    for (const auto& [code, c] : kJisForms) {
      jis0208[((code >> 8) - 0x21) * 94 + ((code & 0xFF) - 0x21)] = c;
      to_jis0208.emplace(c, code);
    }
  }
};

const JisTables& tables() {
  static const JisTables kTables;
  return kTables;
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool has_iso2022_escape(std::string_view s) {
  return s.find("\x1B$B") != std::string_view::npos || s.find("\x1B$@") != std::string_view::npos ||
         s.find("\x1B(I") != std::string_view::npos || s.find("\x1B$(D") != std::string_view::npos;
}

bool is_iso2022jp_family(std::string_view c) {
  return c == "iso-2022-jp" || c == "iso-2022-jp-1" || c == "iso-2022-jp-2" || c == "iso-2022-jp-3" || c == "cp50220" ||
         c == "cp50221" || c == "cp50222";
}

bool is_legacy_japanese(std::string_view c) { return c == "cp932" || c == "euc-jp-ms"; }

std::string decode_iso2022jp(std::string_view in, std::size_t& replaced) {
  enum class Mode { kAscii, kKana, kJis0208, kJis0212, kUnknown94x94 } mode = Mode::kAscii;
  bool shift_out = false;
  const JisTables& t = tables();
  std::string out;
  out.reserve(in.size() * 3 / 2);
  auto bad = [&](std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) append_utf8(out, kReplacement);
    replaced += n;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto b = static_cast<unsigned char>(in[i]);
    if (b == 0x1B) {
      std::string_view rest = in.substr(i + 1);
      auto take = [&](std::string_view seq, Mode m) {
        if (!rest.starts_with(seq)) return false;
        mode = m;
        i += seq.size();
        return true;
      };
      if (take("(B", Mode::kAscii) || take("(J", Mode::kAscii) || take("(H", Mode::kAscii) || take("(I", Mode::kKana) ||
          take("$@", Mode::kJis0208) || take("$B", Mode::kJis0208) || take("$(B", Mode::kJis0208) ||
          take("$(@", Mode::kJis0208) || take("$(D", Mode::kJis0212) || take("$A", Mode::kUnknown94x94) ||
          take("$(C", Mode::kUnknown94x94) || take("$(Q", Mode::kJis0208) || take("$(O", Mode::kJis0208)) {
        continue;
      }
      bad(1);  // an escape we do not know: the ESC itself is lost, the rest is read as it comes
      continue;
    }
    if (b == 0x0E) {
      shift_out = true;
      continue;
    }
    if (b == 0x0F) {
      shift_out = false;
      continue;
    }
    if (b >= 0xA1 && b <= 0xDF) {  // raw 8-bit half-width katakana (CP50222-style senders)
      append_utf8(out, 0xFF61 + (b - 0xA1));
      continue;
    }
    if (b >= 0x80) {
      bad(1);
      continue;
    }
    if (b < 0x21 || b == 0x7F) {  // controls and space pass in every mode (line ends above all)
      out += static_cast<char>(b);
      continue;
    }
    if (shift_out || mode == Mode::kKana) {
      if (b <= 0x5F) {
        append_utf8(out, 0xFF61 + (b - 0x21));
      } else {
        bad(1);
      }
      continue;
    }
    if (mode == Mode::kAscii) {
      out += static_cast<char>(b);
      continue;
    }
    // A two-byte mode: the pair, or one replacement for a lone byte.
    if (i + 1 >= in.size() || static_cast<unsigned char>(in[i + 1]) < 0x21 || static_cast<unsigned char>(in[i + 1]) > 0x7E) {
      bad(1);
      continue;
    }
    auto b2 = static_cast<unsigned char>(in[++i]);
    std::size_t at = (b - 0x21) * 94 + (b2 - 0x21);
    char32_t c = mode == Mode::kJis0208 ? t.jis0208[at] : mode == Mode::kJis0212 ? t.jis0212[at] : 0;
    if (c == 0) {
      bad(1);
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

// Strict UTF-8 (via core) that also contains at least one multi-byte sequence.
bool is_multibyte_utf8(std::string_view s) { return has_8bit(s) && is_valid_utf8(s); }

// UTF-8 as it is, each byte of an ill-formed sequence one counted U+FFFD (iconv would pass some).
std::string decode_utf8_lenient(std::string_view in, std::size_t& replaced) {
  if (is_valid_utf8(in)) return std::string(in);
  std::string out;
  out.reserve(in.size() + 16);
  for (std::size_t i = 0; i < in.size();) {
    std::size_t n = utf8_sequence_length(in, i);
    if (n == 0) {
      append_utf8(out, kReplacement);
      ++replaced;
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace

namespace {

// Where glibc keeps its gconv modules: the directories of GCONV_PATH, then the one the module of a
// charset glibc always ships was loaded from (its built-in default, which no API reports).
std::vector<std::string> gconv_directories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GCONV_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon != 0) dirs.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        constexpr std::string_view kProbe = "/ISO8859-2.so";
        if (name.ends_with(kProbe)) static_cast<std::vector<std::string>*>(out)->emplace_back(name.substr(0, name.size() - kProbe.size()));
        return 0;
      },
      &dirs);
  return dirs;
}

// Every charset named by a module line of glibc's gconv configuration ("module FROM TO FILE COST",
// in gconv-modules and gconv-modules.d/*.conf); INTERNAL is glibc's own UCS-4.
std::set<std::string> gconv_charsets(const std::vector<std::string>& dirs) {
  std::vector<std::string> files;
  for (const auto& dir : dirs) {
    files.push_back(dir + "/gconv-modules");
    if (DIR* d = opendir((dir + "/gconv-modules.d").c_str())) {
      while (const dirent* e = readdir(d)) {
        std::string_view n = e->d_name;
        if (n.ends_with(".conf")) files.push_back(dir + "/gconv-modules.d/" + std::string(n));
      }
      closedir(d);
    }
  }
  std::set<std::string> names;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      std::string keyword, from, to;
      if (!(words >> keyword >> from >> to) || keyword != "module") continue;
      for (std::string name : {from, to}) {
        while (!name.empty() && name.back() == '/') name.pop_back();
        if (!name.empty() && name != "INTERNAL") names.insert(name);
      }
    }
  }
  return names;
}

// Decoders that stay loaded for the life of the process: glibc unloads a gconv module once no
// converter uses it, and loading one again (open, mmap) is what the sandbox's filter forbids.
std::size_t load_every_gconv_module() {
  static auto& keep = *new std::vector<iconv_t>;  // never destroyed: the converters outlive every static
  auto open = [](const char* name) {
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd != reinterpret_cast<iconv_t>(-1)) keep.push_back(cd);
  };
  open("ISO-8859-2");  // also tells gconv_directories() where the modules are
  for (const auto& name : gconv_charsets(gconv_directories())) open(name.c_str());
  return keep.size();
}

}  // namespace

std::size_t preload_charsets() {
  static std::once_flag once;
  static std::size_t loaded = 0;
  std::call_once(once, [] {
    loaded = load_every_gconv_module();
    (void)tables();
  });
  return loaded;
}

void prepare_charsets() {
  (void)preload_charsets();
  // This thread's converters for the common charsets, opened before the first message needs them.
  for (const char* cs : {"CP932", "EUC-JP-MS", "EUC-JP", "ISO-2022-JP", "ISO-2022-JP-2", "ISO-2022-JP-3", "SHIFT_JIS", "ISO-8859-1", "ISO-8859-2", "ISO-8859-5", "ISO-8859-7", "ISO-8859-15",
                         "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "KOI8-R", "KOI8-U", "BIG5", "GB18030", "GBK", "GB2312",
                         "EUC-KR", "UTF-16", "UTF-16LE", "UTF-16BE", "ISO-2022-KR", "TIS-620", "WINDOWS-874"}) {
    (void)converter(cs);
  }
}

std::string charset_for_code_page(std::uint32_t code_page) {
  // [MS-UCODEREF] and Windows' code page identifiers: the ones mail and Office write.
  if ((code_page >= 1250 && code_page <= 1258)) return "windows-" + std::to_string(code_page);
  if (code_page >= 28591 && code_page <= 28599) return "iso-8859-" + std::to_string(code_page - 28590);
  switch (code_page) {
    case 437: return "cp437";
    case 850: return "cp850";
    case 852: return "cp852";
    case 866: return "cp866";
    case 874: return "windows-874";
    case 932: return "cp932";
    case 936: return "cp936";
    case 949: return "cp949";
    case 950: return "cp950";
    case 1200: return "utf-16le";
    case 1201: return "utf-16be";
    case 1361: return "johab";
    case 10000: return "macintosh";
    case 20127: return "us-ascii";
    case 20866: return "koi8-r";
    case 21866: return "koi8-u";
    case 20932:
    case 51932: return "euc-jp-ms";
    case 28603: return "iso-8859-13";
    case 28605: return "iso-8859-15";
    case 50220:
    case 50221:
    case 50222: return "iso-2022-jp";
    case 50225: return "iso-2022-kr";
    case 51949: return "euc-kr";
    case 54936: return "gb18030";
    case 65001: return "utf-8";
    default: return "";
  }
}

std::string canonical_charset(std::string_view label) {
  std::string l;
  for (char c : label) {
    if (c == '"' || c == ' ' || c == '\t') continue;
    l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  static const std::pair<const char*, const char*> kAliases[] = {
      {"shift_jis", "cp932"}, {"shift-jis", "cp932"}, {"sjis", "cp932"}, {"x-sjis", "cp932"}, {"ms_kanji", "cp932"},
      {"windows-31j", "cp932"}, {"csshiftjis", "cp932"}, {"cswindows31j", "cp932"}, {"ms932", "cp932"}, {"x-ms-cp932", "cp932"},
      {"euc-jp", "euc-jp-ms"}, {"eucjp", "euc-jp-ms"}, {"x-euc-jp", "euc-jp-ms"}, {"eucjp-ms", "euc-jp-ms"},
      {"cseucpkdfmtjapanese", "euc-jp-ms"}, {"csiso2022jp", "iso-2022-jp"}, {"iso2022jp", "iso-2022-jp"},
      {"utf8", "utf-8"}, {"unicode-1-1-utf-8", "utf-8"}, {"ascii", "us-ascii"}, {"ansi_x3.4-1968", "us-ascii"},
      {"utf16", "utf-16"}, {"x-unknown", ""}, {"unknown-8bit", ""}};
  for (const auto& [alias, canonical] : kAliases) {
    if (l == alias) return canonical;
  }
  return l;
}

std::string detect_japanese(std::string_view bytes) {
  if (!has_8bit(bytes)) return has_iso2022_escape(bytes) ? "iso-2022-jp" : "us-ascii";
  if (is_valid_utf8(bytes)) return "utf-8";
  std::size_t sjis_bad = 0, euc_bad = 0;
  (void)iconv_to_utf8(bytes, "CP932", sjis_bad);
  (void)iconv_to_utf8(bytes, "EUC-JP-MS", euc_bad);
  std::size_t high = static_cast<std::size_t>(std::count_if(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  std::size_t best = std::min(sjis_bad, euc_bad);
  if (best * 10 > high) return "";  // more than one 8-bit byte in ten is garbage either way
  if (sjis_bad != euc_bad) return sjis_bad < euc_bad ? "cp932" : "euc-jp-ms";
  // Both decode cleanly: EUC-JP never uses lead bytes 0x81–0x9F (but for SS2/SS3 0x8E/0x8F).
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x81 && b <= 0x9F && b != 0x8E && b != 0x8F) return "cp932";
  }
  return "euc-jp-ms";
}

namespace {

// Real Japanese text has more kana and kanji than half-width katakana.
bool reads_as_japanese(std::string_view utf8) {
  std::size_t japanese = 0, halfwidth = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len == 3 && i + 2 < utf8.size()) {
      char32_t cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(utf8[i + 1]) & 0x3F) << 6) | (static_cast<unsigned char>(utf8[i + 2]) & 0x3F);
      if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF5E)) ++japanese;
      if (cp >= 0xFF61 && cp <= 0xFF9F) ++halfwidth;
    }
    i += len;
  }
  return japanese >= halfwidth;
}

// Unlabelled 8-bit text that is neither Japanese nor UTF-8 (Cyrillic, Chinese, Western European…):
// uchardet's guess, canonical, or "" when it has none.
std::string detect_other(std::string_view bytes) {
  uchardet_t detector = uchardet_new();
  if (detector == nullptr) return {};
  std::string out;
  if (uchardet_handle_data(detector, bytes.data(), bytes.size()) == 0) {
    uchardet_data_end(detector);
    const char* guess = uchardet_get_charset(detector);
    if (guess != nullptr && *guess != '\0') out = canonical_charset(guess);
  }
  uchardet_delete(detector);
  return out;
}

// What unlabelled bytes are. Japanese first (even a short header decodes right); but Cyrillic or
// Latin bytes also "decode" as CP932, mostly into half-width katakana, and then uchardet's answer
// stands.
std::string detect_unlabelled(std::string_view bytes) {
  std::string detected = detect_japanese(bytes);
  if (detected == "cp932" || detected == "euc-jp-ms") {
    std::size_t ignored = 0;
    if (!reads_as_japanese(iconv_to_utf8(bytes, detected == "cp932" ? "CP932" : "EUC-JP-MS", ignored))) {
      std::string other = detect_other(bytes);
      if (!other.empty() && other != "cp932" && other != "euc-jp-ms") detected = other;
    }
  } else if (detected.empty()) {
    detected = detect_other(bytes);
  }
  return detected.empty() ? "utf-8" : detected;
}

// A label only ever reaches iconv_open as a plain name: letters, digits and . _ : + - ( ), at most
// 64 of them (glibc's longest is 30). Anything else ("X//TRANSLIT", paths, controls) is unknown.
bool plausible_charset_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '+' ||
           c == '-' || c == '(' || c == ')';
  });
}

std::string upper(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c); });
  return name;
}

// Whether `canonical` (a lower-case label) is decoded here or by one of glibc's converters.
bool iconv_knows(const std::string& canonical) {
  if (is_iso2022jp_family(canonical) || is_legacy_japanese(canonical) || canonical == "utf-8" || canonical == "us-ascii") return true;
  return plausible_charset_name(canonical) && converter(upper(canonical).c_str()) != reinterpret_cast<iconv_t>(-1);
}

}  // namespace

DecodedText decode_text(std::string_view bytes, std::string_view label) {
  DecodedText d;
  d.label = canonical_charset(label);
  std::string as = d.label;
  const bool eight = has_8bit(bytes);
  if (is_iso2022jp_family(as) || as == "us-ascii") {
    // 8-bit bytes other than raw half-width katakana mean the label is wrong.
    bool only_kana = std::all_of(bytes.begin(), bytes.end(), [](char c) {
      auto b = static_cast<unsigned char>(c);
      return b < 0x80 || (b >= 0xA1 && b <= 0xDF);
    });
    if (eight && !(only_kana && has_iso2022_escape(bytes))) {
      std::string detected = detect_japanese(bytes);
      if (detected.empty() && as == "us-ascii") detected = detect_other(bytes);
      if (!detected.empty()) as = detected;
    } else if (as == "us-ascii" && has_iso2022_escape(bytes)) {
      as = "iso-2022-jp";
    }
  } else if (is_legacy_japanese(as)) {
    if (is_multibyte_utf8(bytes)) {
      as = "utf-8";
    } else if (!eight && has_iso2022_escape(bytes)) {
      as = "iso-2022-jp";
    } else if (eight) {
      std::string detected = detect_japanese(bytes);
      if (!detected.empty() && detected != "utf-8") as = detected;  // cp932 ↔ euc-jp confusion
    }
  } else if (as == "utf-8") {
    if (eight && !is_valid_utf8(bytes)) {
      std::string detected = detect_japanese(bytes);
      if (!detected.empty()) as = detected;
    } else if (!eight && has_iso2022_escape(bytes)) {
      as = "iso-2022-jp";
    }
  } else if (as.empty()) {
    as = detect_unlabelled(bytes);
  } else if (!iconv_knows(as)) {
    // A label no converter reads: the bytes are read as if unlabelled, and the report says so.
    d.unknown_charset = true;
    as = detect_unlabelled(bytes);
  }
  if (as == "us-ascii" && !eight && !d.unknown_charset) as = d.label.empty() ? "us-ascii" : d.label;
  if (is_iso2022jp_family(as)) {
    d.decoded_as = "iso-2022-jp";
    d.utf8 = decode_iso2022jp(bytes, d.replaced);
  } else if (as == "utf-8" || as == "us-ascii") {
    d.decoded_as = as;
    d.utf8 = decode_utf8_lenient(bytes, d.replaced);
  } else if (as == "cp932") {
    d.decoded_as = "cp932";
    d.utf8 = iconv_to_utf8(bytes, "CP932", d.replaced);
  } else if (as == "euc-jp-ms") {
    d.decoded_as = "euc-jp-ms";
    d.utf8 = iconv_to_utf8(bytes, "EUC-JP-MS", d.replaced);
  } else {
    d.decoded_as = as;
    d.utf8 = iconv_to_utf8(bytes, plausible_charset_name(as) ? upper(as).c_str() : nullptr, d.replaced);
  }
  d.mislabelled = !d.unknown_charset && !d.label.empty() && d.decoded_as != d.label && !(d.label == "us-ascii" && d.decoded_as == "us-ascii") &&
                  !(is_iso2022jp_family(d.label) && d.decoded_as == "iso-2022-jp");
  return d;
}

namespace {

// Half-width katakana U+FF61–U+FF9F as their full-width forms (CP50220 does this on output).
constexpr char32_t kFullWidthKana[] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF,
    0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C};

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len && i + static_cast<std::size_t>(k) < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

}  // namespace

std::string text_for_checks(std::string_view bytes) {
  DecodedText d = decode_text(bytes, "");
  if (d.decoded_as != "iso-2022-jp") return std::move(d.utf8);
  std::string plain;
  plain.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    if (bytes[i] != '\x1b') {
      plain += bytes[i++];
      continue;
    }
    // ESC, its intermediate bytes (0x20–0x2F), its final byte (0x30–0x7E): one escape sequence.
    std::size_t j = i + 1;
    while (j < bytes.size() && static_cast<unsigned char>(bytes[j]) >= 0x20 && static_cast<unsigned char>(bytes[j]) <= 0x2F) ++j;
    if (j < bytes.size() && static_cast<unsigned char>(bytes[j]) >= 0x30 && static_cast<unsigned char>(bytes[j]) <= 0x7E) ++j;
    i = j;
  }
  return std::move(d.utf8) + "\n" + decode_text(plain, "").utf8;
}

std::string encode_iso2022jp(std::string_view utf8, std::size_t* unmappable) {
  std::size_t replaced = 0;
  std::string valid = decode_utf8_lenient(utf8, replaced);
  std::vector<char32_t> cps = code_points(valid);
  const auto& map = tables().to_jis0208;
  std::string out;
  bool jis = false;
  std::size_t missing = 0;
  auto to_ascii = [&] {
    if (jis) out += "\x1B(B";
    jis = false;
  };
  auto put_jis = [&](std::uint16_t code) {
    if (!jis) out += "\x1B$B";
    jis = true;
    out += static_cast<char>(code >> 8);
    out += static_cast<char>(code & 0xFF);
  };
  for (std::size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    if (c == 0x1B || c == 0x0E || c == 0x0F) {
      // ESC, SO and SI would switch a reader's mode: never emitted raw.
      ++missing;
      put_jis(map.at(0x3013));
      continue;
    }
    if (c < 0x80) {
      to_ascii();
      out += static_cast<char>(c);
      continue;
    }
    if (c >= 0xFF61 && c <= 0xFF9F) {
      c = kFullWidthKana[c - 0xFF61];
      // A voiced or semi-voiced mark after it composes: ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ.
      if (i + 1 < cps.size() && (cps[i + 1] == 0xFF9E || cps[i + 1] == 0xFF9F)) {
        bool semi = cps[i + 1] == 0xFF9F;
        bool ka_to = c >= 0x30AB && c <= 0x30C8 && c != 0x30C3;
        bool ha_ho = c >= 0x30CF && c <= 0x30DB && (c - 0x30CF) % 3 == 0;
        if (!semi && (ka_to || ha_ho)) {
          c += 1;
          ++i;
        } else if (semi && ha_ho) {
          c += 2;
          ++i;
        } else if (!semi && c == 0x30A6) {
          c = 0x30F4;
          ++i;
        }
      }
    }
    auto it = map.find(c);
    if (it == map.end()) {
      ++missing;
      put_jis(map.at(0x3013));
    } else {
      put_jis(it->second);
    }
  }
  to_ascii();
  if (unmappable != nullptr) *unmappable = missing + replaced;
  return out;
}

}  // namespace sanso::mime
