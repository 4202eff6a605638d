#include "core/result.h"

namespace sanso {

std::string Error::to_string() const {
  std::string out;
  if (!where.empty()) {
    out += where;
    out += ": ";
  }
  out += message;
  if (!code.empty()) {
    out += " [";
    out += code;
    out += "]";
  }
  return out;
}

Error make_error(std::string code, std::string where, std::string message) {
  return Error{std::move(code), std::move(where), std::move(message)};
}

}  // namespace sanso
