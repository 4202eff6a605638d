// NetFlow v5/v9 and IPFIX datagrams built byte by byte: flows read, templates kept per exporter,
// and hostile datagrams (truncated templates, lengths past the end, data before its template)
// rejected with a reason, never read past their end.
#include "monitor/netflow.h"

#include <gtest/gtest.h>

#include <vector>

namespace sanso::monitor {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}
void set16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint32_t ip4(const char* text) { return *policy::parse_ipv4(text); }
Address128 addr(const char* text) { return policy::parse_ip(text)->value; }

Bytes v5(std::uint16_t count) {
  Bytes b;
  put16(b, 5);
  put16(b, count);
  put32(b, 100000);      // sysuptime ms
  put32(b, 1796000000);  // unix secs
  put32(b, 0);
  put32(b, 1);
  put32(b, 0);
  for (std::uint16_t i = 0; i < count; ++i) {
    put32(b, ip4("192.0.2.10"));
    put32(b, ip4("100.64.1.1"));
    put32(b, 0);
    put32(b, 0);
    put32(b, 3);
    put32(b, 1500);   // octets
    put32(b, 90000);  // first: 10 s before export
    put32(b, 99000);
    put16(b, 50000);
    put16(b, static_cast<std::uint16_t>(443 + i));
    b.push_back(0);
    b.push_back(0x02);
    b.push_back(6);
    b.push_back(0);
    put32(b, 0);
    put32(b, 0);
  }
  return b;
}

TEST(MonitorNetflow, Version5) {
  NetflowDecoder d;
  std::vector<Flow> flows;
  auto r = d.decode(v5(2), addr("192.0.2.1"), flows);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].src, addr("192.0.2.10"));
  EXPECT_EQ(flows[0].dst, addr("100.64.1.1"));
  EXPECT_EQ(flows[1].dport, 444);
  EXPECT_EQ(flows[0].proto, kProtoTcp);
  EXPECT_EQ(flows[0].bytes, 1500u);
  EXPECT_EQ(flows[0].time, 1796000000 - 10);

  Bytes cut = v5(2);
  cut.resize(cut.size() - 1);
  flows.clear();
  r = d.decode(cut, addr("192.0.2.1"), flows);
  EXPECT_TRUE(flows.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  Bytes lying = v5(1);
  set16(lying, 2, 31);  // more records than v5 allows
  EXPECT_FALSE(d.decode(lying, addr("192.0.2.1"), flows).problems.empty());
}

// A v9 or IPFIX message: header, then the given sets.
Bytes message(bool ipfix, std::uint32_t domain, const std::vector<Bytes>& sets) {
  Bytes b;
  put16(b, ipfix ? 10 : 9);
  put16(b, ipfix ? 0 : static_cast<std::uint32_t>(sets.size()));
  if (!ipfix) put32(b, 100000);
  put32(b, 1796000000);
  put32(b, 7);
  put32(b, domain);
  for (const Bytes& s : sets) b.insert(b.end(), s.begin(), s.end());
  if (ipfix) set16(b, 2, static_cast<std::uint32_t>(b.size()));
  return b;
}

Bytes set(std::uint16_t id, const Bytes& body) {
  Bytes b;
  put16(b, id);
  put16(b, static_cast<std::uint32_t>(body.size() + 4));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// Template 256: src v4 (8), dst v4 (12), sport (7), dport (11), proto (4), octets (1, 4 bytes), start (22 or 150).
Bytes v4_template(bool ipfix) {
  Bytes t;
  put16(t, 256);
  put16(t, 7);
  for (auto [type, len] : std::vector<std::pair<int, int>>{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {ipfix ? 150 : 22, 4}}) {
    put16(t, static_cast<std::uint32_t>(type));
    put16(t, static_cast<std::uint32_t>(len));
  }
  return t;
}

Bytes v4_record(const char* src, const char* dst, std::uint16_t dport, std::uint32_t start) {
  Bytes r;
  put32(r, ip4(src));
  put32(r, ip4(dst));
  put16(r, 40000);
  put16(r, dport);
  r.push_back(6);
  put32(r, 777);
  put32(r, start);
  return r;
}

TEST(MonitorNetflow, Version9TemplatesArePerExporter) {
  NetflowDecoder d;
  std::vector<Flow> flows;
  // Data before its template: counted, not guessed at.
  auto r = d.decode(message(false, 1, {set(256, v4_record("192.0.2.10", "100.64.1.1", 443, 95000))}), addr("192.0.2.1"), flows);
  EXPECT_EQ(r.records_without_template, 1u);
  EXPECT_TRUE(flows.empty());

  Bytes data = v4_record("192.0.2.10", "100.64.1.1", 443, 95000);
  const Bytes second = v4_record("198.51.100.20", "203.0.113.25", 443, 99000);
  data.insert(data.end(), second.begin(), second.end());
  data.push_back(0);  // padding to a 4-byte boundary
  data.push_back(0);
  r = d.decode(message(false, 1, {set(0, v4_template(false)), set(256, data)}), addr("192.0.2.1"), flows);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].src, addr("192.0.2.10"));
  EXPECT_EQ(flows[0].dport, 443);
  EXPECT_EQ(flows[0].bytes, 777u);
  EXPECT_EQ(flows[0].time, 1796000000 - 5);
  EXPECT_EQ(flows[1].dst, addr("203.0.113.25"));

  // Another exporter, or another source id, has not sent template 256.
  flows.clear();
  EXPECT_EQ(d.decode(message(false, 1, {set(256, data)}), addr("192.0.2.2"), flows).records_without_template, 1u);
  EXPECT_EQ(d.decode(message(false, 2, {set(256, data)}), addr("192.0.2.1"), flows).records_without_template, 1u);
  EXPECT_TRUE(flows.empty());
  EXPECT_EQ(d.decode(message(false, 1, {set(256, data)}), addr("192.0.2.1"), flows).flows, 2u);
}

TEST(MonitorNetflow, IpfixWithIpv6AndVariableLengthFields) {
  NetflowDecoder d;
  Bytes t;
  put16(t, 300);
  put16(t, 5);
  for (auto [type, len] : std::vector<std::pair<int, int>>{{27, 16}, {28, 16}, {11, 2}, {4, 1}, {82, 65535}}) {  // 82: interfaceName, variable
    put16(t, static_cast<std::uint32_t>(type));
    put16(t, static_cast<std::uint32_t>(len));
  }
  Bytes enterprise_t;  // an enterprise field (bit 15 and a 4-byte number) must be skipped correctly
  put16(enterprise_t, 301);
  put16(enterprise_t, 2);
  put16(enterprise_t, 0x8001);
  put16(enterprise_t, 4);
  put32(enterprise_t, 29305);
  put16(enterprise_t, 8);
  put16(enterprise_t, 4);
  t.insert(t.end(), enterprise_t.begin(), enterprise_t.end());
  Bytes rec;
  for (Address128 a : {addr("2001:db8:30::9"), addr("2001:db8:ffff::1")}) {
    for (int i = 15; i >= 0; --i) rec.push_back(static_cast<std::uint8_t>(a >> (8 * i)));
  }
  put16(rec, 22);
  rec.push_back(6);
  rec.push_back(4);
  for (char c : std::string("eth0")) rec.push_back(static_cast<std::uint8_t>(c));
  Bytes rec2;
  put32(rec2, 0xdeadbeef);
  put32(rec2, ip4("192.0.2.77"));
  std::vector<Flow> flows;
  auto r = d.decode(message(true, 9, {set(2, t), set(300, rec), set(301, rec2)}), addr("192.0.2.1"), flows);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].src, addr("2001:db8:30::9"));
  EXPECT_EQ(flows[0].dst, addr("2001:db8:ffff::1"));
  EXPECT_EQ(flows[0].dport, 22);
  EXPECT_EQ(flows[0].time, 1796000000);  // no start time in the record: the export time
  EXPECT_EQ(flows[1].src, addr("192.0.2.77"));
  EXPECT_EQ(d.template_count(), 2u);

  // A withdrawal (field count 0) removes it.
  Bytes withdraw;
  put16(withdraw, 300);
  put16(withdraw, 0);
  flows.clear();
  r = d.decode(message(true, 9, {set(2, withdraw), set(300, rec)}), addr("192.0.2.1"), flows);
  EXPECT_EQ(r.records_without_template, 1u);
  EXPECT_EQ(d.template_count(), 1u);
}

// `count` one-field IPFIX templates (ids from `first`) in one message: 8 bytes each.
Bytes template_flood(std::uint16_t first, std::size_t count) {
  Bytes body;
  for (std::size_t i = 0; i < count; ++i) {
    put16(body, static_cast<std::uint32_t>(first + i));
    put16(body, 1);
    put16(body, 8);
    put16(body, 4);
  }
  return message(true, 1, {set(2, body)});
}

// Whether `exporter`'s template 256 is kept and its data read.
bool reads_flows_of(NetflowDecoder& d, const char* exporter) {
  std::vector<Flow> flows;
  d.decode(message(true, 1, {set(2, v4_template(true)), set(256, v4_record("192.0.2.10", "100.64.1.1", 443, 1796000000))}), addr(exporter), flows);
  return flows.size() == 1;
}

TEST(MonitorNetflow, OneExporterCannotFillTheTemplateTableForTheOthers) {
  NetflowDecoder d;
  std::vector<Flow> flows;
  // One datagram of 5000 templates from one address.
  auto r = d.decode(template_flood(256, 5000), addr("192.0.2.66"), flows);
  EXPECT_FALSE(r.problems.empty());
  EXPECT_EQ(d.template_count(), kMaxTemplatesPerExporter);
  EXPECT_TRUE(reads_flows_of(d, "192.0.2.1")) << "the real exporter's template was refused";
  EXPECT_TRUE(reads_flows_of(d, "192.0.2.66")) << "a refresh of a template already held is no new one";

  // Posing as many exporters, each within its share, fills the table: a newcomer still gets in,
  // in the place of one template of the exporter that holds the most.
  NetflowDecoder full;
  for (int i = 0; i < 17; ++i) full.decode(template_flood(256, kMaxTemplatesPerExporter), addr(("198.51.100." + std::to_string(i)).c_str()), flows);
  EXPECT_EQ(full.template_count(), kMaxTemplates);
  EXPECT_TRUE(reads_flows_of(full, "192.0.2.1"));
  EXPECT_EQ(full.template_count(), kMaxTemplates);
}

TEST(MonitorNetflow, HostileDatagramsAreRejectedWithAReason) {
  NetflowDecoder d;
  std::vector<Flow> flows;
  // A template announcing more fields than its set holds.
  Bytes t = v4_template(false);
  set16(t, 2, 40);
  auto r = d.decode(message(false, 1, {set(0, t)}), addr("192.0.2.1"), flows);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("truncated"), std::string::npos);
  EXPECT_EQ(d.template_count(), 0u);
  // A set longer than the datagram.
  Bytes m = message(false, 1, {set(0, v4_template(false))});
  set16(m, 22, 4000);
  r = d.decode(m, addr("192.0.2.1"), flows);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("past the datagram"), std::string::npos);
  // A set shorter than its own header would loop forever if accepted.
  m = message(false, 1, {set(0, v4_template(false))});
  set16(m, 22, 0);
  EXPECT_FALSE(d.decode(m, addr("192.0.2.1"), flows).problems.empty());
  // Records of no bytes.
  Bytes empty_t;
  put16(empty_t, 257);
  put16(empty_t, 1);
  put16(empty_t, 8);
  put16(empty_t, 0);
  EXPECT_FALSE(d.decode(message(false, 1, {set(0, empty_t)}), addr("192.0.2.1"), flows).problems.empty());
  // An IPFIX length that disagrees with the datagram; variable length in v9.
  Bytes ipfix = message(true, 1, {set(2, v4_template(true))});
  set16(ipfix, 2, static_cast<std::uint32_t>(ipfix.size() + 10));
  EXPECT_FALSE(d.decode(ipfix, addr("192.0.2.1"), flows).problems.empty());
  // A record whose variable-length field runs past its set.
  Bytes vt;
  put16(vt, 258);
  put16(vt, 2);
  put16(vt, 8);
  put16(vt, 4);
  put16(vt, 82);
  put16(vt, 65535);
  Bytes vr;
  put32(vr, ip4("192.0.2.5"));
  vr.push_back(200);  // claims 200 bytes
  vr.push_back('x');
  r = d.decode(message(true, 1, {set(2, vt), set(258, vr)}), addr("192.0.2.1"), flows);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("runs past"), std::string::npos);
  EXPECT_TRUE(flows.empty());
  // Every truncation of a valid datagram: no crash, no flow read from beyond the end.
  Bytes good = message(false, 1, {set(0, v4_template(false)), set(256, v4_record("192.0.2.10", "100.64.1.1", 443, 95000))});
  for (std::size_t n = 0; n < good.size(); ++n) {
    NetflowDecoder fresh;
    std::vector<Flow> out;
    fresh.decode(std::span(good.data(), n), addr("192.0.2.1"), out);
    EXPECT_TRUE(out.empty()) << n;
  }
}

}  // namespace
}  // namespace sanso::monitor
