// The `data:` URIs of an HTML file, found as a browser finds them, for the text read on files
// leaving the city (extract.cc). Not for use outside cdr.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sanso::cdr::internal {

struct DataUris {
  // Each URI as a browser takes it: character references decoded, tabs and line breaks removed
  // (the URL parser drops them anywhere, "da&#10;ta:" is "data:"), spaces and control characters
  // at either end removed. In the order of the file, at most `most` + 1 of them: one more than
  // `most` says there are more.
  std::vector<std::string> uris;
  // The characters the textual pass looked at: linear in the HTML's size whatever it holds (a
  // test counts this, not the clock).
  std::size_t steps = 0;
};

// Every `data:` URI of `html` (UTF-8): each attribute value as libxml2's HTML parser decodes it
// (the whole value when it is a URI, else the URIs inside it: a style's url(, a srcset), then the
// URIs the markup holds elsewhere (a <style>, a script, a comment, markup libxml2 reads otherwise
// than a browser, references libxml2 does not know: `da&Tab;ta&colon;`) found in the source with
// its character references decoded as a browser decodes them, those already found not counted
// twice.
DataUris find_data_uris(std::string_view html, std::size_t most);

// The payload of the URI `uri` (RFC 2397: `data:[type][;base64],payload`), percent-decoded and
// then, when it says base64, decoded from base64 as a browser does (white space ignored); false
// when it cannot be decoded (bad base64, a stray '%', no comma): such a URI is no less in the file.
bool decoded_data_uri(std::string_view uri, std::string& payload);

}  // namespace sanso::cdr::internal
