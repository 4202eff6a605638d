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

// The ids of a part's relationships that survived: internal ones, and external hyperlinks.
struct KeptReferences {
  std::set<std::string> internal;
  std::set<std::string> hyperlinks;
};

// Any reference not kept is cut; a hyperlink's id is kept only where a hyperlink may stand (a
// picture naming it would be fetched from the web when the document opens).
Result<void> disarm_part(pugi::xml_document& doc, const KeptReferences& kept, const std::string& where, const Context& ctx);

// Whether an external target is one a kept hyperlink may point at (http, https, mailto).
bool is_safe_link_target(std::string_view target);

// A formula that refers to another workbook ("[1]Sheet!A1"), a DDE server ("cmd|'…'!A0") or
// calls a function that reaches outside (RTD, WEBSERVICE, CALL, REGISTER.ID, DDE). Also used for
// ODF spreadsheet formulas (odf/odf.cc).
bool is_external_formula(std::string_view text);

}  // namespace sanso::cdr::internal::ooxml
