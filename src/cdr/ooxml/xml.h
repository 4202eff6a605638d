// OOXML parts read the way Office reads them: names resolved to namespace URIs, not prefixes.
// A part is parsed and written again with one fixed prefix per known namespace, so everything
// after this step (the disarming rules, the field checks) can match canonical names such as
// "w:instrText" and be right whatever prefixes the input used. Elements and attributes in
// namespaces we do not know are dropped; markup-compatibility choices we cannot vouch for are
// dropped, their fallbacks kept. Private to src/cdr/ooxml.
#pragma once

#include <pugixml.hpp>

#include <span>
#include <string>
#include <utility>
#include <string_view>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal::ooxml {

inline constexpr std::string_view kNsWordMain = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
inline constexpr std::string_view kNsSheetMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
inline constexpr std::string_view kNsSlideMain = "http://schemas.openxmlformats.org/presentationml/2006/main";
inline constexpr std::string_view kNsDrawingMain = "http://schemas.openxmlformats.org/drawingml/2006/main";
inline constexpr std::string_view kNsRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
inline constexpr std::string_view kNsPackageRels = "http://schemas.openxmlformats.org/package/2006/relationships";
inline constexpr std::string_view kNsContentTypes = "http://schemas.openxmlformats.org/package/2006/content-types";

// The prefix a known namespace is written with ("" for a default namespace), or nullptr when the
// namespace is not one we keep.
const char* canonical_prefix(std::string_view uri);

// A namespace a dialect keeps, and the one prefix it is written with. `names`: false for a
// namespace only attribute values may name (ODF formula grammars such as "oooc:=SUM(...)"): no
// element or attribute of it is kept, but a value's prefix for it is declared and canonical.
struct KnownNamespace {
  std::string_view uri;
  const char* prefix;
  bool names = true;
};

// How one XML vocabulary is read: the namespaces it keeps; whether markup compatibility
// (mc:AlternateContent, mc:Ignorable) is understood; the namespace whose elements take only
// qualified attributes (WordprocessingML), if any; and the attributes, by {namespace, local
// name}, whose values start with a QName prefix ("of:=SUM(...)", "chart:bar") that follows the
// rename.
struct Dialect {
  std::span<const KnownNamespace> known;
  bool markup_compatibility = false;
  std::string_view qualified_attributes_only;
  std::span<const std::pair<std::string_view, std::string_view>> qname_valued;
};

// The OOXML dialect (ECMA-376 transitional and the Microsoft extensions Office writes).
const Dialect& ooxml_dialect();

// A part after the namespace-resolving parse: the document with canonical names, and what its
// root element is.
struct XmlPart {
  pugi::xml_document doc;
  std::string root_ns;     // namespace URI of the root element ("" for none)
  std::string root_local;  // its local name
};

// Parses `bytes` and rebuilds it with canonical prefixes. Not well-formed XML, an unbound prefix
// or nesting beyond reason blocks ("malformed") naming `where`. A DTD is never used (reported as
// xml_dtd), unknown-namespace content is dropped (reported once as unknown_xml).
// `allow_unqualified_root`: legacy VML drawings have a root element without a namespace.
Result<void> read_part(std::string_view bytes, const std::string& where, const Context& ctx, XmlPart& out, bool allow_unqualified_root = false);

// The same for another XML vocabulary (ODF: odf/odf.cc).
Result<void> read_part(std::string_view bytes, const std::string& where, const Context& ctx, XmlPart& out, const Dialect& dialect,
                       bool allow_unqualified_root = false);

// The part's bytes: UTF-8, with an XML declaration, no formatting added.
std::string write_part(const pugi::xml_document& doc);

}  // namespace sanso::cdr::internal::ooxml
