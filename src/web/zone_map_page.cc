// The zone map (docs/monitor.md): the policy's zones, the edges the policy sanctions (an endpoint
// in one zone serving hosts of another), and the edges open findings say were crossed, drawn
// highlighted with their count and worst severity, each linking to the findings list filtered
// to that pair. Server-rendered SVG: the console's CSP allows no script, and SVG's presentation
// attributes (stroke, fill) are not inline styles, so the page draws under it unchanged.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <map>
#include <set>

#include "core/log.h"
#include "core/text.h"
#include "monitor/detector.h"
#include "monitor/finding_store.h"
#include "policy/policy.h"
#include "web/console.h"
#include "web/internal/console_server.h"
#include "web/internal/findings_page.h"

namespace sanso::web {

using namespace internal;
using nlohmann::json;

namespace internal {

const Wording& zone_map_wording() {
  static const Wording kWords = {
      {"zm_title", {"領域マップ", "Zone map"}},
      {"zm_caption",
       {"ポリシーの領域と認められた経路（緑の破線）。未確認の検知がある経路を赤（重大）または橙（警告）で示し、件数を添えます。線を選ぶと、その組の検知の一覧が開きます。",
        "The policy's zones and its sanctioned paths (green, dashed). Paths with open findings are drawn red (deny) or orange (warning) "
        "with their count; choosing one opens the list of that pair's findings."}},
      {"zm_broken", {"未確認の検知がある経路", "Paths with open findings"}},
      {"zm_sanctioned", {"認められた経路（ポリシーのエンドポイント）", "Sanctioned paths (the policy's endpoints)"}},
      {"zm_none_broken", {"未確認の検知はありません。", "No open findings."}},
      {"zm_none_sanctioned", {"ポリシーにエンドポイントがありません。", "The policy names no endpoints."}},
      {"zm_pair", {"送信元 → 宛先", "Source → destination"}},
      {"zm_findings", {"件数", "Findings"}},
      {"zm_flows", {"通信の回数", "Flows"}},
      {"zm_worst", {"最も重い区分", "Worst severity"}},
      {"zm_rules", {"規則（条項）", "Rules (clause)"}},
      {"zm_endpoint", {"エンドポイント", "Endpoint"}},
      {"zm_deny", {"重大", "Deny"}},
      {"zm_warn", {"警告", "Warning"}},
      {"zm_count_suffix", {"件", " open"}},
      {"zm_list", {"検知の一覧", "The findings list"}},
      {"zm_no_policy", {"この画面にはポリシーが読み込まれていないため、検知にある領域だけを示します。",
                        "No policy is loaded here: only the zones named by findings are shown."}},
      {"zm_external", {"外部（インターネット）", "External (the internet)"}},
      {"zm_unzoned", {"どの領域にも属さない市のアドレス", "City addresses in no zone"}},
      {"zm_local", {"ローカル", "Local"}},
  };
  return kWords;
}

const Templates& zone_map_templates() {
  static const Templates kPages = {
      {PageTemplate::kZoneMap, R"html(<p class="hint">{{t.zm_caption}}</p>
{{#no_policy}}<p class="hint" id="no-policy">{{t.zm_no_policy}}</p>{{/no_policy}}
<svg id="zone-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}" role="img" aria-labelledby="zone-map-title">
<title id="zone-map-title">{{t.zm_title}}</title>
<defs>
<marker id="arrow-ok" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2e7d32"/></marker>
<marker id="arrow-deny" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker>
<marker id="arrow-warn" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#ef6c00"/></marker>
</defs>
{{#sanctioned}}{{#drawn}}<g class="edge sanctioned" data-src="{{src}}" data-dst="{{dst}}"><title>{{src}} → {{dst}}: {{label}}</title>
<path d="{{path}}" fill="none" stroke="#2e7d32" stroke-width="2" stroke-dasharray="6 4" marker-end="url(#arrow-ok)"/></g>
{{/drawn}}{{/sanctioned}}{{#zones}}<g class="zone" data-zone="{{id}}"><title>{{name}} ({{id}})</title>
<rect x="{{box_x}}" y="{{box_y}}" width="{{box_w}}" height="{{box_h}}" rx="10" fill="{{fill}}" stroke="#37474f" stroke-width="1.5"/>
<text x="{{x}}" y="{{name_y}}" text-anchor="middle" font-size="13">{{name}}</text>
<text x="{{x}}" y="{{id_y}}" text-anchor="middle" font-size="11" fill="#546e7a">{{id}}</text></g>
{{/zones}}{{#broken}}{{#drawn}}<a href="{{href}}" class="edge broken" id="edge-{{index}}" data-src="{{src}}" data-dst="{{dst}}" data-severity="{{severity}}" data-findings="{{findings}}"><title>{{src}} → {{dst}}: {{findings}}{{t.zm_count_suffix}} ({{severity_label}}) {{rules}}</title>
<path d="{{path}}" fill="none" stroke="{{colour}}" stroke-width="4" marker-end="url(#arrow-{{severity}})"/>
<circle cx="{{label_x}}" cy="{{label_y}}" r="13" fill="{{colour}}"/>
<text x="{{label_x}}" y="{{label_text_y}}" text-anchor="middle" font-size="12" fill="#ffffff">{{findings_short}}</text></a>
{{/drawn}}{{/broken}}</svg>
<h2>{{t.zm_broken}}</h2>
{{^has_broken}}<p id="no-broken">{{t.zm_none_broken}}</p>{{/has_broken}}
{{#has_broken}}<table id="broken-edges"><tr><th>{{t.zm_pair}}</th><th>{{t.zm_findings}}</th><th>{{t.zm_flows}}</th><th>{{t.zm_worst}}</th><th>{{t.zm_rules}}</th></tr>
{{#broken}}<tr class="broken-edge" data-src="{{src}}" data-dst="{{dst}}" data-severity="{{severity}}"><td><a href="{{href}}">{{src_name}} → {{dst_name}}</a></td><td class="findings">{{findings}}</td><td>{{occurrences}}</td><td class="severity">{{severity_label}}</td><td>{{rules}}</td></tr>
{{/broken}}</table>{{/has_broken}}
<h2>{{t.zm_sanctioned}}</h2>
{{^has_sanctioned}}<p>{{t.zm_none_sanctioned}}</p>{{/has_sanctioned}}
{{#has_sanctioned}}<table id="sanctioned-edges"><tr><th>{{t.zm_pair}}</th><th>{{t.zm_endpoint}}</th></tr>
{{#sanctioned}}<tr><td>{{src_name}} → {{dst_name}}</td><td>{{label}}</td></tr>
{{/sanctioned}}</table>{{/has_sanctioned}}
<p><a href="/monitor/findings">{{t.zm_list}}</a></p>
)html"},
  };
  return kPages;
}

}  // namespace internal

namespace {

constexpr double kWidth = 760, kHeight = 520, kBoxW = 150, kBoxH = 46;
constexpr std::size_t kMaxDrawnZones = 48;  // beyond this the map would be unreadable; the tables still list every edge

struct Point {
  double x = 0, y = 0;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A path from box a to box b: a straight line from border to border, bent to one side when
// `bend` (so that a → b and b → a are two lines, not one), or a loop above the box for a → a.
std::string edge_path(Point a, Point b, double bend, Point* label) {
  if (std::abs(a.x - b.x) < 0.5 && std::abs(a.y - b.y) < 0.5) {
    const double top = a.y - kBoxH / 2;
    *label = {a.x, top - 34};
    return "M" + number(a.x - 20) + "," + number(top) + " C" + number(a.x - 45) + "," + number(top - 55) + " " + number(a.x + 45) + "," +
           number(top - 55) + " " + number(a.x + 20) + "," + number(top);
  }
  const double dx = b.x - a.x, dy = b.y - a.y, length = std::hypot(dx, dy);
  // Leave each box where the line crosses its border.
  auto border = [&](double ux, double uy) {
    const double tx = ux != 0 ? (kBoxW / 2) / std::abs(ux) : 1e9, ty = uy != 0 ? (kBoxH / 2) / std::abs(uy) : 1e9;
    return std::min(tx, ty) + 4;
  };
  const double ux = dx / length, uy = dy / length;
  const double cut = border(ux, uy);
  const Point from{a.x + ux * cut, a.y + uy * cut}, to{b.x - ux * cut, b.y - uy * cut};
  const Point control{(from.x + to.x) / 2 - uy * bend, (from.y + to.y) / 2 + ux * bend};
  *label = {(from.x + 2 * control.x + to.x) / 4, (from.y + 2 * control.y + to.y) / 4};
  return "M" + number(from.x) + "," + number(from.y) + " Q" + number(control.x) + "," + number(control.y) + " " + number(to.x) + "," + number(to.y);
}

bool rule_denies(const std::string& rule) {
  for (int i = 0; i < monitor::kRuleCount; ++i) {
    const auto& r = monitor::info(static_cast<monitor::Rule>(i));
    if (r.id == rule) return r.deny;
  }
  return true;  // a rule this console does not know: shown as the worse, never played down
}

std::string rule_clause(const std::string& rule) {
  for (int i = 0; i < monitor::kRuleCount; ++i) {
    const auto& r = monitor::info(static_cast<monitor::Rule>(i));
    if (r.id == rule) return std::string(r.clause);
  }
  return "?";
}

struct BrokenEdge {
  std::int64_t findings = 0, occurrences = 0;
  bool deny = false;
  std::vector<std::string> rules;
};

// What the zone map template draws: the boxes, the sanctioned and the broken edges.
json zone_map_values(const policy::Policy* policy, const std::vector<monitor::OpenEdge>& open, Lang lang) {
  // The zones in the policy's order, then the places the monitor names that are no zone, then
  // any other zone a stored finding names (a zone since removed from the policy).
  std::vector<std::string> ids;
  std::map<std::string, std::string> names;
  auto add = [&](const std::string& id, const std::string& name) {
    if (names.emplace(id, name).second) ids.push_back(id);
  };
  if (policy != nullptr) {
    for (const auto& z : policy->zones) add(z.id, z.name.in(lang == Lang::kEn ? "en" : "ja"));
  }
  add("(external)", wording(lang, "zm_external"));
  std::map<std::pair<std::string, std::string>, BrokenEdge> broken;
  for (const auto& e : open) {
    BrokenEdge& b = broken[{e.src_zone, e.dst_zone}];
    b.findings += e.findings;
    b.occurrences += e.occurrences;
    b.deny = b.deny || rule_denies(e.rule);
    b.rules.push_back(visible_text(e.rule) + " (" + rule_clause(e.rule) + ")");
    for (const std::string* z : {&e.src_zone, &e.dst_zone}) {
      const char* key = *z == "(unzoned)" ? "zm_unzoned" : *z == "(local)" ? "zm_local" : nullptr;
      add(*z, key != nullptr ? wording(lang, key) : visible_text(*z));
    }
  }

  // Boxes on an ellipse, the first zone at the top, in the policy's order clockwise.
  std::map<std::string, Point> at;
  const std::size_t drawn = std::min(ids.size(), kMaxDrawnZones);
  json zones = json::array();
  for (std::size_t i = 0; i < drawn; ++i) {
    const double angle = -std::numbers::pi / 2 + 2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(drawn);
    const Point p{kWidth / 2 + (kWidth / 2 - kBoxW / 2 - 20) * std::cos(angle), kHeight / 2 + (kHeight / 2 - kBoxH / 2 - 50) * std::sin(angle)};
    at[ids[i]] = p;
    const bool place = ids[i].starts_with("(");
    zones.push_back({{"id", visible_text(ids[i])},
                     {"name", names[ids[i]]},
                     {"x", number(p.x)},
                     {"name_y", number(p.y - 3)},
                     {"id_y", number(p.y + 14)},
                     {"box_x", number(p.x - kBoxW / 2)},
                     {"box_y", number(p.y - kBoxH / 2)},
                     {"box_w", number(kBoxW)},
                     {"box_h", number(kBoxH)},
                     {"fill", ids[i] == "mynumber" ? "#e3f2fd" : place ? "#f5f5f5" : "#fffde7"}});
  }
  auto name_of = [&](const std::string& id) { return names.count(id) != 0 ? names[id] : visible_text(id); };
  // Two edges between the same zones, one each way, bend to opposite sides.
  auto bend_for = [&](const std::string& a, const std::string& b, bool other_way_too) { return other_way_too ? (a < b ? 28.0 : -28.0) : 0.0; };

  // Sanctioned: an endpoint in zone Z serves hosts of each of its `from` zones (none named: every
  // zone but mynumber, as the address plan reads it).
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> sanctioned_edges;
  if (policy != nullptr) {
    for (const auto& ep : policy->endpoints) {
      std::vector<std::string> from = ep.from;
      if (from.empty()) {
        for (const auto& z : policy->zones) {
          if (z.id != "mynumber" && z.id != ep.zone) from.push_back(z.id);
        }
      }
      std::string ports;
      for (const auto port : ep.ports) ports += (ports.empty() ? ":" : ",") + std::to_string(port);
      for (const auto& f : from) {
        if (f == ep.zone) continue;  // inside one zone: no boundary to draw
        sanctioned_edges[{f, ep.zone}].push_back(ep.name.in(lang == Lang::kEn ? "en" : "ja") + " (" + ep.address + ports + "/" + ep.protocol + ")");
      }
    }
  }
  json sanctioned = json::array();
  for (const auto& [pair, labels] : sanctioned_edges) {
    std::string label;
    for (const auto& l : labels) label += (label.empty() ? "" : "; ") + l;
    json edge = {{"src", visible_text(pair.first)}, {"dst", visible_text(pair.second)}, {"src_name", name_of(pair.first)},
                 {"dst_name", name_of(pair.second)}, {"label", label}};
    if (at.count(pair.first) != 0 && at.count(pair.second) != 0) {
      Point label_at;
      const bool both = sanctioned_edges.count({pair.second, pair.first}) != 0 || broken.count(pair) != 0 || broken.count({pair.second, pair.first}) != 0;
      edge["path"] = edge_path(at[pair.first], at[pair.second], bend_for(pair.first, pair.second, both) * (broken.count(pair) != 0 ? 2 : 1), &label_at);
      edge["drawn"] = true;
    }
    sanctioned.push_back(edge);
  }

  json broken_rows = json::array();
  int index = 0;
  for (const auto& [pair, b] : broken) {
    std::string rules;
    for (const auto& r : b.rules) rules += (rules.empty() ? "" : ", ") + r;
    const char* severity = b.deny ? "deny" : "warn";
    json edge = {{"index", ++index},
                 {"src", visible_text(pair.first)},
                 {"dst", visible_text(pair.second)},
                 {"src_name", name_of(pair.first)},
                 {"dst_name", name_of(pair.second)},
                 {"findings", std::to_string(b.findings)},
                 {"findings_short", b.findings > 999 ? std::string("999+") : std::to_string(b.findings)},
                 {"occurrences", std::to_string(b.occurrences)},
                 {"severity", severity},
                 {"severity_label", wording(lang, b.deny ? "zm_deny" : "zm_warn")},
                 {"colour", b.deny ? "#c62828" : "#ef6c00"},
                 {"rules", rules},
                 {"href", "/monitor/findings?state=open&src_zone=" + httplib::detail::encode_query_param(pair.first) +
                              "&dst_zone=" + httplib::detail::encode_query_param(pair.second)}};
    if (at.count(pair.first) != 0 && at.count(pair.second) != 0) {
      Point label_at;
      const bool both = broken.count({pair.second, pair.first}) != 0 || sanctioned_edges.count({pair.second, pair.first}) != 0;
      edge["path"] = edge_path(at[pair.first], at[pair.second], bend_for(pair.first, pair.second, both), &label_at);
      edge["drawn"] = true;
      edge["label_x"] = number(label_at.x);
      edge["label_y"] = number(label_at.y);
      edge["label_text_y"] = number(label_at.y + 4);
    }
    broken_rows.push_back(edge);
  }
  return {{"width", number(kWidth)},
          {"height", number(kHeight)},
          {"no_policy", policy == nullptr},
          {"zones", zones},
          {"sanctioned", sanctioned},
          {"has_sanctioned", !sanctioned.empty()},
          {"broken", broken_rows},
          {"has_broken", !broken_rows.empty()}};
}

}  // namespace

void Console::Impl::zone_map_routes() {
  server->Get("/monitor/zones", signed_in(needs({Permission::kFindings},
                                    [this](const httplib::Request& req, httplib::Response& res, const Context& ctx) {
                                      std::vector<monitor::OpenEdge> open;
                                      auto read = [&]() -> Result<void> {
                                        auto db = services.store.use();
                                        open = SANSO_TRY(monitor::open_finding_edges(*db));
                                        return ok();
                                      }();
                                      if (!read) {
                                        log::error("web: reading the zone map's findings: " + read.error().to_string());
                                        return send_error(req, res, &ctx, ctx.lang, 500, "err_internal");
                                      }
                                      send_page(res, 200, ctx.lang, frame(req, wording(ctx.lang, "zm_title"), &ctx),
                                                render_page(PageTemplate::kZoneMap, ctx.lang, zone_map_values(services.policy, open, ctx.lang)));
                                    }),
                                    false));
}

}  // namespace sanso::web
