// What OCR's words say of a glyph sheet (cdr.h: GlyphSheet, glyph_sheet_reading()). The sheet and
// the words come from outside this process's trust: the sheet from the sandboxed reader, the words
// from tesseract in the converter sandbox. Both are only compared here, never parsed as a PDF.
#include "cdr/cdr.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/identification_numbers.h"

namespace sanso::cdr {
namespace {

struct Word {
  long long left = 0, top = 0, width = 0, height = 0;
  std::string text;
};

// Tesseract's TSV: a header, then a row a level; level 5 rows are words (left, top, width, height
// in pixels, confidence, text). Rows that do not read so are passed over.
std::vector<Word> words_of(std::string_view tsv) {
  std::vector<Word> words;
  std::size_t at = 0;
  while (at < tsv.size()) {
    std::size_t end = tsv.find('\n', at);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> fields;
    for (std::size_t from = 0;;) {
      const std::size_t tab = line.find('\t', from);
      fields.push_back(line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from));
      if (tab == std::string_view::npos) break;
      from = tab + 1;
    }
    if (fields.size() < 12 || fields[0] != "5") continue;
    std::array<long long, 4> box{};
    bool numbers = true;
    for (std::size_t i = 0; i < 4; ++i) {
      const std::string_view f = fields[6 + i];
      numbers = numbers && std::from_chars(f.data(), f.data() + f.size(), box[i]).ec == std::errc() && box[i] >= 0;
    }
    std::string text(fields[11]);
    std::erase_if(text, [](char c) { return c == ' ' || c == '\t'; });
    if (!numbers || text.empty()) continue;
    words.push_back({box[0], box[1], box[2], box[3], std::move(text)});
  }
  return words;
}

// The digits in text, as every reader of numbers reads them (numbers::digit_at: ASCII, full-width,
// other scripts' and kanji numerals).
std::vector<int> digits_of(std::string_view text) {
  std::vector<int> digits;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 0;
    const int digit = numbers::digit_at(text, i, length);
    if (digit >= 0) digits.push_back(digit);
    i += length > 0 ? length : 1;
  }
  return digits;
}

// Whether a reading is nothing a number could be folded from: empty, blank, controls, or the
// separators a number's groups are written with ("1234-5678-9018"): folded to a digit, every date
// and telephone number in the text would read as digits.
bool blank_or_separator(std::string_view read) {
  static constexpr std::array<std::string_view, 17> kSeparators = {"-", "_", ".", "/", ",", ":", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\u30FB",
                                                                   "\u30FC", "\uFF0D", "\u3000"};
  for (std::size_t i = 0; i < read.size();) {
    if (static_cast<unsigned char>(read[i]) <= 0x20 || read[i] == 0x7F) {
      ++i;
      continue;
    }
    const auto separator = std::find_if(kSeparators.begin(), kSeparators.end(), [&](std::string_view s) { return read.substr(i, s.size()) == s; });
    if (separator == kSeparators.end()) return false;
    i += separator->size();
  }
  return true;
}

// Whether text holds an ASCII or a full-width digit (U+FF10–FF19).
bool ascii_or_full_width_digit(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') return true;
    if (text.substr(i, 2) == "\xEF\xBC" && i + 2 < text.size() && static_cast<unsigned char>(text[i + 2]) >= 0x90 && static_cast<unsigned char>(text[i + 2]) <= 0x99) return true;
  }
  return false;
}

std::string code_name(long long code) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "<%04llX>", code & 0xFFFF);
  return hex;
}

}  // namespace

GlyphSheetReading glyph_sheet_reading(const GlyphSheet& sheet, std::string_view tsv) {
  GlyphSheetReading reading;
  reading.why.assign(sheet.fonts.size(), "");
  const std::vector<Word> words = words_of(tsv);
  // What each cell is seen as: every word whose box meets it (a word run across two cells is both's).
  std::vector<std::vector<std::string>> seen(sheet.fonts.size());
  for (std::size_t f = 0; f < sheet.fonts.size(); ++f) seen[f].resize(sheet.fonts[f].cells.size());
  for (const Word& word : words) {
    bool placed = false;
    for (std::size_t f = 0; f < sheet.fonts.size(); ++f) {
      for (std::size_t c = 0; c < sheet.fonts[f].cells.size(); ++c) {
        const GlyphCell& cell = sheet.fonts[f].cells[c];
        const bool meets = word.left < static_cast<long long>(cell.x) + cell.width && static_cast<long long>(cell.x) < word.left + word.width &&
                           word.top < static_cast<long long>(cell.y) + cell.height && static_cast<long long>(cell.y) < word.top + word.height;
        if (!meets) continue;
        seen[f][c] += word.text;
        placed = true;
      }
    }
    // A digit drawn outside every cell: some glyph draws far from where it is shown, and which
    // code it belongs to is not known.
    if (!placed && !digits_of(word.text).empty()) {
      for (std::string& why : reading.why) {
        if (why.empty()) why = "OCR reads \"" + word.text.substr(0, 40) + "\" outside every cell of the glyph sheet: a glyph drawn away from its place";
      }
    }
  }
  std::map<std::string, int> folds;
  for (std::size_t f = 0; f < sheet.fonts.size(); ++f) {
    for (std::size_t c = 0; c < sheet.fonts[f].cells.size() && reading.why[f].empty(); ++c) {
      const GlyphCell& cell = sheet.fonts[f].cells[c];
      const std::string& shown = seen[f][c];
      const std::vector<int> shown_digits = digits_of(shown);
      const std::string which = "code " + code_name(cell.code) + " is seen as \"" + shown.substr(0, 40) + "\"";
      if (!cell.read_known) {
        if (!shown_digits.empty()) reading.why[f] = which + " and pdftotext's reading of it is not known (its font's /ToUnicode does not map it)";
        continue;
      }
      const std::vector<int> read_digits = digits_of(cell.read);
      if (!read_digits.empty()) {
        // Read as a digit: shown as that digit, or pdftotext adds a digit the reader does not see.
        const bool same = read_digits.size() == 1 && std::find(shown_digits.begin(), shown_digits.end(), read_digits[0]) != shown_digits.end();
        if (!same) reading.why[f] = which + " and pdftotext reads it as \"" + cell.read.substr(0, 40) + "\"";
        continue;
      }
      if (shown_digits.empty()) continue;
      if (blank_or_separator(cell.read)) {
        // A dash seen as 一 (a kanji numeral, a digit to numbers::digit_at) is a dash: a digit's
        // glyph is seen as a digit of its own script.
        if (ascii_or_full_width_digit(shown)) {
          reading.why[f] = which + " and pdftotext reads it as blank or a separator";
        }
        continue;
      }
      // Seen as a digit, read as a letter: the PDF's text is checked with the letter read as the
      // digit seen most (OCR reads "ooo" as "000"; a /ToUnicode may read a 3 as "c").
      std::array<int, 10> times{};
      for (const int d : shown_digits) ++times[static_cast<std::size_t>(d)];
      const int digit = static_cast<int>(std::max_element(times.begin(), times.end()) - times.begin());
      const auto [fold, added] = folds.emplace(cell.read, digit);
      if (!added && fold->second != digit) reading.why[f] = which + ": pdftotext reads \"" + cell.read.substr(0, 40) + "\" for glyphs seen as two different digits";
    }
  }
  for (const auto& [read, digit] : folds) reading.folds.emplace_back(read, std::string(1, static_cast<char>('0' + digit)));
  return reading;
}

std::string folded_text(std::string_view text, const std::vector<std::pair<std::string, std::string>>& folds) {
  std::vector<std::pair<std::string, std::string>> longest_first = folds;
  std::erase_if(longest_first, [](const auto& fold) { return fold.first.empty(); });
  std::stable_sort(longest_first.begin(), longest_first.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto fold = std::find_if(longest_first.begin(), longest_first.end(), [&](const auto& f) { return text.substr(i, f.first.size()) == f.first; });
    if (fold == longest_first.end()) {
      out += text[i++];
      continue;
    }
    out += fold->second;
    i += fold->first.size();
  }
  return out;
}

}  // namespace sanso::cdr
