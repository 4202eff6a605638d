#include "cdr/cdr.h"

#include <nlohmann/json.hpp>

#include <glib.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>

#include "cdr/internal/convert.h"
#include "cdr/internal/format.h"
#include "cdr/image/tiff_file.h"
#include "cdr/internal/image_setup.h"
#include "core/text.h"
#include "mime/charset.h"
#include "sandbox/sandbox.h"

namespace sanso::cdr {

namespace internal {

std::string reason_of(const Error& e) {
  if (e.code.rfind("cdr.", 0) == 0) return e.code.substr(4);
  if (e.code == "sandbox.timeout") return "timeout";
  if (e.code == "sandbox.crash") return "sandbox-violation";
  if (e.code == "sandbox.memory" || e.code == "sandbox.output-too-large") return "limit";
  return "internal";
}

void block_with(CdrResult& result, const Error& e, std::string_view name) {
  const std::string where = e.where.empty() ? std::string(name) : e.where;
  result.verdict = Verdict::blocked;
  result.reason = reason_of(e);
  result.message = where + ": " + e.message;
  result.findings.push_back({finding_kind_of(result.reason), where, FindingAction::kBlocked});
}

Error blocked(std::string_view reason, std::string where, std::string message) {
  return make_error("cdr." + std::string(reason), std::move(where), std::move(message));
}

Result<void> Context::charge(std::uint64_t bytes, std::string_view where) const {
  expanded += bytes;
  if (expanded > policy.max_expanded_bytes) {
    return blocked("limit", prefix + std::string(where),
                   "unpacking would exceed " + std::to_string(policy.max_expanded_bytes >> 20) + " MiB in all (a decompression bomb)");
  }
  return ok();
}

Context Context::nested(std::string_view member) const {
  Context c{policy, findings, expanded, depth + 1, prefix + std::string(member) + "!"};
  return c;
}

namespace {


std::string base_name(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? name : name.substr(slash + 1));
}

// The file name as it will exist on Windows (see delivered_name), without its folder.
std::string delivered_name(std::string_view name) { return windows_file_name(base_name(name)); }

// CON, PRN, AUX, NUL, COM1–9, LPT1–9 open a device whatever extension follows ("nul.txt",
// "con .tar.gz"): such a name never becomes the file it claims to be.
bool is_reserved_device_name(std::string_view file) {
  std::string stem = ascii_lower(file.substr(0, file.find('.')));
  while (!stem.empty() && stem.back() == ' ') stem.pop_back();
  if (stem == "con" || stem == "prn" || stem == "aux" || stem == "nul") return true;
  return stem.size() == 4 && (stem.rfind("com", 0) == 0 || stem.rfind("lpt", 0) == 0) && stem[3] >= '1' && stem[3] <= '9';
}

// Positive selection of names: an extension the engine knows what to expect of (the table in
// detect.cc) or one the policy maps to a content type. Anything else — .rdp, .searchConnector-ms,
// .appinstaller, .ics, an extension made up yesterday — may mean something to some program on
// the receiving desk, so it is not delivered, whatever the bytes look like.
bool extension_allowed(std::string_view ext, const CdrPolicy& policy) {
  return ext.empty() || extension_family(ext) != Family::kNone || policy.extension_map.count(std::string(ext)) > 0;
}


// Characters that make a name read differently from what it is (a right-to-left override that
// shows "invoice<RLO>fdp.exe" as "invoiceexe.pdf").
bool has_deceptive_characters(std::string_view name) {
  static constexpr const char* kBidi[] = {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                                          "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"};
  for (const char* b : kBidi) {
    if (name.find(b) != std::string_view::npos) return true;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

bool extension_fits(std::string_view ext, const Detected& d, const CdrPolicy& policy) {
  if (ext.empty()) return true;
  if (auto it = policy.extension_map.find(std::string(ext)); it != policy.extension_map.end()) {
    return it->second == d.type || it->second == to_string(d.family);
  }
  const Family family = extension_family(ext);
  if (family == Family::kNone || family == d.family) return true;
  if (d.family == Family::kRtf && (ext == "doc" || ext == "dot")) return true;  // Word saves RTF as .doc
  // A package whose main part we do not know is judged by the rebuild (malformed or not).
  if (d.family == Family::kOoxml && is_ooxml(family)) return true;
  if (family == Family::kText && (d.family == Family::kHtml || d.family == Family::kOfficeXml || d.family == Family::kXmlActive)) return true;  // judged by content below
  return false;
}

// The name a rebuilt file goes out under: its extension follows the output type when that changed.
std::string output_name_for(std::string_view name, const Detected& d, const Rebuilt& r) {
  std::string base = delivered_name(name);
  if (base.empty()) base = "file";
  if (r.type == d.type) return base;
  std::string out = renamed(name, r.type == "jpeg" ? "jpg" : r.type == "text" ? "txt" : r.type);
  // "x.tar.gz" rebuilt as a zip is "x.zip", not "x.tar.zip".
  if (r.type == "zip" && out.size() > 8 && ascii_lower(out.substr(out.size() - 8)) == ".tar.zip") out.erase(out.size() - 8, 4);
  return out;
}

}  // namespace

std::string windows_file_name(std::string_view segment) {
  // "name:stream" and "name::$DATA" address an NTFS stream of "name": the file is "name".
  if (auto colon = segment.find(':'); colon != std::string_view::npos) segment = segment.substr(0, colon);
  // The Win32 layer removes trailing periods and spaces: "x.vbs. ." is opened as "x.vbs".
  while (!segment.empty() && (segment.back() == '.' || segment.back() == ' ')) segment.remove_suffix(1);
  return std::string(segment);
}

std::string renamed(std::string_view name, std::string_view extension) {
  std::string stem = delivered_name(name);
  if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  if (stem.empty()) stem = "file";
  return stem + "." + std::string(extension);
}

namespace {

// The rebuilder for a detected type (the checks on names and types have been made).
Result<Rebuilt> rebuild(std::string_view bytes, const Detected& d, const std::string& where, const Context& ctx) {
  if (is_ooxml(d.family)) {
    if (d.type == "doc" || d.type == "xls" || d.type == "ppt") return sanitize_ole2(bytes, d.type, ctx);
    return sanitize_ooxml(bytes, d.type, ctx);
  }
  if (d.family == Family::kPdf) return sanitize_pdf(bytes, ctx);
  if (d.family == Family::kRtf) return sanitize_rtf(bytes, ctx);
  if (is_odf(d.family)) return sanitize_odf(bytes, d.type, ctx);
  if (d.type == "svg") return sanitize_svg(bytes, ctx);
  if (d.family == Family::kImage) return sanitize_image(bytes, d.type, ctx);
  if (d.family == Family::kText) return sanitize_text(bytes, d.type, ctx);
  if (d.family == Family::kHtml) return sanitize_html(bytes, ctx);
  if (d.family == Family::kArchive) return sanitize_archive(bytes, d.type, ctx);
  if (d.type == "sylk") return blocked("active-content", where, "SYLK spreadsheets can run Excel 4.0 macros and cannot be rebuilt safely");
  if (d.type == "flat-odf") return blocked("unsupported", where, "flat OpenDocument XML is not rebuilt; ask the sender for .odt/.ods or PDF");
  if (d.family == Family::kOfficeXml) return blocked("unsupported", where, "Office 2003 XML documents are not rebuilt; ask the sender for .docx/.xlsx or PDF");
  if (d.family == Family::kXmlActive) return blocked("active-content", where, "the XML is or loads an XSLT stylesheet, which can run script when opened");
  if (d.family == Family::kMessage) {
    return blocked("unsupported", where, "a mail message saved as a file is not rebuilt; forward the message itself through the mail gateway");
  }
  if (d.family == Family::kUnknown) return blocked("unknown-type", where, "the content is not a type the engine knows");
  return blocked("unsupported", where, "files of type " + d.type + " are not rebuilt");
}

}  // namespace

Result<Rebuilt> sanitize_any(std::string_view bytes, std::string_view name, const Context& ctx, std::string* type_out) {
  const std::string where = ctx.prefix.empty() ? std::string(name) : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  if (ctx.depth > ctx.policy.max_depth) {
    return blocked("limit", where, "nested more than " + std::to_string(ctx.policy.max_depth) + " levels deep");
  }
  if (has_deceptive_characters(name)) {
    return blocked("deceptive-name", where, "the name contains direction-changing or control characters that disguise its real extension");
  }
  // Every decision about the name is made on the name Windows will use.
  const std::string file = delivered_name(name);
  if (file != base_name(name)) ctx.add(FindingKind::kWindowsName, base_name(name) + " → " + file, FindingAction::kConverted);
  if (is_reserved_device_name(file)) {
    return blocked("deceptive-name", where, "\"" + file + "\" is a Windows device name; the file would never be written under it");
  }
  const std::string ext = file_extension(file);
  if (is_dangerous_extension(ext)) {
    return blocked("executable", where, "files named ." + ext + " run as programs or scripts, or open connections");
  }
  Detected d = detect(bytes, file, ctx);
  if (type_out != nullptr) *type_out = d.type;
  if (d.family == Family::kExecutable) return blocked("executable", where, "the content is a program or script (" + d.type + ")");
  if (d.type == "encrypted-ooxml") return blocked("encrypted", where, "the Office document is password-protected");
  if (!extension_allowed(ext, ctx.policy)) {
    return blocked("extension-not-allowed", where,
                   "." + ext + " is not a type the policy delivers (known types, or [cdr] extension_map for others)");
  }
  if (!extension_fits(ext, d, ctx.policy)) {
    return blocked("extension-mismatch", where, "the name says ." + ext + " but the content is " + d.type);
  }
  auto rebuilt = rebuild(bytes, d, where, ctx);
  // Nothing out of something is a failure to read, never a clean file: a gzip of zeros that
  // libarchive takes for an empty tar, a text of nothing but NULs, HTML that is all markup.
  if (rebuilt && rebuilt->bytes.empty() && !bytes.empty()) {
    return blocked("malformed", where, "rebuilding the " + d.type + " left nothing of a " + std::to_string(bytes.size()) + "-byte file");
  }
  return rebuilt;
}


CdrResult sanitize_pass(std::string_view bytes, std::string_view name, const CdrPolicy& policy) {
  CdrResult result;
  if (bytes.size() > policy.max_input_bytes) {
    result.reason = "limit";
    result.message = std::string(name) + ": the file is larger than the limit of " + std::to_string(policy.max_input_bytes >> 20) + " MiB";
    result.type = "unknown";
    result.findings.push_back({FindingKind::kLimit, std::string(name), FindingAction::kBlocked});
    return result;
  }
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, result.findings, expanded, 0, ""};
  std::string type;
  Result<internal::Rebuilt> r = make_error("cdr.internal", std::string(name), "not run");
  try {
    r = internal::sanitize_any(bytes, name, ctx, &type);
  } catch (const std::bad_alloc&) {
    r = internal::blocked("limit", std::string(name), "the file needs more memory than allowed");
  } catch (const std::exception& e) {
    r = internal::blocked("malformed", std::string(name), std::string("the file could not be parsed: ") + e.what());
  }
  result.type = type.empty() ? "unknown" : type;
  if (!r) {
    block_with(result, r.error(), name);
    result.conversion = internal::conversion_for(result, policy);
    return result;
  }
  internal::Detected d{result.type, internal::Family::kNone};
  result.output_name = internal::output_name_for(name, d, *r);
  result.output = std::move(r->bytes);
  result.verdict = result.findings.empty() ? Verdict::clean : Verdict::sanitized;
  result.conversion = internal::conversion_for(result, policy);
  return result;
}

}  // namespace internal

CdrResult sanitize(std::string_view bytes, std::string_view name, const CdrPolicy& policy) {
  CdrResult r = internal::sanitize_pass(bytes, name, policy);
  if (r.conversion.empty()) return r;
  // The converters run outside any sandbox this may be in: only the sandboxed entry points can
  // finish the job, and nothing half-done passes.
  r.conversion.clear();
  r.verdict = Verdict::blocked;
  r.output.clear();
  r.output_name.clear();
  r.reason = "unsupported";
  r.message = std::string(name) + ": the policy wants this file converted (rasterize or convert_legacy), which only the sandboxed engine does";
  r.findings.push_back({FindingKind::kUnsupported, std::string(name), FindingAction::kBlocked});
  return r;
}

CdrResult sanitize_first_pass(std::string_view bytes, std::string_view name, const CdrPolicy& policy) { return internal::sanitize_pass(bytes, name, policy); }

std::string result_to_json(const CdrResult& result) {
  nlohmann::ordered_json j;
  j["verdict"] = to_string(result.verdict);
  j["type"] = result.type;
  if (result.verdict == Verdict::blocked) {
    j["reason"] = result.reason;
    j["message"] = result.message;
  } else {
    j["output_name"] = result.output_name;
    j["output_size"] = result.output.size();
  }
  auto& f = j["findings"] = nlohmann::ordered_json::array();
  for (const auto& x : result.findings) {
    f.push_back({{"kind", to_string(x.kind)}, {"location", x.location}, {"action", to_string(x.action)}, {"severity", to_string(severity_of(x.kind))}});
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encode_result(const CdrResult& result) {
  std::string json = result_to_json(result);
  if (!result.conversion.empty()) {  // a fixed word, see internal::conversion_for
    json.pop_back();
    json += ",\"conversion\":\"" + result.conversion + "\"}";
  }
  std::string out;
  out.reserve(8 + json.size() + result.output.size());
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += json;
  out += result.output;
  return out;
}

Result<CdrResult> decode_result(std::string_view encoded) {
  if (encoded.size() < 8) return make_error("cdr.internal", "", "the engine's answer is truncated");
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(encoded[i])) << (8 * i);
  if (n > encoded.size() - 8) return make_error("cdr.internal", "", "the engine's answer is truncated");
  auto j = nlohmann::json::parse(encoded.substr(8, n), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("cdr.internal", "", "the engine's answer is not JSON");
  CdrResult r;
  // A word the engine does not write is a broken answer, never read as some verdict.
  auto verdict = parse_verdict(j.value("verdict", ""), "the engine's answer: verdict");
  if (!verdict) return make_error("cdr.internal", verdict.error().where, verdict.error().message);
  r.verdict = *verdict;
  r.type = j.value("type", "unknown");
  r.reason = j.value("reason", "");
  r.message = j.value("message", "");
  r.output_name = j.value("output_name", "");
  r.conversion = j.value("conversion", "");
  if (j.contains("findings") && j["findings"].is_array()) {
    for (const auto& f : j["findings"]) {
      auto action = parse_finding_action(f.value("action", ""), "the engine's answer: findings[" + std::to_string(r.findings.size()) + "].action");
      if (!action) return make_error("cdr.internal", action.error().where, action.error().message);
      auto kind = parse_finding_kind(f.value("kind", ""), "the engine's answer: findings[" + std::to_string(r.findings.size()) + "].kind");
      if (!kind) return make_error("cdr.internal", kind.error().where, kind.error().message);
      r.findings.push_back({*kind, f.value("location", ""), *action});
    }
  }
  r.output = std::string(encoded.substr(8 + n));
  if (r.verdict != Verdict::blocked && r.output.size() != j.value("output_size", std::size_t{0})) {
    return make_error("cdr.internal", "", "the engine's answer lost output bytes");
  }
  return r;
}

namespace {

// GLib's default log writer probes stderr before it writes (getpeername for journald, an ioctl
// for colour, /etc/localtime for the time stamp): system calls the worker's filter kills it for.
// A library warning about a hostile file (libpng on a photo's odd ICC profile) must not turn
// into a sandbox violation, so inside workers a message is one plain write to stderr.
GLogWriterOutput write_plainly(GLogLevelFlags level, const GLogField* fields, gsize n_fields, gpointer) {
  // As GLib's own writer does without G_MESSAGES_DEBUG: info and debug messages are not shown.
  if ((level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0) return G_LOG_WRITER_HANDLED;
  std::string line = "sanso-cdr worker";
  for (gsize i = 0; i < n_fields; ++i) {
    const std::string_view key = fields[i].key;
    if ((key != "GLIB_DOMAIN" && key != "MESSAGE") || fields[i].length != -1 || fields[i].value == nullptr) continue;
    line += ": ";
    line += static_cast<const char*>(fields[i].value);
  }
  line += '\n';
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
  return G_LOG_WRITER_HANDLED;  // a fatal level still aborts the worker afterwards (GLib does that)
}

}  // namespace

namespace {

// What every engine child shares and no input changes, in one thread: a pool's template runs it
// once and its workers inherit it (the charset tables and gdk-pixbuf's BMP module are most of a
// child's set-up).
void load_engine() {
  static bool log_writer_set = false;  // GLib allows one writer per process (a fork inherits it)
  if (!log_writer_set) {
    g_log_set_writer_func(&write_plainly, nullptr, nullptr);
    log_writer_set = true;
  }
  // Libraries that read configuration lazily (time zone for zip timestamps and OLE2 dates,
  // charset tables, image loaders) do it now, before the filter forbids opening files.
  // A fixed zone: glibc and GLib then never look at /etc/localtime again (outputs carry fixed
  // timestamps anyway).
  setenv("TZ", "UTC", 1);
  tzset();
  GTimeZone* zone = g_time_zone_new_local();
  g_time_zone_unref(zone);
  mime::prepare_charsets();
  internal::load_images();
}

}  // namespace

void prepare_sandbox() {
  load_engine();  // nothing to do when a template did it
  internal::prepare_images();
}

CdrResult internal::blocked_result(std::string_view name, std::string reason, std::string message) {
  CdrResult r;
  r.type = "unknown";
  r.reason = std::move(reason);
  r.message = std::string(name) + ": " + message;
  r.findings.push_back({finding_kind_of(r.reason), std::string(name), FindingAction::kBlocked});
  return r;
}

namespace {
using internal::blocked_result;

// A sandbox's answer (or its failure) as the engine's result: fail closed.
CdrResult from_sandbox(Result<std::string> out, std::string_view name) {
  if (!out) {
    const Error& e = out.error();
    const std::string reason = internal::reason_of(e);
    return blocked_result(name, reason, reason == "internal" ? e.to_string() : e.message);
  }
  auto decoded = decode_result(*out);
  if (!decoded) return blocked_result(name, "internal", decoded.error().message);
  return std::move(decoded).value();
}

sandbox::Limits limits_for(std::chrono::milliseconds timeout, std::size_t max_output_bytes) {
  sandbox::Limits limits;
  limits.timeout = timeout;
  limits.memory_bytes = std::size_t{3} << 30;
  limits.output_bytes = max_output_bytes;
  return limits;
}

}  // namespace

CdrResult run_sandboxed(const SandboxedWork& work, std::string_view bytes, std::string_view name, std::chrono::milliseconds timeout,
                        std::size_t max_output_bytes) {
  sandbox::ForkPerJob engine({[&](std::string_view input) -> Result<std::string> { return encode_result(work(input)); }, &prepare_sandbox,
                              limits_for(timeout, max_output_bytes)});
  return from_sandbox(engine.run(bytes), name);
}

namespace {

// One job for an engine worker: its kind ('S' sanitize a file, 'P' bind page images into a PDF,
// 'T' write tiff2rgba's pages as a new TIFF),
// the name's length (4 bytes), the name, then the payload.
std::string make_job(char kind, std::string_view name, std::string_view payload) {
  std::string job;
  job.reserve(5 + name.size() + payload.size());
  job.push_back(kind);
  for (int i = 0; i < 4; ++i) job.push_back(static_cast<char>((name.size() >> (8 * i)) & 0xFF));
  job.append(name);
  job.append(payload);
  return job;
}

CdrResult do_job(std::string_view job, const CdrPolicy& policy) {
  CdrResult bad;
  bad.reason = "internal";
  bad.message = "a malformed job reached the worker";
  if (job.size() < 5) return bad;
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<std::size_t>(static_cast<unsigned char>(job[1 + i])) << (8 * i);
  if (n > job.size() - 5) return bad;
  std::string_view name = job.substr(5, n), payload = job.substr(5 + n);
  if (job[0] == 'S') return internal::sanitize_pass(payload, name, policy);
  if (job[0] == 'T') {  // tiff2rgba's pages (image/tiff_file.h), written as a new TIFF
    CdrResult r;
    r.type = "tiff";
    // The payload (pack_pages): the original, then tiff2rgba's pages.
    std::vector<std::string_view> parts;
    if (!internal::unpack_pages(payload, parts) || parts.size() != 2) return bad;
    auto pages = internal::image::pages_of_original(parts[0], parts[1], policy.max_pixels);
    auto tiff = pages ? internal::image::write_tiff(*pages) : Result<std::string>(pages.error());
    if (!tiff) {
      internal::block_with(r, internal::blocked(tiff.error().code, std::string(name), tiff.error().message), name);
      return r;
    }
    r.verdict = Verdict::sanitized;
    r.output = std::move(tiff).value();
    r.output_name = std::string(name);
    return r;
  }
  if (job[0] != 'P') return bad;
  std::vector<std::string_view> pages;
  if (!internal::unpack_pages(payload, pages)) return bad;
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  CdrResult r;
  r.type = "pdf";
  auto pdf = internal::assemble_page_images(pages, ctx);
  if (!pdf) {
    internal::block_with(r, pdf.error(), name);
    return r;
  }
  r.verdict = Verdict::sanitized;
  r.output = std::move(pdf->bytes);
  r.output_name = std::string(name);
  return r;
}

std::size_t max_output_for(const CdrPolicy& policy) { return policy.max_input_bytes * 4 + (std::size_t{1} << 20); }

}  // namespace

sandbox::Task engine_task(const CdrPolicy& policy) {
  mime::preload_charsets();  // once per process, inherited by every child (not a few hundred ms each)
  sandbox::Task task{[policy](std::string_view job) -> Result<std::string> { return encode_result(do_job(job, policy)); }, &prepare_sandbox,
                     limits_for(policy.timeout, max_output_for(policy))};
  task.prepare_once = &load_engine;
  return task;
}

CdrResult sanitize_sandboxed(sandbox::Executor& engine, std::string_view bytes, std::string_view name, const CdrPolicy& policy) {
  auto call = [&](char kind, std::string_view job_name, std::string_view payload) {
    return from_sandbox(engine.run(make_job(kind, job_name, payload)), job_name);
  };
  CdrResult r = call('S', name, bytes);
  if (!r.conversion.empty()) r = internal::finish_conversion(std::move(r), bytes, name, policy, call);
  return r;
}

CdrResult sanitize_sandboxed(std::string_view bytes, std::string_view name, const CdrPolicy& policy) {
  sandbox::ForkPerJob engine(engine_task(policy));
  return sanitize_sandboxed(engine, bytes, name, policy);
}

}  // namespace sanso::cdr
