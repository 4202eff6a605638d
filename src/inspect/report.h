// The self-inspection report as an XLSX workbook, in Japanese: the 点検表 (every item with its
// clause, answer, note, evidence files and automatic result with the audit entries behind it), a
// summary of every body's campaign of the same template and period, the corrective actions, the
// trend against the body's previous campaign of the template (前回比較), the operations statistics
// of the period by month (運用統計, 6(7)/6(9), with a chart) and, for the auditor (監査), the audit
// log's verification and the signed checkpoints that prove each evaluation.
//
// The same report prints to PDF (report_pdf.cc): print-ready HTML rendered by headless Chromium in
// the converter sandbox.
//
// Every text is written as a string cell, never a formula: an answer or a file name starting with
// "=", "+", "-" or "@" stays text when the workbook is opened.
#pragma once

#include <chrono>
#include <string>

#include "audit/note.h"
#include "core/result.h"
#include "inspect/campaign.h"
#include "policy/policy.h"
#include "store/database.h"

namespace sanso::inspect {

struct ReportSources {
  const policy::Policy* policy = nullptr;
  store::Database* db = nullptr;  // the audit log: statistics, verification, checkpoints
  // The audit log's verifier key. Without it the 監査 sheet says the log was not verified (and
  // why); it never claims a verification it did not do.
  const audit::VerifierKey* verifier = nullptr;
};

// Writes the report to `path` (through a temporary file beside it, renamed when complete).
Result<void> write_xlsx_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources,
                               const std::string& path);

// The PDF printer: Chromium's own binary (not the /usr/bin/chromium launcher script), run in the
// converter sandbox ([cdr] chromium and converter_timeout_seconds).
struct PdfPrinter {
  std::string chromium = "/usr/lib/chromium/chromium";
  std::chrono::milliseconds timeout{180000};
};

// The report as one self-contained, print-ready HTML page (A4, Japanese; no script, nothing it
// would fetch): the 点検表 with answers and evidence references, corrective actions, the summary
// per body, the trend against the previous campaign, the monthly statistics with charts and the
// auditor's section.
Result<std::string> html_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources);

// Prints `html` to `path` with Chromium in the converter sandbox. Errors: "inspect.pdf-printer"
// (Chromium missing, or it printed nothing, with its last words), "sandbox.*" (timeout, crash,
// no Landlock), "inspect.report-write".
Result<void> print_html_to_pdf(const std::string& html, const PdfPrinter& printer, const std::string& path);

Result<void> write_pdf_report(Campaigns& campaigns, const std::string& campaign_id, const ReportSources& sources, const PdfPrinter& printer,
                              const std::string& path);

}  // namespace sanso::inspect
