#include "monitor/indicators.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sanso::monitor {

namespace {
constexpr std::size_t kMaxListBytes = 256u << 20;
}

Result<IndicatorSet::Stamp> IndicatorSet::stamp_of(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return make_error("monitor.indicators", file, std::string("cannot read the indicator list: ") + std::strerror(errno));
  return Stamp{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, static_cast<std::int64_t>(st.st_size),
               static_cast<std::uint64_t>(st.st_ino)};
}

std::size_t IndicatorSet::parse_list(std::string_view text, std::uint32_t index, const std::string& name, policy::PrefixTable<std::uint32_t>& table,
                                     std::vector<Problem>& problems) {
  std::size_t added = 0;
  std::uint64_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    auto cidr = policy::parse_cidr(line);
    if (!cidr) {
      if (problems.size() < 1000) problems.push_back({name, line_no, "not an IP address or network"});
      continue;
    }
    table.add(*cidr, index);
    ++added;
  }
  return added;
}

Result<IndicatorSet> IndicatorSet::load(const std::vector<std::string>& files) {
  IndicatorSet set;
  set.files_ = files;
  for (std::size_t i = 0; i < files.size(); ++i) {
    // The stamp first: a change while reading is then seen on the next check.
    set.stamps_.push_back(SANSO_TRY(stamp_of(files[i])));
    if (set.stamps_.back().size > static_cast<std::int64_t>(kMaxListBytes)) {
      return make_error("monitor.indicators", files[i], "the indicator list is larger than 256 MiB");
    }
    std::ifstream in(files[i], std::ios::binary);
    if (!in) return make_error("monitor.indicators", files[i], "cannot open the indicator list");
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) return make_error("monitor.indicators", files[i], "reading the indicator list failed");
    set.entries_ += parse_list(buf.str(), static_cast<std::uint32_t>(i), files[i], set.table_, set.problems_);
  }
  set.table_.build();
  return set;
}

Result<bool> IndicatorSet::reload_if_changed() {
  bool changed = false;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    auto now = stamp_of(files_[i]);
    if (!now || !(*now == stamps_[i])) changed = true;
  }
  if (!changed) return false;
  IndicatorSet fresh = SANSO_TRY(load(files_));  // an error leaves *this as it was
  *this = std::move(fresh);
  return true;
}

}  // namespace sanso::monitor
