// JPEG through libjpeg-turbo: decoded to grey, RGB or CMYK, encoded again at quality 92 with no
// marker but the ones the encoder writes itself (JFIF, or Adobe's for CMYK).
#include <cstdio>  // jpeglib.h needs FILE and size_t first

#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

// Progressive JPEGs may hold any number of scans, each a pass over every coefficient: a small
// file of thousands of scans takes minutes. Encoders write at most a dozen or so.
constexpr int kMaxScans = 100;

// Also what the encode changes between setjmp and a longjmp (after a longjmp, locals of the
// function that called setjmp are indeterminate): it lives in the caller's frame.
struct ErrorManager {
  jpeg_error_mgr pub{};
  std::jmp_buf jump{};
  char message[JMSG_LENGTH_MAX] = {};
  bool truncated = false;  // libjpeg's "premature end of data": the rest of the picture was filled grey
  bool too_many_scans = false;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::vector<std::uint8_t> row;
};

void on_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  errors->pub.format_message(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Nothing is printed. A file that ends inside its image data is noted: libjpeg fills the rest
// grey and calls it a warning; a rebuild would pass a picture that is not the sender's.
void on_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<ErrorManager*>(info->err)->truncated = true;
}

void on_progress(j_common_ptr info) {
  if (info->is_decompressor) {
    auto* d = reinterpret_cast<j_decompress_ptr>(info);
    if (d->input_scan_number > kMaxScans) {
      reinterpret_cast<ErrorManager*>(info->err)->too_many_scans = true;
      std::snprintf(reinterpret_cast<ErrorManager*>(info->err)->message, JMSG_LENGTH_MAX, "more than %d progressive scans", kMaxScans);
      std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1);
    }
  }
}

bool is_metadata(const jpeg_saved_marker_ptr m) {
  if (m->marker == JPEG_COM) return true;
  // APP1 (EXIF, XMP), APP13 (IPTC, Photoshop) and any other application segment but the ICC
  // profile's APP2 and JFIF/Adobe, which describe the pixels.
  if (m->marker == JPEG_APP0 + 2 && m->data_length >= 12 && std::memcmp(m->data, "ICC_PROFILE", 12) == 0) return false;
  if (m->marker == JPEG_APP0 && m->data_length >= 5 && std::memcmp(m->data, "JFIF", 5) == 0) return false;
  if (m->marker == JPEG_APP0 + 14 && m->data_length >= 5 && std::memcmp(m->data, "Adobe", 5) == 0) return false;
  return true;
}

struct Decoded {
  Picture picture;
  std::string profile;
  bool metadata = false;
  bool too_large = false;
  int orientation = 0;  // EXIF's, 0 when the file has no EXIF block
};

bool decode(std::string_view bytes, std::uint64_t max_pixels, Decoded& out, ErrorManager& errors) {
  jpeg_decompress_struct info{};
  jpeg_progress_mgr progress{};
  info.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = &on_error;
  errors.pub.emit_message = &on_message;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  progress.progress_monitor = &on_progress;
  info.progress = &progress;
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&info, JPEG_COM, 0xFFFF);
  for (int n = 0; n < 16; ++n) jpeg_save_markers(&info, JPEG_APP0 + n, 0xFFFF);
  jpeg_read_header(&info, TRUE);
  if (!fits(info.image_width, info.image_height, 1, max_pixels)) {
    out.too_large = true;
    out.picture.width = info.image_width;
    out.picture.height = info.image_height;
    jpeg_destroy_decompress(&info);
    return false;
  }
  for (jpeg_saved_marker_ptr m = info.marker_list; m != nullptr; m = m->next) {
    out.metadata = out.metadata || is_metadata(m);
    // The first EXIF block's orientation is the one viewers follow (a camera held upright writes 6).
    if (out.orientation == 0 && m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      out.orientation = exif_orientation(std::string_view(reinterpret_cast<const char*>(m->data) + 6, m->data_length - 6));
    }
  }
  JOCTET* icc = nullptr;
  unsigned int icc_size = 0;
  if (jpeg_read_icc_profile(&info, &icc, &icc_size) && icc != nullptr) {
    out.profile.assign(reinterpret_cast<const char*>(icc), icc_size);
    std::free(icc);
  }
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = cmyk ? JCS_CMYK : info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  Picture& p = out.picture;
  p.width = info.output_width;
  p.height = info.output_height;
  p.cmyk = cmyk;
  p.channels = info.output_components;
  const std::size_t stride = static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.channels);
  p.pixels.resize(stride * p.height);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = p.pixels.data() + static_cast<std::size_t>(info.output_scanline) * stride;
    jpeg_read_scanlines(&info, &row, 1);
  }
  // Photoshop's CMYK (marked by its Adobe segment) stores ink inverted; held here as ink.
  if (cmyk && info.saw_Adobe_marker) {
    for (auto& v : p.pixels) v = static_cast<std::uint8_t>(255 - v);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

bool encode(const Picture& p, int quality, std::string& out, ErrorManager& errors) {
  jpeg_compress_struct info{};
  info.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = &on_error;
  errors.pub.emit_message = &on_message;
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    std::free(errors.buffer);
    errors.buffer = nullptr;
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &errors.buffer, &errors.size);
  info.image_width = p.width;
  info.image_height = p.height;
  info.input_components = p.channels;
  info.in_color_space = p.cmyk ? JCS_CMYK : p.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  if (quality >= 90) {  // as libvips did: no chroma subsampling at high quality
    for (int c = 0; c < info.num_components; ++c) info.comp_info[c].h_samp_factor = info.comp_info[c].v_samp_factor = 1;
  }
  jpeg_start_compress(&info, TRUE);
  const std::size_t stride = static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.channels);
  if (p.cmyk) errors.row.resize(stride);
  while (info.next_scanline < info.image_height) {
    const std::uint8_t* source = p.pixels.data() + static_cast<std::size_t>(info.next_scanline) * stride;
    if (p.cmyk) {  // libjpeg writes an Adobe segment for CMYK: readers then take the values as inverted
      for (std::size_t i = 0; i < stride; ++i) errors.row[i] = static_cast<std::uint8_t>(255 - source[i]);
      source = errors.row.data();
    }
    JSAMPROW r = const_cast<JSAMPROW>(source);
    jpeg_write_scanlines(&info, &r, 1);
  }
  jpeg_finish_compress(&info);
  out.assign(reinterpret_cast<const char*>(errors.buffer), errors.size);
  jpeg_destroy_compress(&info);
  std::free(errors.buffer);
  errors.buffer = nullptr;
  return true;
}

}  // namespace

Result<std::string> encode_jpeg(const Picture& picture, int quality) {
  const bool layout_ok = picture.bits == 8 && (picture.cmyk ? picture.channels == 4 : (picture.channels == 1 || picture.channels == 3));
  if (!layout_ok || picture.width == 0 || picture.height == 0) return malformed_error("the image has no pixels JPEG can hold");
  ErrorManager errors;
  std::string out;
  if (!encode(picture, quality, out, errors)) return malformed_error(std::string("the image cannot be encoded: ") + errors.message);
  return out;
}

Result<std::string> rebuild_jpeg(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  ErrorManager errors;
  Decoded d;
  if (!decode(bytes, max_pixels, d, errors)) {
    if (d.too_large) {
      return too_many_pixels(d.picture.width, d.picture.height, max_pixels);
    }
    if (errors.too_many_scans) return limit_error(std::string("the JPEG holds ") + errors.message + " (a CPU bomb: each scan is a pass over the whole picture)");
    return malformed_error(std::string("the image cannot be decoded: ") + errors.message);
  }
  if (errors.truncated) return malformed_error("the JPEG ends before its image data does (a truncated file): what is missing would arrive grey");
  seen.metadata = seen.metadata || d.metadata;
  if (!d.profile.empty()) seen.colour = convert_to_srgb(d.picture, d.profile) ? Observed::Colour::kConverted : Observed::Colour::kProfileRemoved;
  // The EXIF block goes with the other metadata; its orientation is applied to the pixels instead,
  // or a photo taken upright would arrive lying on its side.
  apply_orientation(d.picture, d.orientation);
  return encode_jpeg(d.picture, 92);
}

}  // namespace sanso::cdr::internal::image
