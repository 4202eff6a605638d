// The plan as the parse worker hands it to the parent. It carries what plan_to_json(plan, true)
// carries — the same fields, the same words for every vocabulary — in lengths and bytes, so that
// the parent reads it in one pass without building a JSON document (the JSON both ways was about a
// tenth of a batch's CPU). The parent reads bytes a compromised worker may have written: every
// length is checked against what is left, every count bounded by it, every word parsed by its
// vocabulary and every text checked as UTF-8; anything else makes the answer broken and the
// message is held.
#include "mail/sanitize.h"

#include <cstdint>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace sanso::mail {
namespace {

constexpr std::string_view kMagic = "SPW1";

// What nlohmann's dump (error_handler_t::replace) made of a string that is not valid UTF-8 when
// the plan crossed as JSON: each bad sequence one U+FFFD. Kept for the rare text that is not
// UTF-8, so that an honest plan arrives as it did before.
std::string as_json_carried(std::string_view s) {
  const std::string dumped = nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(dumped).get<std::string>();
}

// Writes each field in the order carry_plan() visits them.
class WireWriter {
 public:
  void number(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void number(std::int64_t v) { number(static_cast<std::uint64_t>(v)); }
  void bytes(std::string_view s) {
    number(s.size());
    out_.append(s);
  }
  void one_text(std::string_view s) {
    if (is_valid_utf8(s)) {
      bytes(s);
    } else {
      bytes(as_json_carried(s));
    }
  }
  template <typename... S>
  void text(const S&... s) {
    (one_text(s), ...);
  }
  template <typename T>
  void word(const T& value, std::string_view) {
    one_text(to_string(value));
  }
  void finding_kind(const ParserFinding& f) { one_text(kind_name(f)); }
  void part_index(std::size_t index, std::size_t) { number(index); }
  template <typename T, typename Each>
  void each(const std::vector<T>& items, Each&& one) {
    number(items.size());
    for (const auto& item : items) one(item);
  }
  void texts(const std::vector<std::string>& v) {
    each(v, [this](const std::string& s) { one_text(s); });
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads each field in the same order, until the first fault; then every read answers a default,
// and the caller asks fault() at the end, so that a field read after a fault is never taken for
// data.
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  const std::string& fault() const { return fault_; }
  bool at_end() const { return at_ == in_.size(); }
  // The first fault is kept; later ones cost nothing (a hostile answer must not make the parent
  // build a message for each of a million items).
  void fail(std::string_view why) {
    if (fault_.empty()) fault_ = why;
  }
  bool failed() const { return !fault_.empty(); }

  std::uint64_t next_number() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!fault_.empty() || at_ >= in_.size()) return fail("it ends inside a number"), 0;
      const auto b = static_cast<unsigned char>(in_[at_++]);
      if (shift == 63 && b > 1) return fail("a number is larger than 64 bits"), 0;
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail("a number is longer than ten bytes"), 0;
  }
  void number(std::size_t& v) { v = static_cast<std::size_t>(next_number()); }
  void number(std::int64_t& v) { v = static_cast<std::int64_t>(next_number()); }
  void bytes(std::string& s) {
    const std::uint64_t n = next_number();
    if (!fault_.empty()) return;
    if (n > in_.size() - at_) return fail("a length runs past its end");
    s.assign(in_.substr(at_, static_cast<std::size_t>(n)));
    at_ += static_cast<std::size_t>(n);
  }
  void one_text(std::string& s) {
    bytes(s);
    if (fault_.empty() && !is_valid_utf8(s)) fail("a text is not UTF-8");
  }
  template <typename... S>
  void text(S&... s) {
    (one_text(s), ...);
  }
  // A vocabulary's word: an unknown one is a broken answer, never a guess.
  template <typename T>
  void word(T& value, std::string_view where) {
    std::string w;
    one_text(w);
    if (!fault_.empty()) return;
    Result<T> parsed = parse_word<T>(w, where);
    if (!parsed) return fail(parsed.error().message);
    value = parsed.value();
  }
  void finding_kind(ParserFinding& f) {
    std::string kind;
    one_text(kind);
    if (!fault_.empty()) return;
    if (auto read = read_kind_name(f, kind, "plan parser_findings[].kind"); !read) fail(read.error().message);
  }
  void part_index(std::size_t& index, std::size_t parts) {
    number(index);
    if (fault_.empty() && index >= parts) fail("it names a part that does not exist");
  }
  // A count of items each at least one byte long: never more than the bytes left.
  template <typename T, typename Each>
  // Items are made one at a time as they are read, and the walk stops at the first fault: a count
  // is only a claim, and a vector sized to it up front (a part is some 200 bytes) would let a few
  // bytes of answer claim a hundred times their size in this process.
  void each(std::vector<T>& items, Each&& one) {
    const std::uint64_t n = next_number();
    if (failed()) return;
    if (n > in_.size() - at_) return fail("a count is larger than the answer");
    for (std::uint64_t i = 0; i < n && !failed(); ++i) one(items.emplace_back());
  }
  void texts(std::vector<std::string>& v) {
    each(v, [this](std::string& s) { one_text(s); });
  }

 private:
  template <typename T>
  static Result<T> parse_word(std::string_view w, std::string_view where) {
    if constexpr (std::is_same_v<T, Verdict>) return parse_verdict(w, where);
    else if constexpr (std::is_same_v<T, PartAction>) return parse_part_action(w, where);
    else if constexpr (std::is_same_v<T, FindingSeverity>) return parse_finding_severity(w, where);
    else if constexpr (std::is_same_v<T, SenderFindingKind>) return parse_sender_finding_kind(w, where);
    else if constexpr (std::is_same_v<T, cdr::FindingKind>) return cdr::parse_finding_kind(w, where);
    else return cdr::parse_finding_action(w, where);
  }

  std::string_view in_;
  std::size_t at_ = 0;
  std::string fault_;
};

// Every field the wire carries, in its order: written and read by the same walk, so that the two
// sides cannot drift apart. `Plan` is const for the writer.
template <typename Carry, typename Plan>
void carry_plan(Carry& c, Plan& plan) {
  c.word(plan.verdict, "plan verdict");
  c.text(plan.reason);
  c.each(plan.headers, [&](auto& h) { c.text(h.name, h.value); });
  c.text(plan.body);
  c.each(plan.parts, [&](auto& p) {
    c.text(p.path, p.type, p.charset, p.decoded_as);
    c.number(p.size);
    c.text(p.name);
    c.word(p.action, "plan parts[].action");
    c.texts(p.flags);
  });
  c.texts(plan.warnings);
  c.each(plan.parser_findings, [&](auto& f) {
    c.word(f.severity, "plan parser_findings[].severity");
    c.finding_kind(f);
    c.text(f.item);
    c.number(f.offset);
    c.number(f.count);
  });
  c.number(plan.replaced_characters);
  c.text(plan.subject, plan.from, plan.message_id);
  c.texts(plan.to);
  c.each(plan.from_mailboxes, [&](auto& m) { c.text(m.name, m.address); });
  c.each(plan.sender_findings, [&](auto& f) {
    c.word(f.kind, "plan sender_findings[].kind");
    c.text(f.display_name, f.address, f.matched);
  });
  c.number(plan.banner_lookalike_lines);
  c.each(plan.attachments, [&](auto& a) {
    c.number(a.part);
    c.text(a.name, a.content_type);
    c.bytes(a.bytes);
    c.each(a.findings, [&](auto& f) {
      c.word(f.kind, "plan attachments[].findings[].kind");
      c.text(f.location);
      c.word(f.action, "plan attachments[].findings[].action");
    });
  });
  c.each(plan.pending, [&](auto& p) {
    c.part_index(p.first, plan.parts.size());
    c.bytes(p.second);
  });
}

}  // namespace

std::string plan_to_wire(const SanitizePlan& plan) {
  WireWriter w;
  w.bytes(kMagic);
  carry_plan(w, plan);
  return w.take();
}

Result<SanitizePlan> plan_from_wire(std::string_view wire) {
  WireReader r(wire);
  std::string magic;
  r.bytes(magic);
  if (magic != kMagic) return make_error("mail.plan", "", "the sanitizer's answer is not a plan");
  SanitizePlan plan;
  carry_plan(r, plan);
  if (r.fault().empty() && !r.at_end()) r.fail("bytes follow the plan");
  if (!r.fault().empty()) return make_error("mail.plan", "", "the sanitizer's answer is broken: " + r.fault());
  return plan;
}

}  // namespace sanso::mail
