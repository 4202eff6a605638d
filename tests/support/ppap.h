// PPAP test files: a zip whose members are encrypted with a password (libzip), and a PDF that
// needs a user password to open (qpdf). Shared by the CDR, transfer and CLI tests of the unlock.
#pragma once

#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>
#include <zip.h>

#include <string>
#include <utility>
#include <vector>

namespace sanso::testing {

// Every member encrypted with `password` by `method` (ZIP_EM_TRAD_PKWARE, ZIP_EM_AES_256, …),
// deflated, names flagged UTF-8.
inline std::string encrypted_zip(const std::vector<std::pair<std::string, std::string>>& members, zip_uint16_t method, const char* password) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* target = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(target);
  zip_t* z = zip_open_from_source(target, ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  if (z == nullptr) return {};
  for (const auto& [name, data] : members) {
    zip_int64_t idx = zip_file_add(z, name.c_str(), zip_source_buffer(z, data.data(), data.size(), 0), ZIP_FL_ENC_UTF_8);
    EXPECT_GE(idx, 0);
    EXPECT_EQ(zip_file_set_encryption(z, static_cast<zip_uint64_t>(idx), method, password), 0) << zip_strerror(z);
  }
  EXPECT_EQ(zip_close(z), 0);
  zip_stat_t st;
  zip_stat_init(&st);
  zip_source_stat(target, &st);
  std::string bytes(st.size, '\0');
  zip_source_open(target);
  zip_source_read(target, bytes.data(), st.size);
  zip_source_close(target);
  zip_source_free(target);
  return bytes;
}

// `plain` written with AES-256 (R6) encryption: `user` opens it, so does the owner password.
inline std::string encrypted_pdf(const std::string& plain, const char* user, const char* owner = "owner-secret") {
  QPDF in;
  in.setSuppressWarnings(true);
  in.processMemoryFile("plain", plain.data(), plain.size());
  QPDFWriter w(in);
  w.setOutputMemory();
  w.setR6EncryptionParameters(user, owner, true, true, true, true, true, true, qpdf_r3p_full, true);
  w.write();
  auto buf = w.getBufferSharedPointer();
  return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
}

}  // namespace sanso::testing
