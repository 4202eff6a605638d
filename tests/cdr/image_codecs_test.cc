// Each image format rebuilt by its own library: what passes (pixels, frames, pages, timing) and
// what does not (comments, EXIF, text tags, bytes after the end), with hostile files beside the
// ordinary ones. Inputs are made here with the same libraries' encoders.
#include <gif_lib.h>
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "cdr/cdr.h"
#include "cdr/fixtures.h"
#include "cdr/image/codecs.h"
#include "cdr/image/tiff_file.h"
#include "sandbox/converter.h"

namespace sanso::cdr {
namespace {

using fixtures::kinds;

CdrResult run(const std::string& bytes, std::string_view name, const CdrPolicy& policy = {}) { return sanitize(bytes, name, policy); }

// --- GIF -------------------------------------------------------------------------------------

int append_gif(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  return length;
}

// `frames` frames of 8 × 8, frame n filled with palette index n % 4, a comment, a loop count of 3.
std::string animated_gif(int frames, const std::string& comment) {
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, &append_gif, &error);
  EGifSetGifVersion(gif, true);
  GifColorType colours[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  ColorMapObject* map = GifMakeMapObject(4, colours);
  EGifPutScreenDesc(gif, 8, 8, 2, 0, map);
  GifFreeMapObject(map);
  const GifByteType loop[3] = {1, 3, 0};
  EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE);
  EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0");
  EGifPutExtensionBlock(gif, 3, loop);
  EGifPutExtensionTrailer(gif);
  if (!comment.empty()) EGifPutComment(gif, comment.c_str());
  for (int f = 0; f < frames; ++f) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_BACKGROUND;
    gcb.DelayTime = 10 + f;
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, ext);
    EGifPutImageDesc(gif, 0, 0, 8, 8, false, nullptr);
    std::vector<GifPixelType> row(8, static_cast<GifPixelType>(f % 4));
    for (int y = 0; y < 8; ++y) EGifPutLine(gif, row.data(), 8);
  }
  EGifCloseFile(gif, &error);
  return out;
}

struct ReadGif {
  int frames = 0, loops = -1;
  std::vector<int> delays;
  std::vector<int> first_index;
};

int read_gif_bytes(GifFileType* gif, GifByteType* data, int length) {
  auto* in = static_cast<std::pair<const std::string*, std::size_t>*>(gif->UserData);
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(length), in->first->size() - in->second);
  std::memcpy(data, in->first->data() + in->second, n);
  in->second += n;
  return static_cast<int>(n);
}

ReadGif read_gif(const std::string& bytes) {
  std::pair<const std::string*, std::size_t> in{&bytes, 0};
  int error = 0;
  GifFileType* gif = DGifOpen(&in, &read_gif_bytes, &error);
  ReadGif r;
  if (gif == nullptr || DGifSlurp(gif) != GIF_OK) return r;
  r.frames = gif->ImageCount;
  for (int i = 0; i < gif->ImageCount; ++i) {
    GraphicsControlBlock gcb{};
    DGifSavedExtensionToGCB(gif, i, &gcb);
    r.delays.push_back(gcb.DelayTime);
    r.first_index.push_back(gif->SavedImages[i].RasterBits[0]);
    for (int e = 0; e < gif->SavedImages[i].ExtensionBlockCount; ++e) {
      const ExtensionBlock& b = gif->SavedImages[i].ExtensionBlocks[e];
      if (b.Function == CONTINUE_EXT_FUNC_CODE && b.ByteCount >= 3 && b.Bytes[0] == 1) r.loops = b.Bytes[1] | (b.Bytes[2] << 8);
    }
  }
  for (int e = 0; e < gif->ExtensionBlockCount; ++e) {
    const ExtensionBlock& b = gif->ExtensionBlocks[e];
    if (b.Function == CONTINUE_EXT_FUNC_CODE && b.ByteCount >= 3 && b.Bytes[0] == 1) r.loops = b.Bytes[1] | (b.Bytes[2] << 8);
  }
  DGifCloseFile(gif, &error);
  return r;
}

TEST(CdrImageCodecs, AnAnimatedGifKeepsEveryFrameItsTimingAndLoopButNotItsCommentOrTail) {
  const std::string gif = animated_gif(3, "secret-comment 123456789018") + "PK\x03\x04 appended payload";
  CdrResult r = run(gif, "anim.gif");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
  EXPECT_TRUE(kinds(r).count("image_metadata"));
  EXPECT_TRUE(kinds(r).count("trailing_data"));
  EXPECT_EQ(r.output.find("secret-comment"), std::string::npos);
  EXPECT_EQ(r.output.find("payload"), std::string::npos);
  const ReadGif back = read_gif(r.output);
  EXPECT_EQ(back.frames, 3);
  EXPECT_EQ(back.delays, (std::vector<int>{10, 11, 12}));
  EXPECT_EQ(back.first_index, (std::vector<int>{0, 1, 2}));  // the palette indices, not re-quantised colours
  EXPECT_EQ(back.loops, 3);
  // A clean GIF (no comment, nothing after it) is rebuilt without findings.
  EXPECT_EQ(run(animated_gif(2, ""), "clean.gif").verdict, Verdict::clean);
}

// Only what the picture shows crosses: a frame reaching past the screen is cut to it, and colour
// table entries no pixel uses are written as black.
TEST(CdrImageCodecs, AGifKeepsOnlyTheColoursItShowsAndFramesWithinItsScreen) {
  std::string gif = animated_gif(1, "");  // one 8 × 8 frame of index 0 on an 8 × 8 screen, 4 colours
  // The unused third colour (0, 255, 0) becomes a message in the table: "ABC".
  const std::size_t table = 13;
  gif[table + 6] = 'A';
  gif[table + 7] = 'B';
  gif[table + 8] = 'C';
  CdrResult r = run(gif, "logo.gif");
  ASSERT_NE(r.verdict, Verdict::blocked) << r.message;
  EXPECT_EQ(r.output.find("ABC"), std::string::npos);
  EXPECT_EQ(read_gif(r.output).frames, 1);

  // The frame moved to (4, 4): half of it lies outside the screen and is cut away.
  std::string moved = animated_gif(1, "");
  const std::size_t desc = moved.find('\x2C');
  ASSERT_NE(desc, std::string::npos);
  moved[desc + 1] = 4;
  moved[desc + 3] = 4;
  CdrResult cut = run(moved, "moved.gif");
  ASSERT_NE(cut.verdict, Verdict::blocked) << cut.message;
  std::pair<const std::string*, std::size_t> in{&cut.output, 0};
  int error = 0;
  GifFileType* back = DGifOpen(&in, &read_gif_bytes, &error);
  ASSERT_NE(back, nullptr);
  ASSERT_EQ(DGifSlurp(back), GIF_OK);
  EXPECT_EQ(back->SavedImages[0].ImageDesc.Left, 4);
  EXPECT_EQ(back->SavedImages[0].ImageDesc.Width, 4);
  EXPECT_EQ(back->SavedImages[0].ImageDesc.Height, 4);
  DGifCloseFile(back, &error);
  // Wholly outside: no encoder writes that.
  moved[desc + 1] = 9;
  EXPECT_EQ(run(moved, "outside.gif").reason, "malformed");
}

TEST(CdrImageCodecs, GifFramesAreCountedAgainstThePixelLimitBeforeTheyAreDecoded) {
  CdrPolicy policy;
  policy.max_pixels = 100;  // one 8 × 8 frame fits, two do not
  EXPECT_NE(run(animated_gif(1, ""), "one.gif", policy).verdict, Verdict::blocked);
  CdrResult two = run(animated_gif(2, ""), "two.gif", policy);
  EXPECT_EQ(two.verdict, Verdict::blocked);
  EXPECT_EQ(two.reason, "limit");
  // A frame that claims 60000 × 60000 with almost no data: refused by its descriptor alone.
  std::string bomb = animated_gif(1, "");
  const std::size_t desc = bomb.find('\x2C');  // the image separator
  ASSERT_NE(desc, std::string::npos);
  bomb[desc + 5] = '\x60';
  bomb[desc + 6] = '\xEA';
  bomb[desc + 7] = '\x60';
  bomb[desc + 8] = '\xEA';
  CdrResult r = run(bomb, "bomb.gif");
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "limit");
  // Cut short inside the pixels, or no colour table anywhere: malformed, not a partial picture.
  const std::string clean = animated_gif(1, "");
  EXPECT_EQ(run(clean.substr(0, clean.size() - 8), "cut.gif").reason, "malformed");
  std::string no_table = clean;
  no_table[10] = static_cast<char>(no_table[10] & 0x7F);  // the screen's "global colour table" flag off
  no_table.erase(13, 12);                                 // and its 4 colours gone
  EXPECT_EQ(run(no_table, "notable.gif").reason, "malformed");
}

// --- WebP ------------------------------------------------------------------------------------

std::string lossless_webp(int w, int h, const std::string& exif) {
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 10;
    rgb[i + 1] = 200;
    rgb[i + 2] = static_cast<std::uint8_t>(i % 251);
  }
  std::uint8_t* out = nullptr;
  const std::size_t size = WebPEncodeLosslessRGB(rgb.data(), w, h, w * 3, &out);
  std::string plain(reinterpret_cast<const char*>(out), size);
  WebPFree(out);
  if (exif.empty()) return plain;
  WebPMux* mux = WebPMuxNew();
  WebPData image{reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()};
  WebPMuxSetImage(mux, &image, 1);
  WebPData meta{reinterpret_cast<const std::uint8_t*>(exif.data()), exif.size()};
  WebPMuxSetChunk(mux, "EXIF", &meta, 1);
  WebPData assembled;
  WebPDataInit(&assembled);
  WebPMuxAssemble(mux, &assembled);
  std::string with(reinterpret_cast<const char*>(assembled.bytes), assembled.size);
  WebPDataClear(&assembled);
  WebPMuxDelete(mux);
  return with;
}

std::string animated_webp(int frames) {
  WebPAnimEncoderOptions options;
  WebPAnimEncoderOptionsInit(&options);
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(16, 16, &options);
  WebPConfig config;
  WebPConfigInit(&config);
  config.lossless = 1;
  int t = 0;
  for (int f = 0; f < frames; ++f) {
    WebPPicture picture;
    WebPPictureInit(&picture);
    picture.use_argb = 1;
    picture.width = picture.height = 16;
    WebPPictureAlloc(&picture);
    for (int i = 0; i < 16 * 16; ++i) picture.argb[i] = 0xFF000000u | (static_cast<std::uint32_t>(f * 80) << 16);
    WebPAnimEncoderAdd(encoder, &picture, t, &config);
    WebPPictureFree(&picture);
    t += 100;
  }
  WebPAnimEncoderAdd(encoder, nullptr, t, nullptr);
  WebPData data;
  WebPDataInit(&data);
  WebPAnimEncoderAssemble(encoder, &data);
  std::string out(reinterpret_cast<const char*>(data.bytes), data.size);
  WebPDataClear(&data);
  WebPAnimEncoderDelete(encoder);
  return out;
}

// Found by the fuzz smoke: an animation whose header declares a canvas of 16,777,202 × 240 made
// libwebp's animation decoder allocate it (16 GB) before the pixel limit was judged. It is a limit,
// judged from the header; that nothing is allocated first shows only under the fuzzer's malloc
// limit (the input is a seed of cdr_image_fuzz: ASan here allocates 16 GB lazily).
TEST(CdrImageCodecs, AnAnimatedWebPsCanvasIsJudgedBeforeItIsAllocated) {
  // The fuzz input itself (also a seed: fuzz/cdr/corpus/oom-webp-canvas.webp).
  const std::string file(
      "\x52\x49\x46\x46\x82\x00\x00\x00\x57\x45\x42\x50\x56\x50\x38\x58\x0a\x00\x00\x00\x02\x00\x00\x00"
      "\xf1\xff\xff\xef\x00\x00\x41\x4e\x49\x4d\x06\x00\x00\x00\xff\xff\xff\xff\x00\x00\x41\x4e\x4d\x46"
      "\x26\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x00\x00\x0f\x00\x00\x64\x00\x00\x02\x56\x50\x38\x4c"
      "\x0e\x00\x00\x00\x2f\x0f\xc0\x03\x00\x07\x10\x11\xfd\x0f\x44\x44\xff\x03\x41\x4e\x4d\x46\x28\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x00\x00\x0f\x00\x00\x64\x00\x00\x00\x56\x50\xb8\x4c\x0f\x00"
      "\x00\x00\x2f\x0f\xc0\x03\x00\x07\x10\x85\x8a\xfe\x07\x22\xa2\xff\x01\x00",
      138);
  CdrResult r = run(file, "anim.webp");
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "limit") << r.message;
}

TEST(CdrImageCodecs, WebPLosesItsExifKeepsItsPixelsAndAnAnimationKeepsItsFrames) {
  const std::string webp = lossless_webp(8, 6, std::string("Exif\0\0secret-exif 123456789018", 30));
  CdrResult r = run(webp, "photo.webp");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
  EXPECT_TRUE(kinds(r).count("image_metadata"));
  EXPECT_EQ(r.output.find("secret-exif"), std::string::npos);
  int w = 0, h = 0;
  std::uint8_t* before = WebPDecodeRGB(reinterpret_cast<const std::uint8_t*>(webp.data()), webp.size(), &w, &h);
  std::uint8_t* after = WebPDecodeRGB(reinterpret_cast<const std::uint8_t*>(r.output.data()), r.output.size(), &w, &h);
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(w, 8);
  EXPECT_EQ(h, 6);
  EXPECT_EQ(std::memcmp(before, after, 8 * 6 * 3), 0);  // lossless in, lossless out
  WebPFree(before);
  WebPFree(after);

  CdrResult anim = run(animated_webp(3), "anim.webp");
  ASSERT_NE(anim.verdict, Verdict::blocked) << anim.message;
  WebPData data{reinterpret_cast<const std::uint8_t*>(anim.output.data()), anim.output.size()};
  WebPDemuxer* demux = WebPDemux(&data);
  ASSERT_NE(demux, nullptr);
  EXPECT_EQ(WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT), 3u);
  WebPDemuxDelete(demux);

  CdrPolicy small;
  small.max_pixels = 16 * 16 * 2;  // two frames of the canvas fit, three do not
  EXPECT_EQ(run(animated_webp(3), "anim.webp", small).reason, "limit");
  EXPECT_EQ(run(webp.substr(0, webp.size() / 2), "cut.webp").reason, "malformed");
}

// --- TIFF ------------------------------------------------------------------------------------
// Made by hand (no libtiff in the tests' process either: Debian's links JBIG-KIT, GPL).

void le16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void le32(std::string& s, unsigned long v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// `pages` uncompressed grey pages of 8 × 4, page n filled with 40 × (n + 1); each with an
// ImageDescription of `description` when it is not empty.
std::string paged_tiff(int pages, const std::string& description, unsigned width = 8, unsigned height = 4) {
  std::string out = "II";
  le16(out, 42);
  le32(out, 0);
  std::size_t link = 4;
  for (int p = 0; p < pages; ++p) {
    const auto pixels_at = static_cast<unsigned long>(out.size());
    out += std::string(std::min<std::size_t>(static_cast<std::size_t>(width) * height, 4096), static_cast<char>(40 * (p + 1)));
    const auto text_at = static_cast<unsigned long>(out.size());
    out += description + '\0';
    if (out.size() % 2) out.push_back('\0');
    const auto ifd = static_cast<unsigned long>(out.size());
    for (int i = 0; i < 4; ++i) out[link + static_cast<std::size_t>(i)] = static_cast<char>((ifd >> (8 * i)) & 0xFF);
    struct E { unsigned tag, type; unsigned long count, value; };
    std::vector<E> e = {{256, 4, 1, width}, {257, 4, 1, height}, {258, 3, 1, 8}, {259, 3, 1, 1}, {262, 3, 1, 1}};
    if (!description.empty()) e.push_back({270, 2, description.size() + 1, text_at});
    e.push_back({273, 4, 1, pixels_at});
    e.push_back({277, 3, 1, 1});
    e.push_back({278, 4, 1, height});
    e.push_back({279, 4, 1, static_cast<unsigned long>(width) * height});
    le16(out, static_cast<unsigned>(e.size()));
    for (const E& x : e) {
      le16(out, x.tag);
      le16(out, x.type);
      le32(out, x.count);
      le32(out, x.value);
    }
    link = out.size();
    le32(out, 0);
  }
  return out;
}

// The pages of a rebuilt TIFF, as tiff2rgba (a program apart) decodes them.
std::vector<internal::image::Picture> pages_of(const std::string& tiff) {
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-tiff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "in.tif", std::ios::binary) << tiff; }
  const std::string cmd = "tiff2rgba -c none '" + (dir / "in.tif").string() + "' '" + (dir / "out.tif").string() + "' 2>/dev/null";
  std::vector<internal::image::Picture> pages;
  if (std::system(cmd.c_str()) == 0) {
    std::ifstream in(dir / "out.tif", std::ios::binary);
    const std::string rgba((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto read = internal::image::read_rgba_tiff(rgba, 1u << 30)) pages = std::move(read).value();
  }
  std::filesystem::remove_all(dir);
  return pages;
}

class CdrTiff : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto available = sandbox::converter_sandbox_available(); !available) GTEST_SKIP() << available.error().message;
    if (std::system("command -v tiff2rgba >/dev/null 2>&1") != 0) GTEST_SKIP() << "tiff2rgba (libtiff-tools) is not installed";
  }
};

TEST_F(CdrTiff, EveryPagePassesDecodedApartItsDescriptionDoesNot) {
  const std::string tiff = paged_tiff(3, "secret-description 123456789018");
  CdrResult r = sanitize_sandboxed(tiff, "fax.tif", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
  EXPECT_EQ(r.output_name, "fax.tif");
  EXPECT_TRUE(kinds(r).count("image_metadata"));
  EXPECT_EQ(r.output.find("secret-description"), std::string::npos);
  const auto pages = pages_of(r.output);
  ASSERT_EQ(pages.size(), 3u);
  std::vector<int> greys;
  for (const auto& p : pages) {
    EXPECT_EQ(p.channels, 1) << "grey stays grey";
    EXPECT_EQ(p.width, 8u);
    greys.push_back(p.pixels.empty() ? -1 : p.pixels[0]);
  }
  EXPECT_EQ(greys, (std::vector<int>{40, 80, 120}));
  EXPECT_EQ(sanitize_sandboxed(paged_tiff(1, ""), "clean.tif", {}).verdict, Verdict::clean);
}

TEST_F(CdrTiff, PagesCountAgainstThePixelLimitBeforeTheConverterRunsAndBrokenFilesAreRefused) {
  CdrPolicy small;
  small.max_pixels = 8 * 4 * 2;  // two pages fit, the third does not
  EXPECT_EQ(sanitize_sandboxed(paged_tiff(3, ""), "fax.tif", small).reason, "limit");
  // A page declaring 100,000 × 100,000 with no data: judged from its directory alone.
  EXPECT_EQ(sanitize_sandboxed(paged_tiff(1, "", 100000, 100000), "bomb.tif", {}).reason, "limit");
  const std::string tiff = paged_tiff(2, "");
  EXPECT_EQ(sanitize_sandboxed(tiff.substr(0, 40), "cut.tif", {}).reason, "malformed");
  // Directories that point back at each other.
  std::string loop = paged_tiff(2, "");
  const std::string first(loop.substr(4, 4));
  loop.replace(loop.size() - 4, 4, first);
  EXPECT_EQ(sanitize_sandboxed(loop, "loop.tif", {}).reason, "malformed");
  // Inside an archive a TIFF is not rebuilt (its decoder runs for files of their own): removed.
  CdrResult zipped = sanitize_sandboxed(fixtures::make_zip({{"fax.tif", tiff}, {"a.txt", "hello"}}), "scans.zip", {});
  EXPECT_EQ(zipped.output.find("II*"), std::string::npos);
}

// tiff2rgba stops at a directory it cannot read and still succeeds: the pages it gave back are
// checked against the original's, and fewer (or another size) is malformed, not a shorter file.
TEST_F(CdrTiff, PagesTheConverterLostAreNoticed) {
  const std::string two = paged_tiff(2, ""), one = paged_tiff(1, "");
  const auto dir = std::filesystem::temp_directory_path() / ("sanso-tiff-lost-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "one.tif", std::ios::binary) << one; }
  ASSERT_EQ(std::system(("tiff2rgba -c none '" + (dir / "one.tif").string() + "' '" + (dir / "rgba.tif").string() + "'").c_str()), 0);
  std::ifstream in(dir / "rgba.tif", std::ios::binary);
  const std::string rgba((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(internal::image::pages_of_original(one, rgba, 1u << 20)) << "the same pages";
  auto lost = internal::image::pages_of_original(two, rgba, 1u << 20);
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().message.find("only 1 of the TIFF's 2 pages"), std::string::npos) << lost.error().message;
  EXPECT_FALSE(internal::image::pages_of_original(paged_tiff(1, "", 16, 4), rgba, 1u << 20)) << "another size";
}

// Directories may overlap, so that a small file declares a million entries: refused before they
// are all read.
TEST(CdrTiffOutput, OverlappingDirectoriesCannotDeclareMillionsOfEntries) {
  const std::size_t first = 8, count = 0xFFFF, span = 2 + count * 12;
  std::string tiff = "II";
  le16(tiff, 42);
  le32(tiff, first);
  tiff.resize(first + span + 4 * 64, '\0');
  // Directory i starts at 8 + 4i and holds 65535 entries; its "next" pointer, after them, names
  // directory i + 1 — each pointer lies inside the next directory's entries.
  for (std::size_t i = 0; i < 63; ++i) {
    const std::size_t at = first + 4 * i;
    tiff[at] = static_cast<char>(count & 0xFF);
    tiff[at + 1] = static_cast<char>(count >> 8);
    const std::size_t next_at = at + span, next = first + 4 * (i + 1);
    for (int b = 0; b < 4; ++b) tiff[next_at + static_cast<std::size_t>(b)] = static_cast<char>((next >> (8 * b)) & 0xFF);
  }
  auto layout = internal::image::read_tiff_layout(tiff);
  ASSERT_FALSE(layout);
  EXPECT_NE(layout.error().message.find("entries"), std::string::npos) << layout.error().message;
}

// The converter's output is read as hostile too: strips outside the file, a size that does not
// match, pages over the limit.
TEST(CdrTiffOutput, TheConvertersPagesAreCheckedBeforeTheyAreWritten) {
  internal::image::Picture grey;
  grey.width = 2;
  grey.height = 2;
  grey.channels = 1;
  grey.pixels = {10, 20, 30, 40};
  auto written = internal::image::write_tiff({grey, grey});
  ASSERT_TRUE(written);
  auto layout = internal::image::read_tiff_layout(*written);
  ASSERT_TRUE(layout) << layout.error().to_string();
  EXPECT_EQ(layout->pages.size(), 2u);
  EXPECT_FALSE(layout->metadata);
  EXPECT_FALSE(internal::image::read_rgba_tiff(*written, 1000)) << "Deflate grey is not what tiff2rgba writes";
  EXPECT_FALSE(internal::image::read_tiff_layout("MM\0+\0\0\0\0"));  // BigTIFF
  EXPECT_FALSE(internal::image::read_tiff_layout(paged_tiff(1, "").substr(0, 12)));
}

// --- JPEG ------------------------------------------------------------------------------------

// A `width` × `height` JPEG whose every row is `row` (RGB, or CMYK when `cmyk`: libjpeg writes
// Adobe's marker and the ink values inverted, as Photoshop does), with one `marker` segment holding
// `marker_data` when that is not empty.
std::string jpeg_of(unsigned width, unsigned height, bool cmyk, const std::vector<unsigned char>& row, int marker, const std::string& marker_data) {
  jpeg_compress_struct c{};
  jpeg_error_mgr errors{};
  c.err = jpeg_std_error(&errors);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = width;
  c.image_height = height;
  c.input_components = cmyk ? 4 : 3;
  c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  if (!marker_data.empty()) jpeg_write_marker(&c, marker, reinterpret_cast<const JOCTET*>(marker_data.data()), static_cast<unsigned>(marker_data.size()));
  std::vector<unsigned char> line = row;
  while (c.next_scanline < height) {
    JSAMPROW r = line.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&c);
  std::free(buffer);
  return out;
}

// A 4 × 4 JPEG of one colour, with a comment; CMYK when `cmyk`.
std::string small_jpeg(bool cmyk, const std::string& comment) {
  std::vector<unsigned char> row(cmyk ? 16 : 12);
  for (std::size_t i = 0; i < row.size(); ++i) row[i] = cmyk ? static_cast<unsigned char>(i % 4 == 0 ? 55 : 255) : static_cast<unsigned char>(i % 3 == 0 ? 200 : 30);
  return jpeg_of(4, 4, cmyk, row, JPEG_COM, comment);
}

struct DecodedJpeg {
  unsigned width = 0, height = 0, components = 0;
  std::vector<unsigned char> pixels;
};

DecodedJpeg decode_jpeg(const std::string& jpeg, bool cmyk) {
  jpeg_decompress_struct d{};
  jpeg_error_mgr errors{};
  d.err = jpeg_std_error(&errors);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(jpeg.data()), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&d, TRUE);
  d.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&d);
  DecodedJpeg out{d.output_width, d.output_height, static_cast<unsigned>(d.output_components), {}};
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * out.components);
  while (d.output_scanline < d.output_height) {
    JSAMPROW r = out.pixels.data() + static_cast<std::size_t>(d.output_scanline) * out.width * out.components;
    jpeg_read_scanlines(&d, &r, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return out;
}

std::vector<int> first_pixel(const std::string& jpeg, bool cmyk) {
  const DecodedJpeg d = decode_jpeg(jpeg, cmyk);
  return std::vector<int>(d.pixels.begin(), d.pixels.begin() + d.components);
}

TEST(CdrImageCodecs, AJpegLosesItsCommentAndCmykKeepsItsInkThroughTheRebuild) {
  CdrResult r = run(small_jpeg(false, "secret-comment 123456789018"), "photo.jpg");
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
  EXPECT_TRUE(kinds(r).count("image_metadata"));
  EXPECT_EQ(r.output.find("secret-comment"), std::string::npos);
  const auto rgb = first_pixel(r.output, false);
  ASSERT_EQ(rgb.size(), 3u);
  EXPECT_NEAR(rgb[0], 200, 4);
  EXPECT_NEAR(rgb[1], 30, 4);

  const std::string cmyk = small_jpeg(true, "");
  CdrResult c = run(cmyk, "print.jpg");
  ASSERT_NE(c.verdict, Verdict::blocked) << c.message;
  const auto before = first_pixel(cmyk, true), after = first_pixel(c.output, true);
  ASSERT_EQ(after.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(after[i], before[i], 4) << "channel " << i;  // the same ink, not inverted

  EXPECT_EQ(run(small_jpeg(false, "").substr(0, 20), "cut.jpg").reason, "malformed");
  // Cut inside its image data, after the headers: libjpeg would fill the rest grey and carry on.
  const std::string whole = small_jpeg(false, "");
  const std::size_t scan = whole.find("\xFF\xDA");
  ASSERT_NE(scan, std::string::npos);
  CdrResult cut = run(whole.substr(0, scan + 16), "cut.jpg");
  EXPECT_EQ(cut.verdict, Verdict::blocked);
  EXPECT_EQ(cut.reason, "malformed");
  EXPECT_NE(cut.message.find("truncated"), std::string::npos) << cut.message;
}

// An EXIF block (APP1) of one IFD entry, the orientation, in the byte order `order` ("II", "MM").
std::string exif_orientation_block(const std::string& order, int orientation, std::uint16_t entries = 1) {
  const bool little = order == "II";
  auto u16 = [&](unsigned v) { return little ? std::string{char(v & 0xFF), char(v >> 8)} : std::string{char(v >> 8), char(v & 0xFF)}; };
  auto u32 = [&](unsigned v) { return little ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF); };
  return std::string("Exif\0\0", 6) + order + u16(42) + u32(8) + u16(entries) + u16(0x0112) + u16(3) + u32(1) + u16(static_cast<unsigned>(orientation)) + u16(0) + u32(0);
}

// A 16 × 8 JPEG, its left half red and its right half blue, with `app1` as its APP1 segment.
std::string halves_jpeg(const std::string& app1) {
  std::vector<unsigned char> row(16 * 3);
  for (std::size_t x = 0; x < 16; ++x) {
    row[3 * x] = x < 8 ? 250 : 0;
    row[3 * x + 2] = x < 8 ? 0 : 250;
  }
  return jpeg_of(16, 8, false, row, JPEG_APP0 + 1, app1);
}

// Width, height and the red value of the top-left and bottom-left pixels of an RGB JPEG.
std::vector<int> corners(const std::string& jpeg) {
  const DecodedJpeg d = decode_jpeg(jpeg, false);
  return {static_cast<int>(d.width), static_cast<int>(d.height), d.pixels[0], d.pixels[static_cast<std::size_t>(d.height - 1) * d.width * 3]};
}

// A phone held upright writes its picture lying down and EXIF orientation 6: viewers turn it. The
// rebuild drops the EXIF block, so it turns the pixels itself — else the photo arrives on its side.
TEST(CdrImageCodecs, AJpegIsTurnedAsItsExifOrientationSaysBeforeTheBlockIsDropped) {
  for (const std::string order : {"II", "MM"}) {
    CdrResult r = run(halves_jpeg(exif_orientation_block(order, 6)), "upright.jpg");
    ASSERT_EQ(r.verdict, Verdict::sanitized) << r.reason << ": " << r.message;
    EXPECT_TRUE(kinds(r).count("image_metadata"));
    EXPECT_EQ(r.output.find("Exif"), std::string::npos);
    const auto c = corners(r.output);
    EXPECT_EQ(c[0], 8) << order;
    EXPECT_EQ(c[1], 16) << order;
    EXPECT_GT(c[2], 200) << "the left (red) half is on top after a quarter turn clockwise";
    EXPECT_LT(c[3], 50) << "the right (blue) half below";
  }
  const auto kept = corners(run(halves_jpeg(exif_orientation_block("II", 1)), "level.jpg").output);
  EXPECT_EQ(kept, (std::vector<int>{16, 8, kept[2], kept[3]}));
  // A block that cannot be read (entries past its end, a bad orientation) turns nothing.
  for (const std::string& broken : {exif_orientation_block("II", 6, 400), exif_orientation_block("II", 9), std::string("Exif\0\0MM\0\x2a", 10)}) {
    CdrResult r = run(halves_jpeg(broken), "odd.jpg");
    ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
    EXPECT_EQ(corners(r.output)[0], 16);
  }
}

// #16 (codec losses): a PNG's eXIf chunk and a WebP's EXIF chunk say how viewers turn the picture,
// as a JPEG's does; the rebuild drops them and turns the pixels itself. An eXIf after the image data
// is ignored, as viewers ignore it. A WebP that carries EXIF without the flag that announces it is
// still seen to carry metadata.
TEST(CdrImageCodecs, PngAndWebPAreTurnedAsTheirExifSaysBeforeItIsDropped) {
  auto be32 = [](std::uint32_t v) { return std::string{char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)}; };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    return be32(static_cast<std::uint32_t>(data.size())) + body + be32(static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  };
  // 4 × 2, the left half red and the right half blue.
  std::string raw;
  for (int y = 0; y < 2; ++y) {
    raw += '\0';
    for (int x = 0; x < 4; ++x) raw += x < 2 ? std::string("\xFA\x00\x00", 3) : std::string("\x00\x00\xFA", 3);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size())), Z_OK);
  packed.resize(packed_size);
  const std::string tiff = exif_orientation_block("MM", 6).substr(6);
  const std::string ihdr = chunk("IHDR", be32(4) + be32(2) + std::string("\x08\x02\x00\x00\x00", 5));
  const std::string before = std::string("\x89PNG\r\n\x1A\n", 8) + ihdr + chunk("eXIf", tiff) + chunk("IDAT", packed) + chunk("IEND", "");
  const std::string after = std::string("\x89PNG\r\n\x1A\n", 8) + ihdr + chunk("IDAT", packed) + chunk("eXIf", tiff) + chunk("IEND", "");
  auto shown = [](const std::string& png) {
    internal::image::Observed seen;
    auto picture = internal::image::decode_png(png, 1'000'000, seen);
    return picture ? std::vector<int>{static_cast<int>(picture->width), static_cast<int>(picture->height), picture->pixels[0]} : std::vector<int>{};
  };
  CdrResult turned = run(before, "phone.png");
  ASSERT_EQ(turned.verdict, Verdict::sanitized) << turned.reason << ": " << turned.message;
  EXPECT_TRUE(kinds(turned).count("image_metadata"));
  EXPECT_EQ(turned.output.find("eXIf"), std::string::npos);
  EXPECT_EQ(shown(turned.output), (std::vector<int>{2, 4, 250})) << "a quarter turn clockwise: the red half on top";
  CdrResult late = run(after, "late.png");
  ASSERT_EQ(late.verdict, Verdict::sanitized) << late.message;
  EXPECT_EQ(shown(late.output), (std::vector<int>{4, 2, 250})) << "an eXIf after the image data turns nothing";

  const std::string webp = lossless_webp(8, 6, exif_orientation_block("II", 6));
  CdrResult w = run(webp, "phone.webp");
  ASSERT_EQ(w.verdict, Verdict::sanitized) << w.message;
  int width = 0, height = 0;
  ASSERT_TRUE(WebPGetInfo(reinterpret_cast<const std::uint8_t*>(w.output.data()), w.output.size(), &width, &height));
  EXPECT_EQ(width, 6);
  EXPECT_EQ(height, 8);
  // EXIF without the VP8X flag: the flag byte cleared by hand.
  std::string unflagged = lossless_webp(8, 6, std::string("Exif\0\0note 123456789018", 23));
  const std::size_t vp8x = unflagged.find("VP8X");
  ASSERT_NE(vp8x, std::string::npos);
  unflagged[vp8x + 8] = static_cast<char>(unflagged[vp8x + 8] & ~0x08);
  CdrResult hidden = run(unflagged, "hidden.webp");
  ASSERT_EQ(hidden.verdict, Verdict::sanitized) << hidden.message;
  EXPECT_TRUE(kinds(hidden).count("image_metadata"));
  EXPECT_EQ(hidden.output.find("123456789018"), std::string::npos);
}

TEST(CdrImageCodecs, EachOfTheEightOrientationsTurnsAndMirrorsAsTiffDefinesIt) {
  // 3 × 2, a grey value a pixel: 1 2 3 / 4 5 6.
  const std::vector<std::vector<std::uint8_t>> shown = {
      {}, {1, 2, 3, 4, 5, 6}, {3, 2, 1, 6, 5, 4}, {6, 5, 4, 3, 2, 1}, {4, 5, 6, 1, 2, 3},
      {1, 4, 2, 5, 3, 6}, {4, 1, 5, 2, 6, 3}, {6, 3, 5, 2, 4, 1}, {3, 6, 2, 5, 1, 4}};
  for (int o = 1; o <= 8; ++o) {
    internal::image::Picture p;
    p.width = 3;
    p.height = 2;
    p.channels = 1;
    p.pixels = {1, 2, 3, 4, 5, 6};
    internal::image::apply_orientation(p, o);
    EXPECT_EQ(p.pixels, shown[static_cast<std::size_t>(o)]) << "orientation " << o;
    EXPECT_EQ(p.width, o >= 5 ? 2u : 3u) << "orientation " << o;
  }
}

// --- PNG -------------------------------------------------------------------------------------

void png_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}

// A 16-bit RGB PNG of one row whose samples are `samples` (3 a pixel), with `profile` as its iCCP.
std::string png16(const std::vector<std::uint16_t>& samples, const std::string& profile = "") {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, &png_to_string, nullptr);
  const auto width = static_cast<png_uint_32>(samples.size() / 3);
  png_set_IHDR(png, info, width, 1, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!profile.empty()) {
    png_set_iCCP(png, info, "icc", PNG_COMPRESSION_TYPE_BASE, reinterpret_cast<png_const_bytep>(profile.data()), static_cast<png_uint_32>(profile.size()));
  }
  png_write_info(png, info);
  std::vector<png_byte> row;
  for (std::uint16_t v : samples) row.insert(row.end(), {static_cast<png_byte>(v >> 8), static_cast<png_byte>(v & 0xFF)});
  png_write_row(png, row.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// The bit depth of a PNG and the samples of its first row as the file holds them (no transform).
std::pair<int, std::vector<std::uint16_t>> png_samples(const std::string& bytes) {
  struct Reader {
    const std::string* in;
    std::size_t at = 0;
  } reader{&bytes};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_read_fn(png, &reader, [](png_structp p, png_bytep data, png_size_t length) {
    auto* r = static_cast<Reader*>(png_get_io_ptr(p));
    std::memcpy(data, r->in->data() + r->at, length);
    r->at += length;
  });
  png_read_info(png, info);
  const int depth = png_get_bit_depth(png, info);
  std::vector<png_byte> row(png_get_rowbytes(png, info));
  png_read_row(png, row.data(), nullptr);
  std::vector<std::uint16_t> samples;
  for (std::size_t i = 0; i + 1 < row.size() && depth == 16; i += 2) samples.push_back(static_cast<std::uint16_t>(row[i] << 8 | row[i + 1]));
  png_destroy_read_struct(&png, &info, nullptr);
  return {depth, samples};
}

// A 16-bit PNG (a scan, a medical or print master) stays 16-bit: its low bytes are part of it.
TEST(CdrImageCodecs, ASixteenBitPngIsRebuiltAtSixteenBits) {
  const std::vector<std::uint16_t> samples = {0x1234, 0xABCD, 0x00FF, 0xFFFF, 0x0001, 0x8080};
  CdrResult r = run(png16(samples), "scan.png");
  ASSERT_NE(r.verdict, Verdict::blocked) << r.reason << ": " << r.message;
  ASSERT_FALSE(r.output.empty());
  const auto [depth, rebuilt] = png_samples(r.output);
  EXPECT_EQ(depth, 16);
  EXPECT_EQ(rebuilt, samples);
  // With a profile, the colours are converted at sixteen bits (sRGB to sRGB: the same, within rounding).
  const std::string profile = fixtures::srgb_profile();
  ASSERT_FALSE(profile.empty());
  CdrResult converted = run(png16(samples, profile), "scan.png");
  ASSERT_EQ(converted.verdict, Verdict::sanitized) << converted.reason << ": " << converted.message;
  EXPECT_TRUE(kinds(converted).count("icc_profile"));
  const auto [converted_depth, converted_samples] = png_samples(converted.output);
  EXPECT_EQ(converted_depth, 16);
  ASSERT_EQ(converted_samples.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_NEAR(converted_samples[i], samples[i], 64) << "sample " << i;
}

// --- BMP -------------------------------------------------------------------------------------

TEST(CdrImageCodecs, ABmpWhoseDeclaredPixelsAreMissingOrOfAnUnreadKindIsMalformed) {
  // 2 × 2 RLE8 declaring 400 bytes of compressed pixels where the file holds 4.
  fixtures::Bytes rle;
  rle.raw("BM").u32(54 + 1024 + 4).u32(0).u32(54 + 1024).u32(40).u32(2).u32(2).u16(1).u16(8).u32(1).u32(400).u32(2835).u32(2835).u32(256).u32(0);
  rle.raw(std::string(1024, '\0')).raw(std::string("\x02\x01\x00\x01", 4));
  CdrResult r = run(rle.s, "scan.bmp");
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "malformed");
  // Declaring no size (allowed) and stopping after one row of two: gdk-pixbuf would fill the rest.
  fixtures::Bytes stops;
  stops.raw("BM").u32(54 + 1024 + 4).u32(0).u32(54 + 1024).u32(40).u32(2).u32(2).u16(1).u16(8).u32(1).u32(0).u32(2835).u32(2835).u32(256).u32(0);
  stops.raw(std::string(1024, '\0')).raw(std::string("\x02\x01\x00\x00", 4));
  EXPECT_EQ(run(stops.s, "scan.bmp").reason, "malformed");
  // The same stream ended properly (end of row, then end of bitmap) is rebuilt.
  fixtures::Bytes ends;
  ends.raw("BM").u32(54 + 1024 + 8).u32(0).u32(54 + 1024).u32(40).u32(2).u32(2).u16(1).u16(8).u32(1).u32(0).u32(2835).u32(2835).u32(256).u32(0);
  ends.raw(std::string(1024, '\0')).raw(std::string("\x02\x01\x00\x00\x02\x01\x00\x01", 8));
  EXPECT_NE(run(ends.s, "scan.bmp").verdict, Verdict::blocked);
  // Headers that would make the BMP reader allocate what they claim (found by fuzzing): a header
  // size no format defines, a colour table of 2^32 entries.
  fixtures::Bytes huge_header;
  huge_header.raw("BM").u32(70).u32(0).u32(54).u32(0xD8000000u).u32(2).u32(2).u16(1).u16(24).u32(0).u32(16).u32(0).u32(0).u32(0).u32(0);
  huge_header.raw(std::string(16, '\0'));
  EXPECT_EQ(run(huge_header.s, "scan.bmp").reason, "malformed");
  fixtures::Bytes many_colours;
  many_colours.raw("BM").u32(70).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(4).u32(0).u32(16).u32(0).u32(0).u32(0xFFFFFF00u).u32(0);
  many_colours.raw(std::string(16, '\0'));
  EXPECT_EQ(run(many_colours.s, "scan.bmp").reason, "malformed");
  // BI_JPEG (4): a JPEG inside a BMP header is not read.
  fixtures::Bytes jpeg_in_bmp;
  jpeg_in_bmp.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(24).u32(4).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  jpeg_in_bmp.raw(std::string(16, '\0'));
  EXPECT_EQ(run(jpeg_in_bmp.s, "scan.bmp").reason, "malformed");
}

}  // namespace
}  // namespace sanso::cdr
