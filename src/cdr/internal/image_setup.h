// The image libraries' shared set-up, apart from format.h so that the engine's set-up and the
// image code alone depend on it. Private to src/cdr.
#pragma once

namespace sanso::cdr::internal {

// libvips with its modules and ImageMagick's BMP coder, loaded and configured in one thread: the
// part of prepare_images() a sandbox pool's template runs once and its workers inherit.
// prepare_images() then renders one small image through each loader and writer, which starts
// libvips' threads: in the sandboxed process itself, before its filter applies.
void load_images();

}  // namespace sanso::cdr::internal
