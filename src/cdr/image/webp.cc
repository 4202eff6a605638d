// WebP through libwebp: a still picture decoded and encoded again (lossless stays lossless, lossy
// at quality 92); an animation frame by frame through the animation decoder and encoder, with its
// timing and loop count. EXIF, XMP and any unknown chunk do not pass.
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <algorithm>
#include <memory>

#include "cdr/image/codecs.h"

namespace sanso::cdr::internal::image {
namespace {

constexpr int kMaxFrames = 5000;

struct DemuxCloser {
  void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); }
};
struct AnimDecoderCloser {
  void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); }
};
struct AnimEncoderCloser {
  void operator()(WebPAnimEncoder* e) const { WebPAnimEncoderDelete(e); }
};

std::string take(std::uint8_t* data, std::size_t size) {
  std::string out(reinterpret_cast<const char*>(data), size);
  WebPFree(data);
  return out;
}

// The canvas and the frame count were judged from the demuxer's header (rebuild_webp), which the
// animation decoder reads the same way.
Result<std::string> rebuild_animation(const WebPData& data) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) return malformed_error("the WebP library cannot be set up");
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  std::unique_ptr<WebPAnimDecoder, AnimDecoderCloser> decoder(WebPAnimDecoderNew(&data, &options));
  if (!decoder) return malformed_error("the animated WebP cannot be decoded");
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(decoder.get(), &info)) return malformed_error("the animated WebP cannot be decoded");
  if (info.frame_count == 0) return malformed_error("the animated WebP holds no frame");
  WebPAnimEncoderOptions encoder_options;
  if (!WebPAnimEncoderOptionsInit(&encoder_options)) return malformed_error("the WebP library cannot be set up");
  encoder_options.anim_params.loop_count = static_cast<int>(info.loop_count);
  encoder_options.anim_params.bgcolor = info.bgcolor;
  std::unique_ptr<WebPAnimEncoder, AnimEncoderCloser> encoder(
      WebPAnimEncoderNew(static_cast<int>(info.canvas_width), static_cast<int>(info.canvas_height), &encoder_options));
  if (!encoder) return malformed_error("the animated WebP cannot be encoded");
  WebPConfig config;
  if (!WebPConfigInit(&config)) return malformed_error("the WebP library cannot be set up");
  config.quality = 92;
  config.method = 2;  // an animation is re-encoded frame by frame: the faster search, not the smallest file
  int start = 0;
  while (WebPAnimDecoderHasMoreFrames(decoder.get())) {
    std::uint8_t* rgba = nullptr;
    int end = 0;
    if (!WebPAnimDecoderGetNext(decoder.get(), &rgba, &end)) return malformed_error("a frame of the animated WebP cannot be decoded");
    WebPPicture picture;
    if (!WebPPictureInit(&picture)) return malformed_error("the WebP library cannot be set up");
    picture.use_argb = 1;
    picture.width = static_cast<int>(info.canvas_width);
    picture.height = static_cast<int>(info.canvas_height);
    const bool imported = WebPPictureImportRGBA(&picture, rgba, picture.width * 4) != 0;
    const bool added = imported && WebPAnimEncoderAdd(encoder.get(), &picture, start, &config) != 0;
    WebPPictureFree(&picture);
    if (!added) return malformed_error("a frame of the animated WebP cannot be encoded");
    start = end;
  }
  WebPData out;
  WebPDataInit(&out);
  if (!WebPAnimEncoderAdd(encoder.get(), nullptr, start, nullptr) || !WebPAnimEncoderAssemble(encoder.get(), &out)) {
    WebPDataClear(&out);  // a failed assembly may have left its buffer behind (found by fuzzing)
    return malformed_error("the animated WebP cannot be encoded");
  }
  std::string bytes(reinterpret_cast<const char*>(out.bytes), out.size);
  WebPDataClear(&out);
  return bytes;
}

}  // namespace

Result<std::string> rebuild_webp(std::string_view bytes, std::uint64_t max_pixels, Observed& seen) {
  const WebPData data{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
  std::unique_ptr<WebPDemuxer, DemuxCloser> demux(WebPDemux(&data));
  if (!demux) return malformed_error("the image cannot be decoded: not a complete WebP file");
  const std::uint32_t flags = WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS);
  if ((flags & (EXIF_FLAG | XMP_FLAG)) != 0) seen.metadata = true;
  // The chunks themselves, whatever the flags say (libwebp's demuxer indexes EXIF and XMP only when
  // the VP8X flags announce them): any chunk that is not picture data is metadata, and the first
  // EXIF's orientation is how viewers turn the picture.
  int orientation = 0;  // 0 until the first EXIF chunk is read
  for (std::size_t at = 12; bytes.size() >= 12 && at + 8 <= bytes.size();) {
    const std::string_view fourcc = bytes.substr(at, 4);
    const std::uint64_t size = static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + 4])) | static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + 5])) << 8 |
                               static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + 6])) << 16 | static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + 7])) << 24;
    if (size > bytes.size() - at - 8) break;
    if (fourcc != "VP8 " && fourcc != "VP8L" && fourcc != "VP8X" && fourcc != "ALPH" && fourcc != "ANIM" && fourcc != "ANMF" && fourcc != "ICCP") {
      if (fourcc == "EXIF" && orientation == 0) orientation = exif_orientation(bytes.substr(at + 8, size));
      seen.metadata = true;
    }
    at += 8 + size + (size & 1);
  }
  // The RIFF header states the file's size: what follows it is not part of the picture.
  if (bytes.size() >= 8) {
    const std::uint64_t riff = 8 + (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[4])) | (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[5])) << 8) |
                                    (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[6])) << 16) |
                                    (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[7])) << 24));
    if (riff < bytes.size()) seen.trailing = true;
  }
  std::string profile;
  WebPChunkIterator chunk;
  if ((flags & ICCP_FLAG) != 0 && WebPDemuxGetChunk(demux.get(), "ICCP", 1, &chunk)) {
    profile.assign(reinterpret_cast<const char*>(chunk.chunk.bytes), chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data.bytes, data.size, &features) != VP8_STATUS_OK) return malformed_error("the image cannot be decoded: the WebP header is not readable");
  if (features.has_animation) {
    if (!profile.empty()) seen.colour = Observed::Colour::kProfileRemoved;
    // The canvas and the frames the header declares, judged before the animation decoder allocates
    // a canvas of that size (a 60-byte file declaring 16,777,216 × 240 asked for 16 GB; found by
    // fuzzing).
    const std::uint64_t width = WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_WIDTH), height = WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_HEIGHT);
    const std::uint64_t frames = WebPDemuxGetI(demux.get(), WEBP_FF_FRAME_COUNT);
    if (frames > static_cast<std::uint64_t>(kMaxFrames)) {
      return limit_error("the animated WebP has " + std::to_string(frames) + " frames (at most " + std::to_string(kMaxFrames) + ")");
    }
    if (!fits(width, height, std::max<std::uint64_t>(frames, 1), max_pixels)) {
      return limit_error("the animation's " + std::to_string(frames) + " frames of " + std::to_string(width) + " × " + std::to_string(height) +
                         " pixels hold more than the limit of " + std::to_string(max_pixels) + " (a decompression bomb)");
    }
    return rebuild_animation(data);
  }
  if (features.width <= 0 || features.height <= 0) return malformed_error("the WebP picture has no size");
  if (!fits(static_cast<std::uint64_t>(features.width), static_cast<std::uint64_t>(features.height), 1, max_pixels)) {
    return too_many_pixels(static_cast<std::uint64_t>(features.width), static_cast<std::uint64_t>(features.height), max_pixels);
  }
  Picture picture;
  picture.width = static_cast<std::uint32_t>(features.width);
  picture.height = static_cast<std::uint32_t>(features.height);
  picture.channels = features.has_alpha ? 4 : 3;
  const std::size_t stride = picture.width * static_cast<std::size_t>(picture.channels);
  picture.pixels.resize(stride * picture.height);
  const std::uint8_t* decoded = features.has_alpha ? WebPDecodeRGBAInto(data.bytes, data.size, picture.pixels.data(), picture.pixels.size(), static_cast<int>(stride))
                                                   : WebPDecodeRGBInto(data.bytes, data.size, picture.pixels.data(), picture.pixels.size(), static_cast<int>(stride));
  if (decoded == nullptr) return malformed_error("the image cannot be decoded: the WebP data is broken");
  if (!profile.empty()) seen.colour = convert_to_srgb(picture, profile) ? Observed::Colour::kConverted : Observed::Colour::kProfileRemoved;
  // The EXIF chunk goes; its orientation is applied to the pixels, as viewers show them.
  apply_orientation(picture, orientation);
  std::uint8_t* out = nullptr;
  const int w = static_cast<int>(picture.width), h = static_cast<int>(picture.height), s = w * picture.channels;
  const bool lossless = features.format == 2;
  std::size_t size = 0;
  if (picture.channels == 4) {
    size = lossless ? WebPEncodeLosslessRGBA(picture.pixels.data(), w, h, s, &out) : WebPEncodeRGBA(picture.pixels.data(), w, h, s, 92, &out);
  } else {
    size = lossless ? WebPEncodeLosslessRGB(picture.pixels.data(), w, h, s, &out) : WebPEncodeRGB(picture.pixels.data(), w, h, s, 92, &out);
  }
  if (size == 0 || out == nullptr) return malformed_error("the image cannot be encoded as WebP");
  return take(out, size);
}

}  // namespace sanso::cdr::internal::image
