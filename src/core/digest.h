// SHA-256 of bytes as lower-case hex: the content address of quarantined originals and the input
// and output hashes of audit records. One implementation (OpenSSL's, which uses the CPU's SHA
// instructions where there are any) for every layer.
#pragma once

#include <string>
#include <string_view>

namespace sanso {

std::string sha256_hex(std::string_view data);

}  // namespace sanso
