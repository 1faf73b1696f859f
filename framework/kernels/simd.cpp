#include "framework/kernels/simd.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace gradlab {

namespace {

SimdLevel from_environment() {
  const char* value = std::getenv("GRADLAB_MAX_CPU_ISA");
  if (!value || !*value) return SimdLevel::avx2;
  std::string name(value);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "avx2") return SimdLevel::avx2;
  if (name == "baseline") return SimdLevel::baseline;
  throw std::invalid_argument("GRADLAB_MAX_CPU_ISA: unknown value '" + std::string(value) +
                              "' (valid: avx2, baseline)");
}

// The cap; -1 until first read from the environment.
std::atomic<int> max_level{-1};

}  // namespace

SimdLevel cpu_simd_level() {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2 ? SimdLevel::avx2 : SimdLevel::baseline;
#else
  return SimdLevel::baseline;
#endif
}

SimdLevel simd_level() {
  int cap = max_level.load(std::memory_order_relaxed);
  if (cap < 0) {
    cap = static_cast<int>(from_environment());
    max_level.store(cap, std::memory_order_relaxed);
  }
  return std::min(cpu_simd_level(), static_cast<SimdLevel>(cap));
}

void set_max_simd_level(SimdLevel level) {
  max_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

std::string to_string(SimdLevel level) {
  return level == SimdLevel::avx2 ? "avx2" : "baseline";
}

}  // namespace gradlab
