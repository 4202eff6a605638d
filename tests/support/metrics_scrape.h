// Scraping a service's /metrics in a test: the text, one series' value, and Prometheus's own
// verdict on the format (promtool check metrics).
#pragma once

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace sanso::testing {

// GET http://host:port/metrics; nullopt when nothing answered, else the status and body.
struct Scrape {
  int status = 0;
  std::string body;
};
inline std::optional<Scrape> scrape_metrics(const std::string& host, int port) {
  httplib::Client client(host, port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  auto r = client.Get("/metrics");
  if (!r) return std::nullopt;
  return Scrape{r->status, r->body};
}

// "127.0.0.1:9851" or "[::1]:9851" → host and port, from a service's "metrics on http://…/metrics".
inline std::optional<std::pair<std::string, int>> metrics_address(const std::string& log) {
  const std::string mark = "metrics on http://";
  const auto at = log.find(mark);
  if (at == std::string::npos) return std::nullopt;
  const auto end = log.find("/metrics", at + mark.size());
  if (end == std::string::npos) return std::nullopt;
  const std::string address = log.substr(at + mark.size(), end - at - mark.size());
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  return std::pair{host, std::stoi(address.substr(colon + 1))};
}

// The value of one series ("name{labels}" exactly as rendered); -1 when absent.
inline double metric_sample(const std::string& scrape, const std::string& series) {
  for (std::size_t at = scrape.find(series + " "); at != std::string::npos; at = scrape.find(series + " ", at + 1)) {
    if (at == 0 || scrape[at - 1] == '\n') return std::stod(scrape.substr(at + series.size() + 1));
  }
  return -1;
}

// promtool's complaints about `text` ("" when it accepts it); nullopt when promtool is missing.
inline std::optional<std::string> promtool_problems(const std::string& text, const std::filesystem::path& dir) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  const auto file = dir / "scrape.txt";
  std::ofstream(file) << text;
  FILE* p = ::popen(("promtool check metrics < " + file.string() + " 2>&1").c_str(), "r");
  if (p == nullptr) return std::string("promtool could not be started");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = ::pclose(p);
  if (status == 0) return std::string();
  return out.empty() ? std::string("promtool failed") : out;
}

}  // namespace sanso::testing
