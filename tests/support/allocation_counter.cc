#include "allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> g_allocations{0};
}

// Replaces the global operator new; malloc and free pair up, so the sized and unsized deletes
// both free. (Memory from a sanitizer's own operator new may come back here: see the ASan option
// set for the tests that link this.)
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace sanso::testing {

std::size_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace sanso::testing
