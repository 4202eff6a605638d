// The report of a sanitized mail that is kept or shown beside its original: the quarantine item's
// report, `sanso mail sanitize --report`, the API's findings.
#pragma once

#include <string>

#include "mail/sanitize.h"

namespace sanso::mail {

// The plan as JSON without its body text and attachment bytes (plan_to_json has them): the mail's
// words stay in the sealed original, released only with the four-eyes approval, while the item's
// row that holds this report is not encrypted.
std::string plan_report_json(const SanitizePlan& plan);

// plan_report_json with every string in it masked as mask_identification_numbers_in_json masks
// them (the same text), built and written once: the report the quarantine keeps beside a mail.
std::string masked_plan_report_json(const SanitizePlan& plan);

}  // namespace sanso::mail
