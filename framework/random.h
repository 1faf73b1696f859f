// The one source of randomness: a seeded 64-bit Mersenne Twister with our own distributions.
//
// Why not std::normal_distribution / std::uniform_real_distribution: their algorithms are left to
// the standard library, so the same seed gives different weights under libstdc++ and libc++.
// The formulas below are fixed, so a seed fixes every weight, mask and shuffle bit for bit.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace gradlab {

// A seed for stream `index` derived from `seed` (splitmix64 of seed + index · 0x9E37…): nearby
// indices give unrelated seeds. Epochs, images within an epoch and ranks get their streams so.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * index;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }

  // Uniform on [0, 1) with 53 random bits: u = (bits >> 11) · 2⁻⁵³.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform on [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Standard normal by Box–Muller: z = √(−2 ln u₁) · cos(2π u₂), with u₁ ∈ (0, 1].
  double normal();

  // 1 with probability p, else 0.
  bool bernoulli(double p) { return uniform() < p; }

  // Uniform integer in [0, n), without modulo bias (rejection sampling). n must be > 0.
  std::uint64_t below(std::uint64_t n);

  // The full engine state as text, and back: enough to resume a run bit-identically.
  std::string state() const;
  void set_state(const std::string& state);

 private:
  std::mt19937_64 engine_;
};

}  // namespace gradlab
