// Zips built with libzip for tests: plain packages (an Office document from its parts) and, for
// the PPAP tests, members encrypted with a password.
#pragma once

#include <gtest/gtest.h>
#include <zip.h>

#include <string>
#include <utility>
#include <vector>

namespace sanso::testing {

// A zip of `members`, deflated, names flagged UTF-8; each member encrypted with `password` by
// `method` (ZIP_EM_TRAD_PKWARE, ZIP_EM_AES_256, …) unless the method is ZIP_EM_NONE.
inline std::string zip_of(const std::vector<std::pair<std::string, std::string>>& members, zip_uint16_t method = ZIP_EM_NONE,
                          const char* password = nullptr) {
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
    if (method != ZIP_EM_NONE) {
      EXPECT_EQ(zip_file_set_encryption(z, static_cast<zip_uint64_t>(idx), method, password), 0) << zip_strerror(z);
    }
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

}  // namespace sanso::testing
