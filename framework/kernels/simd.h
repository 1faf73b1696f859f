// gradlab's own SIMD paths. Two kernels have hand-written AVX2 + FMA versions (max-pooling on
// oneDNN's blocked layouts, and backward-weights of one-input-channel convolutions); each has a
// portable twin built for baseline x86-64, and the build never assumes more than that baseline
// (no -march), because the machine that runs it is not known. The level is chosen at run time:
//   avx2      the CPU has AVX2 and FMA (the default on such a CPU)
//   baseline  the portable versions: every other CPU, or any CPU with GRADLAB_MAX_CPU_ISA=baseline
// The environment variable lowers the level the way ONEDNN_MAX_CPU_ISA lowers oneDNN's, so every
// path can be tested on one machine (tests/CMakeLists.txt runs the kernel tests under both, and
// under several of oneDNN's levels; docs/decisions.md has the matrix).
#pragma once

#include <string>

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

}  // namespace gradlab
