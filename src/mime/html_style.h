// What CSS makes invisible in a mail's HTML: the part of the cascade that decides whether a
// reader can see an element's text. A phishing lure hides text the filter reads but the reader
// does not (or shows text the filter drops), so the converter must see what a mail client shows.
//
// Read: every <style> block (rules inside @media and @supports too; media are evaluated for a
// 1024 px wide screen in light mode: print-only, dark-mode and narrow-screen rules do not apply),
// selectors of type, .class, #id, *, attributes ([a], = ~= ^= $= *= |=), the structural
// pseudo-classes (:first-child, :nth-child(an+b), …-of-type, :only-child, :root) and :not() in
// compounds with the combinators ' ', '>', '+' and '~' (a selector with a state or pseudo-element
// such as :hover or ::before does not apply to text at rest and is not evaluated), inline styles,
// the presentational attributes (bgcolor, background, <font color/size>, <body text>, hidden).
// Declarations are parsed as CSS does: comments, escapes, quoted strings, case and !important;
// the cascade orders them by importance, inline style, specificity and order; font size, colour,
// backdrop, opacity and visibility inherit down the tree.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <libxml/tree.h>

namespace sanso::mime {

// Why an element or its text cannot be seen ("" when it can).
struct Visibility {
  std::string removed;  // the element and all it contains: "display:none", "opacity:0", "off-screen", …
  std::string text;     // its own text only (descendants may differ): "font-size:0", "same-colour", …
};

class HtmlStyle {
 public:
  explicit HtmlStyle(const xmlDoc* doc);
  ~HtmlStyle();
  HtmlStyle(const HtmlStyle&) = delete;
  HtmlStyle& operator=(const HtmlStyle&) = delete;

  // `n` must be an element; its ancestors are looked at (and remembered) as needed.
  Visibility visibility(const xmlNode* n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sanso::mime
