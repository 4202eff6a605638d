// Counts every call of the global operator new in a test or benchmark binary that links
// allocation_counter.cc (which replaces operator new/delete), so hot paths can be shown to
// allocate nothing.
#pragma once

#include <cstddef>

namespace sanso::testing {

// Global operator new calls since the program started.
std::size_t allocation_count();

}  // namespace sanso::testing
