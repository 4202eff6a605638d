// The self-inspection report as an XLSX workbook, in Japanese: the 点検表 (every item with its
// clause, answer, note, evidence files and automatic result with the audit entries behind it), a
// summary of every body's campaign of the same template and period, and the corrective actions.
//
// Every text is written as a string cell, never a formula: an answer or a file name starting with
// "=", "+", "-" or "@" stays text when the workbook is opened.
#pragma once

#include <string>

#include "core/result.h"
#include "inspect/campaign.h"
#include "policy/policy.h"

namespace sanso::inspect {

// Writes the report to `path` (through a temporary file beside it, renamed when complete).
Result<void> write_xlsx_report(Campaigns& campaigns, const std::string& campaign_id, const policy::Policy& policy,
                               const std::string& path);

}  // namespace sanso::inspect
