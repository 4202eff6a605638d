#include "mail/attachment_batches.h"

#include <cstdint>
#include <optional>

#include "cdr/clamd.h"

namespace sanso::mail {
namespace {

// Framing both ways: each field an 8-byte little-endian length, then its bytes.
void put_field(std::string& out, std::string_view field) {
  const std::uint64_t n = field.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out.append(field);
}

// The next field at `at`, moving past it; nothing when what is left is shorter than it claims.
std::optional<std::string_view> take_field(std::string_view in, std::size_t& at) {
  if (in.size() - at < 8) return std::nullopt;
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  at += 8;
  if (n > in.size() - at) return std::nullopt;
  std::string_view field = in.substr(at, n);
  at += n;
  return field;
}

}  // namespace

std::size_t batch_output_limit(const BatchLimits& limits) {
  // As the per-file engine allows (cdr: four times the input and a megabyte), for a full batch.
  return limits.max_bytes * 4 + limits.max_files * ((std::size_t{1} << 20) + 16);
}

std::vector<std::pair<std::size_t, std::size_t>> batch_ranges(const std::vector<AttachmentInput>& inputs, const BatchLimits& limits) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0, bytes = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::size_t size = inputs[i].bytes.size() + inputs[i].name.size();
    if (i > begin && (bytes + size > limits.max_bytes || i - begin >= limits.max_files)) {
      out.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (begin < inputs.size()) out.emplace_back(begin, inputs.size());
  return out;
}

std::string encode_batch(const std::vector<AttachmentInput>& inputs, std::size_t begin, std::size_t end) {
  std::string job;
  for (std::size_t i = begin; i < end; ++i) {
    put_field(job, inputs[i].name);
    put_field(job, inputs[i].bytes);
  }
  return job;
}

Result<std::string> rebuild_batch(std::string_view job, const cdr::CdrPolicy& policy) {
  std::string answer;
  for (std::size_t at = 0; at < job.size();) {
    auto name = take_field(job, at);
    auto bytes = name ? take_field(job, at) : std::nullopt;
    if (!bytes) return make_error("mail.batch", "", "a malformed batch reached the worker");
    put_field(answer, cdr::encode_result(cdr::sanitize_first_pass(*bytes, *name, policy)));
  }
  return answer;
}

Result<std::vector<cdr::CdrResult>> decode_batch_answer(std::string_view answer, std::size_t expected) {
  std::vector<cdr::CdrResult> out;
  for (std::size_t at = 0; at < answer.size();) {
    auto field = take_field(answer, at);
    if (!field || out.size() == expected) return make_error("mail.batch", "", "the batch answer does not hold one result per file");
    auto r = cdr::decode_result(*field);
    if (!r) return std::move(r).error();
    out.push_back(std::move(r).value());
  }
  if (out.size() != expected) return make_error("mail.batch", "", "the batch answer does not hold one result per file");
  return out;
}

sandbox::Task batch_task(const cdr::CdrPolicy& policy, const BatchLimits& limits) {
  sandbox::Task task = cdr::engine_task(policy);  // its set-up and memory allowance, one file's time
  task.work = [policy](std::string_view job) { return rebuild_batch(job, policy); };
  task.limits.output_bytes = batch_output_limit(limits);
  task.jobs_per_worker = 10;  // up to 640 files
  return task;
}

std::vector<cdr::CdrResult> rebuild_in_batches(const std::vector<AttachmentInput>& inputs, const std::string& clamd, sandbox::Executor& batches,
                                               sandbox::Executor& files, const cdr::CdrPolicy& policy, const BatchLimits& limits) {
  std::vector<cdr::CdrResult> results(inputs.size());
  for (const auto& [begin, end] : batch_ranges(inputs, limits)) {
    std::optional<std::vector<cdr::CdrResult>> answered;
    if (end - begin > 1) {  // one file alone gains nothing from the batch and would run twice on failure
      auto answer = batches.run(encode_batch(inputs, begin, end));
      if (answer) {
        auto decoded = decode_batch_answer(*answer, end - begin);
        if (decoded) answered = std::move(decoded).value();
      }
    }
    for (std::size_t i = begin; i < end; ++i) {
      // Without an answer for the batch, or with a conversion still to do, the file goes alone.
      const bool alone = !answered || !(*answered)[i - begin].conversion.empty();
      results[i] = alone ? cdr::sanitize_sandboxed(files, inputs[i].bytes, inputs[i].name, policy) : std::move((*answered)[i - begin]);
    }
  }
  if (clamd.empty()) return results;
  // The scans after the rebuild give what with_antivirus gives around it: the engine only read
  // an infected original inside its sandbox, and the verdict is the same.
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    results[i] = cdr::with_antivirus(clamd, inputs[i].bytes, inputs[i].name, [&] { return std::move(results[i]); });
  }
  return results;
}

}  // namespace sanso::mail
