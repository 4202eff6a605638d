// Windows metafiles read for the outgoing check (extract.cc): the text a metafile draws and the
// bitmaps it paints, never rebuilt. Not for use outside cdr.
#pragma once

#include <string>
#include <string_view>

#include "cdr/internal/format.h"
#include "core/result.h"

namespace sanso::cdr::internal {

// Whether `bytes` start as a WMF does ([MS-WMF] 2.3.2): a placeable header (key 0x9AC6CDD7) or a
// META_HEADER of a memory or disk metafile, nine words long, of version 1.0 or 3.0.
bool is_wmf(std::string_view bytes);

// A WMF's content for the checks: the text of every text record (META_TEXTOUT, META_EXTTEXTOUT) in
// the code page of the font it is drawn with, one record a line, and the runs drawn on one baseline
// joined left to right (a number drawn a digit a record is a number on the page); every bitmap it
// paints (META_DIBBITBLT, META_DIBSTRETCHBLT, META_STRETCHDIB, META_SETDIBTODEV, DIB pattern
// brushes, monochrome device bitmaps) as a PNG of its pixels in `embedded` ("picture-N.png", for
// OCR), a JPEG or PNG a DIB carries as it is; an enhanced metafile carried in META_ESCAPE comments
// as "embedded.emf"; escape data as text. A record [MS-WMF] does not define, a record cut short,
// bytes after META_EOF or a bitmap of a kind not decoded here are named in `unread`; a file whose
// records do not hold together is an error ("cdr.malformed"), a bitmap over the pixel limit
// "cdr.limit".
Result<ReadContent> wmf_content(std::string_view bytes, const Context& ctx);

// Whether `bytes` start as an EMF does ([MS-EMF] 2.3.4.2): an EMR_HEADER record with the " EMF"
// signature.
bool is_emf(std::string_view bytes);

// An EMF's content for the checks, as wmf_content reads a WMF: the text of EMR_EXTTEXTOUTA/W,
// EMR_POLYTEXTOUTA/W and EMR_SMALLTEXTOUT (in the selected font's code page for 8-bit text), the
// header's description, font and group names; every bitmap it paints (BitBlt, StretchBlt, MaskBlt,
// PlgBlt, SetDIBitsToDevice, StretchDIBits, AlphaBlend, TransparentBlt, DIB and mono brushes, pen
// patterns) for OCR; the EMF+ records its comments carry (DrawString, DrawDriverString by
// character, fonts, images — a compressed bitmap read as the file it is —, texture brushes,
// metafiles carried whole); a WMF or another format carried in a public comment as a file.
// Unread, named with why: text drawn by glyph index, raw EMF+ bitmaps, OpenGL, spool and reserved
// records, a kind [MS-EMF] does not define, bytes after EMR_EOF, comment or escape data over 4 KiB.
Result<ReadContent> emf_content(std::string_view bytes, const Context& ctx);

// A device-independent bitmap ([MS-WMF] 2.2.2.9: a BITMAPCOREHEADER or BITMAPINFOHEADER and its
// successors, colours, bits) as what OCR can read: a PNG of its pixels, or the JPEG/PNG it carries
// (BI_JPEG, BI_PNG). Errors: "cdr.unsupported" for compressions not decoded here (RLE, CMYK),
// "cdr.malformed", "cdr.limit" (pixels).
struct DibPicture {
  std::string bytes;
  std::string extension;  // "png", "jpg"
  std::uint32_t width = 0, height = 0;
};
Result<DibPicture> dib_picture(std::string_view dib, const Context& ctx);

}  // namespace sanso::cdr::internal
