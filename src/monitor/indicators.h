// Indicator lists: files of IP addresses and networks (one a line, `#` comments) whose every
// appearance in a flow is a finding. Reloaded when a file changes; a list that cannot be read
// on reload leaves the previous one in force (reported), never an empty one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "monitor/flow.h"
#include "policy/network.h"

namespace sanso::monitor {

class IndicatorSet {
 public:
  struct Problem {
    std::string file;
    std::uint64_t line = 0;
    std::string message;
  };

  // Reads every file; a file that cannot be read is an Error, a line that is no address or
  // network is a Problem (the rest of the file still counts).
  static Result<IndicatorSet> load(const std::vector<std::string>& files);
  // Rereads the lists when any file's size, modification time or inode changed. True when it
  // reloaded; an Error (and the old lists kept) when a changed file cannot be read.
  Result<bool> reload_if_changed();

  // The file that lists `address` (the longest network wins), or nullptr.
  const std::string* match(Address128 address) const {
    if (const std::uint32_t* i = table_.find(address)) return &files_[*i];
    return nullptr;
  }
  bool empty() const { return entries_ == 0; }
  std::size_t entries() const { return entries_; }
  const std::vector<Problem>& problems() const { return problems_; }
  // Parses one list's text into `table` as file `index`; problems appended.
  static std::size_t parse_list(std::string_view text, std::uint32_t index, const std::string& name,
                                policy::PrefixTable<std::uint32_t>& table, std::vector<Problem>& problems);

 private:
  struct Stamp {
    std::int64_t mtime_ns = -1;
    std::int64_t size = -1;
    std::uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Result<Stamp> stamp_of(const std::string& file);

  std::vector<std::string> files_;
  std::vector<Stamp> stamps_;
  policy::PrefixTable<std::uint32_t> table_;
  std::size_t entries_ = 0;
  std::vector<Problem> problems_;
};

}  // namespace sanso::monitor
