// gradlab's own SIMD paths. Two kernels have hand-written AVX2 + FMA versions (max-pooling on
// oneDNN's blocked layouts, and backward-weights of one-input-channel convolutions), and the
// optimizers' update loops are compiled twice (parallel_for_simd below); each has a portable twin
// built for baseline x86-64, and the build never assumes more than that baseline (no -march),
// because the machine that runs it is not known. The level is chosen at run time:
//   avx2      the CPU has AVX2 and FMA (the default on such a CPU)
//   baseline  the portable versions: every other CPU, or any CPU with GRADLAB_MAX_CPU_ISA=baseline
// The environment variable lowers the level the way ONEDNN_MAX_CPU_ISA lowers oneDNN's, so every
// path can be tested on one machine (tests/CMakeLists.txt runs the kernel tests under both, and
// under several of oneDNN's levels; docs/decisions.md has the matrix).
#pragma once

#include <cstddef>
#include <string>

#include "framework/parallel.h"

namespace gradlab {

enum class SimdLevel { baseline, avx2 };

// The level in use: the CPU's, lowered by GRADLAB_MAX_CPU_ISA ("avx2" or "baseline", any case;
// another value is an error naming the valid ones) or by set_max_simd_level.
SimdLevel simd_level();

// What the CPU itself supports.
SimdLevel cpu_simd_level();

// Tests: use at most this level from now on (never more than the CPU has).
void set_max_simd_level(SimdLevel level);

std::string to_string(SimdLevel level);

// parallel_for (framework/parallel.h) with the body compiled for the level in use: the same loop
// built for baseline x86-64 and for AVX2 + FMA, chosen at run time, for element-wise loops the
// compiler vectorises. Adam's update over LeNet's 215k weights: 109 µs with 4-wide vectors, 58 µs
// with 8-wide, on 2 threads (docs/benchmarks.md). Give the body's lambda
// __attribute__((always_inline)) so that it is compiled inside each version. Floating-point
// contraction is off (CMakeLists.txt), so both versions round alike: bit-identical results.
template <class Body>
void parallel_for_simd(std::size_t n, const Body& body, std::size_t work_per_item = 1);

namespace simd_detail {
template <class Body>
void run_baseline(const Body& body, std::size_t begin, std::size_t end) {
  body(begin, end);
}
#if defined(__x86_64__)
template <class Body>
__attribute__((target("avx2,fma"))) void run_avx2(const Body& body, std::size_t begin,
                                                  std::size_t end) {
  body(begin, end);
}
#endif
}  // namespace simd_detail

template <class Body>
void parallel_for_simd(std::size_t n, const Body& body, std::size_t work_per_item) {
#if defined(__x86_64__)
  if (simd_level() == SimdLevel::avx2) {
    parallel_for(
        n, [&](std::size_t begin, std::size_t end) { simd_detail::run_avx2(body, begin, end); },
        work_per_item);
    return;
  }
#endif
  parallel_for(
      n, [&](std::size_t begin, std::size_t end) { simd_detail::run_baseline(body, begin, end); },
      work_per_item);
}

}  // namespace gradlab
