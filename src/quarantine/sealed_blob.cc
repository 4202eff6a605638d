#include "core/private_file.h"
#include "quarantine/internal/sealed_blob.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sanso::quarantine::internal {
namespace {

std::string errno_text() { return std::strerror(errno); }

Result<void> init_sodium() {
  if (sodium_init() < 0) return make_error("crypto.init", "", "libsodium failed to initialise");
  return ok();
}

}  // namespace


Result<SealKey> load_or_create_key(const std::string& path) {
  SANSO_TRY(init_sodium());
  SealKey key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    SANSO_TRY(create_private_directories(std::filesystem::path(path).parent_path().string()));
    crypto_secretstream_xchacha20poly1305_keygen(key.bytes.data());
    std::string tmp = path + ".new";
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return make_error("quarantine.key", path, "cannot create the key file: " + errno_text());
    bool good = ::write(out, key.bytes.data(), key.bytes.size()) == static_cast<ssize_t>(key.bytes.size()) &&
                ::fsync(out) == 0;
    ::close(out);
    // link() fails if another process created the key meanwhile: then both use that one.
    if (!good) return make_error("quarantine.key", path, "cannot write the key file: " + errno_text());
    if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      ::unlink(tmp.c_str());
      return make_error("quarantine.key", path, "cannot install the key file: " + errno_text());
    }
    ::unlink(tmp.c_str());
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return make_error("quarantine.key", path, "cannot read the key file: " + errno_text());
  struct stat st {};
  ::fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return make_error("quarantine.key", path, "the key file is readable by other users; run chmod 600 on it");
  }
  ssize_t n = ::read(fd, key.bytes.data(), key.bytes.size());
  char extra;
  ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(key.bytes.size()) || more != 0) {
    return make_error("quarantine.key", path, "the key file must hold exactly 32 bytes");
  }
  return key;
}

std::string seal(const SealKey& key, std::string_view original, std::string_view sha256) {
  crypto_secretstream_xchacha20poly1305_state state;
  std::string out(kSealedMagic);
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&state, header, key.bytes.data());
  out.append(reinterpret_cast<char*>(header), sizeof header);
  std::size_t chunks = original.empty() ? 1 : (original.size() + kChunkSize - 1) / kChunkSize;
  out.reserve(out.size() + original.size() + chunks * crypto_secretstream_xchacha20poly1305_ABYTES);
  const auto* ad = reinterpret_cast<const unsigned char*>(sha256.data());
  for (std::size_t i = 0; i < chunks; ++i) {
    std::string_view part = original.substr(i * kChunkSize, kChunkSize);
    unsigned char tag = i + 1 == chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
    std::size_t at = out.size();
    out.resize(at + part.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
    crypto_secretstream_xchacha20poly1305_push(&state, reinterpret_cast<unsigned char*>(out.data() + at), nullptr,
                                               reinterpret_cast<const unsigned char*>(part.data()), part.size(), ad,
                                               sha256.size(), tag);
  }
  return out;
}

Result<std::string> unseal(const SealKey& key, std::string_view sealed, std::string_view sha256) {
  constexpr std::size_t kHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  constexpr std::size_t kA = crypto_secretstream_xchacha20poly1305_ABYTES;
  if (!sealed.starts_with(kSealedMagic)) {
    return make_error("quarantine.damaged", std::string(sha256), "not a sealed blob (wrong magic)");
  }
  sealed.remove_prefix(kSealedMagic.size());
  if (sealed.size() < kHeader + kA) return make_error("quarantine.damaged", std::string(sha256), "sealed blob is truncated");
  crypto_secretstream_xchacha20poly1305_state state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state, reinterpret_cast<const unsigned char*>(sealed.data()),
                                                      key.bytes.data()) != 0) {
    return make_error("quarantine.damaged", std::string(sha256), "sealed blob has a bad header");
  }
  sealed.remove_prefix(kHeader);
  std::string out;
  out.reserve(sealed.size());
  const auto* ad = reinterpret_cast<const unsigned char*>(sha256.data());
  std::size_t chunk_index = 0;
  while (true) {
    if (sealed.size() < kA) {
      return make_error("quarantine.damaged", std::string(sha256),
                        "sealed blob ends without its final chunk (truncated after chunk " + std::to_string(chunk_index) + ")");
    }
    std::size_t take = std::min(sealed.size(), kChunkSize + kA);
    std::size_t at = out.size();
    out.resize(at + take - kA);
    unsigned char tag = 0;
    unsigned long long produced = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state, reinterpret_cast<unsigned char*>(out.data() + at), &produced,
                                                   &tag, reinterpret_cast<const unsigned char*>(sealed.data()), take, ad,
                                                   sha256.size()) != 0) {
      return make_error("quarantine.damaged", std::string(sha256),
                        "chunk " + std::to_string(chunk_index) + " failed authentication (the blob was altered, or sealed under another key)");
    }
    out.resize(at + produced);
    sealed.remove_prefix(take);
    ++chunk_index;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      if (!sealed.empty()) return make_error("quarantine.damaged", std::string(sha256), "data after the final chunk");
      break;
    }
  }
  if (sha256_hex(out) != sha256) {
    return make_error("quarantine.damaged", std::string(sha256), "the decrypted original does not match its SHA-256");
  }
  return out;
}

}  // namespace sanso::quarantine::internal
