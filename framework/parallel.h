// parallel_for(n, body): runs body(begin, end) over [0, n) split into one contiguous range per
// OpenMP thread. Element-wise layers and optimizer updates use it so that both cores work
// instead of one working while oneDNN's idle worker spins. Every element is computed by the
// same arithmetic whatever the split, so results are bit-identical for any thread count.
#pragma once

#include <cstddef>

#include <omp.h>

namespace gradlab {

// Below ~32k elements, starting the team costs more than the work (a few µs against ~1 ns an
// element); work_per_item says how many elements one of the n items stands for.
template <class Body>
void parallel_for(std::size_t n, Body&& body, std::size_t work_per_item = 1) {
  constexpr std::size_t kMinimumParallelWork = 1 << 15;
  if (n * work_per_item < kMinimumParallelWork || n < 2 || omp_get_max_threads() == 1 ||
      omp_in_parallel()) {
    body(std::size_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const auto threads = static_cast<std::size_t>(omp_get_num_threads());
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    body(n * t / threads, n * (t + 1) / threads);
  }
}

}  // namespace gradlab
