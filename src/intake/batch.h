// How the batch commands take a directory through the intake: several items in flight at once,
// their outcomes handed on in input order.
//
// More items are in flight than the executor has workers. An item's time is not only its
// sandboxed parse: reading, rendering, sealing and the durable commit happen outside the workers.
// With as many items as workers, each commit carried one or two items and the workers sat idle
// while it synced; with more, the items whose sanitizing is done wait for the store together and
// share one commit (SharedDatabase's group commit), while the workers parse the next ones. Each
// item is still its own original + audit record, standing or falling with each other.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.h"

namespace sanso::intake {

// What a batch command has in flight at once. Most items wait (for a worker, or for the commit
// they share), and the more share a commit the fewer pages each writes: 64 carry about twice as
// many messages a commit as 16 did. What bounds them is memory — each holds its original, its
// parse's answer and its outcome, a few times its input, until it is handed on — so the items'
// sizes count too: an item starts only while the inputs in flight stay within `bytes`, and one
// larger than that goes alone.
struct InFlight {
  std::size_t items;
  std::uint64_t bytes;
};
inline constexpr InFlight kBatchInFlight{64, std::uint64_t{256} << 20};

// A file's size as take_in_order counts it: UINT64_MAX when it cannot be read (the item goes
// alone, and its own read fails).
inline std::uint64_t input_size(const std::filesystem::path& path) {
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(path, error);
  return error ? UINT64_MAX : size;
}

// Runs take(i) for every i < count, within `limit` (size_of(i): item i's input in bytes, asked
// once, before it starts; UINT64_MAX when it cannot be known, and the item goes alone), and calls done(i, outcome) for each in order of i, one call at a time.
// A finished item waits for the ones before it, but no item is started more than a few windows
// ahead of the last one handed on, so a slow item does not let every outcome after it pile up in
// memory.
template <class Outcome>
void take_in_order(std::size_t count, InFlight limit, const std::function<std::uint64_t(std::size_t)>& size_of,
                   const std::function<Result<Outcome>(std::size_t)>& take, const std::function<void(std::size_t, Result<Outcome>&)>& done) {
  const std::size_t in_flight = std::max<std::size_t>(1, std::min(limit.items, count));
  const std::size_t ahead = 4 * in_flight;
  std::vector<std::optional<Result<Outcome>>> outcomes(count);
  std::vector<std::uint64_t> sizes(count, 0);
  std::size_t next_to_take = 0, next_to_hand_on = 0;
  std::uint64_t bytes_in_flight = 0;
  std::optional<std::uint64_t> next_size;  // of item next_to_take, once asked
  std::mutex mutex;
  std::condition_variable handed_on;
  // An item counts at least one byte: one of no size (empty, or its size unknown to the caller)
  // must not start beside one that goes alone.
  auto fits = [&] {
    if (!next_size) next_size = std::max<std::uint64_t>(1, size_of(next_to_take));
    return bytes_in_flight == 0 || *next_size <= limit.bytes - std::min(limit.bytes, bytes_in_flight);
  };
  auto work = [&] {
    std::unique_lock lock(mutex);
    while (true) {
      handed_on.wait(lock, [&] { return next_to_take == count || (next_to_take < next_to_hand_on + ahead && fits()); });
      if (next_to_take == count) return;
      const std::size_t i = next_to_take++;
      sizes[i] = *next_size;
      next_size.reset();
      bytes_in_flight += sizes[i];
      lock.unlock();
      Result<Outcome> outcome = take(i);
      lock.lock();
      outcomes[i] = std::move(outcome);
      const std::size_t before = next_to_hand_on;
      for (; next_to_hand_on < count && outcomes[next_to_hand_on]; ++next_to_hand_on) {
        done(next_to_hand_on, *outcomes[next_to_hand_on]);
        outcomes[next_to_hand_on].reset();
        bytes_in_flight -= sizes[next_to_hand_on];
      }
      if (next_to_hand_on != before) handed_on.notify_all();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(in_flight);
  for (std::size_t t = 0; t < in_flight; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
}

}  // namespace sanso::intake
