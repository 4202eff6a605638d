// RTF: a scanner over groups and control words (honouring \binN raw data and escaped braces)
// copies the document and leaves out embedded objects (\object, keeping its \result picture),
// object data outside objects (\objdata, \datastore), remote templates (\*\template) and fields
// whose instruction is DDE or fetches content (INCLUDETEXT, INCLUDEPICTURE, LINK, IMPORT) —
// such fields keep their last result as text.
#include <string>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal {
namespace {

struct ControlWord {
  std::string word;
  std::size_t end = 0;  // index after the word, its parameter and one delimiting space
  long long param = 0;
  bool has_param = false;
};

// The control word at s[i] == '\\' (letters only; control symbols give an empty word).
ControlWord read_word(std::string_view s, std::size_t i) {
  ControlWord w;
  std::size_t j = i + 1;
  while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j])) && w.word.size() < 64) w.word.push_back(s[j++]);
  if (w.word.empty()) {
    w.end = std::min(s.size(), j + 1);
    return w;
  }
  bool neg = j < s.size() && s[j] == '-';
  std::size_t k = neg ? j + 1 : j;
  std::size_t digits = 0;
  while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])) && digits < 10) {
    w.param = w.param * 10 + (s[k] - '0');
    ++k;
    ++digits;
  }
  if (digits > 0) {
    w.has_param = true;
    if (neg) w.param = -w.param;
    j = k;
  }
  if (j < s.size() && s[j] == ' ') ++j;
  w.end = j;
  return w;
}

// Index after the group that opens at s[open] == '{', or npos when it never closes.
std::size_t group_end(std::string_view s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size();) {
    char c = s[i];
    if (c == '\\') {
      ControlWord w = read_word(s, i);
      if (w.word == "bin" && w.has_param && w.param > 0) {
        if (static_cast<unsigned long long>(w.param) > s.size() - w.end) return std::string_view::npos;
        i = w.end + static_cast<std::size_t>(w.param);
        continue;
      }
      i = w.end;
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// Where the destination word of a group starts: after "{", an optional "\*" and line breaks.
std::size_t destination_start(std::string_view s, std::size_t open) {
  std::size_t i = open + 1;
  while (i < s.size() && (s[i] == '\r' || s[i] == '\n')) ++i;
  if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == '*') {
    i += 2;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  return i;
}

// The destination word of a group: "{\*\objdata …" → "objdata".
std::string destination(std::string_view s, std::size_t open) {
  std::size_t i = destination_start(s, open);
  if (i < s.size() && s[i] == '\\') return read_word(s, i).word;
  return "";
}

// Index after a group's destination word: its content starts there.
std::size_t after_destination(std::string_view s, std::size_t open) { return read_word(s, destination_start(s, open)).end; }

int hex_value(char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10; }

// Visible text of a group, control words dropped: enough to read a field instruction.
std::string plain_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\\') {
      if (i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == '{' || s[i + 1] == '}')) {
        out.push_back(s[i + 1]);
        i += 2;
        continue;
      }
      if (i + 1 < s.size() && s[i + 1] == '\'' && i + 3 < s.size()) {
        // \'hh: one byte in hex; anything else after \' is dropped, as Word does.
        if (std::isxdigit(static_cast<unsigned char>(s[i + 2])) && std::isxdigit(static_cast<unsigned char>(s[i + 3]))) {
          out.push_back(static_cast<char>(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3])));
        }
        i += 4;
        continue;
      }
      i = read_word(s, i).end;
      continue;
    }
    if (s[i] != '{' && s[i] != '}' && s[i] != '\r' && s[i] != '\n') out.push_back(s[i]);
    ++i;
  }
  return out;
}

class RtfRewriter {
 public:
  RtfRewriter(std::string_view s, const Context& ctx) : s_(s), ctx_(ctx) {}

  Result<std::string> run() {
    std::size_t end = group_end(s_, 0);
    if (end == std::string_view::npos) return blocked("malformed", where(), "the RTF's groups are not balanced");
    std::string out;
    out.reserve(s_.size());
    SANSO_TRY(copy(0, end, out, 0));
    std::string_view rest = s_.substr(end);
    if (rest.find_first_not_of(std::string_view("\r\n \t\0", 5)) != std::string_view::npos) ctx_.add("trailing_data", "after the document", "removed");
    return out;
  }

 private:
  std::string where() const { return ctx_.prefix.empty() ? std::string("document") : ctx_.prefix.substr(0, ctx_.prefix.size() - 1); }

  // Copies s_[from, to) to out, rewriting the groups that must change.
  Result<void> copy(std::size_t from, std::size_t to, std::string& out, int depth) {
    if (depth > 200) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
    std::size_t i = from;
    while (i < to) {
      char c = s_[i];
      if (c == '\\') {
        ControlWord w = read_word(s_, i);
        std::size_t next = w.end;
        if (w.word == "bin" && w.has_param && w.param > 0) next = std::min<std::size_t>(to, w.end + static_cast<std::size_t>(w.param));
        if (w.word == "objupdate" || w.word == "objautlink" || w.word == "objlink") {
          ctx_.add("rtf_object", "\\" + w.word, "removed");
        } else {
          out.append(s_.substr(i, next - i));
        }
        i = next;
        continue;
      }
      if (c != '{' || i == 0) {
        out.push_back(c);
        ++i;
        continue;
      }
      std::size_t end = group_end(s_, i);
      if (end == std::string_view::npos || end > to) return blocked("malformed", where(), "an RTF group at byte " + std::to_string(i) + " is not closed");
      std::string dest = destination(s_, i);
      if (dest == "object") {
        ctx_.add("rtf_object", "byte " + std::to_string(i), "removed");
        keep_subgroup(i, end, "result", out, depth);
      } else if (dest == "objdata" || dest == "datastore" || dest == "objclass" || dest == "objname") {
        ctx_.add("rtf_object", "\\" + dest + " at byte " + std::to_string(i), "removed");
      } else if (dest == "template") {
        ctx_.add("external_template", "byte " + std::to_string(i), "removed");
      } else if (dest == "field" && dangerous_field_group(i, end)) {
        keep_subgroup(i, end, "fldrslt", out, depth);
      } else {
        out.push_back('{');
        SANSO_TRY(copy(i + 1, end, out, depth + 1));
      }
      i = end;
    }
    return ok();
  }

  // Writes the content of the child group `wanted` ({\result …} of an object, {\fldrslt …} of a
  // field) as a plain group, if the group at `open` has one.
  void keep_subgroup(std::size_t open, std::size_t end, std::string_view wanted, std::string& out, int depth) {
    for (std::size_t j = open + 1; j < end - 1;) {
      if (s_[j] == '\\') {
        ControlWord w = read_word(s_, j);
        j = w.word == "bin" && w.has_param && w.param > 0 ? std::min<std::size_t>(end, w.end + static_cast<std::size_t>(w.param)) : w.end;
        continue;
      }
      if (s_[j] == '{') {
        std::size_t e = group_end(s_, j);
        if (e == std::string_view::npos || e > end) return;
        if (destination(s_, j) == wanted) {
          out.push_back('{');
          (void)copy(after_destination(s_, j), e, out, depth + 1);
          return;
        }
        j = e;
        continue;
      }
      ++j;
    }
  }

  bool dangerous_field_group(std::size_t open, std::size_t end) {
    for (std::size_t j = open + 1; j < end - 1;) {
      if (s_[j] == '{') {
        std::size_t e = group_end(s_, j);
        if (e == std::string_view::npos || e > end) return true;  // unparseable: treat as hostile
        if (destination(s_, j) == "fldinst") {
          std::string kind = dangerous_field_kind(plain_text(s_.substr(j, e - j)));
          if (!kind.empty()) {
            ctx_.add(kind, "field at byte " + std::to_string(open), "neutralised");
            return true;
          }
          return false;
        }
        j = e;
        continue;
      }
      if (s_[j] == '\\') {
        j = read_word(s_, j).end;
        continue;
      }
      ++j;
    }
    return false;
  }

  std::string_view s_;
  const Context& ctx_;
};

}  // namespace

Result<Rebuilt> sanitize_rtf(std::string_view bytes, const Context& ctx) {
  RtfRewriter rewriter(bytes, ctx);
  auto out = rewriter.run();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), "rtf"};
}

}  // namespace sanso::cdr::internal
