// PPAP test files: a zip whose members are encrypted with a password (libzip), and a PDF that
// needs a user password to open (qpdf). Shared by the CDR, transfer and CLI tests of the unlock.
#pragma once

#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>

#include <string>
#include <utility>
#include <vector>

#include "support/zip_of.h"

namespace sanso::testing {

// Every member encrypted with `password` by `method` (ZIP_EM_TRAD_PKWARE, ZIP_EM_AES_256, …).
inline std::string encrypted_zip(const std::vector<std::pair<std::string, std::string>>& members, zip_uint16_t method, const char* password) {
  return zip_of(members, method, password);
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
