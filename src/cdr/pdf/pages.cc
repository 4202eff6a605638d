// Rasterize mode's last step, inside the parser sandbox: page images a converter rendered are
// decoded and encoded again (only pixels cross, whatever the converter was made to write) and
// bound into a new PDF with one image per page, sized so the page keeps its physical size.
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>


#include <cstdio>

#include "cdr/image/codecs.h"
#include "cdr/internal/format.h"
#include "cdr/internal/pdf_page.h"

namespace sanso::cdr::internal {
namespace {

struct Page {
  std::string jpeg;
  int width = 0, height = 0, bands = 0;
};

Result<Page> reencode(std::string_view image, std::size_t index, const CdrPolicy& policy) {
  const std::string where = "page " + std::to_string(index + 1);
  if (image.substr(0, 8) != "\x89PNG\r\n\x1A\n") return blocked("malformed", where, "the rendered page is not a PNG image");
  if (!png_chunks_fit(image)) return blocked("malformed", where, "a PNG chunk claims to be longer than the file");
  image::Observed seen;
  auto decoded = image::decode_png(image, policy.max_pixels, seen);
  if (!decoded) {
    if (decoded.error().code == "limit") return blocked("limit", where, "the page renders to more pixels than the limit (an oversized page)");
    return blocked("malformed", where, "the rendered page is not a readable image");
  }
  image::Picture& p = *decoded;
  // Transparency flattened onto white paper: JPEG holds no alpha.
  if (p.channels == 2 || p.channels == 4) {
    const int colour = p.channels - 1;
    std::vector<std::uint8_t> flat(static_cast<std::size_t>(p.width) * p.height * static_cast<std::size_t>(colour));
    std::size_t o = 0;
    for (std::size_t i = 0; i < p.pixels.size(); i += static_cast<std::size_t>(p.channels)) {
      const unsigned a = p.pixels[i + static_cast<std::size_t>(colour)];
      for (int c = 0; c < colour; ++c) flat[o++] = static_cast<std::uint8_t>((p.pixels[i + static_cast<std::size_t>(c)] * a + 255 * (255 - a) + 127) / 255);
    }
    p.pixels = std::move(flat);
    p.channels = colour;
  }
  auto jpeg = image::encode_jpeg(p, 85);
  if (!jpeg) return blocked("malformed", where, "the rendered page cannot be encoded");
  Page page;
  page.width = static_cast<int>(p.width);
  page.height = static_cast<int>(p.height);
  page.bands = p.channels;
  page.jpeg = std::move(jpeg).value();
  return page;
}

std::string number(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", v);
  return s;
}

}  // namespace

void add_picture_page(QPDF& pdf, QPDFObjectHandle image, const std::string& width, const std::string& height) {
  QPDFObjectHandle content = QPDFObjectHandle::newStream(&pdf, "q " + width + " 0 0 " + height + " 0 0 cm /Im0 Do Q\n");
  QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
  xobjects.replaceKey("/Im0", image);
  QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
  resources.replaceKey("/XObject", xobjects);
  QPDFObjectHandle p = QPDFObjectHandle::newDictionary();
  p.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
  p.replaceKey("/MediaBox", QPDFObjectHandle::parse("[0 0 " + width + " " + height + "]"));
  p.replaceKey("/Resources", resources);
  p.replaceKey("/Contents", content);
  QPDFPageDocumentHelper(pdf).addPage(pdf.makeIndirectObject(p), false);
}

Result<Rebuilt> assemble_page_images(const std::vector<std::string_view>& images, const Context& ctx) {
  prepare_images();
  if (images.empty()) return blocked("malformed", "document", "the document rendered to no pages");
  try {
    QPDF pdf;
    pdf.emptyPDF();
    for (std::size_t i = 0; i < images.size(); ++i) {
      Page page = SANSO_TRY(reencode(images[i], i, ctx.policy));
      QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf, page.jpeg);
      QPDFObjectHandle dict = image.getDict();
      dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
      dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
      dict.replaceKey("/Width", QPDFObjectHandle::newInteger(page.width));
      dict.replaceKey("/Height", QPDFObjectHandle::newInteger(page.height));
      dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName(page.bands == 1 ? "/DeviceGray" : "/DeviceRGB"));
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
      dict.replaceKey("/Filter", QPDFObjectHandle::newName("/DCTDecode"));
      // Points from pixels at the rendering resolution: the page keeps its size on paper.
      const double w = page.width * 72.0 / ctx.policy.dpi, h = page.height * 72.0 / ctx.policy.dpi;
      add_picture_page(pdf, image, number(w), number(h));
    }
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setDeterministicID(true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    return Rebuilt{std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize()), "pdf"};
  } catch (const std::exception& e) {
    return blocked("malformed", "document", std::string("the page images cannot be bound into a PDF: ") + e.what());
  }
}

}  // namespace sanso::cdr::internal
