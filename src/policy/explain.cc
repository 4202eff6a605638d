#include "policy/explain.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace sanso::policy {
namespace {

std::string_view action_label(Action a, std::string_view lang) { return lang == "en" ? to_string(a) : label_ja(a); }
std::string_view channel_label(Channel c, std::string_view lang) { return lang == "en" ? to_string(c) : label_ja(c); }

const std::string& zone_name(const CompiledPolicy& c, int z, std::string_view lang) { return c.policy().zones[z].name.in(lang); }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// "機密性 1, 2 / 役割: 情報セキュリティ管理者" — the requests an outcome applies to.
std::string condition(const CompiledPolicy& c, const Outcome& o, std::string_view lang) {
  std::vector<std::string> parts;
  if (!o.all_levels) {
    std::vector<std::string> ids;
    for (int l : o.levels) ids.push_back(c.policy().scheme.confidentiality.levels[l].id);
    parts.push_back((lang == "en" ? "confidentiality " : "機密性 ") + join(ids, ", "));
  }
  if (!o.all_roles) {
    std::vector<std::string> names;
    for (int r : o.roles) names.push_back(r < 0 ? (lang == "en" ? "(no role)" : "（役割指定なし）") : c.policy().roles[r].name.in(lang));
    parts.push_back((lang == "en" ? "roles: " : "役割: ") + join(names, ", "));
  }
  if (parts.empty()) return lang == "en" ? "all requests" : "すべて";
  return join(parts, " / ");
}

std::string escape_xml(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace

Action ExplainCell::most_permissive() const {
  Action best = Action::kDeny;
  for (const Outcome& o : outcomes) best = std::min(best, o.action);
  return best;
}

std::vector<ExplainCell> explain(const CompiledPolicy& c) {
  std::vector<ExplainCell> cells;
  const int levels = c.level_count();
  const int roles = c.role_count();
  for (int f = 0; f < c.zone_count(); ++f) {
    for (int t = 0; t < c.zone_count(); ++t) {
      for (int ch = 0; ch < kChannelCount; ++ch) {
        ExplainCell cell{f, t, static_cast<Channel>(ch), {}};
        for (int l = 0; l < levels; ++l) {
          for (int r = -1; r < roles; ++r) {
            Decision d = c.decide(Request{f, t, static_cast<Channel>(ch), l, r});
            auto it = std::find_if(cell.outcomes.begin(), cell.outcomes.end(), [&](const Outcome& o) { return o.rule == d.rule; });
            if (it == cell.outcomes.end()) {
              cell.outcomes.push_back(Outcome{d.action, d.rule, d.is_default, {}, {}, false, false});
              it = cell.outcomes.end() - 1;
            }
            if (std::find(it->levels.begin(), it->levels.end(), l) == it->levels.end()) it->levels.push_back(l);
            if (std::find(it->roles.begin(), it->roles.end(), r) == it->roles.end()) it->roles.push_back(r);
          }
        }
        for (Outcome& o : cell.outcomes) {
          std::sort(o.levels.begin(), o.levels.end());
          std::sort(o.roles.begin(), o.roles.end());
          o.all_levels = static_cast<int>(o.levels.size()) == levels;
          o.all_roles = static_cast<int>(o.roles.size()) == roles + 1;
          // An outcome reached by every role at some levels is a level condition only.
          if (!o.all_roles && cell.outcomes.size() > 1) {
            bool every_role_at_its_levels = true;
            for (int l : o.levels) {
              for (int r = -1; r < roles && every_role_at_its_levels; ++r) {
                every_role_at_its_levels = c.decide(Request{f, t, static_cast<Channel>(ch), l, r}).rule == o.rule;
              }
            }
            if (every_role_at_its_levels) o.all_roles = true;
          }
        }
        cells.push_back(std::move(cell));
      }
    }
  }
  return cells;
}

std::string render_explain_text(const CompiledPolicy& c, const std::vector<ExplainCell>& cells, std::string_view lang,
                                bool cross_zone_only) {
  const bool en = lang == "en";
  std::vector<std::vector<std::string>> rows;
  rows.push_back(en ? std::vector<std::string>{"From", "To", "Channel", "Action", "Rule", "Clause", "Reason", "Applies to"}
                    : std::vector<std::string>{"送信元", "送信先", "経路", "判定", "ルール", "条項", "理由", "対象"});
  for (const ExplainCell& cell : cells) {
    if (cross_zone_only && cell.from == cell.to) continue;
    for (const Outcome& o : cell.outcomes) {
      std::string action(action_label(o.action, lang));
      if (o.action == Action::kApprove && !o.rule->approver.empty()) {
        const Role* approver = c.policy().find_role(o.rule->approver);
        action += en ? " by " : "（";
        action += approver ? approver->name.in(lang) : o.rule->approver;
        if (!en) action += "）";
      }
      rows.push_back({zone_name(c, cell.from, lang), zone_name(c, cell.to, lang), std::string(channel_label(cell.channel, lang)), action,
                      o.rule->id, o.rule->clause, o.rule->reason.in(lang), condition(c, o, lang)});
    }
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i + 1 < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  const Policy& p = c.policy();
  std::string out;
  out += en ? fmt::format("Flow table of {} (profile {}, scheme {}, as of {})\n", p.municipality.name.in(lang), to_string(p.profile), p.scheme.id,
                          c.as_of().to_string())
            : fmt::format("{} 通信判定表（モデル {}、分類 {}、{} 時点）\n", p.municipality.name.ja, to_string(p.profile), p.scheme.id,
                          c.as_of().to_string());
  out += en ? "Precedence: exception in force > deny > approve > sanitize > allow; no matching rule → deny.\n\n"
            : "優先順位：有効な例外措置 ＞ 拒否 ＞ 承認要 ＞ 無害化 ＞ 許可。該当ルールなしは拒否。\n\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      line += i + 1 < rows[r].size() ? pad_to_width(rows[r][i], widths[i]) + "  " : rows[r][i];
    }
    out += line + "\n";
    if (r == 0) {
      std::size_t total = 0;
      for (std::size_t i = 0; i + 1 < widths.size(); ++i) total += widths[i] + 2;
      out += std::string(total + 8, '-') + "\n";
    }
  }
  return out;
}

std::string render_explain_json(const CompiledPolicy& c, const std::vector<ExplainCell>& cells, bool cross_zone_only) {
  nlohmann::json out = nlohmann::json::array();
  const Policy& p = c.policy();
  for (const ExplainCell& cell : cells) {
    if (cross_zone_only && cell.from == cell.to) continue;
    for (const Outcome& o : cell.outcomes) {
      nlohmann::json levels = nlohmann::json::array(), roles = nlohmann::json::array();
      for (int l : o.levels) levels.push_back(p.scheme.confidentiality.levels[l].id);
      for (int r : o.roles) roles.push_back(r < 0 ? nlohmann::json(nullptr) : nlohmann::json(p.roles[r].id));
      out.push_back({{"from", p.zones[cell.from].id},
                     {"to", p.zones[cell.to].id},
                     {"channel", to_string(cell.channel)},
                     {"action", to_string(o.action)},
                     {"rule", o.rule->id},
                     {"clause", o.rule->clause},
                     {"reason", o.rule->reason.ja},
                     {"reason_en", o.rule->reason.en},
                     {"approver", o.rule->approver},
                     {"default", o.is_default},
                     {"confidentiality", o.all_levels ? nlohmann::json("*") : levels},
                     {"roles", o.all_roles ? nlohmann::json("*") : roles}});
    }
  }
  return out.dump(2) + "\n";
}

std::string render_zone_map_svg(const CompiledPolicy& c, std::string_view lang) {
  const Policy& p = c.policy();
  const bool en = lang == "en";
  // Column order: mynumber, lgwan, the city's own zones, internet — the layers as drawn in the guideline.
  std::vector<int> order;
  auto push = [&](std::string_view id) {
    if (auto z = c.zone_index(id)) order.push_back(*z);
  };
  push(kZoneMynumber);
  push(kZoneLgwan);
  for (int z = 0; z < c.zone_count(); ++z) {
    const std::string& id = p.zones[z].id;
    if (id != kZoneMynumber && id != kZoneLgwan && id != kZoneInternet) order.push_back(z);
  }
  push(kZoneInternet);
  std::map<int, int> column;
  for (std::size_t i = 0; i < order.size(); ++i) column[order[i]] = static_cast<int>(i);

  // Arrows: one per (from, to, action) with the channels that get that action at best.
  struct Arrow {
    int from, to;
    Action action;
    std::vector<std::string> channels;
  };
  std::vector<Arrow> arrows;
  std::vector<ExplainCell> cells = explain(c);
  for (const ExplainCell& cell : cells) {
    if (cell.from == cell.to) continue;
    const Action a = cell.most_permissive();
    if (a == Action::kDeny) continue;
    auto it = std::find_if(arrows.begin(), arrows.end(), [&](const Arrow& x) { return x.from == cell.from && x.to == cell.to && x.action == a; });
    if (it == arrows.end()) {
      arrows.push_back({cell.from, cell.to, a, {}});
      it = arrows.end() - 1;
    }
    it->channels.emplace_back(channel_label(cell.channel, lang));
  }

  constexpr int kColW = 250, kGap = 210, kMargin = 40, kTop = 170, kHeader = 62, kSysH = 30;
  std::size_t max_systems = 0;
  for (int z : order) {
    std::size_t n = std::count_if(p.systems.begin(), p.systems.end(), [&](const System& s) { return s.zone == p.zones[z].id; });
    max_systems = std::max(max_systems, n);
  }
  const int box_h = std::max(240, kHeader + static_cast<int>(max_systems) * (kSysH + 8) + 60);
  int arcs_below = 0;
  for (const Arrow& a : arrows) {
    if (column[a.to] < column[a.from] - 1) ++arcs_below;
  }
  const int arc_room = 50 + 34 * arcs_below;
  const int width = kMargin * 2 + static_cast<int>(order.size()) * kColW + (static_cast<int>(order.size()) - 1) * kGap;
  const int height = kTop + box_h + arc_room + 120;
  auto col_x = [&](int z) { return kMargin + column[z] * (kColW + kGap); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"'Noto Sans CJK JP','IPAexGothic','Hiragino Sans','Yu Gothic',sans-serif\">\n",
      width, height, width, height);
  svg +=
      "<defs>\n"
      " <marker id=\"h-allow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#2e7d32\"/></marker>\n"
      " <marker id=\"h-sanitize\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#e65100\"/></marker>\n"
      " <marker id=\"h-approve\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1565c0\"/></marker>\n"
      "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  svg += fmt::format("<text x=\"{}\" y=\"36\" font-size=\"22\" font-weight=\"bold\">{}</text>\n", kMargin,
                     escape_xml(en ? p.municipality.name.in(lang) + " — zone map (profile " + std::string(to_string(p.profile)) + ")"
                                   : p.municipality.name.ja + " 三層分離 ゾーン図（" + std::string(to_string(p.profile)) + " モデル）"));
  svg += fmt::format("<text x=\"{}\" y=\"60\" font-size=\"13\" fill=\"#555\">{}</text>\n", kMargin,
                     escape_xml(en ? "Generated by sanso policy graph, as of " + c.as_of().to_string()
                                   : "sanso policy graph により生成（" + c.as_of().to_string() + " 時点）"));

  static constexpr const char* kZoneFill[] = {"#fdecea", "#e8f1fb", "#f3f3f3", "#fff8e1"};
  for (int z : order) {
    const Zone& zone = p.zones[z];
    const int x = col_x(z);
    const char* fill = zone.id == kZoneMynumber ? kZoneFill[0] : zone.id == kZoneLgwan ? kZoneFill[1] : zone.id == kZoneInternet ? kZoneFill[3] : kZoneFill[2];
    svg += fmt::format("<g id=\"zone-{}\">\n<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"14\" fill=\"{}\" stroke=\"#455a64\" stroke-width=\"2\"/>\n",
                       escape_xml(zone.id), x, kTop, kColW, box_h, fill);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\n", x + kColW / 2, kTop + 26,
                       escape_xml(zone.name.in(lang)));
    std::string controls;
    for (std::size_t i = 0; i < zone.controls.size(); ++i) controls += (i ? ", " : "") + zone.controls[i];
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#455a64\" text-anchor=\"middle\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                       x + kColW / 2, kTop + 44, std::min<std::size_t>(kColW - 16, 6 * (zone.id.size() + 3 + controls.size())),
                       escape_xml(zone.id + (controls.empty() ? "" : " · " + controls)));
    int y = kTop + kHeader;
    for (const System& s : p.systems) {
      if (s.zone != zone.id) continue;
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"5\" fill=\"#ffffff\" stroke=\"#90a4ae\"/>\n", x + 14, y, kColW - 28,
                         kSysH);
      svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>\n", x + 24, y + 20, escape_xml(s.name.in(lang)));
      y += kSysH + 8;
    }
    const bool isolated = std::none_of(arrows.begin(), arrows.end(), [&](const Arrow& a) { return a.from == z || a.to == z; });
    if (isolated) {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#b71c1c\" text-anchor=\"middle\">{}</text>\n", x + kColW / 2,
                         kTop + box_h - 16, escape_xml(en ? "no communication with other zones" : "他の領域との通信なし"));
    }
    svg += "</g>\n";
  }

  // Adjacent forward arrows cross the gap in the upper half, backward ones in the lower half;
  // others arc above (forward) or below (backward) the boxes.
  std::map<std::pair<int, int>, int> lane;
  int above = 0, below = 0;
  for (const Arrow& a : arrows) {
    const std::string key(to_string(a.action));
    const char* color = a.action == Action::kAllow ? "#2e7d32" : a.action == Action::kSanitize ? "#e65100" : "#1565c0";
    const char* dash = a.action == Action::kAllow ? "" : a.action == Action::kSanitize ? " stroke-dasharray=\"9 5\"" : " stroke-dasharray=\"3 4\"";
    const int cf = column[a.from], ct = column[a.to];
    const bool forward = ct > cf;
    std::string label = std::string(action_label(a.action, lang)) + ": " + join(a.channels, en ? ", " : "・");
    std::string path;
    int lx, ly;
    if (std::abs(ct - cf) == 1) {
      const int k = lane[{std::min(cf, ct), forward ? 0 : 1}]++;
      const int y = forward ? kTop + kHeader + 20 + k * 46 : kTop + box_h - 40 - k * 46;
      const int x1 = forward ? col_x(a.from) + kColW : col_x(a.from);
      const int x2 = forward ? col_x(a.to) : col_x(a.to) + kColW;
      path = fmt::format("M{},{} L{},{}", x1, y, x2, y);
      lx = (x1 + x2) / 2;
      ly = y - 8;
    } else {
      const int x1 = col_x(a.from) + kColW / 2, x2 = col_x(a.to) + kColW / 2;
      if (forward) {
        const int peak = kTop - 30 - 32 * above++;
        path = fmt::format("M{},{} C{},{} {},{} {},{}", x1, kTop, x1, peak, x2, peak, x2, kTop);
        ly = kTop + (peak - kTop) * 3 / 4 - 6;  // the curve's apex is 3/4 of the way to its control points
      } else {
        const int base = kTop + box_h;
        const int peak = base + 44 + 34 * below++;
        path = fmt::format("M{},{} C{},{} {},{} {},{}", x1, base, x1, peak, x2, peak, x2, base);
        ly = base + (peak - base) * 3 / 4 + 16;
      }
      lx = (x1 + x2) / 2;
    }
    svg += fmt::format("<path class=\"flow flow-{}\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{} marker-end=\"url(#h-{})\"/>\n",
                       key, escape_xml(p.zones[a.from].id), escape_xml(p.zones[a.to].id), path, color, dash, key);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{}\" text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\">{}</text>\n",
                       lx, ly, color, escape_xml(label));
  }

  const int ly = height - 40;
  const std::array<std::pair<Action, const char*>, 3> legend = {{{Action::kAllow, "#2e7d32"}, {Action::kSanitize, "#e65100"}, {Action::kApprove, "#1565c0"}}};
  int lx = kMargin;
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>\n", lx, ly - 18,
                     escape_xml(en ? "Arrows: flows that are not denied. Anything without an arrow is denied."
                                   : "矢印：拒否されない通信。矢印のない領域間の通信は拒否。"));
  for (const auto& [action, color] : legend) {
    const char* dash = action == Action::kAllow ? "" : action == Action::kSanitize ? " stroke-dasharray=\"9 5\"" : " stroke-dasharray=\"3 4\"";
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>\n", lx, ly, lx + 40, ly, color, dash);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>\n", lx + 48, ly + 4, escape_xml(action_label(action, lang)));
    lx += 150;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace sanso::policy
