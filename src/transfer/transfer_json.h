// A transfer as JSON, the one shape every interface shows: `sanso transfer list --json` and the
// JSON API (docs/api.md). Apart from transfer.h so that only its users pay for nlohmann's header.
#pragma once

#include <nlohmann/json.hpp>

#include "transfer/transfer.h"

namespace sanso::transfer {

// The transfer, its files with their verdicts and findings (each finding's label in Japanese and
// English beside the engine's word); times as ISO 8601 UTC ("" for none).
nlohmann::json to_json(const Transfer& t);

}  // namespace sanso::transfer
