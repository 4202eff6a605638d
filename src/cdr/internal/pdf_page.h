// A PDF page that shows one picture and nothing else: rasterize mode binds the rendered pages so
// (pdf/pages.cc), and the outgoing check's reader hands an image's mask out so (pdf/pdf.cc).
#pragma once

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <string>

namespace sanso::cdr::internal {

// Adds to `pdf` a page of `width` × `height` units (PDF numbers as written) that `image` (an image
// XObject of `pdf`) fills. Throws as qpdf does.
void add_picture_page(QPDF& pdf, QPDFObjectHandle image, const std::string& width, const std::string& height);

}  // namespace sanso::cdr::internal
