#include "mail/sanitize.h"

#include <gmime/gmime.h>
extern "C" {  // libytnef's header has no C++ guards
#include <ytnef.h>
}

#include <algorithm>
#include <array>
#include <optional>
#include <cstdio>
#include <ctime>

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "cdr/clamd.h"
#include "core/digest.h"
#include "core/text.h"
#include "mime/charset.h"
#include "mime/embedded.h"
#include "mime/header.h"
#include "mime/html_text.h"
#include "mime/transfer.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

// A header value's parameter pieces as written, split at the semicolons outside quotes: the
// first is the value itself ("attachment"), the rest "name=value" with their quotes, escapes and
// the white space around them — what structure checks need to see.
std::vector<std::string> split_params(std::string_view raw) {
  std::string unfolded;
  for (char c : raw) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  std::vector<std::string> pieces;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < unfolded.size(); ++i) {
    char c = unfolded[i];
    if (c == '"') quoted = !quoted;
    if (c == '\\' && quoted && i + 1 < unfolded.size()) {
      cur += c;
      cur += unfolded[++i];
      continue;
    }
    if (c == ';' && !quoted) {
      pieces.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  pieces.push_back(cur);
  return pieces;
}

// "attachment; filename*0*=…; filename*1=…" → ("attachment", parameters), quotes honoured.
std::pair<std::string, Params> parse_header_params(std::string_view raw) {
  const std::vector<std::string> pieces = split_params(raw);
  std::pair<std::string, Params> out;
  out.first = ascii_lower(trim(pieces[0]));
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    auto eq = pieces[i].find('=');
    if (eq == std::string::npos) continue;
    std::string value = trim(std::string_view(pieces[i]).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      std::string unescaped;  // escapes count inside quotes only
      for (std::size_t k = 1; k + 1 < value.size(); ++k) {
        if (value[k] == '\\' && k + 2 < value.size()) ++k;
        unescaped += value[k];
      }
      value = std::move(unescaped);
    }
    out.second.emplace_back(trim(std::string_view(pieces[i]).substr(0, eq)), std::move(value));
  }
  return out;
}

std::string raw_header(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  GMimeHeader* h = list != nullptr ? g_mime_header_list_get_header(list, name) : nullptr;
  if (h == nullptr) return {};
  const char* raw = g_mime_header_get_raw_value(h);
  return raw != nullptr ? raw : "";
}

// Bidi embeddings, overrides, isolates and marks: they reorder what a reader sees ("gpj.exe"
// shown as "exe.jpg", a link's visible text reversed).
bool is_bidi_control(gunichar c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
}

// C0 and C1 controls and DEL.
bool is_control(gunichar c) { return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0); }

void add_flag(std::vector<std::string>& flags, const char* flag) {
  if (std::find(flags.begin(), flags.end(), flag) == flags.end()) flags.emplace_back(flag);
}

// Text without what would change how it shows: C0/C1 controls (NUL, ESC, BEL, BS, …) and bidi
// controls removed. With `lines` (a body), tab and LF stay and CRLF and bare CR become LF — a bare
// CR lets a later line overwrite an earlier one on a terminal or in a log; without (a file name),
// they go too. Bytes that are not UTF-8 (callers pass decoded text) become U+FFFD, never dropped.
// Flags say what was found.
std::string strip_controls(std::string_view text, bool lines, std::vector<std::string>& flags) {
  std::string out;
  out.reserve(text.size());
  bool control = false, bidi = false;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    const gunichar c = g_utf8_get_char(text.data() + i);
    if (lines && c == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      else control = true;
    } else if (lines && (c == '\n' || c == '\t')) {
      out += static_cast<char>(c);
    } else if (is_control(c)) {
      control = true;
    } else if (is_bidi_control(c)) {
      bidi = true;
    } else {
      out.append(text, i, len);
    }
    i += len;
  }
  if (bidi) add_flag(flags, "bidi-control");
  if (control) add_flag(flags, "control-characters");
  return out;
}

// NFC, without controls and bidi overrides (a "gpj.exe" shown as "exe.jpg"), flags for what changed.
std::string clean_file_name(const std::string& name, std::vector<std::string>& flags) {
  gchar* nfc = g_utf8_normalize(name.c_str(), -1, G_NORMALIZE_NFC);
  std::string out = strip_controls(nfc != nullptr ? std::string_view(nfc) : std::string_view(name), false, flags);
  g_free(nfc);
  std::string low = ascii_lower(out);
  static const char* kRisky[] = {".exe", ".scr", ".js", ".jse", ".vbs", ".vbe", ".bat", ".cmd", ".com", ".pif", ".lnk",
                                 ".hta", ".ps1", ".jar", ".msi", ".wsf", ".cpl", ".iso", ".img"};
  auto last = low.rfind('.');
  if (last != std::string::npos && last > 0) {
    auto prev = low.rfind('.', last - 1);
    bool risky = std::any_of(std::begin(kRisky), std::end(kRisky), [&](const char* e) { return low.substr(last) == e; });
    if (prev != std::string::npos && risky && last - prev >= 3 && last - prev <= 5) flags.emplace_back("double-extension");
  }
  return out;
}

std::string human_size(std::size_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%zu B", n);
  else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(n) / (1024 * 1024));
  return buf;
}

// The files packed in a TNEF blob (winmail.dat from Outlook): names (the long name when there
// is one, decoded) and sizes. Unreadable TNEF gives none; the blob itself is removed either way.
std::vector<std::pair<std::string, std::size_t>> tnef_members(std::string bytes) {
  std::vector<std::pair<std::string, std::size_t>> out;
  TNEFStruct tnef;
  TNEFInitialize(&tnef);
  if (TNEFParseMemory(reinterpret_cast<BYTE*>(bytes.data()), static_cast<long>(bytes.size()), &tnef) == 0) {
    for (Attachment* a = tnef.starting_attach.next; a != nullptr; a = a->next) {
      std::string name;
      if (variableLength* wide = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_UNICODE, 0x3707)); wide != MAPI_UNDEFINED && wide->size > 0) {
        name = mime::decode_text(std::string_view(reinterpret_cast<char*>(wide->data), static_cast<std::size_t>(wide->size)), "utf-16le").utf8;
      } else if (variableLength* longname = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_STRING8, 0x3707));
                 longname != MAPI_UNDEFINED && longname->size > 0) {
        name = mime::decode_text(std::string_view(reinterpret_cast<char*>(longname->data), static_cast<std::size_t>(longname->size)), "").utf8;
      } else if (a->Title.size > 0) {
        name = mime::decode_text(std::string_view(reinterpret_cast<char*>(a->Title.data), static_cast<std::size_t>(a->Title.size)), "").utf8;
      }
      while (!name.empty() && name.back() == '\0') name.pop_back();
      out.emplace_back(name, a->FileData.size > 0 ? static_cast<std::size_t>(a->FileData.size) : 0);
    }
  }
  TNEFFree(&tnef);
  return out;
}

// The action for an attachment: a rule for its extension, then for its CDR content type (when
// known), then the default.
std::string attachment_action_for(const std::string& name, const std::string& type, const SanitizeOptions& options) {
  if (auto it = options.attachment_rules.find(file_extension(name)); it != options.attachment_rules.end()) return it->second;
  if (!type.empty()) {
    if (auto it = options.attachment_rules.find(type); it != options.attachment_rules.end()) return it->second;
  }
  return options.attachment_action;
}

// Structure that readers can take apart differently (issue #22): parser findings of our own,
// beside GMime's codes, and each holds the message — choosing one reading would let a part one
// reader sees (an .exe) past the rules checked on another reading.
constexpr int kAmbiguousBoundary = 1001;    // GMime's own codes are below 1000    // boundary="b " : trimmed by Python, kept by GMime
constexpr int kDuplicateBoundary = 1002;    // boundary=a; boundary=b : first or last
constexpr int kPartOutsideBoundaries = 1003;  // "--b" + headers in a preamble or epilogue
constexpr int kBoundaryPrefix = 1004;       // "--b" also begins "--bb", a nested delimiter
constexpr int kAmbiguousPartHeader = 1005;  // two Content-Type (GMime: last, Python: first), a parameter twice

// A line that starts a MIME part: "--" and anything, then a header block that declares content.
bool starts_part(std::string_view text, std::size_t line_end) {
  std::size_t at = line_end;
  while (at < text.size()) {
    std::size_t next = text.find('\n', at);
    std::string_view line = text.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return false;  // the end of a header block
    const std::string lower = ascii_lower(line.substr(0, 40));
    for (const char* h : {"content-type", "content-disposition", "content-transfer-encoding"}) {
      const std::string_view name(h);
      if (lower.compare(0, name.size(), name) != 0) continue;
      std::size_t k = name.size();
      while (k < lower.size() && (lower[k] == ' ' || lower[k] == '\t')) ++k;
      if (k < lower.size() && lower[k] == ':') return true;
    }
    if (next == std::string_view::npos) return false;
    at = next + 1;
  }
  return false;
}

struct Walk {
  Walk(const SanitizeOptions& o, SanitizePlan& p, int& part_count) : options(o), plan(p), parts(part_count) {}
  const SanitizeOptions& options;
  SanitizePlan& plan;
  int& parts;  // across the message and every message attached to it
  bool limit_hit = false;
  std::vector<std::string> attached;  // the text of each attached message, in order
  // Body candidates, first found wins within each kind; `alternative` is the path of the
  // nearest multipart/alternative around a candidate ("" for none): a text part in the same one
  // as the body is another rendering of it, any other is more content.
  struct Candidate {
    std::size_t index;
    std::string text;
    std::string alternative;
  };
  std::vector<Candidate> plains, htmls;
  std::string alternative;  // of the part being walked
  // Boundaries of the multiparts around the part being walked, outermost first (attached
  // messages included: their lines are inside the outer parts too).
  std::vector<std::string> boundaries;
  // Where readers may disagree: (code, item), for plan_message to record and hold.
  std::vector<std::pair<int, std::string>> ambiguities;

  // Duplicate structural headers and parameters, the boundary's spelling, its relation to the
  // boundaries around it, and parts hidden outside the boundaries.
  void check_structure(GMimeObject* obj) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    const int count = list != nullptr ? g_mime_header_list_get_count(list) : 0;
    for (const char* wanted : {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"}) {
      std::vector<std::string> values;
      for (int i = 0; i < count; ++i) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        if (ascii_lower(g_mime_header_get_name(h)) != ascii_lower(wanted)) continue;
        const char* raw = g_mime_header_get_raw_value(h);
        values.emplace_back(raw != nullptr ? raw : "");
      }
      std::vector<std::string> normal;
      for (const auto& v : values) {
        std::string words;  // unfolded, white space collapsed, case folded
        for (char c : trim(v)) {
          const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
          if (!space) words += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          else if (!words.empty() && words.back() != ' ') words += ' ';
        }
        if (std::find(normal.begin(), normal.end(), words) == normal.end()) normal.push_back(words);
      }
      if (normal.size() > 1) ambiguities.emplace_back(kAmbiguousPartHeader, wanted);
      if (std::string_view(wanted) == "Content-Transfer-Encoding") continue;
      for (const auto& v : values) check_parameters(wanted, v);
    }
    if (!GMIME_IS_MULTIPART(obj)) return;
    // The parameter, not g_mime_multipart_get_boundary(): that one makes up a boundary when there
    // is none, from the system's randomness — a system call the sandbox forbids.
    const char* declared = g_mime_object_get_content_type_parameter(obj, "boundary");
    const std::string boundary = declared != nullptr ? declared : "";
    if (boundary.empty()) {
      // Where its parts are is anyone's guess: GMime finds none, a lenient client takes the first
      // "--" line for the boundary.
      ambiguities.emplace_back(GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(obj)));
    }
    std::vector<std::string> all;  // a multipart without a boundary has none to confuse
    for (const auto& outer : boundaries) {
      if (outer.empty()) continue;
      if (!boundary.empty() && (outer.starts_with(boundary) || boundary.starts_with(outer))) ambiguities.emplace_back(kBoundaryPrefix, boundary);
      all.push_back(outer);
    }
    if (!boundary.empty()) all.push_back(boundary);
    for (const char* text : {g_mime_multipart_get_prologue(GMIME_MULTIPART(obj)), g_mime_multipart_get_epilogue(GMIME_MULTIPART(obj))}) {
      if (text == nullptr) continue;
      const std::string_view t(text);
      for (std::size_t at = 0; at < t.size();) {
        std::size_t end = t.find('\n', at);
        end = end == std::string_view::npos ? t.size() : end;
        const std::string_view line = t.substr(at, end - at);
        if (line.starts_with("--")) {
          const bool delimiter = std::any_of(all.begin(), all.end(), [&](const std::string& b) { return line.substr(2).starts_with(b); });
          if (delimiter || starts_part(t, std::min(end + 1, t.size()))) {
            ambiguities.emplace_back(kPartOutsideBoundaries, std::string(trim(line.substr(0, 80))));
            break;
          }
        }
        at = end + 1;
      }
    }
  }

  // One header's parameters: one that occurs twice with different values (GMime reads the one,
  // another reader the other), and a boundary written twice or with white space at its ends.
  void check_parameters(const char* header, const std::string& raw) {
    const std::vector<std::string> pieces = split_params(raw);
    std::vector<std::pair<std::string, std::string>> seen;  // exact lower-case name, value as written
    std::size_t boundaries_given = 0;
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      const auto eq = pieces[i].find('=');
      if (eq == std::string::npos) continue;
      const std::string name = ascii_lower(trim(std::string_view(pieces[i]).substr(0, eq)));
      const std::string_view written = std::string_view(pieces[i]).substr(eq + 1);
      const std::string value = trim(written);
      if (!name.starts_with("boundary")) {  // a boundary given twice is a finding of its own, below
        for (const auto& [other, other_value] : seen) {
          if (other == name && other_value != value) ambiguities.emplace_back(kAmbiguousPartHeader, std::string(header) + " " + name);
        }
        seen.emplace_back(name, value);
        continue;
      }
      ++boundaries_given;
      // Quoted: white space inside the quotes at either end. Unquoted: any white space after
      // the token — one reader ends the value there, another takes it up to the semicolon.
      std::size_t lead = 0;
      while (lead < written.size() && (written[lead] == ' ' || written[lead] == '\t')) ++lead;
      const std::string_view v = written.substr(lead);
      bool spaced;
      if (v.starts_with('"')) {
        const auto close = v.find('"', 1);
        const std::string_view inside = v.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
        spaced = !inside.empty() && (inside.front() == ' ' || inside.front() == '\t' || inside.back() == ' ' || inside.back() == '\t');
      } else {
        spaced = v.find_first_of(" \t") != std::string_view::npos;
      }
      if (spaced) ambiguities.emplace_back(kAmbiguousBoundary, value);
    }
    if (boundaries_given > 1) ambiguities.emplace_back(kDuplicateBoundary, header);
  }

  std::string content_bytes(GMimePart* part) {
    GMimeDataWrapper* w = g_mime_part_get_content(part);
    if (w == nullptr) return {};
    GMimeStream* s = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, s);
    GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    std::string out(reinterpret_cast<const char*>(a->data), a->len);
    g_object_unref(s);
    return out;
  }

  // The decoded size of a part that is removed anyway, without materialising it: base64 is
  // counted from its alphabet characters, other encodings are decoded into a counting sink.
  static std::size_t decoded_size(GMimePart* part) {
    GMimeDataWrapper* w = g_mime_part_get_content(part);
    if (w == nullptr) return 0;
    GMimeStream* raw = g_mime_data_wrapper_get_stream(w);
    if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64 && raw != nullptr) {
      static const auto kAlphabet = [] {
        std::array<unsigned char, 256> t{};
        for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")) t[c] = 1;
        return t;
      }();
      g_mime_stream_reset(raw);
      std::size_t chars = 0;
      char buf[65536];
      gssize n;
      while ((n = g_mime_stream_read(raw, buf, sizeof buf)) > 0) {
        for (gssize i = 0; i < n; ++i) chars += kAlphabet[static_cast<unsigned char>(buf[i])];
      }
      g_mime_stream_reset(raw);
      return chars * 6 / 8;
    }
    GMimeStream* sink = g_mime_stream_null_new();
    g_mime_data_wrapper_write_to_stream(w, sink);
    std::size_t size = GMIME_STREAM_NULL(sink)->written;
    g_object_unref(sink);
    return size;
  }

  // Picks the body among a message's candidates (text unless HTML is preferred or alone) and
  // marks the parts; `w` is this walk or the walk of an attached message. Nothing goes silently:
  // another rendering of the body (the other part of its multipart/alternative) is removed and
  // listed; any further text/plain part is more content, kept after the body under a separator
  // (a second inline text part, text around an inline picture); any further HTML is listed.
  std::string choose_body(Walk& w, bool& converted, bool& truncated) {
    mime::HtmlTextOptions html_options;
    html_options.defang_links = false;  // once, over the final text (plan_message)
    html_options.lang = options.lang;
    std::string body;
    const Candidate* chosen = nullptr;
    if (!w.htmls.empty() && (options.prefer_html || w.plains.empty())) {
      chosen = &w.htmls[0];
      mime::HtmlText t = mime::html_to_text(chosen->text, html_options);
      truncated = t.truncated;
      PartReport& part = plan.parts[chosen->index];
      part.action = "converted";
      if (t.hidden > 0) {
        // Text the reader never saw, kept out of the output: a lure or filter bait hides there.
        part.flags.emplace_back("hidden-text");
        std::string why;
        for (const auto& b : t.hidden_because) why += (why.empty() ? "" : ", ") + b;
        plan.warnings.push_back("body: " + std::to_string(t.hidden) + " piece(s) of text hidden by the HTML removed (" + why + ")");
      }
      if (t.size_limited) {
        part.flags.emplace_back("text-size-limit");
        plan.warnings.push_back("body: the text converted from HTML was cut off at its size limit");
      }
      converted = true;
      body = std::move(t.text);
    } else if (!w.plains.empty()) {
      chosen = &w.plains[0];
      plan.parts[chosen->index].action = "body";
      body = chosen->text;
    }
    if (chosen == nullptr) return body;
    const auto rendering_of_body = [&](const Candidate& c) { return !c.alternative.empty() && c.alternative == chosen->alternative; };
    for (const auto& c : w.htmls) {
      if (&c != chosen) plan.parts[c.index].action = "removed";
    }
    for (const auto& c : w.plains) {
      if (&c == chosen) continue;
      if (rendering_of_body(c)) {
        plan.parts[c.index].action = "removed";
        continue;
      }
      plan.parts[c.index].action = "body";
      body += std::string(body.empty() || body.back() == '\n' ? "\n" : "\n\n") +
              (options.lang != "en" ? "----- 本文の続き (" : "----- more text (") + plan.parts[c.index].path + ") -----\n" + c.text;
    }
    return body;
  }

  void object(GMimeObject* obj, const std::string& path, int depth) {
    if (++parts > options.max_parts) {
      limit_hit = true;
      plan.reason = "too many MIME parts (more than " + std::to_string(options.max_parts) + ")";
      return;
    }
    if (depth > options.max_depth) {
      limit_hit = true;
      plan.reason = "MIME nesting deeper than " + std::to_string(options.max_depth);
      return;
    }
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    std::string type = ct != nullptr ? ascii_lower(std::string(g_mime_content_type_get_media_type(ct)) + "/" + g_mime_content_type_get_media_subtype(ct))
                                     : "text/plain";
    check_structure(obj);
    if (GMIME_IS_MULTIPART(obj)) {
      const std::string outer_alternative = alternative;
      if (type == "multipart/alternative") alternative = path.empty() ? "1" : path;
      const char* boundary = g_mime_object_get_content_type_parameter(obj, "boundary");
      boundaries.emplace_back(boundary != nullptr ? boundary : "");
      int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
      for (int i = 0; i < n && !limit_hit; ++i) {
        object(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), path.empty() ? std::to_string(i + 1) : path + "." + std::to_string(i + 1), depth + 1);
      }
      boundaries.pop_back();
      alternative = outer_alternative;
      return;
    }
    PartReport r;
    r.path = path.empty() ? "1" : path;
    r.type = type;
    if (GMIME_IS_MESSAGE_PART(obj)) {
      // An attached message is sanitized like the mail itself; its text follows the body.
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      std::string subject;
      if (inner != nullptr) subject = trim(mime::decode_header_text(raw_header(GMIME_OBJECT(inner), "Subject")).utf8);
      r.name = subject.empty() ? "(message)" : subject + ".eml";
      r.action = "converted";
      plan.parts.push_back(r);
      if (inner == nullptr) return;
      Walk sub(options, plan, parts);
      sub.boundaries = boundaries;
      if (GMimeObject* body = g_mime_message_get_mime_part(inner)) sub.object(body, r.path, depth + 1);
      for (auto& a : sub.ambiguities) ambiguities.push_back(std::move(a));
      if (sub.limit_hit) {
        limit_hit = true;
        return;
      }
      bool converted = false, truncated = false;
      std::string text = choose_body(sub, converted, truncated);
      if (truncated) {
        limit_hit = true;
        plan.reason = "an attached message's HTML nests too deeply to convert completely";
        return;
      }
      std::string head;
      for (const char* h : {"From", "Date", "Subject"}) {
        std::string v = trim(mime::decode_header_text(raw_header(GMIME_OBJECT(inner), h)).utf8);
        if (!v.empty()) head += std::string(h) + ": " + v + "\n";
      }
      attached.push_back(head + "\n" + text);
      for (auto& t : sub.attached) attached.push_back(std::move(t));
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    auto [disposition, disp_params] = parse_header_params(raw_header(obj, "Content-Disposition"));
    auto [ctype_value, ct_params] = parse_header_params(raw_header(obj, "Content-Type"));
    auto name = mime::decode_parameter(disp_params, "filename");
    if (!name) name = mime::decode_parameter(ct_params, "name");
    if (name) {
      r.name = clean_file_name(name->utf8, r.flags);
      if (name->raw_8bit) r.flags.emplace_back("raw-8bit-name");
    }
    const char* charset = ct != nullptr ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
    r.charset = charset != nullptr ? ascii_lower(charset) : "";
    bool attachment = disposition == "attachment" || name.has_value();
    const bool candidate = !attachment && (type == "text/plain" || type == "text/html");
    std::string bytes = candidate ? content_bytes(GMIME_PART(obj)) : std::string();
    r.size = candidate ? bytes.size() : decoded_size(GMIME_PART(obj));
    if (candidate) {
      mime::DecodedText d = mime::decode_text(bytes, r.charset);
      r.decoded_as = d.decoded_as;
      if (d.mislabelled) r.flags.emplace_back("mislabelled-charset");
      if (d.unknown_charset) r.flags.emplace_back("unknown-charset");
      plan.replaced_characters += d.replaced;
      d.utf8 = strip_controls(d.utf8, true, r.flags);
      bool empty = trim(d.utf8).empty();
      if (!empty) (type == "text/plain" ? plains : htmls).push_back({plan.parts.size(), std::move(d.utf8), alternative});
      r.action = "skipped";  // decided below, once the body is chosen; an empty one stays skipped
    } else if (type == "application/ms-tnef" || type == "application/vnd.ms-tnef" || ascii_lower(r.name) == "winmail.dat") {
      // Outlook's container: removed, and each file in it listed so the recipient knows what came.
      r.action = "removed";
      r.flags.emplace_back("tnef");
      auto members = tnef_members(content_bytes(GMIME_PART(obj)));
      std::string base = r.path;
      plan.parts.push_back(std::move(r));
      int k = 0;
      for (auto& [member, size] : members) {
        PartReport m;
        m.path = base + ".tnef." + std::to_string(++k);
        m.type = "application/octet-stream";
        m.name = clean_file_name(member, m.flags);
        m.size = size;
        m.action = "removed";
        m.flags.emplace_back("from-tnef");
        plan.parts.push_back(std::move(m));
      }
      return;
    } else if (!attachment) {
      r.action = "removed";  // inline parts (images of multipart/related, …) are not attachments
    } else {
      std::string action = attachment_action_for(r.name, "", options);
      if (action == "reject") {
        r.action = "rejected";
      } else if (action == "sanitize") {
        r.action = "pending";
        std::string content = content_bytes(GMIME_PART(obj));
        r.size = content.size();
        plan.pending.emplace_back(plan.parts.size(), std::move(content));
      } else {
        r.action = "removed";
      }
    }
    plan.parts.push_back(std::move(r));
  }
};

// GMime's parser warnings as findings. Critical: what another parser may read as a different
// structure (GMime's own grading, and any code this table does not know yet).
struct ParserKind {
  int code;
  const char* kind;
  bool critical;
  const char* ja;
  const char* en;
};
constexpr ParserKind kParserKinds[] = {
    {GMIME_WARN_DUPLICATED_HEADER, "duplicated-header", false, "同じヘッダーの重複", "a header repeated"},
    {GMIME_WARN_DUPLICATED_PARAMETER, "duplicated-parameter", false, "同じパラメーターの重複", "a header parameter repeated"},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, "unencoded-8bit-header", false, "符号化されていない8ビット文字のヘッダー", "a header with unencoded 8-bit characters"},
    {GMIME_WARN_INVALID_CONTENT_TYPE, "invalid-content-type", false, "不正な Content-Type", "an invalid Content-Type"},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "invalid-rfc2047-header", false, "不正な RFC 2047 符号化", "an invalid RFC 2047 encoded header"},
    {GMIME_WARN_MALFORMED_MULTIPART, "malformed-multipart", false, "部品のないマルチパート", "a multipart without parts"},
    {GMIME_WARN_TRUNCATED_MESSAGE, "truncated-message", false, "途中で切れたメッセージ", "a truncated message"},
    {GMIME_WARN_MALFORMED_MESSAGE, "malformed-message", false, "不正な形式のメッセージ", "a malformed message"},
    {GMIME_CRIT_INVALID_HEADER_NAME, "invalid-header-name", true, "不正なヘッダー名", "an invalid header name"},
    {GMIME_CRIT_CONFLICTING_HEADER, "conflicting-header", true, "内容の食い違う重複ヘッダー", "conflicting copies of a header"},
    {GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting-parameter", true, "値の食い違う重複パラメーター", "conflicting copies of a header parameter"},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart-without-boundary", true, "境界 (boundary) のないマルチパート", "a multipart without its boundary"},
    {GMIME_WARN_INVALID_PARAMETER, "invalid-parameter", false, "不正なヘッダーパラメーター", "an invalid header parameter"},
    {GMIME_WARN_INVALID_ADDRESS_LIST, "invalid-address-list", false, "不正なアドレス一覧", "an invalid address list"},
    {GMIME_CRIT_NESTING_OVERFLOW, "nesting-overflow", true, "MIME の入れ子が深すぎる", "MIME nesting beyond the parser's limit"},
    {GMIME_WARN_PART_WITHOUT_CONTENT, "part-without-content", false, "内容のない部品", "a part without content"},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "part-without-headers-or-content", true, "ヘッダーも内容もない部品", "a part without headers or content"},
    {kAmbiguousBoundary, "ambiguous-boundary", true, "前後に空白のある境界 (boundary)", "a boundary with white space at an end"},
    {kDuplicateBoundary, "duplicate-boundary", true, "複数の境界 (boundary) 指定", "more than one boundary parameter"},
    {kPartOutsideBoundaries, "part-outside-boundaries", true, "境界の外 (前文・後文) に置かれた MIME 部品", "a MIME part outside the boundaries (preamble or epilogue)"},
    {kBoundaryPrefix, "boundary-prefix", true, "外側の境界と先頭が一致する境界", "a boundary that begins another one around it"},
    {kAmbiguousPartHeader, "ambiguous-part-header", true, "値の食い違う構造ヘッダー・パラメーター (Content-Type などが2つ)", "conflicting structural headers or parameters (two Content-Type, …)"},
};

constexpr std::size_t kMaxParserFindings = 100;

// Collects the parser's warnings for one message; identical (kind, item) pairs are counted, not
// repeated, so that a hostile message cannot grow the report without bound.
struct ParserFindingSink {
  std::vector<ParserFinding>& findings;
  std::size_t dropped = 0;

  void add(std::int64_t offset, int code, const char* item) {
    ParserFinding f;
    f.offset = offset;
    const auto* known = std::find_if(std::begin(kParserKinds), std::end(kParserKinds), [&](const ParserKind& k) { return k.code == code; });
    f.kind = known != std::end(kParserKinds) ? known->kind : "unknown-" + std::to_string(code);
    f.severity = known != std::end(kParserKinds) && !known->critical ? "warning" : "critical";
    for (const char* c = item; c != nullptr && *c != '\0' && f.item.size() < 80; ++c) {
      const auto b = static_cast<unsigned char>(*c);
      f.item += b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '?';
    }
    while (!f.item.empty() && (f.item.back() == ' ' || f.item.back() == '?')) f.item.pop_back();
    for (auto& seen : findings) {
      if (seen.kind == f.kind && seen.item == f.item) {
        ++seen.count;
        return;
      }
    }
    if (findings.size() >= kMaxParserFindings) {
      ++dropped;
      return;
    }
    findings.push_back(std::move(f));
  }

  static void on_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer sink) {
    static_cast<ParserFindingSink*>(sink)->add(offset, static_cast<int>(code), item);
  }
};

bool has_critical(const SanitizePlan& plan) {
  return std::any_of(plan.parser_findings.begin(), plan.parser_findings.end(), [](const ParserFinding& f) { return f.severity == "critical"; });
}

// "conflicting-header (Content-Type), multipart-without-boundary (mixed)": the critical findings
// in words for a held message's reason and the notice.
std::string critical_findings_text(const SanitizePlan& plan, const std::string& lang) {
  std::string out;
  for (const auto& f : plan.parser_findings) {
    if (f.severity != "critical") continue;
    out += (out.empty() ? "" : lang != "en" ? "、" : ", ") + describe_parser_finding(f.kind, lang) + (f.item.empty() ? "" : " (" + f.item + ")");
  }
  return out;
}

// The stricter handling of a message with critical parser findings (options.on_parser_critical).
void apply_parser_critical(SanitizePlan& plan, const SanitizeOptions& options) {
  if (!has_critical(plan) || plan.verdict == "held" || options.on_parser_critical == "sanitize") return;
  const bool ja = options.lang != "en";
  if (options.on_parser_critical == "hold") {
    plan.verdict = "held";
    plan.reason = (ja ? "メールの構造に、他のソフトウェアが異なって解釈しうる異常があります: " : "the message's structure has anomalies other software may read differently: ") +
                  critical_findings_text(plan, options.lang);
    plan.pending.clear();
    return;
  }
  for (auto& [index, bytes] : plan.pending) {
    if (index >= plan.parts.size()) continue;
    plan.parts[index].action = "removed";
    plan.parts[index].flags.emplace_back("parser-critical");
  }
  plan.pending.clear();
}

// Files written into the text (uuencode, BinHex, yEnc): a client would show them as attachments,
// so they go as attachments do — cut out, listed as removed parts, a line left where they were.
void remove_embedded_files(SanitizePlan& plan, const SanitizeOptions& options) {
  const auto files = mime::find_embedded_files(plan.body);
  if (files.empty()) return;
  const bool ja = options.lang != "en";
  std::string body;
  std::size_t at = 0, n = 0;
  for (const auto& f : files) {
    PartReport r;
    r.path = "body." + f.kind + "." + std::to_string(++n);
    r.type = "application/octet-stream";
    r.name = clean_file_name(f.name, r.flags);
    r.size = f.size;
    r.action = "removed";
    r.flags.insert(r.flags.begin(), f.kind);
    const std::string shown = r.name.empty() ? "(" + f.kind + ")" : r.name + " (" + f.kind + ")";
    body.append(plan.body, at, f.begin - at);
    body += ja ? "[本文に埋め込まれたファイル " + shown + " を削除しました]\n" : "[a file embedded in the text, " + shown + ", was removed]\n";
    at = f.end;
    plan.parts.push_back(std::move(r));
  }
  body.append(plan.body, at);
  plan.body = std::move(body);
}

// The headers RFC 5322 allows once (3.6); a second one is dropped.
const std::string kSingleHeaders[] = {"from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references"};

// A header value folded for writing after "Name:": the value unfolded (line breaks and the white
// space around them become one space, so no line of white space alone survives) and folded again
// at white space, lines of at most 78 octets where the words allow and never more than 998
// (RFC 5322 2.1.1, 2.2.3). Nothing when one word alone is too long for that.
std::optional<std::string> fold_header(const std::string& name, std::string_view value) {
  std::vector<std::string> words;
  std::string word;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  std::string out;
  std::size_t line = name.size() + 1;  // "Name:"
  for (const auto& w : words) {
    if (1 + w.size() + (out.empty() ? name.size() + 1 : 0) > 998) return std::nullopt;
    if (line + 1 + w.size() > 78 && !out.empty()) {
      out += "\r\n";
      line = 0;
    }
    out += ' ' + w;
    line += 1 + w.size();
  }
  return out;
}

// An address list written anew by GMime, display names without controls or bidi overrides,
// non-ASCII ones RFC 2047 encoded; "" when the list holds no address.
std::string rewrite_addresses(const std::string& value, GMimeParserOptions* parser_options, std::vector<std::string>& warnings) {
  InternetAddressList* addresses = internet_address_list_parse(parser_options, value.c_str());
  if (addresses == nullptr) return {};
  std::vector<std::string> flags;
  std::function<void(InternetAddressList*)> clean = [&](InternetAddressList* l) {
    for (int i = 0; i < internet_address_list_length(l); ++i) {
      InternetAddress* a = internet_address_list_get_address(l, i);
      if (const char* shown = internet_address_get_name(a); shown != nullptr) {
        const std::string cleaned = trim(strip_controls(shown, false, flags));
        internet_address_set_name(a, cleaned.empty() ? nullptr : cleaned.c_str());
      }
      if (INTERNET_ADDRESS_IS_GROUP(a)) clean(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
    }
  };
  clean(addresses);
  for (const auto& f : flags) warnings.push_back("address: " + f + " removed");
  char* encoded = internet_address_list_length(addresses) > 0 ? internet_address_list_to_string(addresses, nullptr, TRUE) : nullptr;
  std::string out = encoded != nullptr ? encoded : "";
  g_free(encoded);
  g_object_unref(addresses);
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// At most this many mailboxes of a From header are shown and compared: a header listing
// thousands must not make the banner or the checks outside the sandbox unbounded.
constexpr std::size_t kMaxFromMailboxes = 100;

// The first mailboxes of an address list as GMime reads it (the same reading the written header
// gets), group members included; names and addresses without controls.
std::vector<Mailbox> mailboxes_of(const std::string& value) {
  std::vector<Mailbox> out;
  // No parser options: the message's warning sink has already counted this header's anomalies.
  InternetAddressList* addresses = internet_address_list_parse(nullptr, value.c_str());
  if (addresses == nullptr) return out;
  std::vector<std::string> flags;
  std::function<void(InternetAddressList*)> collect = [&](InternetAddressList* l) {
    for (int i = 0; i < internet_address_list_length(l); ++i) {
      InternetAddress* a = internet_address_list_get_address(l, i);
      if (INTERNET_ADDRESS_IS_GROUP(a)) {
        collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
      } else if (INTERNET_ADDRESS_IS_MAILBOX(a) && out.size() < kMaxFromMailboxes) {
        const char* name = internet_address_get_name(a);
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
        out.push_back({trim(strip_controls(name != nullptr ? name : "", false, flags)), trim(strip_controls(addr != nullptr ? addr : "", false, flags))});
      }
    }
  };
  collect(addresses);
  g_object_unref(addresses);
  return out;
}

// Line and paragraph separators: a reader's client may start a new line at them.
bool is_line_separator(gunichar c) { return c == 0x2028 || c == 0x2029; }

// Letters of other scripts that look like Latin ones ("ѕаnѕо", "сity"), as the Latin letter.
gunichar latin_lookalike(gunichar c) {
  static const std::pair<gunichar, char> kLookalikes[] = {
      {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0455, 's'}, {0x0445, 'x'}, {0x0443, 'y'},
      {0x0456, 'i'}, {0x0458, 'j'}, {0x0501, 'd'}, {0x04CF, 'l'}, {0x043A, 'k'}, {0x043D, 'h'}, {0x0442, 't'}, {0x0432, 'b'},
      {0x043C, 'm'}, {0x03BF, 'o'}, {0x03B1, 'a'}, {0x03BD, 'v'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03C1, 'p'}, {0x03C4, 't'},
      {0x03C5, 'u'}, {0x03C7, 'x'}, {0x0131, 'i'}, {0x0261, 'g'}, {0x1D0F, 'o'}, {0x0251, 'a'}};
  for (const auto& [from, to] : kLookalikes) {
    if (c == from) return static_cast<gunichar>(to);
  }
  return c;
}

// Text as a reader compares it: NFKC (full-width and half-width forms as one), case folded, other
// scripts' Latin look-alikes as Latin, without white space, invisible format characters and the
// separators a name is written with or without (・ - _).
std::string comparable(std::string_view text) {
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  if (nfkc == nullptr) return {};
  gchar* folded = g_utf8_casefold(nfkc, -1);
  g_free(nfkc);
  std::string out;
  for (const gchar* p = folded; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = latin_lookalike(g_utf8_get_char(p));
    const GUnicodeType type = g_unichar_type(c);
    if (g_unichar_isspace(c) || is_line_separator(c) || type == G_UNICODE_FORMAT || type == G_UNICODE_CONTROL || type == G_UNICODE_SPACE_SEPARATOR) continue;
    if (c == 0x30FB || c == 0xFF65 || c == 0x00B7 || c == '-' || c == '_' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212) continue;
    char buf[6];
    out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
  }
  g_free(folded);
  return out;
}

// Characters a line of the banner could be imitated with: its frame (box drawing) and what looks
// like it (block elements, vertical bars of every width and script).
bool looks_like_banner_frame(gunichar c) {
  return (c >= 0x2500 && c <= 0x259F) || c == '|' || c == 0x2223 || c == 0x23B8 || c == 0x23B9 || (c >= 0x2758 && c <= 0x275A) ||
         c == 0x4E28 || c == 0x01C0 || c == 0x05C0 || c == 0x2016 || c == 0x2225 || c == 0x239C || c == 0x239F || c == 0x23A2 || c == 0x23A5 ||
         c == 0x23AA || c == 0x23AE;
}

// Whether a body line could be taken for a line of Sanso's banner: it begins (after white space
// and invisible characters, NFKC applied) with the banner's frame or a look-alike, or it names
// Sanso at all, however spaced, widened or spelled with look-alike letters.
bool imitates_banner(std::string_view line) {
  gchar* valid = g_utf8_make_valid(line.data(), static_cast<gssize>(line.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  if (nfkc == nullptr) return false;
  bool frame = false;
  for (const gchar* p = nfkc; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    const GUnicodeType type = g_unichar_type(c);
    if (g_unichar_isspace(c) || type == G_UNICODE_FORMAT || type == G_UNICODE_CONTROL || type == G_UNICODE_SPACE_SEPARATOR) continue;
    frame = looks_like_banner_frame(c);
    break;
  }
  g_free(nfkc);
  return frame || comparable(line).find("sanso") != std::string::npos;
}

// Only the banner speaks for Sanso: a body line that could be read as part of it is shown quoted
// ("> "), so that a reader sees it as the sender's text. Line and paragraph separators become line
// ends first, as a client may show them.
void quote_banner_lookalikes(SanitizePlan& plan) {
  std::string body;
  body.reserve(plan.body.size());
  for (std::size_t i = 0; i < plan.body.size();) {
    const std::size_t len = utf8_sequence_length(plan.body, i);
    if (len == 3 && is_line_separator(g_utf8_get_char(plan.body.data() + i))) {
      body += '\n';
    } else {
      body.append(plan.body, i, len == 0 ? 1 : len);
    }
    i += len == 0 ? 1 : len;
  }
  std::string out;
  out.reserve(body.size());
  std::size_t quoted = 0;
  for (std::size_t at = 0; at <= body.size();) {
    std::size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    const std::string_view line(body.data() + at, end - at);
    if (imitates_banner(line)) {
      out += "> ";
      ++quoted;
    }
    out += line;
    if (end < body.size()) out += '\n';
    at = end + 1;
  }
  plan.body = std::move(out);
  plan.banner_lookalike_lines = quoted;
  if (quoted > 0) plan.warnings.push_back("body: " + std::to_string(quoted) + " line(s) imitating the Sanso banner quoted");
}

}  // namespace

std::string describe_parser_finding(const std::string& kind, const std::string& lang) {
  for (const auto& k : kParserKinds) {
    if (kind == k.kind) return lang != "en" ? k.ja : k.en;
  }
  return lang != "en" ? "不明な構造の異常 (" + kind + ")" : "an unknown structural anomaly (" + kind + ")";
}

SanitizePlan plan_message(std::string_view raw, const SanitizeOptions& options) {
  SanitizePlan plan;
  if (raw.size() > options.max_message_bytes) {
    plan.verdict = "held";
    plan.reason = "the message is larger than " + std::to_string(options.max_message_bytes >> 20) + " MB";
    return plan;
  }
  g_mime_init();
  // The options (and so the sink) outlive the message: GMime keeps them with its headers and may
  // warn again while they are read.
  ParserFindingSink sink{plan.parser_findings};
  std::unique_ptr<GMimeParserOptions, decltype(&g_mime_parser_options_free)> parser_options(g_mime_parser_options_new(), &g_mime_parser_options_free);
  g_mime_parser_options_set_warning_callback(parser_options.get(), &ParserFindingSink::on_warning, &sink);
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, parser_options.get());
  g_object_unref(parser);
  g_object_unref(stream);
  if (message == nullptr) {
    plan.verdict = "held";
    plan.reason = "not a readable mail message";
    return plan;
  }
  // Headers from the allow-list, each written anew from its decoded value.
  GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  int count = list != nullptr ? g_mime_header_list_get_count(list) : 0;
  std::vector<std::string> seen;  // lower-case names of the headers that may occur once
  for (int i = 0; i < count; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    std::string name = g_mime_header_get_name(h);
    const char* raw_value = g_mime_header_get_raw_value(h);
    std::string value = raw_value != nullptr ? raw_value : "";
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    const std::string lname = ascii_lower(name);
    if (lname == "authentication-results" || lname == "arc-authentication-results") {
      // Whoever sent the mail wrote these; a reader would take them for the gateway's own checks.
      plan.warnings.push_back("incoming " + name + " header removed");
      continue;
    }
    if (std::find(std::begin(kSingleHeaders), std::end(kSingleHeaders), lname) != std::end(kSingleHeaders)) {
      // One of each: a second From or Subject is how a sender shows one reader one thing and
      // another reader another.
      if (std::find(seen.begin(), seen.end(), lname) != seen.end()) {
        plan.warnings.push_back("second " + name + " header dropped");
        continue;
      }
      seen.push_back(lname);
    }
    std::vector<std::string> flags;
    mime::HeaderText decoded = mime::decode_header_text(value);
    std::string unfolded = decoded.utf8;  // folding white space is no control character
    std::replace_if(unfolded.begin(), unfolded.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
    const std::string text = trim(strip_controls(unfolded, false, flags));
    for (const auto& f : flags) plan.warnings.push_back(name + " header: " + f + " removed");
    if (lname == "subject") plan.subject = text;
    if (lname == "from") {
      plan.from = text;
      // The addresses the banner shows: read from the form the output header is written from.
      plan.from_mailboxes = mailboxes_of(is_ascii(value) ? mime::with_utf8_encoded_words(value) : text);
    }
    if (lname == "message-id") plan.message_id = trim(value);
    if (lname == "to" || lname == "cc") plan.to.push_back(text);
    auto kept = std::find_if(options.keep_headers.begin(), options.keep_headers.end(), [&](const std::string& k) { return ascii_lower(k) == lname; });
    if (kept == options.keep_headers.end()) continue;
    std::string out;
    if (lname == "subject") {
      out = mime::encode_header_text(text, options.output_charset);
    } else if (lname == "from" || lname == "to" || lname == "cc" || lname == "reply-to" || lname == "sender") {
      // Written anew through GMime's address writer from the decoded value, display names without
      // controls: the structure parsed from the ASCII form, its encoded-words first replaced by
      // UTF-8 ones of our decoding (GMime's decoder garbles CP50220's ㈱), or from our decoding of
      // raw 8-bit.
      if (!is_ascii(value)) {
        sink.add(-1, GMIME_WARN_UNENCODED_8BIT_HEADER, name.c_str());
        plan.warnings.push_back("raw 8-bit " + name + " header re-encoded");
      }
      // The message parse has already reported the ASCII form's anomalies; not twice.
      out = is_ascii(value) ? rewrite_addresses(mime::with_utf8_encoded_words(value), nullptr, plan.warnings)
                            : rewrite_addresses(text, parser_options.get(), plan.warnings);
      if (out.empty()) {
        plan.warnings.push_back(name + " header dropped: no address in it");
        continue;
      }
    } else if (lname == "date") {
      GDateTime* date = g_mime_utils_header_decode_date(text.c_str());
      if (date == nullptr) {
        plan.warnings.push_back("Date header dropped: not a date");
        continue;
      }
      char* formatted = g_mime_utils_header_format_date(date);
      out = formatted != nullptr ? formatted : "";
      g_free(formatted);
      g_date_time_unref(date);
    } else if (is_ascii(value)) {
      std::vector<std::string> raw_flags;
      out = strip_controls(value, true, raw_flags);  // line breaks are folding here
      for (const auto& f : raw_flags) plan.warnings.push_back(name + " header: " + f + " removed");
    } else {
      sink.add(-1, GMIME_WARN_UNENCODED_8BIT_HEADER, name.c_str());
      plan.warnings.push_back("raw 8-bit " + name + " header dropped");
      continue;
    }
    auto folded = fold_header(name, out);
    if (!folded) {
      plan.warnings.push_back(name + " header dropped: a word longer than 998 octets cannot be folded");
      continue;
    }
    plan.headers.push_back({name, *folded});
  }

  int part_count = 0;
  Walk walk(options, plan, part_count);
  GMimeObject* body = g_mime_message_get_mime_part(message);
  if (body != nullptr) walk.object(body, "", 0);
  g_object_unref(message);
  for (const auto& [code, item] : walk.ambiguities) sink.add(-1, code, item.c_str());
  if (sink.dropped > 0) plan.warnings.push_back(std::to_string(sink.dropped) + " further parser finding(s) not listed");
  if (!walk.ambiguities.empty() && !walk.limit_hit) {
    // Held whatever on_parser_critical says: there is no one message here to sanitize, and the
    // reading we would pick may not be the one the recipient's client picks.
    const bool ja = options.lang != "en";
    std::vector<std::string> kinds;  // of the ambiguities found
    for (const auto& k : kParserKinds) {
      if (std::any_of(walk.ambiguities.begin(), walk.ambiguities.end(), [&](const auto& a) { return a.first == k.code; })) kinds.emplace_back(k.kind);
    }
    std::string what;
    for (const auto& f : plan.parser_findings) {
      if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) continue;
      what += (what.empty() ? "" : ja ? "、" : ", ") + describe_parser_finding(f.kind, options.lang) + (f.item.empty() ? "" : " (" + f.item + ")");
    }
    plan.verdict = "held";
    plan.reason = (ja ? "メールの構造が読み手によって異なって解釈されうるため、どちらの読み方も採らず保留しました: "
                      : "the message's structure can be read differently by different readers, so neither reading is passed on: ") + what;
    plan.pending.clear();
    return plan;
  }
  if (walk.limit_hit) {
    plan.verdict = "held";
    return plan;
  }
  bool converted = false, truncated = false;
  plan.body = walk.choose_body(walk, converted, truncated);
  if (truncated) {
    plan.verdict = "held";
    plan.reason = "the HTML body nests too deeply to convert completely";
    return plan;
  }
  const bool ja = options.lang != "en";
  for (const auto& text : walk.attached) {
    plan.body += std::string(plan.body.empty() || plan.body.back() == '\n' ? "\n" : "\n\n") +
                 (ja ? "----- 添付されたメール -----\n" : "----- attached message -----\n") + text;
  }
  converted = converted || !walk.attached.empty();
  // Once more over the final text: HTML entities (&#x202E;) and attached messages' headers
  // become characters only on the way here.
  std::vector<std::string> body_flags;
  plan.body = strip_controls(plan.body, true, body_flags);
  for (const auto& f : body_flags) plan.warnings.push_back("body: " + f + " removed");
  remove_embedded_files(plan, options);
  // Links in one pass over the final text: the plain body, the converted HTML (hrefs included),
  // attached messages alike, and nothing defanged twice.
  if (options.defang_links) plan.body = mime::defang_links(plan.body);
  quote_banner_lookalikes(plan);
  for (auto& p : plan.parts) {
    if (p.action == "skipped" && p.type == "text/html") p.action = "removed";
  }
  bool removed = std::any_of(plan.parts.begin(), plan.parts.end(), [](const PartReport& p) { return p.action == "removed" || p.action == "pending"; });
  // A message with critical findings is flagged in the notice, so it is never "clean".
  plan.verdict = (converted || removed || has_critical(plan)) ? "sanitized" : "clean";
  for (const auto& p : plan.parts) {
    if (p.action != "rejected") continue;
    plan.verdict = "held";
    plan.reason = (options.lang != "en" ? "添付ファイル " + p.name + " はポリシーにより受け付けられません"
                                        : "the attachment " + p.name + " is not accepted by policy");
    plan.pending.clear();
    break;
  }
  if (plan.replaced_characters > 0) {
    plan.warnings.push_back(std::to_string(plan.replaced_characters) + " undecodable byte(s) shown as U+FFFD");
  }
  return plan;
}

namespace {

std::size_t code_points(const std::string& utf8) { return static_cast<std::size_t>(g_utf8_strlen(utf8.c_str(), static_cast<gssize>(utf8.size()))); }

// The e-mail addresses written in a display name ("市役所 jouhou＠city.example.lg.jp"), lower-case,
// full-width forms read as ASCII.
std::vector<std::string> addresses_in(const std::string& name) {
  gchar* valid = g_utf8_make_valid(name.c_str(), static_cast<gssize>(name.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  const std::string text = ascii_lower(nfkc != nullptr ? nfkc : "");
  g_free(nfkc);
  auto local_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos; };
  auto domain_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; };
  std::vector<std::string> out;
  for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
    std::size_t b = at, e = at + 1;
    while (b > 0 && local_char(text[b - 1])) --b;
    while (e < text.size() && domain_char(text[e])) ++e;
    std::string local = text.substr(b, at - b), domain = text.substr(at + 1, e - at - 1);
    while (!local.empty() && local.front() == '.') local.erase(0, 1);
    while (!domain.empty() && (domain.back() == '.' || domain.back() == '-')) domain.pop_back();
    if (local.empty() || domain.find('.') == std::string::npos) continue;
    out.push_back(local + "@" + domain);
  }
  return out;
}

bool in_domains(const std::string& domain, const std::vector<std::string>& domains) {
  return std::any_of(domains.begin(), domains.end(), [&](const std::string& d) {
    const std::string want = ascii_lower(d);
    return !want.empty() && (domain == want || (domain.size() > want.size() && domain.ends_with("." + want)));
  });
}

}  // namespace

void check_sender(SanitizePlan& plan, const SanitizeOptions& options) {
  plan.sender_findings.clear();
  auto add = [&](const char* kind, const Mailbox& m, const std::string& matched) {
    for (const auto& f : plan.sender_findings) {
      if (f.kind == kind && f.address == m.address && f.matched == matched) return;
    }
    plan.sender_findings.push_back({kind, m.name, m.address, matched});
  };
  // Names this short (one character: 市, 課) are part of too many honest names to warn about.
  constexpr std::size_t kMinNameLength = 2;
  auto comparable_names = [&](auto names, std::size_t min_length) {
    std::vector<std::pair<std::string, std::string>> out;  // (as compared, as configured)
    for (const std::string& n : names) {
      std::string c = comparable(n);
      if (code_points(c) >= min_length) out.emplace_back(std::move(c), n);
    }
    return out;
  };
  std::vector<std::string> city_names = options.protected_names, correspondent_names;
  city_names.insert(city_names.end(), options.protected_domains.begin(), options.protected_domains.end());
  for (const auto& c : options.correspondents) correspondent_names.push_back(c.first);
  const auto city = comparable_names(city_names, kMinNameLength);
  const auto correspondents = comparable_names(correspondent_names, kMinNameLength);
  for (const Mailbox& m : plan.from_mailboxes) {
    const std::string address = ascii_lower(m.address);
    const std::string domain = mime::address_domain(address);
    const bool city_address = in_domains(domain, options.protected_domains);
    if (city_address && options.arrival.source_zone == "internet") add("city-address-from-internet", m, domain);
    if (m.name.empty()) continue;
    for (const auto& shown_address : addresses_in(m.name)) {
      if (shown_address != address) add("address-in-name", m, shown_address);
    }
    const std::string name = comparable(m.name);
    if (!city_address) {
      // One warning however many of the city's names it borrows ("水俣市 情報政策係 <jouhou@city…>"
      // borrows three): a reader skims past a banner that repeats itself.
      std::string borrowed;
      for (const auto& [want, configured] : city) {
        if (name.find(want) != std::string::npos && (", " + borrowed + ", ").find(", " + configured + ", ") == std::string::npos) {
          borrowed += (borrowed.empty() ? "" : ", ") + configured;
        }
      }
      if (!borrowed.empty()) add("city-name", m, borrowed);
    }
    for (const auto& correspondent : correspondents) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::string& want = correspondent.first;
      const std::string& known_name = correspondent.second;
      if (name.find(want) == std::string::npos) continue;
      // One name may be known with several addresses; any of them is the real correspondent.
      auto same_name = [&](const auto& c) { return c.first == known_name; };
      if (std::any_of(options.correspondents.begin(), options.correspondents.end(),
                      [&](const auto& c) { return same_name(c) && ascii_lower(c.second) == address; })) {
        continue;
      }
      for (const auto& c : options.correspondents) {
        if (same_name(c)) add("correspondent-name", m, known_name + " <" + c.second + ">");
      }
    }
  }
}

SanitizePlan sanitize_message(std::string_view raw, const SanitizeOptions& options) {
  SanitizePlan plan = plan_message(raw, options);
  finish_attachments(plan, options, [&options](const std::vector<AttachmentInput>& inputs) {
    std::vector<cdr::CdrResult> out;
    for (const auto& in : inputs) out.push_back(cdr::sanitize(in.bytes, in.name, options.cdr));
    return out;
  });
  check_sender(plan, options);
  return plan;
}

namespace {

// The media type a rebuilt file goes out as, from its name.
std::string content_type_for(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {"pdf", "application/pdf"}, {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template"}, {"xlsb", "application/vnd.ms-excel.sheet.binary.macroEnabled.12"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"ppsx", "application/vnd.openxmlformats-officedocument.presentationml.slideshow"},
      {"potx", "application/vnd.openxmlformats-officedocument.presentationml.template"}, {"doc", "application/msword"},
      {"xls", "application/vnd.ms-excel"}, {"ppt", "application/vnd.ms-powerpoint"}, {"rtf", "application/rtf"},
      {"odt", "application/vnd.oasis.opendocument.text"}, {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {"odp", "application/vnd.oasis.opendocument.presentation"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
      {"gif", "image/gif"}, {"webp", "image/webp"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"}, {"zip", "application/zip"},
      {"txt", "text/plain; charset=UTF-8"}, {"csv", "text/csv; charset=UTF-8"}, {"tsv", "text/tab-separated-values; charset=UTF-8"}};
  auto it = kTypes.find(file_extension(name));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace

void finish_attachments(SanitizePlan& plan, const SanitizeOptions& options, const AttachmentSanitizer& engine) {
  apply_parser_critical(plan, options);
  const bool ja = options.lang != "en";
  std::erase_if(plan.pending, [&](const auto& p) { return p.first >= plan.parts.size(); });
  std::vector<AttachmentInput> inputs;
  for (const auto& [index, bytes] : plan.pending) inputs.push_back({bytes, plan.parts[index].name});
  std::vector<cdr::CdrResult> results = inputs.empty() ? std::vector<cdr::CdrResult>{} : engine(inputs);
  while (results.size() < inputs.size()) {  // an engine that answers for fewer files blocks the rest
    cdr::CdrResult unanswered;
    unanswered.reason = "internal";
    unanswered.message = "the engine gave no result for this file";
    results.push_back(std::move(unanswered));
  }
  for (std::size_t k = 0; k < plan.pending.size(); ++k) {
    const std::size_t index = plan.pending[k].first;
    PartReport& part = plan.parts[index];
    cdr::CdrResult& r = results[k];
    std::string action = r.verdict == cdr::Verdict::blocked ? "sanitize" : attachment_action_for(part.name, r.type, options);
    if (action == "reject") {
      part.action = "rejected";
      plan.verdict = "held";
      plan.reason = ja ? "添付ファイル " + part.name + " (" + r.type + ") はポリシーにより受け付けられません"
                       : "the attachment " + part.name + " (" + r.type + ") is not accepted by policy";
      continue;
    }
    if (r.verdict == cdr::Verdict::blocked || action == "remove") {
      part.action = "removed";
      if (r.verdict == cdr::Verdict::blocked) part.flags.push_back("blocked:" + r.reason);
      continue;
    }
    part.action = "sanitized";
    for (const auto& f : r.findings) {
      if (std::find(part.flags.begin(), part.flags.end(), f.kind) == part.flags.end()) part.flags.push_back(f.kind);
    }
    SanitizedAttachment a;
    a.part = index;
    a.name = r.output_name.empty() ? part.name : r.output_name;
    a.content_type = content_type_for(a.name);
    a.bytes = std::move(r.output);
    a.findings = std::move(r.findings);
    plan.attachments.push_back(std::move(a));
  }
  plan.pending.clear();
  if (plan.verdict == "held") plan.attachments.clear();  // a held message carries nothing
}

namespace {

// What the sender chose (file names, a held message's reason that quotes them) as the notice
// shows it: no more clickable than the body.
std::string shown(const std::string& text, const SanitizeOptions& options) { return options.defang_links ? mime::defang_links(text) : text; }

kainjow::mustache::mustache text_template(const std::string& text) {
  kainjow::mustache::mustache t(text);
  t.set_custom_escape([](const std::string& s) { return s; });  // a text notice: nothing to escape
  return t;
}

bool any_part_flagged(const SanitizePlan& plan, const char* flag) {
  return std::any_of(plan.parts.begin(), plan.parts.end(), [&](const PartReport& p) { return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end(); });
}

std::string templated_notice(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id,
                             const std::string& contact) {
  using kainjow::mustache::data;
  data d;
  d.set("verdict", plan.verdict);
  d.set("held", plan.verdict == "held" ? data::type::bool_true : data::type::bool_false);
  d.set("sanitized", plan.verdict == "sanitized" ? data::type::bool_true : data::type::bool_false);
  d.set("reason", shown(plan.reason, options));
  d.set("quarantine_id", quarantine_id.empty() ? std::string("-") : std::string(quarantine_id));
  d.set("contact", contact);
  bool html = false;
  std::size_t attached = 0;
  data removed{data::type::list};
  std::size_t removed_count = 0;
  for (const auto& p : plan.parts) {
    html = html || (p.action == "converted" && p.type == "text/html");
    attached += p.action == "converted" && p.type == "message/rfc822" ? 1 : 0;
    if (p.action != "removed") continue;
    data item;
    item.set("name", p.name.empty() ? "(" + p.type + ")" : shown(p.name, options));
    item.set("type", p.type);
    item.set("size", human_size(p.size));
    std::string flags;
    for (const auto& f : p.flags) flags += (flags.empty() ? "" : " ") + f;
    item.set("flags", flags);
    removed.push_back(item);
    ++removed_count;
  }
  d.set("html_converted", html ? data::type::bool_true : data::type::bool_false);
  d.set("hidden_text", any_part_flagged(plan, "hidden-text") ? data::type::bool_true : data::type::bool_false);
  d.set("text_cut", any_part_flagged(plan, "text-size-limit") ? data::type::bool_true : data::type::bool_false);
  d.set("attached_messages", std::to_string(attached));
  d.set("removed_count", std::to_string(removed_count));
  d.set("removed", removed);
  data sanitized_list{data::type::list};
  for (const auto& a : plan.attachments) {
    data item;
    item.set("name", shown(a.name, options));
    item.set("size", human_size(a.bytes.size()));
    std::string what;
    for (const auto& f : a.findings) {
      std::string w = cdr::describe(f.kind, options.lang);
      if (what.find(w) == std::string::npos) what += (what.empty() ? "" : ", ") + w;
    }
    item.set("findings", what);
    sanitized_list.push_back(item);
  }
  d.set("parser_critical", has_critical(plan) ? data::type::bool_true : data::type::bool_false);
  d.set("parser_findings", critical_findings_text(plan, options.lang));
  d.set("sanitized_count", std::to_string(plan.attachments.size()));
  d.set("sanitized_attachments", sanitized_list);
  std::string out = text_template(options.notice_template).render(d);
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// The text part, headers and body. ISO-2022-JP goes out as 7bit text, as the clients that need
// it expect, unless a line would break RFC 5322's 998-octet limit: then as base64.
std::string text_entity(const std::string& text, const SanitizeOptions& options) {
  const std::string crlf = mime::to_crlf(text);  // CRLF line ends throughout the body
  if (mime::canonical_charset(options.output_charset) == "iso-2022-jp") {
    std::string jis = mime::encode_iso2022jp(crlf);
    if (mime::fits_7bit(jis)) return "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + jis;
    return "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(jis);
  }
  return "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(crlf);
}

// A rebuilt attachment, headers and base64 body. Its name goes out twice, for modern clients and
// for the ones Japanese offices still use: RFC 2231 (`filename*0*=UTF-8''…`, continued in pieces
// of at most 60 octets) and RFC 2047 in name= (folded between encoded words), so that no header
// line comes near the 998-octet limit however long the name.
std::string attachment_entity(const SanitizedAttachment& a, const SanitizeOptions& options) {
  std::vector<std::string> pieces(1, "UTF-8''");
  for (unsigned char c : a.name) {
    std::string encoded(1, static_cast<char>(c));
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_')) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      encoded = hex;
    }
    if (pieces.back().size() + encoded.size() > 60) pieces.emplace_back();
    pieces.back() += encoded;
  }
  std::string disposition = "Content-Disposition: attachment";
  for (std::size_t i = 0; i < pieces.size(); ++i) disposition += ";\r\n filename*" + std::to_string(i) + "*=" + pieces[i];
  std::string quoted;
  const std::string encoded_name = mime::encode_header_text(a.name, options.output_charset);
  for (std::size_t i = 0; i < encoded_name.size(); ++i) {
    const char c = encoded_name[i];
    if (c == '\r' && encoded_name.compare(i, 3, "\r\n ") == 0) {
      quoted += "\r\n ";  // the encoder's folding, legal inside a quoted string
      i += 2;
      continue;
    }
    if (c == '\r' || c == '\n') continue;
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "Content-Type: " + a.content_type + ";\r\n name=\"" + quoted + "\"\r\n" + disposition +
         "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(a.bytes);
}

// Text the sender chose, fit for one line of the banner: no line or paragraph separator (a
// client may break the line there and start a line of its own), no run of white space (that
// pushes what follows to the start of a wrapped line, where it could pass for the frame), at
// most `limit` characters.
std::string one_line(const std::string& text, std::size_t limit = 120, bool collapse_space = true) {
  std::string out;
  std::size_t n = 0, i = 0;
  for (; i < text.size() && n < limit; ++n) {
    const std::size_t len = std::max<std::size_t>(1, utf8_sequence_length(text, i));
    const gunichar c = len > 1 ? g_utf8_get_char(text.data() + i) : static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n' || c == '\v' || c == '\f' || is_line_separator(c)) {
      out += ' ';
    } else if (collapse_space && (g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out.append(text, i, len);
    }
    i += len;
  }
  if (i < text.size()) out += "…";
  return out;
}

// The zone a message came from, in words.
std::string zone_in_words(const std::string& zone, bool ja) {
  if (zone == "internet") return ja ? "インターネット" : "the internet";
  return ja ? "ゾーン「" + zone + "」" : "zone " + zone;
}

// What a sender finding means, in the reader's language.
std::string sender_warning(const SenderFinding& f, const SanitizeOptions& options) {
  const bool ja = options.lang != "en";
  const std::string name = shown(one_line(f.display_name), options), address = shown(one_line(f.address), options), matched = shown(one_line(f.matched), options);
  if (f.kind == "address-in-name") {
    return ja ? "【注意】差出人の表示名「" + name + "」には別のアドレス " + matched + " が書かれていますが、実際の差出人は " + address + " です。"
              : "WARNING: the sender's display name \"" + name + "\" shows another address, " + matched + "; the real sender is " + address + ".";
  }
  if (f.kind == "city-name") {
    return ja ? "【注意】差出人の表示名「" + name + "」は市の名称「" + matched + "」に似ていますが、実際の差出人は市外のアドレス " + address + " です。"
              : "WARNING: the sender's display name \"" + name + "\" looks like the city's \"" + matched + "\", but the real sender is " + address + ", outside the city.";
  }
  if (f.kind == "correspondent-name") {
    return ja ? "【注意】差出人の表示名「" + name + "」は既知の相手 " + matched + " と同じ名前ですが、実際の差出人は別のアドレス " + address + " です。"
              : "WARNING: the sender's display name \"" + name + "\" is that of a known correspondent, " + matched + ", but the real sender is another address, " + address + ".";
  }
  if (f.kind == "city-address-from-internet") {
    return ja ? "【注意】差出人アドレス " + address + " は市のドメインですが、このメールはインターネットから届きました。市からのメールではない可能性があります。"
              : "WARNING: the sender address " + address + " is the city's, but this message came from the internet; it may not be from the city.";
  }
  return (ja ? "【注意】差出人の表示に問題があります: " : "WARNING: the sender's display may mislead: ") + f.kind;
}

// The banner at the top of the text, whatever the verdict: nothing of the message comes before it.
// Every line of it begins with the frame "┃" and it closes with the quarantine id, which the
// sender cannot know; body lines that could be taken for it were quoted by the parse. It shows
// the real sender — the From addresses, not the display names, and the envelope sender where it
// differs — and warns when a display name borrows another identity.
std::string banner(const SanitizePlan& plan, const SanitizeOptions& options, const std::string& notice, const std::string& id) {
  const bool ja = options.lang != "en";
  std::vector<std::string> lines;
  if (!options.arrival.source_zone.empty()) {
    lines.push_back(ja ? "このメールは" + zone_in_words(options.arrival.source_zone, true) + "から受信しました。"
                       : "This message came from " + zone_in_words(options.arrival.source_zone, false) + ".");
  }
  std::string from;
  for (const auto& m : plan.from_mailboxes) from += (from.empty() ? "" : ", ") + shown(one_line(m.address), options);
  if (from.empty()) from = plan.verdict == "held" ? (ja ? "(不明)" : "(unknown)") : (ja ? "(From ヘッダーにアドレスがありません)" : "(no address in the From header)");
  lines.push_back((ja ? "差出人アドレス (From): " : "Sender address (From): ") + from);
  const std::string envelope = options.arrival.envelope_sender;
  const bool same = std::any_of(plan.from_mailboxes.begin(), plan.from_mailboxes.end(),
                                [&](const Mailbox& m) { return ascii_lower(m.address) == ascii_lower(envelope); });
  if (!envelope.empty() && !same) lines.push_back((ja ? "送信元アドレス (エンベロープ): " : "Envelope sender: ") + shown(one_line(envelope), options));
  for (const auto& f : plan.sender_findings) lines.push_back(sender_warning(f, options));
  if (plan.banner_lookalike_lines > 0) {
    lines.push_back(ja ? "本文中の " + std::to_string(plan.banner_lookalike_lines) + " 行はこの表示に似ているため、行頭に「> 」を付けました（送信者が書いた文です）。"
                       : std::to_string(plan.banner_lookalike_lines) + " line(s) of the body resemble this notice and are marked \"> \" (the sender wrote them).");
  }
  std::size_t from_line = 0;
  for (std::size_t at = 0; at < notice.size(); at = from_line + 1) {
    from_line = notice.find('\n', at);
    if (from_line == std::string::npos) from_line = notice.size();
    lines.push_back(notice.substr(at, from_line - at));
  }
  std::string out = ja ? "┏━━【Sanso 無害化のお知らせ】━━━━━━━━━━━━━━━━\n" : "┏━━ [Sanso notice] ━━━━━━━━━━━━━━━━━━━━\n";
  // The whole line: only line breaks go, the notice's own indentation stays.
  for (const auto& l : lines) out += "┃ " + one_line(l, 2000, false) + "\n";
  out += ja ? "┗━━ Sanso の表示はここまで（隔離ID " + id + "）━━━━\n" : "┗━━ end of the Sanso notice (quarantine id " + id + ") ━━━━\n";
  return out;
}

// Sanso's Authentication-Results (RFC 8601): it checked no SPF, DKIM or DMARC, so it claims none
// ("none", 2.2); what it knows from the network goes in a comment. Everything the client chose
// (the envelope sender) is printable ASCII there, parentheses and backslashes quoted.
std::string authentication_results(const SanitizeOptions& options) {
  auto token = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') out += c;
    }
    return out;
  };
  std::string id = token(options.authserv_id.empty() ? std::string(g_get_host_name()) : options.authserv_id).substr(0, 253);  // a DNS name's length
  if (id.empty()) id = "sanso";
  auto comment_text = [](std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 254)) {
      const auto b = static_cast<unsigned char>(c);
      if (b <= 0x20 || b >= 0x7F) {
        out += '?';
        continue;
      }
      if (c == '(' || c == ')' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  const auto& a = options.arrival;
  std::string facts = "Sanso checked no SPF, DKIM or DMARC";
  if (!a.source_zone.empty()) facts += "; source zone " + comment_text(a.source_zone);
  if (!a.client_address.empty()) facts += "; client address " + comment_text(a.client_address);
  if (!a.source_zone.empty()) facts += "; envelope sender " + (a.envelope_sender.empty() ? std::string("<> (none)") : "<" + comment_text(a.envelope_sender) + ">");
  return " " + id + "; none (" + facts + ")";
}

}  // namespace

Result<void> check_notice_template(const std::string& text) {
  auto t = text_template(text);
  if (!t.is_valid()) return make_error("config.template", "notice_template", t.error_message());
  return ok();
}

std::string render_message(const SanitizePlan& plan, const SanitizeOptions& options, std::string_view quarantine_id) {
  const bool ja = options.lang != "en";
  std::vector<const PartReport*> removed;
  bool converted = false;
  std::size_t attached = 0;
  for (const auto& p : plan.parts) {
    if (p.action == "removed") removed.push_back(&p);
    converted = converted || (p.action == "converted" && p.type == "text/html");
    attached += p.action == "converted" && p.type == "message/rfc822" ? 1 : 0;
  }
  std::string id = quarantine_id.empty() ? (ja ? "(保存されていません)" : "(not stored)") : std::string(quarantine_id);
  const std::string contact = !options.contact.empty() ? options.contact : (ja ? "情報政策係" : "the IT security section");
  const std::string original_line = ja ? "原本は隔離されています。必要な場合は隔離ID " + id + " を添えて" + contact + "に申請してください。\n"
                                       : "The original is quarantined; to request it, ask " + contact + " quoting quarantine id " + id + ".\n";
  std::string notice;  // what happened to the message: the built-in wording or the city's template
  if (plan.verdict == "held") {
    notice = ja ? "このメールは安全にテキスト化できなかったため、本文を表示せず保留しました。\n理由: " + shown(plan.reason, options) + "\n" + original_line
                : "This message could not be converted safely and is withheld.\nReason: " + shown(plan.reason, options) + "\n" + original_line;
  } else if (plan.verdict != "sanitized") {
    notice = (ja ? "本文はテキストのみで、変換・削除したものはありません。\n" : "The message was plain text; nothing was converted or removed.\n") + original_line;
  } else {
    notice = ja ? "安全のため、テキスト形式に変換しました。\n" : "It was converted to plain text for safety.\n";
    if (converted) notice += ja ? "・HTML形式の本文をテキストに変換しました（リンクはクリックできない形で表示）\n" : "- The HTML body was converted to text (links shown, not clickable).\n";
    if (any_part_flagged(plan, "hidden-text")) {
      notice += ja ? "・HTMLの中で読み手に見えないよう隠された文字を削除しました（フィッシングで使われる手口です）\n"
                   : "- Text hidden from the reader in the HTML was removed (a technique used in phishing).\n";
    }
    if (any_part_flagged(plan, "text-size-limit")) {
      notice += ja ? "・変換した本文が大きすぎるため途中で打ち切りました（原本は隔離されています）\n"
                   : "- The converted text was too large and is cut off (the original is quarantined).\n";
    }
    if (has_critical(plan)) {
      const bool removed_all = std::any_of(plan.parts.begin(), plan.parts.end(), [](const PartReport& p) {
        return std::find(p.flags.begin(), p.flags.end(), "parser-critical") != p.flags.end();
      });
      notice += ja ? "・このメールの構造には、他のソフトウェアが異なって解釈しうる異常があります: " + critical_findings_text(plan, options.lang) + "\n" +
                         (removed_all ? "  安全のため、添付ファイルは無害化せずすべて削除しました\n" : "")
                   : "- The message's structure has anomalies that other software may read differently: " + critical_findings_text(plan, options.lang) + "\n" +
                         (removed_all ? "  For safety, every attachment was removed rather than rebuilt.\n" : "");
    }
    if (attached > 0) {
      notice += ja ? "・添付されたメール " + std::to_string(attached) + " 通を同じように無害化し、本文の後に載せました\n"
                   : "- " + std::to_string(attached) + " attached message(s) were sanitized the same way and follow the body.\n";
    }
    if (!plan.attachments.empty()) {
      notice += ja ? "・次の " + std::to_string(plan.attachments.size()) + " 件の添付ファイルを無害化して添付しました:\n"
                   : "- " + std::to_string(plan.attachments.size()) + " attachment(s) were rebuilt without active content and are attached:\n";
      for (const auto& a : plan.attachments) {
        notice += "    " + shown(a.name, options) + "  [" + human_size(a.bytes.size()) + "]";
        std::vector<std::string> kinds;
        for (const auto& f : a.findings) {
          std::string d = cdr::describe(f.kind, options.lang);
          if (std::find(kinds.begin(), kinds.end(), d) == kinds.end()) kinds.push_back(d);
        }
        if (!kinds.empty()) {
          notice += ja ? " 除去・変換: " : " removed/converted: ";
          for (std::size_t i = 0; i < kinds.size(); ++i) notice += (i ? ja ? "、" : ", " : "") + kinds[i];
        }
        notice += "\n";
      }
    }
    if (!removed.empty()) {
      notice += ja ? "・次の " + std::to_string(removed.size()) + " 件を削除しました:\n" : "- Removed " + std::to_string(removed.size()) + " part(s):\n";
      for (const PartReport* p : removed) {
        std::string name = p->name.empty() ? (p->type == "text/html" ? (ja ? "(HTML形式の本文)" : "(HTML body)") : "(" + p->type + ")") : shown(p->name, options);
        notice += "    " + name + "  [" + p->type + ", " + human_size(p->size) + "]";
        for (const auto& f : p->flags) {
          // "blocked:encrypted" → why the engine refused it, in words.
          notice += f.rfind("blocked:", 0) == 0 ? (ja ? " 理由: " : " reason: ") + cdr::describe(cdr::finding_kind_of(std::string_view(f).substr(8)), options.lang) : " !" + f;
        }
        notice += "\n";
      }
    }
    notice += original_line;
  }
  if (!options.notice_template.empty() && plan.verdict != "clean") notice = templated_notice(plan, options, quarantine_id, contact);
  std::string body = banner(plan, options, notice, id) + "\n" + plan.body;

  // Sanso's own Authentication-Results, above every other header as RFC 8601 5 asks; the sender's
  // were removed by the parse.
  std::string out = "Authentication-Results:" + *fold_header("Authentication-Results", authentication_results(options)) + "\r\n";
  for (const auto& h : plan.headers) out += h.name + ":" + (h.value.empty() || h.value[0] == ' ' ? "" : " ") + h.value + "\r\n";
  std::string report = "parts=" + std::to_string(plan.parts.size()) + "; removed=" + std::to_string(removed.size()) +
                       (plan.attachments.empty() ? "" : "; sanitized-attachments=" + std::to_string(plan.attachments.size())) +
                       (converted ? "; html-to-text" : "") + (attached > 0 ? "; attached-messages=" + std::to_string(attached) : "") + (plan.replaced_characters ? "; replaced=" + std::to_string(plan.replaced_characters) : "") +
                       (plan.parser_findings.empty() ? "" : "; parser-findings=" + std::to_string(plan.parser_findings.size())) +
                       (has_critical(plan) ? "; parser-critical" : "");
  out += "X-Sanso-Sanitized: " + plan.verdict + "; id=" + (quarantine_id.empty() ? std::string("none") : std::string(quarantine_id)) + "\r\n";
  out += "X-Sanso-Report: " + report + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  // Every entity is written in full first, so that the boundary can be checked against all of it.
  std::vector<std::string> entities;
  entities.push_back(text_entity(body, options));
  for (const auto& a : plan.attachments) entities.push_back(attachment_entity(a, options));
  if (entities.size() == 1) return out + entities[0];
  const std::string boundary = mime::unique_boundary(entities);
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  for (const auto& e : entities) out += "--" + boundary + "\r\n" + e + "\r\n";
  out += "--" + boundary + "--\r\n";
  return out;
}

namespace {

void collect_entities(GMimeObject* obj, std::vector<OutputEntity>& out) {
  if (obj == nullptr) return;
  OutputEntity e;
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  e.type = ct != nullptr ? ascii_lower(std::string(g_mime_content_type_get_media_type(ct)) + "/" + g_mime_content_type_get_media_subtype(ct)) : "";
  if (GMIME_IS_PART(obj)) {
    const char* name = g_mime_part_get_filename(GMIME_PART(obj));
    e.name = name != nullptr ? name : "";
    if (!e.name.empty() && g_mime_part_get_content(GMIME_PART(obj)) != nullptr) {
      GMimeStream* s = g_mime_stream_mem_new();
      g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(obj)), s);
      GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
      e.sha256 = sha256_hex(std::string_view(reinterpret_cast<const char*>(a->data), a->len));
      g_object_unref(s);
    }
  }
  out.push_back(std::move(e));
  if (GMIME_IS_MULTIPART(obj)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); ++i) collect_entities(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), out);
  } else if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner != nullptr) collect_entities(g_mime_message_get_mime_part(inner), out);
  }
}

}  // namespace

std::vector<OutputEntity> output_entities(std::string_view message) {
  g_mime_init();
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(message.data(), message.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);
  std::vector<OutputEntity> out;
  if (m == nullptr) return out;
  collect_entities(g_mime_message_get_mime_part(m), out);
  g_object_unref(m);
  return out;
}

std::vector<OutputEntity> expected_entities(const SanitizePlan& plan) {
  std::vector<OutputEntity> out;
  if (!plan.attachments.empty()) out.push_back({"multipart/mixed", "", ""});
  out.push_back({"text/plain", "", ""});
  for (const auto& a : plan.attachments) {
    out.push_back({ascii_lower(trim(std::string_view(a.content_type).substr(0, a.content_type.find(';')))), a.name, sha256_hex(a.bytes)});
  }
  return out;
}

namespace {
std::string to_base64(const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = b64 != nullptr ? b64 : "";
  g_free(b64);
  return out;
}
std::string from_base64(const std::string& text) {
  gsize n = 0;
  guchar* raw = g_base64_decode(text.c_str(), &n);
  std::string out(reinterpret_cast<const char*>(raw), n);
  g_free(raw);
  return out;
}
}  // namespace

std::string plan_to_json(const SanitizePlan& plan, bool with_bytes) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : plan.parts) {
    parts.push_back({{"path", p.path}, {"type", p.type}, {"charset", p.charset}, {"decoded_as", p.decoded_as}, {"size", p.size},
                     {"name", p.name}, {"action", p.action}, {"flags", p.flags}});
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : plan.headers) headers.push_back({h.name, h.value});
  nlohmann::json attachments = nlohmann::json::array();
  for (const auto& a : plan.attachments) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : a.findings) findings.push_back({{"kind", f.kind}, {"location", f.location}, {"action", f.action}});
    nlohmann::json item{{"part", a.part}, {"name", a.name}, {"content_type", a.content_type}, {"size", a.bytes.size()}, {"findings", findings}};
    if (with_bytes) item["bytes"] = to_base64(a.bytes);
    attachments.push_back(std::move(item));
  }
  nlohmann::json parser_findings = nlohmann::json::array();
  for (const auto& f : plan.parser_findings) {
    parser_findings.push_back({{"severity", f.severity}, {"kind", f.kind}, {"item", f.item}, {"offset", f.offset}, {"count", f.count}});
  }
  nlohmann::json from_mailboxes = nlohmann::json::array();
  for (const auto& m : plan.from_mailboxes) from_mailboxes.push_back({{"name", m.name}, {"address", m.address}});
  nlohmann::json sender_findings = nlohmann::json::array();
  for (const auto& f : plan.sender_findings) {
    sender_findings.push_back({{"kind", f.kind}, {"display_name", f.display_name}, {"address", f.address}, {"matched", f.matched}});
  }
  nlohmann::json j{{"verdict", plan.verdict}, {"reason", plan.reason}, {"headers", headers}, {"body", plan.body},
                   {"parts", parts}, {"warnings", plan.warnings}, {"parser_findings", parser_findings}, {"replaced_characters", plan.replaced_characters},
                   {"subject", plan.subject}, {"from", plan.from}, {"message_id", plan.message_id}, {"to", plan.to},
                   {"from_mailboxes", from_mailboxes}, {"sender_findings", sender_findings},
                   {"banner_lookalike_lines", plan.banner_lookalike_lines}, {"attachments", attachments}};
  if (with_bytes) {
    nlohmann::json pending = nlohmann::json::array();
    for (const auto& [index, bytes] : plan.pending) pending.push_back({{"part", index}, {"bytes", to_base64(bytes)}});
    j["pending"] = pending;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<SanitizePlan> plan_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("mail.plan", "", "the sanitizer's answer is not valid JSON");
  try {
    SanitizePlan plan;
    plan.verdict = j.at("verdict").get<std::string>();
    plan.reason = j.at("reason").get<std::string>();
    for (const auto& h : j.at("headers")) plan.headers.push_back({h.at(0).get<std::string>(), h.at(1).get<std::string>()});
    plan.body = j.at("body").get<std::string>();
    for (const auto& p : j.at("parts")) {
      PartReport r;
      r.path = p.at("path").get<std::string>();
      r.type = p.at("type").get<std::string>();
      r.charset = p.at("charset").get<std::string>();
      r.decoded_as = p.at("decoded_as").get<std::string>();
      r.size = p.at("size").get<std::size_t>();
      r.name = p.at("name").get<std::string>();
      r.action = p.at("action").get<std::string>();
      r.flags = p.at("flags").get<std::vector<std::string>>();
      plan.parts.push_back(std::move(r));
    }
    plan.warnings = j.at("warnings").get<std::vector<std::string>>();
    if (j.contains("parser_findings")) {
      for (const auto& f : j.at("parser_findings")) {
        plan.parser_findings.push_back({f.at("severity").get<std::string>(), f.at("kind").get<std::string>(), f.at("item").get<std::string>(),
                                        f.at("offset").get<std::int64_t>(), f.at("count").get<std::size_t>()});
      }
    }
    plan.replaced_characters = j.at("replaced_characters").get<std::size_t>();
    plan.subject = j.at("subject").get<std::string>();
    plan.from = j.at("from").get<std::string>();
    plan.message_id = j.at("message_id").get<std::string>();
    plan.to = j.at("to").get<std::vector<std::string>>();
    if (j.contains("from_mailboxes")) {
      for (const auto& m : j.at("from_mailboxes")) plan.from_mailboxes.push_back({m.at("name").get<std::string>(), m.at("address").get<std::string>()});
    }
    if (j.contains("sender_findings")) {
      for (const auto& f : j.at("sender_findings")) {
        plan.sender_findings.push_back({f.at("kind").get<std::string>(), f.at("display_name").get<std::string>(), f.at("address").get<std::string>(),
                                        f.at("matched").get<std::string>()});
      }
    }
    if (j.contains("banner_lookalike_lines")) plan.banner_lookalike_lines = j.at("banner_lookalike_lines").get<std::size_t>();
    if (j.contains("attachments")) {
      for (const auto& a : j.at("attachments")) {
        SanitizedAttachment out;
        out.part = a.at("part").get<std::size_t>();
        out.name = a.at("name").get<std::string>();
        out.content_type = a.at("content_type").get<std::string>();
        if (a.contains("bytes")) out.bytes = from_base64(a.at("bytes").get<std::string>());
        for (const auto& f : a.at("findings")) out.findings.push_back({f.at("kind").get<std::string>(), f.at("location").get<std::string>(), f.at("action").get<std::string>()});
        plan.attachments.push_back(std::move(out));
      }
    }
    if (j.contains("pending")) {
      for (const auto& p : j.at("pending")) {
        std::size_t index = p.at("part").get<std::size_t>();
        if (index >= plan.parts.size()) return make_error("mail.plan", "", "the sanitizer's answer names a part that does not exist");
        plan.pending.emplace_back(index, from_base64(p.at("bytes").get<std::string>()));
      }
    }
    return plan;
  } catch (const std::exception& e) {
    return make_error("mail.plan", "", std::string("the sanitizer's answer is incomplete: ") + e.what());
  }
}

namespace {

void prepare_mail_sandbox() {
  g_mime_init();
  mime::prepare_charsets();
  (void)mime::html_to_text("<p>warm</p>");
}

// The sandbox around one batch of attachments: the engine's memory allowance, one file's time
// (a batch that needs more is run again file by file, each with its own), the output of a batch.
sandbox::Limits batch_sandbox_limits(const cdr::CdrPolicy& policy, const BatchLimits& batch) {
  sandbox::Limits limits;
  limits.timeout = policy.timeout;
  limits.memory_bytes = std::size_t{3} << 30;
  limits.output_bytes = batch_output_limit(batch);
  return limits;
}

// Fail closed: whatever happened in the sandbox, nothing of the message passes.
SanitizePlan held_for(const Error& e) {
  SanitizePlan held;
  held.verdict = "held";
  held.reason = e.message + " [" + e.code + "]";
  return held;
}

}  // namespace

SanitizePlan sanitize_sandboxed(std::string_view raw, const SanitizeOptions& options) {
  mime::preload_charsets();  // once per process; every sandboxed child inherits the converters
  // The message is parsed in one sandbox; its attachments are rebuilt by the CDR engine in others,
  // so a hostile file cannot reach the message's text. Attachments of the same message may share
  // one (a batch): whoever sent one sent them all, and two messages never share a batch.
  auto answer = sandbox::run(
      [&options](std::string_view input) -> Result<std::string> { return plan_to_json(plan_message(input, options), true); }, raw,
      sandbox::Limits{}, &prepare_mail_sandbox);
  Result<SanitizePlan> plan = answer ? plan_from_json(*answer) : Result<SanitizePlan>(answer.error());
  if (!plan) return held_for(plan.error());
  // A file that needs more than a batch gives, or whose batch fails, gets a child of its own.
  finish_attachments(*plan, options, [&options](const std::vector<AttachmentInput>& inputs) {
    const BatchLimits limits;
    const sandbox::Limits batch_limits = batch_sandbox_limits(options.cdr, limits);
    return rebuild_in_batches(
        inputs, options.clamd,
        [&](std::string_view job) {
          return sandbox::run([&](std::string_view in) { return rebuild_batch(in, options.cdr); }, job, batch_limits, &cdr::prepare_sandbox);
        },
        [&](std::string_view bytes, std::string_view name) { return cdr::sanitize_sandboxed(bytes, name, options.cdr); }, limits);
  });
  check_sender(*plan, options);
  return std::move(plan).value();
}

struct MailWorkers::State {
  std::unique_ptr<sandbox::WorkerPool> parse;
  std::unique_ptr<sandbox::WorkerPool> rebuild_batches;
  std::unique_ptr<cdr::SanitizerPool> rebuild;  // one file alone: a failed batch's files, conversions
};

MailWorkers::~MailWorkers() = default;

Result<std::unique_ptr<MailWorkers>> MailWorkers::create(const SanitizeOptions& options, std::size_t workers) {
  // The parse keeps every attachment's bytes; sanitize() applies the per-message choice after.
  mime::preload_charsets();  // once per process; every pre-forked worker inherits the converters
  SanitizeOptions parse_options = options;
  parse_options.attachment_action = "sanitize";
  parse_options.attachment_rules.clear();
  sandbox::WorkerPool::Options o;
  o.workers = workers;
  o.jobs_per_worker = 200;
  auto parse = sandbox::WorkerPool::create(
      [parse_options](std::string_view input) -> Result<std::string> { return plan_to_json(plan_message(input, parse_options), true); },
      &prepare_mail_sandbox, o);
  if (!parse) return std::move(parse).error();
  auto rebuild = cdr::SanitizerPool::create(options.cdr, workers);
  if (!rebuild) return std::move(rebuild).error();
  sandbox::WorkerPool::Options batch_options;
  batch_options.workers = workers;
  batch_options.jobs_per_worker = 10;  // up to 640 files: what a worker keeps from one is short-lived
  batch_options.limits = batch_sandbox_limits(options.cdr, BatchLimits{});
  auto batches = sandbox::WorkerPool::create([policy = options.cdr](std::string_view job) { return rebuild_batch(job, policy); },
                                             &cdr::prepare_sandbox, batch_options);
  if (!batches) return std::move(batches).error();
  std::unique_ptr<MailWorkers> out(new MailWorkers());
  out->state_ = std::make_unique<State>();
  out->state_->parse = std::move(parse).value();
  out->state_->rebuild_batches = std::move(batches).value();
  out->state_->rebuild = std::move(rebuild).value();
  return out;
}

SanitizePlan MailWorkers::sanitize(std::string_view raw, const SanitizeOptions& options) {
  auto answer = state_->parse->run(raw);
  Result<SanitizePlan> plan = answer ? plan_from_json(*answer) : Result<SanitizePlan>(answer.error());
  if (!plan) return held_for(plan.error());
  // What the parse left pending by extension: removed or rejected here, as plan_message would have.
  std::vector<std::pair<std::size_t, std::string>> keep;
  for (auto& [index, bytes] : plan->pending) {
    PartReport& part = plan->parts[index];
    const std::string action = attachment_action_for(part.name, "", options);
    if (action == "sanitize") {
      keep.emplace_back(index, std::move(bytes));
    } else if (action == "reject") {
      part.action = "rejected";
      plan->verdict = "held";
      plan->reason = options.lang != "en" ? "添付ファイル " + part.name + " はポリシーにより受け付けられません" : "the attachment " + part.name + " is not accepted by policy";
    } else {
      part.action = "removed";
    }
  }
  plan->pending = plan->verdict == "held" ? decltype(keep){} : std::move(keep);
  finish_attachments(*plan, options, [&](const std::vector<AttachmentInput>& inputs) {
    return rebuild_in_batches(
        inputs, options.clamd, [&](std::string_view job) { return state_->rebuild_batches->run(job); },
        [&](std::string_view bytes, std::string_view name) { return state_->rebuild->sanitize(bytes, name); });
  });
  check_sender(*plan, options);
  return std::move(plan).value();
}

}  // namespace sanso::mail
