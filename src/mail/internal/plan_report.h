// The document road of the masked report, for the tests that hold the direct writer to it.
#pragma once

#include <string>

#include "mail/sanitize.h"

namespace sanso::mail::internal {

// plan_report_json's document with every string masked, dumped: what masked_plan_report_json
// writes straight out.
std::string masked_plan_report_json_by_document(const SanitizePlan& plan);

}  // namespace sanso::mail::internal
