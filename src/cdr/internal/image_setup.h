// The image libraries' shared set-up, apart from format.h so that the engine's set-up and the
// image code alone depend on it. Private to src/cdr.
#pragma once

namespace sanso::cdr::internal {

// The codecs' quiet error handlers and gdk-pixbuf's BMP module, set up in one thread: the part of
// prepare_images() a sandbox pool's template runs once and its workers inherit.
// prepare_images() then renders one small SVG (fontconfig, librsvg; its filters may start
// threads) in the sandboxed process itself, before its filter applies.
void load_images();

}  // namespace sanso::cdr::internal
