// RFC 8785 JSON Canonicalization Scheme (JCS) for audit records: object keys sorted by their
// UTF-16 code units, no insignificant whitespace, minimal string escapes, integers in plain
// decimal. Two parties serializing the same record get the same bytes, hence the same leaf hash.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"

namespace sanso::audit {

// Fails on floating-point numbers outside the exactly representable integers (audit records
// carry none) and on strings that are not valid UTF-8.
Result<std::string> canonical_json(const nlohmann::json& value);

}  // namespace sanso::audit
