// Test PDFs whose text only a reader with poppler-data gets: Japanese in a font the file does not
// embed, as many Japanese PDF writers make them.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace sanso::testing {

// A PDF of `objects` (numbered from 1, the catalog first) with a correct cross-reference table;
// `trailer` adds to the trailer dictionary (/Info …).
inline std::string pdf_of(const std::vector<std::string>& objects, const std::string& trailer = "") {
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t at : offsets) {
    char entry[21];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", at);
    pdf += entry;
  }
  return pdf + "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R " + trailer + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
}

// A one-page PDF showing `text` in a Japanese font it does not embed (the Adobe-Japan1 CMaps, as
// many Japanese PDF writers make them): its text reaches a reader only through poppler-data.
inline std::string japanese_pdf(const std::u16string& text) {
  std::string hex;
  for (char16_t c : text) {
    char four[5];
    std::snprintf(four, sizeof four, "%04X", static_cast<unsigned>(c));
    hex += four;
  }
  const std::string content = "BT /F1 24 Tf 72 720 Td <" + hex + "> Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
      "<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /UniJIS-UCS2-H /DescendantFonts [6 0 R] >>",
      "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> "
      "/FontDescriptor 7 0 R >>",
      "<< /Type /FontDescriptor /FontName /HeiseiMin-W3 /Flags 6 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 "
      "/CapHeight 700 /StemV 80 >>"};
  return pdf_of(objects);
}

}  // namespace sanso::testing
