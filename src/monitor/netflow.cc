#include "monitor/netflow.h"

#include <algorithm>

namespace sanso::monitor {
namespace {

std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t u32(const std::uint8_t* p) { return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 | static_cast<std::uint32_t>(p[2]) << 8 | p[3]; }
std::uint64_t uint_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n && i < 8; ++i) v = v << 8 | p[i];
  return v;
}

void decode_v5(std::span<const std::uint8_t> d, std::vector<Flow>& out, DatagramResult& r) {
  constexpr std::size_t kHeader = 24, kRecord = 48;
  if (d.size() < kHeader) {
    r.problems.push_back("NetFlow v5 header truncated");
    return;
  }
  const std::uint16_t count = u16(&d[2]);
  if (count > 30 || d.size() < kHeader + kRecord * count) {
    r.problems.push_back("NetFlow v5 datagram shorter than its " + std::to_string(count) + " records");
    return;
  }
  const std::uint32_t uptime = u32(&d[4]);
  const std::int64_t secs = u32(&d[8]);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* rec = &d[kHeader + kRecord * i];
    Flow f;
    f.src = policy::ipv4_mapped(u32(rec));
    f.dst = policy::ipv4_mapped(u32(rec + 4));
    f.bytes = u32(rec + 20);
    const std::uint32_t first = u32(rec + 24);
    f.time = secs - static_cast<std::int64_t>(uptime >= first ? (uptime - first) / 1000 : 0);
    f.sport = u16(rec + 32);
    f.dport = u16(rec + 34);
    f.proto = rec[38];
    f.unidirectional = true;
    out.push_back(f);
    ++r.flows;
  }
}

// One data record by its template; false when the record runs past `end`.
bool read_record(const NetflowDecoder::Template& t, const std::uint8_t*& p, const std::uint8_t* end, std::int64_t export_time, std::uint32_t uptime,
                 bool has_uptime, Flow& f) {
  bool have_time = false;
  f = Flow{};
  f.time = export_time;
  for (const NetflowDecoder::Field& field : t.fields) {
    std::size_t len = field.length;
    if (len == 65535) {
      if (p >= end) return false;
      len = *p++;
      if (len == 255) {
        if (end - p < 2) return false;
        len = u16(p);
        p += 2;
      }
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    if (!field.enterprise) {
      switch (field.type) {
        case 1: f.bytes = uint_be(p, len); break;
        case 4: if (len == 1) f.proto = *p; break;
        case 7: if (len == 2) f.sport = u16(p); break;
        case 11: if (len == 2) f.dport = u16(p); break;
        case 8: if (len == 4) f.src = policy::ipv4_mapped(u32(p)); break;
        case 12: if (len == 4) f.dst = policy::ipv4_mapped(u32(p)); break;
        case 27:
        case 28:
          if (len == 16) {
            Address128 a = 0;
            for (int i = 0; i < 16; ++i) a = a << 8 | p[i];
            (field.type == 27 ? f.src : f.dst) = a;
          }
          break;
        case 22:  // flowStartSysUpTime (ms)
          if (has_uptime && len == 4 && !have_time) {
            const std::uint32_t first = u32(p);
            f.time = export_time - static_cast<std::int64_t>(uptime >= first ? (uptime - first) / 1000 : 0);
            have_time = true;
          }
          break;
        case 150:  // flowStartSeconds
          if (len == 4) {
            f.time = u32(p);
            have_time = true;
          }
          break;
        case 152:  // flowStartMilliseconds
          if (len == 8) {
            f.time = static_cast<std::int64_t>(uint_be(p, 8) / 1000);
            have_time = true;
          }
          break;
        default: break;
      }
    }
    p += len;
  }
  return true;
}

}  // namespace

bool NetflowDecoder::admit(const Key& key, std::string& refused) {
  if (templates_.find(key) != templates_.end()) return true;  // a refresh
  const Address128 exporter = std::get<0>(key);
  const auto held = per_exporter_.find(exporter);
  const std::size_t mine = held == per_exporter_.end() ? 0 : held->second;
  if (mine >= kMaxTemplatesPerExporter) {
    refused = "this exporter holds " + std::to_string(mine) + " templates already (at most " + std::to_string(kMaxTemplatesPerExporter) + ")";
    return false;
  }
  if (templates_.size() >= kMaxTemplates) {
    const auto largest = std::max_element(per_exporter_.begin(), per_exporter_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    if (largest == per_exporter_.end() || largest->second <= mine) {
      refused = "more than " + std::to_string(kMaxTemplates) + " templates, none held by an exporter with more than this one";
      return false;
    }
    forget(templates_.lower_bound(Key{largest->first, 0, 0})->first);
  }
  ++per_exporter_[exporter];
  return true;
}

void NetflowDecoder::forget(Key key) {
  if (templates_.erase(key) == 0) return;
  const auto held = per_exporter_.find(std::get<0>(key));
  if (held != per_exporter_.end() && --held->second == 0) per_exporter_.erase(held);
}

DatagramResult NetflowDecoder::decode(std::span<const std::uint8_t> d, Address128 exporter, std::vector<Flow>& out) {
  DatagramResult r;
  if (d.size() < 4) {
    r.problems.push_back("datagram too short for a NetFlow/IPFIX header");
    return r;
  }
  const std::uint16_t version = u16(&d[0]);
  if (version == 5) {
    decode_v5(d, out, r);
    return r;
  }
  if (version != 9 && version != 10) {
    r.problems.push_back("not NetFlow v5/v9 or IPFIX (version " + std::to_string(version) + ")");
    return r;
  }
  const bool ipfix = version == 10;
  const std::size_t header = ipfix ? 16 : 20;
  if (d.size() < header) {
    r.problems.push_back(std::string(ipfix ? "IPFIX" : "NetFlow v9") + " header truncated");
    return r;
  }
  std::size_t total = d.size();
  if (ipfix) {
    const std::uint16_t length = u16(&d[2]);
    if (length < header || length > d.size()) {
      r.problems.push_back("IPFIX message length " + std::to_string(length) + " does not match the datagram (" + std::to_string(d.size()) + " bytes)");
      return r;
    }
    total = length;
  }
  const std::uint32_t uptime = ipfix ? 0 : u32(&d[4]);
  const std::int64_t export_time = ipfix ? u32(&d[4]) : u32(&d[8]);
  const std::uint32_t domain = ipfix ? u32(&d[12]) : u32(&d[16]);
  const std::uint16_t template_set = ipfix ? 2 : 0;
  const std::uint16_t options_set = ipfix ? 3 : 1;

  std::size_t pos = header;
  while (pos + 4 <= total) {
    const std::uint16_t set_id = u16(&d[pos]);
    const std::uint16_t set_len = u16(&d[pos + 2]);
    if (set_len < 4 || pos + set_len > total) {
      r.problems.push_back("set " + std::to_string(set_id) + " at byte " + std::to_string(pos) + " claims " + std::to_string(set_len) + " bytes past the datagram's end");
      return r;
    }
    const std::uint8_t* p = &d[pos + 4];
    const std::uint8_t* end = &d[0] + pos + set_len;
    if (set_id == template_set) {
      while (end - p >= 4) {
        const std::uint16_t id = u16(p);
        const std::uint16_t count = u16(p + 2);
        p += 4;
        if (id < 256) {
          r.problems.push_back("template id " + std::to_string(id) + " is below 256");
          break;
        }
        Template t;
        bool truncated = false;
        for (std::uint16_t i = 0; i < count; ++i) {
          if (end - p < 4) {
            truncated = true;
            break;
          }
          Field f;
          f.type = u16(p);
          f.length = u16(p + 2);
          p += 4;
          if (ipfix && (f.type & 0x8000)) {
            if (end - p < 4) {
              truncated = true;
              break;
            }
            f.enterprise = true;
            f.type &= 0x7fff;
            p += 4;
          }
          if (f.length == 65535 && !ipfix) {
            truncated = true;  // variable length does not exist in v9: the template is broken
            break;
          }
          t.min_length += f.length == 65535 ? 1 : f.length;
          t.fields.push_back(f);
        }
        if (truncated || t.fields.size() > kMaxTemplateFields) {
          r.problems.push_back("template " + std::to_string(id) + " truncated or malformed (" + std::to_string(count) + " fields announced); rejected");
          break;  // the rest of the set cannot be framed
        }
        const Key key{exporter, domain, id};
        if (count == 0) {
          forget(key);  // a withdrawal (IPFIX)
          continue;
        }
        if (t.min_length == 0) {
          r.problems.push_back("template " + std::to_string(id) + " describes records of no bytes; rejected");
          continue;
        }
        if (std::string refused; !admit(key, refused)) {
          r.problems.push_back(refused + "; template " + std::to_string(id) + " ignored");
          continue;
        }
        templates_[key] = std::move(t);
      }
    } else if (set_id == options_set) {
      // Options templates describe the exporter, not flows.
    } else if (set_id >= 256) {
      auto it = templates_.find(Key{exporter, domain, set_id});
      if (it == templates_.end()) {
        ++r.records_without_template;
      } else {
        const Template& t = it->second;
        while (static_cast<std::size_t>(end - p) >= t.min_length) {
          Flow f;
          const std::uint8_t* before = p;
          if (!read_record(t, p, end, export_time, uptime, !ipfix, f)) {
            r.problems.push_back("a record of template " + std::to_string(set_id) + " runs past its set");
            break;
          }
          if (p == before) break;
          if (f.src == 0 && f.dst == 0) continue;  // a record without addresses is no flow of ours
          f.unidirectional = true;
          out.push_back(f);
          ++r.flows;
        }
      }
    } else {
      r.problems.push_back("set id " + std::to_string(set_id) + " is reserved");
    }
    pos += set_len;
  }
  return r;
}

}  // namespace sanso::monitor
