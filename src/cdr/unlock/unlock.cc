// PPAP unlock: decrypt in the sandbox, then the engine's own rebuild of what came out, in the same
// job. See cdr/unlock.h.
#include "cdr/unlock.h"

#include <sodium.h>

#include <memory>
#include <optional>
#include <utility>

#include "cdr/internal/convert.h"
#include "cdr/internal/format.h"
#include "cdr/internal/office_crypto.h"
#include "cdr/internal/zip_package.h"
#include "core/text.h"

namespace sanso::cdr {
namespace {

using internal::blocked_result;

bool starts(std::string_view b, std::string_view magic) { return b.substr(0, magic.size()) == magic; }

// Every member of an encrypted zip read with the password (the engine's limits on members,
// ratios and the unpacking budget apply as they are read: a bomb inside stays a bomb) and written
// into a plain zip, which the engine then rebuilds like any other. Members that are themselves
// encrypted archives stay encrypted: the password opens one level, and the rebuild blocks those.
Result<std::string> decrypt_zip(std::string_view bytes, const std::string& password, const CdrPolicy& policy) {
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  auto reader = SANSO_TRY(internal::ZipReader::open(bytes, ctx));
  internal::ZipWriter writer;
  bool encrypted = false;
  for (const auto& e : reader->entries()) {
    if (e.directory) continue;
    encrypted = encrypted || e.encrypted;
    std::string data = SANSO_TRY(reader->read(e, ctx, password.c_str()));
    writer.add(e.name, std::move(data));
  }
  if (!encrypted) return make_error("unlock.not-encrypted", "archive", "no member of the zip is password-protected");
  return writer.finish();
}

Result<std::string> decrypt_office(std::string_view bytes, std::string_view password, const CdrPolicy& policy) {
  const auto kind = internal::ole2_kind(bytes);
  if (kind.type != "encrypted-ooxml") {
    if (kind.type == "doc" || kind.type == "xls" || kind.type == "ppt") {
      return internal::blocked("unsupported", "document",
                               "legacy Office files (." + kind.type +
                                   ") encrypted with RC4 cannot be unlocked; ask the sender for .docx/.xlsx/.pptx or PDF / 旧形式の暗号化 Office "
                                   "文書は解除できません。新形式か PDF で送ってもらってください");
    }
    return make_error("unlock.not-encrypted", "document", "the compound file is not a password-protected Office document");
  }
  auto [info, package] = SANSO_TRY(internal::encrypted_ooxml_streams(bytes, policy.max_input_bytes + 4096));
  const internal::OfficeEncryption how = SANSO_TRY(internal::parse_encryption_info(info));
  return internal::decrypt_office_package(how, package, password, policy.max_input_bytes);
}

// One unlock job: 'K' to have the decrypted file back too (for the antivirus) or 'U', the name's
// length (4 bytes), the name, the password's length (4 bytes), the password, then the file.
std::string make_job(bool keep_decrypted, std::string_view name, std::string_view password, std::string_view bytes) {
  std::string job;
  job.reserve(9 + name.size() + password.size() + bytes.size());
  job.push_back(keep_decrypted ? 'K' : 'U');
  auto length = [&](std::size_t n) {
    for (int i = 0; i < 4; ++i) job.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  };
  length(name.size());
  job.append(name);
  length(password.size());
  job.append(password);
  job.append(bytes);
  return job;
}

struct Job {
  bool keep_decrypted = false;
  std::string_view name, password, bytes;
};
std::optional<Job> read_job(std::string_view input) {
  if (input.empty() || (input[0] != 'K' && input[0] != 'U')) return std::nullopt;
  const bool keep = input[0] == 'K';
  const std::string_view job = input.substr(1);
  auto length = [&](std::size_t at) {
    std::size_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<std::size_t>(static_cast<unsigned char>(job[at + static_cast<std::size_t>(i)])) << (8 * i);
    return n;
  };
  if (job.size() < 8) return std::nullopt;
  const std::size_t name_size = length(0);
  if (name_size > job.size() - 8) return std::nullopt;
  const std::size_t pw_size = length(4 + name_size);
  if (pw_size > job.size() - 8 - name_size) return std::nullopt;
  return Job{keep, job.substr(4, name_size), job.substr(8 + name_size, pw_size), job.substr(8 + name_size + pw_size)};
}

// In the child: decrypt, then rebuild. 'R' and the engine's encoded result, or 'D' and the
// decrypted file when a converter must finish it (outside this child, as for any file). With 'K',
// 'R' is followed by the result's length (8 bytes), the result, then the decrypted file.
Result<std::string> unlock_job(std::string_view input, const CdrPolicy& policy) {
  const auto job = read_job(input);
  if (!job) return make_error("cdr.internal", "unlock", "a malformed job reached the worker");
  auto plain = decrypt(job->bytes, job->password, policy);
  if (!plain) {
    const Error& e = plain.error();
    if (e.code.rfind("cdr.", 0) != 0) return e;  // "unlock.password" and the like cross back as they are
    CdrResult r;
    r.type = "unknown";
    internal::block_with(r, e, job->name);
    return "R" + encode_result(r);
  }
  CdrResult r = internal::sanitize_pass(*plain, job->name, policy);
  if (!r.conversion.empty()) return "D" + *plain;
  if (!job->keep_decrypted) return "R" + encode_result(r);
  const std::string encoded = encode_result(r);
  std::string answer = "R";
  for (int i = 0; i < 8; ++i) answer.push_back(static_cast<char>((encoded.size() >> (8 * i)) & 0xFF));
  return answer + encoded + *plain;
}

}  // namespace

Result<void> check_password(std::string_view password) {
  if (password.empty()) return make_error("unlock.input", "password", "no password was given / パスワードが空です");
  if (password.size() > kMaxPasswordBytes) {
    return make_error("unlock.input", "password",
                      "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes / パスワードが長すぎます");
  }
  if (!is_valid_utf8(password)) return make_error("unlock.input", "password", "the password is not valid UTF-8 / パスワードの文字コードが不正です");
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7F) {
      return make_error("unlock.input", "password", "the password contains NUL or control characters / パスワードに制御文字が含まれています");
    }
  }
  return ok();
}

Result<std::string> decrypt(std::string_view bytes, std::string_view password, const CdrPolicy& policy) {
  SANSO_TRY(check_password(password));
  if (bytes.size() > policy.max_input_bytes) {
    return internal::blocked("limit", "document", "the file is larger than the limit of " + std::to_string(policy.max_input_bytes >> 20) + " MiB");
  }
  try {
    if (starts(bytes, "PK\x03\x04") || starts(bytes, "PK\x05\x06")) {
      std::string pw(password);  // libzip takes a C string
      auto plain = decrypt_zip(bytes, pw, policy);
      sodium_memzero(pw.data(), pw.size());
      return plain;
    }
    if (starts(bytes, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return decrypt_office(bytes, password, policy);
    if (bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos) return internal::decrypt_pdf(bytes, password);
  } catch (const std::bad_alloc&) {
    return internal::blocked("limit", "document", "decrypting the file needs more memory than allowed");
  }
  return internal::blocked("unsupported", "document",
                           "only zip archives, PDF and Office documents (docx/xlsx/pptx) can be unlocked; ask the sender for one of those / "
                           "解除できるのは zip・PDF・Office 文書（docx/xlsx/pptx）だけです");
}

sandbox::Task unlock_task(const CdrPolicy& policy) {
  sandbox::Task task = engine_task(policy);
  task.work = [policy](std::string_view input) { return unlock_job(input, policy); };
  task.prepare = [engine_prepare = task.prepare] {
    if (engine_prepare) engine_prepare();
    internal::prepare_office_crypto();
  };
  // One job a worker: nothing of a password or what it decrypted outlives its job (unlock.h).
  task.jobs_per_worker = 1;
  return task;
}

UnlockOutcome unlock_sandboxed(std::string_view bytes, std::string_view name, std::string_view password, const CdrPolicy& policy,
                               bool keep_decrypted) {
  // A fresh child per unlock, never a pooled worker: nothing of the password outlives the job.
  sandbox::ForkPerJob unlocker(unlock_task(policy));
  sandbox::ForkPerJob engine(engine_task(policy));
  return unlock_sandboxed(unlocker, engine, bytes, name, password, policy, keep_decrypted);
}

UnlockOutcome unlock_sandboxed(sandbox::Executor& unlocker, sandbox::Executor& converter_engine, std::string_view bytes, std::string_view name,
                               std::string_view password, const CdrPolicy& policy, bool keep_decrypted) {
  UnlockOutcome out;
  if (auto checked = check_password(password); !checked) {
    out.result = blocked_result(name, "encrypted", checked.error().message);
    return out;
  }
  std::string job = make_job(keep_decrypted, name, password, bytes);
  Result<std::string> ran = unlocker.run(job);
  sodium_memzero(job.data(), job.size());
  if (!ran) {
    const Error& e = ran.error();
    if (e.code == "unlock.password") {
      out.wrong_password = true;
      out.result = blocked_result(name, "encrypted", "the password is wrong / パスワードが違います");
      return out;
    }
    const std::string reason = e.code.rfind("unlock.", 0) == 0 ? "malformed" : internal::reason_of(e);
    out.result = blocked_result(name, reason, reason == "internal" ? e.to_string() : e.message);
    return out;
  }
  std::string& answer = *ran;
  if (answer.empty() || (answer[0] != 'R' && answer[0] != 'D')) {
    out.result = blocked_result(name, "internal", "the unlock worker gave no answer");
    return out;
  }
  if (answer[0] == 'D') {
    // Decrypted, and wanted by a converter: the engine's ordinary sandboxed path finishes it.
    out.result = sanitize_sandboxed(converter_engine, std::string_view(answer).substr(1), name, policy);
    if (keep_decrypted) out.decrypted = answer.substr(1);
    sodium_memzero(answer.data(), answer.size());
    return out;
  }
  std::string_view encoded = std::string_view(answer).substr(1);
  if (keep_decrypted) {
    std::size_t n = 0;
    for (int i = 0; i < 8 && encoded.size() >= 8; ++i) n |= static_cast<std::size_t>(static_cast<unsigned char>(encoded[static_cast<std::size_t>(i)])) << (8 * i);
    if (encoded.size() < 8 || n > encoded.size() - 8) {
      out.result = blocked_result(name, "internal", "the unlock worker's answer is malformed");
      return out;
    }
    out.decrypted = std::string(encoded.substr(8 + n));
    encoded = encoded.substr(8, n);
  }
  auto decoded = decode_result(encoded);
  if (!decoded) {
    out.result = blocked_result(name, "internal", decoded.error().message);
    return out;
  }
  out.result = std::move(decoded).value();
  return out;
}

}  // namespace sanso::cdr
