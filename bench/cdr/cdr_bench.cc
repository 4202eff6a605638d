// CDR throughput per format on a generated set, each beside its floor measured in the same run:
// OOXML against a plain libzip unpack + repack at deflate level 6 (zlib's default; libzip's own
// default is 9), PDF against a plain qpdf read + write through the API, images against the codec
// libraries' own decode + encode with the same settings (libpng's simplified API, libjpeg); and the sandbox's cost per small file with the worker
// pool (and, for comparison, with a fork per file). bench/cdr_report.js prints the ratios.
#include <benchmark/benchmark.h>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>
#include <jpeglib.h>
#include <png.h>
#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cdr/cdr.h"
#include "cdr/image/codecs.h"
#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"

namespace {

using sanso::cdr::CdrPolicy;

constexpr int kFiles = 20;

std::string paragraphs(int n, std::mt19937& rng) {
  static const char* kWords[] = {"水俣市", "情報政策係", "予算", "令和8年度", "会議", "資料", "確認", "提出", "市民", "窓口", "the", "report"};
  std::string out;
  for (int p = 0; p < n; ++p) {
    out += "<w:p><w:r><w:t>";
    for (int w = 0; w < 40; ++w) out += std::string(kWords[rng() % 12]) + " ";
    out += "</w:t></w:r></w:p>";
  }
  return out;
}

// A grey picture of Gaussian noise (a photograph's worst case for compression).
sanso::cdr::internal::image::Picture noise(int w, int h, double sigma, unsigned seed) {
  sanso::cdr::internal::image::Picture p;
  p.width = static_cast<std::uint32_t>(w);
  p.height = static_cast<std::uint32_t>(h);
  p.channels = 1;
  p.pixels.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(128.0, sigma);
  for (auto& v : p.pixels) v = static_cast<std::uint8_t>(std::clamp(d(rng), 0.0, 255.0));
  return p;
}

std::string noise_png(int w, int h, unsigned seed) { return sanso::cdr::internal::image::encode_png(noise(w, h, 30.0 + seed % 7, seed)).value(); }

// docx files of ~100 paragraphs of text each with a picture; a third are macro-enabled with a
// VBA part and an external template, so the rebuild has something to remove.
const std::vector<std::string>& docx_set() {
  static const std::vector<std::string> set = [] {
    std::vector<std::string> out;
    std::mt19937 rng(42);
    for (int i = 0; i < kFiles; ++i) {
      const bool macro = i % 3 == 0;
      sanso::cdr::internal::ZipWriter w;
      w.add("[Content_Types].xml",
            std::string("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" "
                        "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/>"
                        "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/><Override PartName=\"/word/document.xml\" ContentType=\"") +
                (macro ? "application/vnd.ms-word.document.macroEnabled.main+xml" : "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml") +
                "\"/></Types>");
      w.add("_rels/.rels",
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" "
            "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>");
      std::string rels =
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" "
          "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/image1.png\"/>";
      if (macro) {
        rels += "<Relationship Id=\"rId2\" Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" Target=\"vbaProject.bin\"/>";
        w.add("word/vbaProject.bin", std::string(20000, 'V'));
      }
      w.add("word/_rels/document.xml.rels", rels + "</Relationships>");
      w.add("word/document.xml", "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" + paragraphs(100, rng) +
                                      "</w:body></w:document>");
      w.add("word/media/image1.png", noise_png(200, 150, static_cast<unsigned>(i)), false);
      out.push_back(*w.finish());
    }
    return out;
  }();
  return set;
}

// PDFs of 30 text pages; every other one opens with JavaScript.
const std::vector<std::string>& pdf_set() {
  static const std::vector<std::string> set = [] {
    std::vector<std::string> out;
    for (int f = 0; f < kFiles; ++f) {
      const int pages = 30;
      std::vector<std::string> objs;
      std::string kids;
      for (int p = 0; p < pages; ++p) kids += std::to_string(4 + 2 * p) + " 0 R ";
      objs.push_back(std::string("<< /Type /Catalog /Pages 2 0 R ") + (f % 2 ? "/OpenAction 3 0 R " : "") + ">>");
      objs.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
      objs.push_back("<< /S /JavaScript /JS (app.alert\\(1\\)) >>");
      for (int p = 0; p < pages; ++p) {
        std::string text;
        for (int l = 0; l < 40; ++l) text += "BT /F1 10 Tf 40 " + std::to_string(800 - l * 18) + " Td (Line " + std::to_string(l) + " of page " + std::to_string(p) + ") Tj ET\n";
        objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents " + std::to_string(5 + 2 * p) +
                       " 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>");
        objs.push_back("<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "endstream");
      }
      std::string pdf = "%PDF-1.7\n";
      std::string xref = "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
      for (std::size_t i = 0; i < objs.size(); ++i) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", pdf.size());
        xref += line;
        pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
      }
      std::size_t at = pdf.size();
      pdf += xref + "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" + std::to_string(at) + "\n%%EOF\n";
      // Through qpdf once, so the set is compressed and well-formed like real files.
      QPDF q;
      q.processMemoryFile("gen", pdf.data(), pdf.size());
      QPDFWriter w(q);
      w.setOutputMemory();
      w.setCompressStreams(true);
      w.write();
      auto buf = w.getBufferSharedPointer();
      out.emplace_back(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
    }
    return out;
  }();
  return set;
}

// Photographs stand-ins: 1024 × 768 noise, half PNG, half JPEG.
const std::vector<std::pair<std::string, std::string>>& image_set() {
  static const std::vector<std::pair<std::string, std::string>> set = [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < kFiles; ++i) {
      const auto picture = noise(1024, 768, 40.0, static_cast<unsigned>(i));
      const bool png = i % 2 == 0;
      out.emplace_back(png ? sanso::cdr::internal::image::encode_png(picture).value() : sanso::cdr::internal::image::encode_jpeg(picture, 90).value(),
                       png ? "png" : "jpeg");
    }
    return out;
  }();
  return set;
}

std::int64_t total(const std::vector<std::string>& v) {
  std::int64_t n = 0;
  for (const auto& s : v) n += static_cast<std::int64_t>(s.size());
  return n;
}

void set_counters(benchmark::State& state, std::int64_t files, std::int64_t bytes) {
  state.SetItemsProcessed(state.iterations() * files);
  state.SetBytesProcessed(state.iterations() * bytes);
}

// The floor: every member read and written again, deflate level 6.
void BM_OoxmlFloor(benchmark::State& state) {
  const auto& set = docx_set();
  for (auto _ : state) {
    for (const auto& bytes : set) {
      zip_error_t err;
      zip_error_init(&err);
      zip_t* in = zip_open_from_source(zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err), ZIP_RDONLY, &err);
      zip_source_t* target = zip_source_buffer_create(nullptr, 0, 0, &err);
      zip_source_keep(target);
      zip_t* out = zip_open_from_source(target, ZIP_TRUNCATE, &err);
      std::vector<std::string> keep;
      keep.reserve(static_cast<std::size_t>(zip_get_num_entries(in, 0)));
      for (zip_int64_t i = 0; i < zip_get_num_entries(in, 0); ++i) {
        zip_stat_t st;
        zip_stat_index(in, static_cast<zip_uint64_t>(i), 0, &st);
        std::string data(st.size, '\0');
        zip_file_t* f = zip_fopen_index(in, static_cast<zip_uint64_t>(i), 0);
        zip_fread(f, data.data(), st.size);
        zip_fclose(f);
        keep.push_back(std::move(data));
        zip_int64_t idx = zip_file_add(out, st.name, zip_source_buffer(out, keep.back().data(), keep.back().size(), 0), 0);
        zip_set_file_compression(out, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 6);
      }
      zip_close(out);
      zip_discard(in);
      zip_stat_t st;
      zip_source_stat(target, &st);
      std::string result(st.size, '\0');
      zip_source_open(target);
      zip_source_read(target, result.data(), st.size);
      zip_source_close(target);
      zip_source_free(target);
      benchmark::DoNotOptimize(result);
    }
  }
  set_counters(state, kFiles, total(set));
}

void BM_OoxmlSanitize(benchmark::State& state) {
  const auto& set = docx_set();
  CdrPolicy policy;
  for (auto _ : state) {
    for (const auto& bytes : set) benchmark::DoNotOptimize(sanso::cdr::sanitize(bytes, "report.docx", policy));
  }
  set_counters(state, kFiles, total(set));
}

void BM_PdfFloor(benchmark::State& state) {
  const auto& set = pdf_set();
  for (auto _ : state) {
    for (const auto& bytes : set) {
      QPDF q;
      q.setSuppressWarnings(true);
      q.processMemoryFile("floor", bytes.data(), bytes.size());
      QPDFWriter w(q);
      w.setOutputMemory();
      w.write();
      benchmark::DoNotOptimize(w.getBufferSharedPointer());
    }
  }
  set_counters(state, kFiles, total(set));
}

void BM_PdfSanitize(benchmark::State& state) {
  const auto& set = pdf_set();
  CdrPolicy policy;
  for (auto _ : state) {
    for (const auto& bytes : set) benchmark::DoNotOptimize(sanso::cdr::sanitize(bytes, "notice.pdf", policy));
  }
  set_counters(state, kFiles, total(set));
}

// The codec libraries alone, decode + encode with the settings the engine uses (no limits, no
// metadata or colour checks): libpng's simplified API, libjpeg with quality 92.
std::string jpeg_floor(const std::string& bytes) {
  jpeg_decompress_struct in{};
  jpeg_error_mgr in_errors{};
  in.err = jpeg_std_error(&in_errors);
  jpeg_create_decompress(&in);
  jpeg_mem_src(&in, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&in, TRUE);
  jpeg_start_decompress(&in);
  const std::size_t stride = static_cast<std::size_t>(in.output_width) * static_cast<std::size_t>(in.output_components);
  std::vector<unsigned char> pixels(stride * in.output_height);
  while (in.output_scanline < in.output_height) {
    JSAMPROW row = pixels.data() + in.output_scanline * stride;
    jpeg_read_scanlines(&in, &row, 1);
  }
  jpeg_compress_struct out{};
  jpeg_error_mgr out_errors{};
  out.err = jpeg_std_error(&out_errors);
  jpeg_create_compress(&out);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&out, &buffer, &size);
  out.image_width = in.output_width;
  out.image_height = in.output_height;
  out.input_components = in.output_components;
  out.in_color_space = in.out_color_space;
  jpeg_set_defaults(&out);
  jpeg_set_quality(&out, 92, TRUE);
  jpeg_start_compress(&out, TRUE);
  while (out.next_scanline < out.image_height) {
    JSAMPROW row = pixels.data() + out.next_scanline * stride;
    jpeg_write_scanlines(&out, &row, 1);
  }
  jpeg_finish_compress(&out);
  std::string result(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&out);
  std::free(buffer);
  jpeg_finish_decompress(&in);
  jpeg_destroy_decompress(&in);
  return result;
}

std::string png_floor(const std::string& bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  png_image_begin_read_from_memory(&image, bytes.data(), bytes.size());
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr);
  png_alloc_size_t size = 0;
  png_image_write_get_memory_size(image, size, 0, pixels.data(), 0, nullptr);
  std::string out(size, '\0');
  png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr);
  png_image_free(&image);
  return out;
}

void BM_ImageFloor(benchmark::State& state) {
  const auto& set = image_set();
  std::int64_t bytes_total = 0;
  for (const auto& [bytes, type] : set) bytes_total += static_cast<std::int64_t>(bytes.size());
  for (auto _ : state) {
    for (const auto& [bytes, type] : set) benchmark::DoNotOptimize(type == "png" ? png_floor(bytes) : jpeg_floor(bytes));
  }
  set_counters(state, kFiles, bytes_total);
}

void BM_ImageSanitize(benchmark::State& state) {
  const auto& set = image_set();
  std::int64_t bytes_total = 0;
  for (const auto& [bytes, type] : set) bytes_total += static_cast<std::int64_t>(bytes.size());
  CdrPolicy policy;
  for (auto _ : state) {
    for (const auto& [bytes, type] : set) benchmark::DoNotOptimize(sanso::cdr::sanitize(bytes, type == "png" ? "photo.png" : "photo.jpg", policy));
  }
  set_counters(state, kFiles, bytes_total);
}

// Small files (a 2 KB CSV): in-process, through a ready pooled worker, and with a fork each.
const std::string& small_file() {
  static const std::string csv = [] {
    std::string s;
    for (int i = 0; i < 60; ++i) s += "山田,総務課," + std::to_string(i * 1000) + ",=SUM(A1)\n";
    return s;
  }();
  return csv;
}
constexpr int kSmall = 200;

void BM_SmallInProcess(benchmark::State& state) {
  CdrPolicy policy;
  for (auto _ : state) {
    for (int i = 0; i < kSmall; ++i) benchmark::DoNotOptimize(sanso::cdr::sanitize(small_file(), "a.csv", policy));
  }
  state.SetItemsProcessed(state.iterations() * kSmall);
}

void BM_SmallPool(benchmark::State& state) {
  sanso::sandbox::Task task = sanso::cdr::engine_task(CdrPolicy{});
  task.jobs_per_worker = 1000;
  auto pool = sanso::sandbox::WorkerPool::create(std::move(task), 1);
  if (!pool) {
    state.SkipWithError(pool.error().to_string().c_str());
    return;
  }
  sanso::cdr::sanitize_sandboxed(**pool, small_file(), "warm.csv", CdrPolicy{});
  for (auto _ : state) {
    for (int i = 0; i < kSmall; ++i) benchmark::DoNotOptimize(sanso::cdr::sanitize_sandboxed(**pool, small_file(), "a.csv", CdrPolicy{}));
  }
  state.SetItemsProcessed(state.iterations() * kSmall);
}

void BM_SmallForkEach(benchmark::State& state) {
  for (auto _ : state) {
    for (int i = 0; i < 20; ++i) benchmark::DoNotOptimize(sanso::cdr::sanitize_sandboxed(small_file(), "a.csv", CdrPolicy{}));
  }
  state.SetItemsProcessed(state.iterations() * 20);
}

}  // namespace

BENCHMARK(BM_OoxmlFloor)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_OoxmlSanitize)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_PdfFloor)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_PdfSanitize)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ImageFloor)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ImageSanitize)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_SmallInProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SmallPool)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SmallForkEach)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

int main(int argc, char** argv) {
  sanso::cdr::internal::prepare_images();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
