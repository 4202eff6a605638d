#include "icap/protocol.h"
#include "core/text.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sanso::icap {
namespace {

constexpr std::size_t kMaxFields = 200;
constexpr std::size_t kReadStep = 65536;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_word(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 tchar: what a field name, a method or a chunk extension may be made of.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Shown in messages: at most 60 bytes, control bytes as '?'.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 60) out += "…";
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Splits a head (without its final empty line) into CRLF-separated lines; a bare CR or LF anywhere
// is an error, since other readers would split the same bytes differently.
Result<std::vector<std::string_view>> split_lines(std::string_view head, std::string_view where) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = head.find("\r\n", at);
    const std::string_view line = head.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return make_error("icap.malformed", std::string(where), "a bare CR or LF in line " + std::to_string(lines.size() + 1) + " (lines end with CRLF)");
    }
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    at = end + 2;
  }
  return lines;
}

Result<Headers> parse_fields(const std::vector<std::string_view>& lines, std::string_view where) {
  Headers headers;
  if (lines.size() - 1 > kMaxFields) {
    return make_error("icap.too-large", std::string(where), "more than " + std::to_string(kMaxFields) + " header fields");
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const std::string at = std::string(where) + " line " + std::to_string(i + 1);
    if (line.empty()) return make_error("icap.malformed", at, "an empty line inside the header");
    if (line.front() == ' ' || line.front() == '\t') {
      return make_error("icap.malformed", at, "a folded header line (obsolete line folding is refused)");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return make_error("icap.malformed", at, "'" + shown(line) + "' is not 'Name: value'");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
      return make_error("icap.malformed", at, "'" + shown(name) + "' is not a field name (no spaces before the colon, token characters only)");
    }
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return make_error("icap.malformed", at, "field " + std::string(name) + " carries a control character");
      }
    }
    headers.fields.push_back({std::string(name), std::string(value)});
  }
  return headers;
}

Result<std::size_t> parse_offset(std::string_view digits, std::string_view where) {
  if (!all_digits(digits) || digits.size() > 9) {
    return make_error("icap.malformed", std::string(where), "'" + shown(digits) + "' is not an offset (decimal digits, at most 9)");
  }
  std::size_t n = 0;
  for (char c : digits) n = n * 10 + static_cast<std::size_t>(c - '0');
  return n;
}

bool is_body_section(std::string_view name) { return name == "req-body" || name == "res-body" || name == "null-body" || name == "opt-body"; }

}  // namespace

long StringSource::read_some(char* out, std::size_t n) {
  const std::size_t take = std::min({n, step_, bytes_.size()});
  std::memcpy(out, bytes_.data(), take);
  bytes_.remove_prefix(take);
  return static_cast<long>(take);
}

Result<void> Reader::fill() {
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const std::size_t had = buffer_.size();
  buffer_.resize(had + kReadStep);
  const long got = source_.read_some(buffer_.data() + had, kReadStep);
  buffer_.resize(had + static_cast<std::size_t>(got > 0 ? got : 0));
  if (got == 0) return make_error("icap.closed", "connection", "the proxy closed the connection in the middle of a request");
  if (got < 0) return make_error("icap.closed", "connection", "reading from the proxy failed or timed out");
  return ok();
}

bool Reader::at_end() {
  if (start_ < buffer_.size()) return false;
  return !fill();
}

Result<std::string> Reader::read_head(std::size_t limit) {
  std::size_t scanned = 0;  // bytes after start_ already searched (fill() may move start_)
  for (;;) {
    const std::size_t end = buffer_.find("\r\n\r\n", start_ + (scanned > 3 ? scanned - 3 : 0));
    if (end != std::string::npos && end - start_ <= limit) {
      std::string head = buffer_.substr(start_, end - start_);
      start_ = end + 4;
      return head;
    }
    if (buffer_.size() - start_ > limit + 3) {
      return make_error("icap.too-large", "ICAP head", "no end of the head within " + std::to_string(limit) + " bytes ([icap] max_header_kb)");
    }
    scanned = buffer_.size() - start_;
    SANSO_TRY(fill());
  }
}

Result<std::string> Reader::read_exact(std::size_t n) {
  while (buffer_.size() - start_ < n) SANSO_TRY(fill());
  std::string out = buffer_.substr(start_, n);
  start_ += n;
  return out;
}

Result<std::string> Reader::read_line(std::size_t limit) {
  std::size_t scanned = 0;  // bytes after start_ already searched (fill() may move start_)
  for (;;) {
    const std::size_t lf = buffer_.find('\n', start_ + scanned);
    if (lf != std::string::npos) {
      if (lf == start_ || buffer_[lf - 1] != '\r') return make_error("icap.malformed", "body", "a line ends with a bare LF (CRLF expected)");
      std::string line = buffer_.substr(start_, lf - 1 - start_);
      if (line.find('\r') != std::string::npos) return make_error("icap.malformed", "body", "a bare CR inside a line");
      if (line.size() > limit) return make_error("icap.malformed", "body", "a line longer than " + std::to_string(limit) + " bytes");
      start_ = lf + 1;
      return line;
    }
    if (buffer_.size() - start_ > limit + 2) return make_error("icap.malformed", "body", "a line longer than " + std::to_string(limit) + " bytes");
    scanned = buffer_.size() - start_;
    SANSO_TRY(fill());
  }
}

Result<std::string_view> Reader::read_some(std::size_t n) {
  if (start_ >= buffer_.size()) SANSO_TRY(fill());
  const std::size_t take = std::min(n, buffer_.size() - start_);
  std::string_view out(buffer_.data() + start_, take);
  start_ += take;
  return out;
}

const std::string* Headers::find(std::string_view name) const {
  for (const auto& f : fields) {
    if (same_word(f.name, name)) return &f.value;
  }
  return nullptr;
}

std::size_t Headers::count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& f : fields) n += same_word(f.name, name) ? 1 : 0;
  return n;
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields, [&](const Header& f) { return same_word(f.name, name); });
}

std::string HttpHead::serialize() const {
  std::string out = start_line + "\r\n";
  for (const auto& f : headers.fields) out += f.name + ": " + f.value + "\r\n";
  out += "\r\n";
  return out;
}

Result<std::vector<Section>> parse_encapsulated(std::string_view value, Method method) {
  std::vector<Section> sections;
  std::size_t at = 0;
  while (at <= value.size()) {
    const std::size_t comma = value.find(',', at);
    const std::string_view item = trim_blanks(value.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return make_error("icap.malformed", "Encapsulated", "'" + shown(item) + "' is not name=offset");
    const std::string name(item.substr(0, eq));
    if (name != "req-hdr" && name != "res-hdr" && !is_body_section(name)) {
      return make_error("icap.malformed", "Encapsulated", "'" + shown(name) + "' is no encapsulated part (req-hdr, res-hdr, req-body, res-body, null-body, opt-body)");
    }
    for (const auto& s : sections) {
      if (s.name == name) return make_error("icap.malformed", "Encapsulated", name + " is named twice");
      if (is_body_section(s.name)) return make_error("icap.malformed", "Encapsulated", name + " comes after the body part " + s.name);
    }
    const std::size_t offset = SANSO_TRY(parse_offset(item.substr(eq + 1), "Encapsulated " + name));
    if (sections.empty() && offset != 0) return make_error("icap.malformed", "Encapsulated", "the first part " + name + " does not start at 0");
    if (!sections.empty() && offset <= sections.back().offset) {
      return make_error("icap.malformed", "Encapsulated", name + "=" + std::to_string(offset) + " does not come after " + sections.back().name + "=" +
                                                              std::to_string(sections.back().offset));
    }
    sections.push_back({name, offset});
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  if (sections.empty() || !is_body_section(sections.back().name)) {
    return make_error("icap.malformed", "Encapsulated", "the last part must be a body (req-body, res-body, null-body or opt-body)");
  }
  // What each method may carry (RFC 3507 §4.4.1), in this order.
  std::vector<std::string_view> allowed;
  switch (method) {
    case Method::kOptions: allowed = {"null-body"}; break;
    case Method::kReqmod: allowed = {"req-hdr", "req-body", "null-body"}; break;
    case Method::kRespmod: allowed = {"req-hdr", "res-hdr", "res-body", "null-body"}; break;
  }
  std::size_t cursor = 0;
  for (const auto& s : sections) {
    while (cursor < allowed.size() && allowed[cursor] != s.name) ++cursor;
    if (cursor == allowed.size()) {
      return make_error("icap.malformed", "Encapsulated", s.name + " is not allowed here in a " +
                                                              std::string(method == Method::kOptions ? "OPTIONS" : method == Method::kReqmod ? "REQMOD" : "RESPMOD") +
                                                              " request, or comes out of order");
    }
  }
  if (method == Method::kReqmod && sections.front().name != "req-hdr") {
    return make_error("icap.malformed", "Encapsulated", "a REQMOD request carries the HTTP request header (req-hdr)");
  }
  if (method == Method::kRespmod && std::none_of(sections.begin(), sections.end(), [](const Section& s) { return s.name == "res-hdr"; })) {
    return make_error("icap.malformed", "Encapsulated", "a RESPMOD request carries the HTTP response header (res-hdr)");
  }
  return sections;
}

Result<HttpHead> parse_http_head(std::string_view bytes, bool response, std::string_view where) {
  const auto lines = SANSO_TRY(split_lines(bytes, where));
  HttpHead head;
  const std::string_view first = lines.front();
  head.start_line = std::string(first);
  auto version_ok = [](std::string_view v) { return v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9'; };
  if (response) {
    // HTTP/1.1 200 OK — the reason phrase may be empty.
    if (first.size() < 12 || !version_ok(first.substr(0, 8)) || first[8] != ' ' || !all_digits(first.substr(9, 3)) ||
        (first.size() > 12 && first[12] != ' ')) {
      return make_error("icap.malformed", std::string(where), "'" + shown(first) + "' is not an HTTP status line");
    }
    head.status = std::stoi(std::string(first.substr(9, 3)));
    if (head.status < 100) return make_error("icap.malformed", std::string(where), "status " + std::to_string(head.status) + " does not exist");
  } else {
    const std::size_t sp1 = first.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || first.find(' ', sp2 + 1) != std::string_view::npos || !is_token(first.substr(0, sp1)) || sp2 == sp1 + 1 ||
        !version_ok(first.substr(sp2 + 1))) {
      return make_error("icap.malformed", std::string(where), "'" + shown(first) + "' is not an HTTP request line");
    }
    head.method = std::string(first.substr(0, sp1));
    head.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
    for (char c : head.target) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return make_error("icap.malformed", std::string(where), "the request target carries a control character");
    }
  }
  head.headers = SANSO_TRY(parse_fields(lines, where));
  return head;
}

Result<Request> parse_icap_head(std::string_view head) {
  const auto lines = SANSO_TRY(split_lines(head, "ICAP head"));
  const std::string_view first = lines.front();
  const std::size_t sp1 = first.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || first.find(' ', sp2 + 1) != std::string_view::npos) {
    return make_error("icap.malformed", "ICAP request line", "'" + shown(first) + "' is not 'METHOD icap://host/service ICAP/1.0'");
  }
  Request r;
  const std::string_view method = first.substr(0, sp1);
  if (method == "OPTIONS") {
    r.method = Method::kOptions;
  } else if (method == "REQMOD") {
    r.method = Method::kReqmod;
  } else if (method == "RESPMOD") {
    r.method = Method::kRespmod;
  } else {
    return make_error("icap.method", "ICAP request line", "method '" + shown(method) + "' is not OPTIONS, REQMOD or RESPMOD");
  }
  const std::string_view version = first.substr(sp2 + 1);
  if (version != "ICAP/1.0") {
    return make_error(version.substr(0, 5) == "ICAP/" ? "icap.version" : "icap.malformed", "ICAP request line", "version '" + shown(version) + "' is not ICAP/1.0");
  }
  r.uri = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
  constexpr std::string_view kScheme = "icap://";
  if (r.uri.size() <= kScheme.size() || !same_word(std::string_view(r.uri).substr(0, kScheme.size()), kScheme)) {
    return make_error("icap.malformed", "ICAP request line", "'" + shown(r.uri) + "' is not an icap:// URI");
  }
  const std::size_t slash = r.uri.find('/', kScheme.size());
  if (slash == std::string::npos || slash == kScheme.size()) {
    return make_error("icap.malformed", "ICAP request line", "'" + shown(r.uri) + "' names no host or no service");
  }
  std::string_view path = std::string_view(r.uri).substr(slash + 1);
  path = path.substr(0, path.find('?'));
  for (char c : path) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return make_error("icap.malformed", "ICAP request line", "the service '" + shown(path) + "' is not a plain name");
    }
  }
  r.service = std::string(path);
  r.headers = SANSO_TRY(parse_fields(lines, "ICAP head"));
  if (r.headers.count("Host") != 1) return make_error("icap.malformed", "ICAP head", "a request has exactly one Host field (RFC 3507 §4.3.2)");
  const std::size_t encapsulated = r.headers.count("Encapsulated");
  if (encapsulated > 1) return make_error("icap.malformed", "ICAP head", "Encapsulated is given more than once");
  if (encapsulated == 0) {
    if (r.method != Method::kOptions) return make_error("icap.malformed", "ICAP head", "the Encapsulated field is missing (RFC 3507 §4.4)");
  } else {
    r.sections = SANSO_TRY(parse_encapsulated(*r.headers.find("Encapsulated"), r.method));
  }
  if (const std::size_t n = r.headers.count("Preview"); n > 0) {
    if (n > 1) return make_error("icap.malformed", "ICAP head", "Preview is given more than once");
    const std::string& p = *r.headers.find("Preview");
    if (!all_digits(p) || p.size() > 9) return make_error("icap.malformed", "Preview", "'" + shown(p) + "' is not a byte count");
    r.preview = static_cast<std::size_t>(std::stoul(p));
  }
  for (const auto& f : r.headers.fields) {
    if (!same_word(f.name, "Allow")) continue;
    std::string_view v = f.value;
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      if (trim_blanks(v.substr(0, comma)) == "204") r.allow_204 = true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return r;
}

Result<Request> read_request(Reader& reader, const Limits& limits) {
  const std::string head = SANSO_TRY(reader.read_head(limits.max_head_bytes));
  Request r = SANSO_TRY(parse_icap_head(head));
  if (r.sections.empty()) return r;
  const Section& body = r.sections.back();
  if (body.offset > limits.max_head_bytes) {
    return make_error("icap.too-large", "Encapsulated", "the HTTP headers are " + std::to_string(body.offset) + " bytes, over the limit of " +
                                                            std::to_string(limits.max_head_bytes) + " ([icap] max_header_kb)");
  }
  const std::string heads = SANSO_TRY(reader.read_exact(body.offset));
  for (std::size_t i = 0; i + 1 < r.sections.size(); ++i) {
    const Section& s = r.sections[i];
    const std::string_view bytes = std::string_view(heads).substr(s.offset, r.sections[i + 1].offset - s.offset);
    // Each head ends exactly where the next part begins, with its empty line: offsets that point
    // elsewhere are refused rather than guessed at.
    const std::size_t end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos || end + 4 != bytes.size()) {
      return make_error("icap.malformed", "Encapsulated " + s.name, "the offsets do not match: the " + s.name + " part of " + std::to_string(bytes.size()) +
                                                                          " bytes does not end with its empty line");
    }
    HttpHead h = SANSO_TRY(parse_http_head(bytes.substr(0, end), s.name == "res-hdr", s.name));
    (s.name == "res-hdr" ? r.http_response : r.http_request) = std::move(h);
  }
  r.has_body = body.name == "req-body" || body.name == "res-body";
  return r;
}

Result<Chunk> parse_chunk_line(std::string_view line) {
  std::size_t digits = 0;
  while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits == 0 || digits > 15) {
    return make_error("icap.malformed", "body", "chunk size '" + shown(line) + "' is not 1 to 15 hexadecimal digits");
  }
  Chunk c;
  for (std::size_t i = 0; i < digits; ++i) {
    const char d = lower(line[i]);
    c.size = c.size * 16 + static_cast<std::size_t>(d <= '9' ? d - '0' : d - 'a' + 10);
  }
  std::string_view rest = line.substr(digits);
  while (!rest.empty()) {
    rest = trim_blanks(rest);
    if (rest.empty()) break;
    if (rest.front() != ';') return make_error("icap.malformed", "body", "chunk size line '" + shown(line) + "' has bytes after the size");
    rest = trim_blanks(rest.substr(1));
    std::size_t n = 0;
    while (n < rest.size() && is_token_char(rest[n])) ++n;
    if (n == 0) return make_error("icap.malformed", "body", "an empty chunk extension in '" + shown(line) + "'");
    const std::string_view name = rest.substr(0, n);
    rest = trim_blanks(rest.substr(n));
    if (!rest.empty() && rest.front() == '=') {
      rest = trim_blanks(rest.substr(1));
      std::size_t v = 0;
      while (v < rest.size() && is_token_char(rest[v])) ++v;
      if (v == 0) return make_error("icap.malformed", "body", "a chunk extension without a value in '" + shown(line) + "'");
      rest = rest.substr(v);
    } else if (same_word(name, "ieof")) {
      c.ieof = true;
    }
  }
  return c;
}

int status_of(const Error& error) {
  if (error.code == "icap.malformed" || error.code == "icap.too-large") return 400;
  if (error.code == "icap.service") return 404;
  if (error.code == "icap.not-allowed") return 405;
  if (error.code == "icap.method") return 501;
  if (error.code == "icap.version") return 505;
  return 500;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "ICAP Service Not Found";
    case 405: return "Method Not Allowed For Service";
    case 501: return "Method Not Implemented";
    case 503: return "Service Overloaded";
    case 505: return "ICAP Version Not Supported";
    default: return "Server Error";
  }
}

std::string chunk(std::string_view data) {
  if (data.empty()) return "";
  char size[32];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out(size, static_cast<std::size_t>(n));
  out.append(data);
  out += "\r\n";
  return out;
}

}  // namespace sanso::icap
