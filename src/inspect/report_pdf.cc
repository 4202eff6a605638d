// The report on paper: the same content as the workbook (internal/report_content.h), laid out as
// one self-contained, print-ready HTML page (A4, Japanese fonts, no script, nothing fetched) and
// printed to PDF by headless Chromium. Chromium is a whole browser and GPL-adjacent code we only
// run, never link: it runs in the converter sandbox (its own network namespace with no interface,
// Landlock, a system-call filter, limits and a timeout), reads only its installation, the fonts
// and the scratch directory, and is told to use a proxy that does not exist, so even a page that
// asked for something could not fetch it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <kainjow/mustache.hpp>

#include "core/clock.h"
#include "inspect/internal/report_content.h"
#include "inspect/report.h"
#include "inspect/stats.h"
#include "sandbox/converter.h"

namespace sanso::inspect {
namespace {

namespace fs = std::filesystem;
using kainjow::mustache::data;
using kainjow::mustache::list;
using kainjow::mustache::mustache;
using kainjow::mustache::object;
using namespace internal;  // NOLINT(google-build-using-namespace): the report's content, laid out here

// The printed page. Values are HTML-escaped by the template; the only raw value is the charts'
// SVG, built here from numbers and the program's own words.
constexpr const char* kPage = R"html(<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{title}}</title>
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 9pt; color: #000; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #333; break-after: avoid; }
section + section { break-before: page; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 1px solid #777; padding: 1mm 1.5mm; vertical-align: top; text-align: left; white-space: pre-wrap; overflow-wrap: anywhere; }
th { background: #dde8f5; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.n { text-align: right; }
.meta td { border: none; padding: 0.5mm 2mm 0.5mm 0; }
.fail { font-weight: bold; }
.chart { margin: 2mm 0 4mm; }
td.nw { white-space: nowrap; overflow-wrap: normal; }
td.act { min-width: 30mm; }
.mono { font-family: "Noto Sans Mono CJK JP", monospace; font-size: 7.5pt; overflow-wrap: anywhere; }
</style></head>
<body>
<section id="checklist">
<h1>{{title}}</h1>
<table class="meta">
<tr><td>実施機関</td><td>{{body}}</td><td>期間</td><td>{{period}}</td></tr>
<tr><td>課・係</td><td colspan="3">{{section}}</td></tr>
<tr><td>担当</td><td>{{assignee}}</td><td>確認者</td><td>{{reviewer}}</td></tr>
<tr><td>状態</td><td>{{state}}</td><td>点検</td><td>{{id}}</td></tr>
<tr><td>作成</td><td colspan="3">{{printed_at}}（日本時間）</td></tr>
</table>
<h2>点検表</h2>
<table><thead><tr><th>項目</th><th>条項</th><th>点検内容</th><th>種別</th><th>回答・結果</th><th>備考・自動点検の結果</th><th>証跡</th><th>監査ログ</th><th>担当</th></tr></thead>
<tbody>{{#items}}<tr><td>{{id}}</td><td>{{clause}}</td><td>{{question}}</td><td>{{kind}}</td><td{{#finding}} class="fail"{{/finding}}>{{outcome}}</td><td>{{note}}{{automatic}}</td><td>{{evidence}}</td><td>{{log_entries}}</td><td>{{item_assignee}}</td></tr>
{{/items}}</tbody></table>
<h2>是正措置</h2>
{{^actions}}<p>（なし）</p>{{/actions}}
{{#has_actions}}<table><thead><tr><th>番号</th><th>項目</th><th>条項</th><th>指摘</th><th>措置</th><th>担当</th><th>期限</th><th>状態</th><th>指摘した点検</th></tr></thead>
<tbody>{{#actions}}<tr><td class="nw">{{id}}</td><td>{{item}}</td><td>{{clause}}</td><td>{{finding}}</td><td class="act">{{description}}</td><td class="nw">{{owner}}</td><td class="nw">{{due}}</td><td class="nw">{{state}}</td><td>{{campaign}}</td></tr>
{{/actions}}</tbody></table>{{/has_actions}}
</section>
<section id="summary">
<h2>実施機関別の集計（課・係ごと、{{template}} {{period}}）</h2>
<table><thead><tr><th>実施機関</th><th>課・係</th><th>状態</th><th>担当</th><th>はい</th><th>いいえ</th><th>該当なし</th><th>未回答</th><th>自動 適合</th><th>自動 不適合</th><th>未評価</th><th>是正措置</th></tr></thead>
<tbody>{{#bodies}}<tr><td>{{body}}</td><td>{{section}}</td><td>{{state}}</td><td>{{assignee}}</td>{{#numbers}}<td class="n">{{.}}</td>{{/numbers}}</tr>
{{/bodies}}</tbody></table>
<h2>前回の点検との比較</h2>
{{^previous}}<p>前回の点検はありません（この実施機関でこの点検表を行うのは初めて）</p>{{/previous}}
{{#previous}}<p>前回の点検: {{id}}（{{state}}）</p>
<table><thead><tr><th>指標</th><th>前回（{{period}}）</th><th>今回（{{now_period}}）</th><th>増減</th></tr></thead>
<tbody>{{#counts}}<tr><td>{{label}}</td><td class="n">{{before}}</td><td class="n">{{now}}</td><td class="n">{{change}}</td></tr>
{{/counts}}</tbody></table>
<table><thead><tr><th>運用統計（監査ログの件数）</th><th>前回の期間</th><th>今回の期間</th><th>増減</th></tr></thead>
<tbody>{{#operations}}<tr><td>{{label}}</td><td class="n">{{before}}</td><td class="n">{{now}}</td><td class="n">{{change}}</td></tr>
{{/operations}}</tbody></table>
<table><thead><tr><th>結果が変わった項目</th><th>前回</th><th>今回</th><th>条項</th><th>点検内容</th></tr></thead>
<tbody>{{#changed}}<tr><td>{{id}}</td><td>{{was}}</td><td>{{is}}</td><td>{{clause}}</td><td>{{question}}</td></tr>
{{/changed}}{{^changed}}<tr><td colspan="5">（なし）</td></tr>{{/changed}}</tbody></table>
{{/previous}}
</section>
<section id="statistics">
<h2>運用統計（6(7)・6(9)）</h2>
<p>監査ログの記録の件数（月は日本時間）。</p>
<table><thead><tr><th>項目</th>{{#months}}<th>{{.}}</th>{{/months}}</tr></thead>
<tbody>{{#measures}}<tr><td>{{label}}</td>{{#totals}}<td class="n">{{.}}</td>{{/totals}}</tr>
{{/measures}}<tr><td>監査ログの記録（全体）</td>{{#entries}}<td class="n">{{.}}</td>{{/entries}}</tr></tbody></table>
{{#measures}}<div class="chart">{{{chart}}}</div>{{/measures}}
</section>
<section id="audit">
<h2>監査ログの検証（監査人向け）</h2>
<table><tbody>{{#audit}}{{#heading}}<tr><th>{{label}}</th><th>{{value}}</th></tr>{{/heading}}{{^heading}}<tr><td>{{label}}</td><td class="mono">{{value}}</td></tr>{{/heading}}
{{/audit}}</tbody></table>
</section>
</body></html>
)html";

data strings(const std::vector<std::string>& values) {
  data out{data::type::list};
  for (const auto& v : values) out.push_back(data{v});
  return out;
}

data comparisons(const std::vector<Comparison>& rows) {
  data out{data::type::list};
  for (const auto& x : rows) {
    out.push_back(object{{"label", x.label}, {"before", std::to_string(x.before)}, {"now", std::to_string(x.now)}, {"change", signed_number(x.now - x.before)}});
  }
  return out;
}

// One measure's months as bars, scaled to the largest month; each bar carries its number.
std::string bar_chart(std::string_view label, const std::vector<std::string>& months, const std::vector<std::uint64_t>& totals) {
  std::uint64_t top = 1;
  for (auto t : totals) top = std::max(top, t);
  const int bar = 34, gap = 8, height = 70, left = 4;
  const int width = left + static_cast<int>(months.size()) * (bar + gap);
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height + 42 << "\" role=\"img\">";
  svg << "<text x=\"" << left << "\" y=\"12\" font-size=\"10\">" << label << "</text>";
  for (std::size_t i = 0; i < months.size(); ++i) {
    const int h = static_cast<int>(static_cast<double>(totals[i]) / static_cast<double>(top) * height);
    const int x = left + static_cast<int>(i) * (bar + gap);
    svg << "<rect x=\"" << x << "\" y=\"" << 18 + height - h << "\" width=\"" << bar << "\" height=\"" << h << "\" fill=\"#4a7ab5\"/>";
    svg << "<text x=\"" << x << "\" y=\"" << 16 + height - h << "\" font-size=\"8\">" << totals[i] << "</text>";
    svg << "<text x=\"" << x << "\" y=\"" << 30 + height << "\" font-size=\"8\">" << months[i] << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

bool is_finding(const std::string& outcome) { return outcome == "いいえ" || outcome == "不適合"; }

}  // namespace

Result<std::string> html_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources) {
  if (!sources.policy || !sources.db) return make_error("inspect.report-write", campaign_id, "the report needs the policy and the store");
  const Campaign c = SANSO_TRY(campaigns.get(campaign_id));
  const auto rows = SANSO_TRY(item_rows(campaigns, c));
  const auto actions = SANSO_TRY(report_actions(campaigns, c));
  const std::vector<Campaign> all = SANSO_TRY(campaigns.list());
  const auto bodies = SANSO_TRY(body_summaries(campaigns, *sources.policy, all, c));
  const auto audit = SANSO_TRY(audit_lines(campaigns, *sources.db, c, sources.verifier));

  data page{data::type::object};
  page.set("title", c.template_title + "（" + std::string(label_ja(c.period)) + "）");
  page.set("template", c.template_title);
  page.set("id", c.id);
  page.set("body", body_name(*sources.policy, c.body));
  page.set("period", c.period_label);
  page.set("section", c.section.empty() ? "（実施機関全体）" : c.section);
  page.set("assignee", c.assignee);
  page.set("reviewer", c.reviewer.empty() ? "（担当以外）" : c.reviewer);
  page.set("state", state_ja(c));
  page.set("printed_at", local_time(static_cast<std::int64_t>(std::time(nullptr))));

  data items{data::type::list};
  for (const auto& x : rows) {
    const std::string note = x.note.empty() ? "" : x.note + (x.automatic.empty() ? "" : "\n");
    object row{{"id", x.id},           {"clause", x.clause},   {"question", x.question},           {"kind", x.kind},
               {"outcome", x.outcome}, {"note", note},         {"automatic", x.automatic},         {"evidence", x.evidence},
               {"log_entries", x.log_entries},
               {"item_assignee", x.assignee}};
    row.emplace("finding", data{is_finding(x.outcome) ? data::type::bool_true : data::type::bool_false});
    items.push_back(row);
  }
  page.set("items", items);

  data action_rows{data::type::list};
  for (const auto& a : actions) {
    action_rows.push_back(object{{"id", std::to_string(a.id)}, {"item", a.item}, {"clause", a.clause}, {"finding", a.finding},
                                 {"description", a.description}, {"owner", a.owner}, {"due", a.due.to_string()},
                                 {"state", a.state == ActionState::kOpen ? "未完了" : "完了"}, {"campaign", a.campaign}});
  }
  page.set("actions", action_rows);
  page.set("has_actions", data{actions.empty() ? data::type::bool_false : data::type::bool_true});

  data body_rows{data::type::list};
  for (const auto& b : bodies) {
    const auto& n = b.counts;
    body_rows.push_back(object{{"body", b.body}, {"section", b.section.empty() ? "（全体）" : b.section}, {"state", b.state}, {"assignee", b.assignee},
                               {"numbers", strings({std::to_string(n.yes), std::to_string(n.no), std::to_string(n.na), std::to_string(n.unanswered),
                                                    std::to_string(n.passed), std::to_string(n.failed), std::to_string(n.unevaluated),
                                                    std::to_string(b.actions)})}});
  }
  page.set("bodies", body_rows);

  if (const Campaign* previous = previous_campaign(all, c)) {
    const Trend t = SANSO_TRY(trend(campaigns, *sources.db, c, *previous));
    data changed{data::type::list};
    for (const auto& x : t.changed) changed.push_back(object{{"id", x.id}, {"was", x.was}, {"is", x.is}, {"clause", x.clause}, {"question", x.question}});
    page.set("previous", object{{"id", previous->id}, {"state", state_ja(*previous)}, {"period", previous->period_label}, {"now_period", c.period_label},
                                {"counts", comparisons(t.counts)}, {"operations", comparisons(t.operations)}, {"changed", changed}});
  }

  const auto months = months_between(c.period_start, c.period_end);
  std::vector<OperationsStatistics> stats;
  for (const auto& month : months) stats.push_back(SANSO_TRY(monthly_statistics(*sources.db, month)));
  data measure_rows{data::type::list};
  for (const auto& m : measures()) {
    std::vector<std::uint64_t> totals;
    std::vector<std::string> shown;
    for (const auto& s : stats) {
      totals.push_back(s.of(m.id).total);
      shown.push_back(std::to_string(totals.back()));
    }
    measure_rows.push_back(object{{"label", std::string(m.label_ja)}, {"totals", strings(shown)}, {"chart", bar_chart(m.label_ja, months, totals)}});
  }
  std::vector<std::string> entries;
  for (const auto& s : stats) entries.push_back(std::to_string(s.entries));
  page.set("months", strings(months));
  page.set("measures", measure_rows);
  page.set("entries", strings(entries));

  data audit_rows{data::type::list};
  for (const auto& line : audit) {
    object row{{"label", line.label}, {"value", line.value}};
    row.emplace("heading", data{line.heading ? data::type::bool_true : data::type::bool_false});
    audit_rows.push_back(row);
  }
  page.set("audit", audit_rows);

  mustache tmpl{std::string(kPage)};
  std::string html = tmpl.render(page);
  if (!tmpl.is_valid()) return make_error("inspect.report-write", campaign_id, "the report's page template is broken: " + tmpl.error_message());
  return html;
}

namespace {

std::string last_line(std::string log) {
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  const auto nl = log.rfind('\n');
  log = nl == std::string::npos ? log : log.substr(nl + 1);
  return log.empty() ? "no message" : log.substr(0, 300);
}

}  // namespace

Result<void> print_html_to_pdf(const std::string& html, const PdfPrinter& printer, const std::string& path) {
  if (printer.chromium.empty() || printer.chromium[0] != '/' || ::access(printer.chromium.c_str(), X_OK) != 0) {
    return make_error("inspect.pdf-printer", printer.chromium,
                      "Chromium is not installed here (Debian package chromium): the PDF report is printed by it; the XLSX report "
                      "(--format xlsx) needs no printer");
  }
  SANSO_TRY(sandbox::converter_sandbox_available());
  const sandbox::ScratchDirectory scratch("sanso-print");
  if (scratch.dir.empty()) return make_error("inspect.report-write", path, "no scratch directory to print the report in");
  const fs::path dir = scratch.dir, page = dir / "report.html", pdf = dir / "report.pdf";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
    if (!out) return make_error("inspect.report-write", page.string(), "cannot write the page to print");
  }
  sandbox::ConverterJob job;
  // Scripts are not switched off by flag (headless printing itself needs them: with
  // --blink-settings=scriptEnabled=false Chromium prints nothing); the page has none, every value
  // in it is escaped, and its Content-Security-Policy (default-src 'none') refuses any.
  // The GPU process is kept inside the browser's (--in-process-gpu): started apart, it sets up a
  // sandbox of its own that our filter refuses, and aborts now and then.
  job.argv = {printer.chromium, "--headless", "--no-sandbox", "--no-zygote", "--disable-gpu", "--in-process-gpu", "--disable-crash-reporter", "--no-first-run",
              "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-default-apps", "--mute-audio",
              "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
              "--user-data-dir=" + (dir / "profile").string(), "--no-pdf-header-footer", "--print-to-pdf=" + pdf.string(),
              "file://" + page.string()};
  job.work_dir = scratch.dir;
  // Its installation beside the binary, and /etc/chromium.d, which the Debian build reads.
  job.read_paths = {fs::path(printer.chromium).parent_path().string(), "/etc/chromium.d", "/etc/chromium"};
  job.timeout = printer.timeout;
  job.memory_bytes = std::size_t{2} << 30;
  job.limit_data_not_address_space = true;
  job.reexecutes_itself = true;
  job.file_bytes = std::size_t{256} << 20;
  const sandbox::ConverterOutcome outcome = SANSO_TRY(sandbox::run_converter(job));
  std::error_code ec;
  const auto size = fs::file_size(pdf, ec);
  std::string head(5, '\0');
  if (!ec && size > 5) {
    std::ifstream in(pdf, std::ios::binary);
    in.read(head.data(), 5);
  }
  if (outcome.exit_code != 0 || ec || head != "%PDF-") {
    return make_error("inspect.pdf-printer", printer.chromium,
                      "Chromium did not print the report (exit " + std::to_string(outcome.exit_code) + "): " + last_line(outcome.log));
  }
  // Beside the destination first, then renamed: a reader never sees half a file.
  const std::string temporary = path + ".tmp";
  fs::copy_file(pdf, temporary, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temporary, path, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(temporary, ec);
    return make_error("inspect.report-write", path, "cannot put the PDF in place: " + why);
  }
  return ok();
}

Result<void> write_pdf_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources, const PdfPrinter& printer,
                              const std::string& path) {
  const std::string html = SANSO_TRY(html_report(campaigns, campaign_id, sources));
  return print_html_to_pdf(html, printer, path);
}

}  // namespace sanso::inspect
