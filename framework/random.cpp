#include "framework/random.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gradlab {

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: keeps log finite
  const double u2 = uniform();
  constexpr double two_pi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below: n must be > 0");
  // Accept only draws below the largest multiple of n, so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t draw;
  do draw = engine_();
  while (draw >= limit);
  return draw % n;
}

std::string Rng::state() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

void Rng::set_state(const std::string& state) {
  std::istringstream in(state);
  std::mt19937_64 engine;
  in >> engine;
  if (in.fail()) throw std::invalid_argument("Rng::set_state: not a valid mt19937_64 state");
  engine_ = engine;
}

}  // namespace gradlab
