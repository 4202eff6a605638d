// NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams → Flow, as a collector such
// as nfcapd reads them. Templates are kept per exporter (its address and source id /
// observation domain), so two exporters reusing a template id never read each other's records.
// Every length is checked before it is used: a truncated template or record is rejected whole
// with a reason, and data for a template not yet seen is counted, not guessed at.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "monitor/flow.h"

namespace sanso::monitor {

struct DatagramResult {
  std::size_t flows = 0;
  std::size_t records_without_template = 0;
  std::vector<std::string> problems;  // why parts were rejected; empty when all was read
};

class NetflowDecoder {
 public:
  // Appends the datagram's flows to `out`. A record that carries no start time gets the
  // datagram's export time.
  DatagramResult decode(std::span<const std::uint8_t> datagram, Address128 exporter, std::vector<Flow>& out);
  std::size_t template_count() const { return templates_.size(); }

  struct Field {
    std::uint16_t type = 0;
    std::uint16_t length = 0;  // 65535: variable (IPFIX)
    bool enterprise = false;
  };
  struct Template {
    std::vector<Field> fields;
    std::size_t min_length = 0;  // of one record, variable fields counted as 1 byte
  };

 private:
  using Key = std::tuple<Address128, std::uint32_t, std::uint16_t>;  // exporter, domain, template id
  // Whether a new template of key's exporter may be kept (making room if need be); why not in `refused`.
  bool admit(const Key& key, std::string& refused);
  void forget(Key key);
  std::map<Key, Template> templates_;
  std::map<Address128, std::size_t> per_exporter_;  // templates_ held per exporter address
};

// Limits that keep a hostile exporter from growing the collector without bound.
inline constexpr std::size_t kMaxTemplates = 4096;
inline constexpr std::size_t kMaxTemplateFields = 512;
// One exporter's share: real ones use a handful of templates. Without it one datagram of 4096
// one-field templates filled the table for good, and every other exporter's templates (after a
// restart, or when they change) were refused: their flows were never read. When the table is full
// anyway (senders posing as many addresses), a new template takes the place of one held by the
// exporter that holds the most, if it holds more than the newcomer.
inline constexpr std::size_t kMaxTemplatesPerExporter = 256;

}  // namespace sanso::monitor
