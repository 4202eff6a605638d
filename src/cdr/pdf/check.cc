// A second reader of PDFs, for tests and the fuzz oracle: opens a file with a fresh qpdf and
// reports every remnant of active content or embedded files in any object of it, reachable or
// not, at any depth. Deliberately written apart from the rebuilder (pdf.cc) and simpler than it:
// it lists what must never be in an output, so a mistake in the rebuilder's rules shows here
// instead of being repeated.
#define POINTERHOLDER_TRANSITION 4  // qpdf 11: std::shared_ptr everywhere
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <algorithm>
#include <array>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal {
namespace {

constexpr std::array kForbiddenKeys = {"/JS", "/AA", "/EF", "/RF", "/AF", "/XFA"};
constexpr std::array kForbiddenActions = {"/JavaScript", "/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm", "/RichMediaExecute"};
constexpr std::array kForbiddenNameTrees = {"/JavaScript", "/EmbeddedFiles"};

template <std::size_t N>
bool among(const std::array<const char*, N>& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const char* x) { return name == x; });
}

std::string name_of(QPDFObjectHandle dict, const char* key) {
  QPDFObjectHandle v = dict.getKey(key);
  return v.isName() ? v.getName() : "";
}

void check_dictionary(QPDFObjectHandle dict, const std::string& where, std::vector<std::string>& found) {
  for (const char* key : kForbiddenKeys) {
    if (dict.hasKey(key)) found.push_back(where + ": " + key);
  }
  const std::string s = name_of(dict, "/S");
  if (among(kForbiddenActions, s)) found.push_back(where + ": action " + s);
  if (name_of(dict, "/Type") == "/EmbeddedFile") found.push_back(where + ": /Type /EmbeddedFile");
  if (s == "/Thread" && dict.hasKey("/F")) found.push_back(where + ": /Thread into another file");
  if (s == "/URI") {
    QPDFObjectHandle uri = dict.getKey("/URI");
    std::string scheme = uri.isString() ? uri.getUTF8Value().substr(0, 8) : "";
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme.rfind("http://", 0) != 0 && scheme.rfind("https://", 0) != 0 && scheme.rfind("mailto:", 0) != 0) found.push_back(where + ": /URI to a file or program");
  }
  QPDFObjectHandle names = dict.getKey("/Names");
  if (names.isDictionary()) {
    for (const char* tree : kForbiddenNameTrees) {
      if (names.hasKey(tree)) found.push_back(where + ": /Names " + tree);
    }
  }
  if (dict.hasKey("/OpenAction")) {
    QPDFObjectHandle open = dict.getKey("/OpenAction");
    const bool jump = open.isArray() || (open.isDictionary() && name_of(open, "/S") == "/GoTo" && !open.hasKey("/Next"));
    if (!jump) found.push_back(where + ": /OpenAction that is not a jump in the document");
  }
}

void check_object(QPDFObjectHandle obj, const std::string& where, std::vector<std::string>& found) {
  std::vector<QPDFObjectHandle> todo{obj.isStream() ? obj.getDict() : obj};
  while (!todo.empty()) {
    QPDFObjectHandle h = todo.back();
    todo.pop_back();
    std::vector<QPDFObjectHandle> children;
    if (h.isDictionary()) {
      check_dictionary(h, where, found);
      for (const std::string& key : h.getKeys()) children.push_back(h.getKey(key));
    } else if (h.isArray()) {
      children = h.getArrayAsVector();
    }
    for (QPDFObjectHandle& c : children) {
      if (!c.isIndirect() && (c.isDictionary() || c.isArray())) todo.push_back(c);
    }
  }
}

}  // namespace

std::vector<std::string> pdf_active_content(std::string_view pdf) {
  std::vector<std::string> found;
  try {
    QPDF reader;
    reader.setSuppressWarnings(true);
    reader.processMemoryFile("checked", pdf.data(), pdf.size(), "");
    for (QPDFObjectHandle& obj : reader.getAllObjects()) check_object(obj, "object " + std::to_string(obj.getObjectID()), found);
    check_object(reader.getTrailer(), "trailer", found);
  } catch (const std::exception& e) {
    found.push_back(std::string("the PDF does not open: ") + e.what());
  }
  return found;
}

}  // namespace sanso::cdr::internal
