// Console permissions: which groups of pages a signed-in person may use. A person holds roles
// (their [[users]] roles, or what their directory groups map to); [web.permissions] says which
// roles open which group. Ordinary staff get the transfer pages without the quarantine or the
// audit log; approvers the approvals inbox; a group nobody is given stays closed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace sanso::web {

// In the order of config::kConsolePermissions, whose words name them in sanso.toml.
enum class Permission : std::uint8_t {
  kTransfer,    // /transfer: send, the person's own transfers, downloads, links
  kApprovals,   // /transfer/approvals and deciding what waits for a role the person holds
  kQuarantine,  // /quarantine and the dashboard's quarantine summary
  kAudit,       // /audit and the dashboard's audit summary
  kFindings,    // /monitor/findings: the flow monitor's findings (acknowledging also needs an approver role)
  kRegisters,   // /registers: the registers (台帳), their alarms, entries and exports
  kInspection,  // /inspect: self-inspection campaigns, answers, evidence, sign-off, reports
};
inline constexpr Permission kAllPermissions[] = {Permission::kTransfer, Permission::kApprovals, Permission::kQuarantine, Permission::kAudit,
                                                 Permission::kFindings, Permission::kRegisters, Permission::kInspection};
static_assert(std::size(kAllPermissions) == std::size(config::kConsolePermissions));

std::string_view to_string(Permission p);  // its word in [web.permissions]

// A set of permissions.
class Permissions {
 public:
  bool has(Permission p) const { return ((bits_ >> static_cast<unsigned>(p)) & 1u) != 0; }
  void add(Permission p) { bits_ |= 1u << static_cast<unsigned>(p); }
  std::vector<std::string> words() const;  // for records and listings

 private:
  std::uint32_t bits_ = 0;
};

// [web.permissions] as the console applies it; without one, every group is open to [web] roles.
class PermissionMap {
 public:
  static PermissionMap from(const config::WebSettings& web);
  Permissions of(const std::vector<std::string>& roles) const;

 private:
  std::vector<std::pair<Permission, std::vector<std::string>>> granted_;
};

}  // namespace sanso::web
