#include "web/permissions.h"

#include <algorithm>

namespace sanso::web {

std::string_view to_string(Permission p) { return config::kConsolePermissions[static_cast<std::size_t>(p)]; }

std::vector<std::string> Permissions::words() const {
  std::vector<std::string> out;
  for (Permission p : kAllPermissions) {
    if (has(p)) out.emplace_back(to_string(p));
  }
  return out;
}

PermissionMap PermissionMap::from(const config::WebSettings& web) {
  PermissionMap m;
  for (Permission p : kAllPermissions) {
    if (web.permissions.empty()) {
      m.granted_.emplace_back(p, web.roles);
    } else if (auto found = web.permissions.find(std::string(to_string(p))); found != web.permissions.end()) {
      m.granted_.emplace_back(p, found->second);
    }
  }
  return m;
}

Permissions PermissionMap::of(const std::vector<std::string>& roles) const {
  Permissions out;
  for (const auto& grant : granted_) {
    const std::vector<std::string>& holders = grant.second;  // clang 14 captures no structured binding
    if (std::any_of(roles.begin(), roles.end(), [&](const std::string& r) { return std::find(holders.begin(), holders.end(), r) != holders.end(); })) {
      out.add(grant.first);
    }
  }
  return out;
}

}  // namespace sanso::web
