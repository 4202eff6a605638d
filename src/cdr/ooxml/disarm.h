// The content rules for one OOXML part, applied after it has been read with canonical names
// (xml.h): elements that load, run or embed something go, references to relationships that were
// not kept are cut, Word fields are kept only when their type is allowed and their target safe,
// spreadsheet formulas that reach other workbooks or DDE servers go (their values stay), and
// PowerPoint actions that run programs or macros go. Private to src/cdr/ooxml.
#pragma once

#include <pugixml.hpp>

#include <set>
#include <string>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal::ooxml {

// `kept_ids`: the ids of the part's relationships that survived; any other reference is cut.
Result<void> disarm_part(pugi::xml_document& doc, const std::set<std::string>& kept_ids, const std::string& where, const Context& ctx);

// Whether an external target is one a kept hyperlink may point at (http, https, mailto).
bool is_safe_link_target(std::string_view target);

}  // namespace sanso::cdr::internal::ooxml
