// The people of the city's directory as the transfer service needs them: a recipient by name, and
// the approvers of a role. Every answer is the directory's word at the moment it is asked.
#include <algorithm>

#include "transfer/transfer.h"

namespace sanso::transfer {
namespace {

bool holds_any(const std::vector<std::string>& held, const std::vector<std::string>& wanted) {
  return std::any_of(held.begin(), held.end(), [&](const std::string& r) { return std::find(wanted.begin(), wanted.end(), r) != wanted.end(); });
}

}  // namespace

DirectoryLookup directory_lookup(const directory::Settings& settings) {
  return [settings](const std::string& name) -> Result<std::optional<DirectoryEntry>> {
    auto found = SANSO_TRY(directory::look_up(settings, name));
    if (!found) return std::optional<DirectoryEntry>();
    return std::optional<DirectoryEntry>(DirectoryEntry{found->name, found->zone, found->mail});
  };
}

DirectoryLookup directory_by_mail(const directory::Settings& settings) {
  return [settings](const std::string& address) -> Result<std::optional<DirectoryEntry>> {
    auto found = SANSO_TRY(directory::look_up_by_mail(settings, address));
    if (!found) return std::optional<DirectoryEntry>();
    return std::optional<DirectoryEntry>(DirectoryEntry{found->name, found->zone, found->mail});
  };
}

DirectoryApprovers directory_approvers(const directory::Settings& settings) {
  return [settings](const std::vector<std::string>& roles) -> Result<std::vector<DirectoryEntry>> {
    std::vector<std::string> groups;
    for (const auto& g : settings.groups) {
      if (holds_any(g.roles, roles)) groups.push_back(g.dn);
    }
    std::vector<DirectoryEntry> out;
    if (groups.empty()) return out;
    // Each member is looked up as a recipient is, so that their roles, their zone and a disabled
    // account are what sign-in would find; one who cannot be vouched for (disabled, on both
    // sides) is left out, a directory that cannot be asked fails the whole answer.
    for (const auto& member : SANSO_TRY(directory::members_of(settings, groups))) {
      auto person = directory::look_up(settings, member.name);
      if (!person) {
        if (person.error().code == "directory.unavailable" || person.error().code == "directory.bad-settings") return person.error();
        continue;
      }
      if (!*person || (*person)->mail.empty() || !holds_any((*person)->roles, roles)) continue;
      out.push_back({(*person)->name, (*person)->zone, (*person)->mail});
    }
    return out;
  };
}

}  // namespace sanso::transfer
