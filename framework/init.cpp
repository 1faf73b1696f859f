#include "framework/init.h"

#include <cmath>
#include <stdexcept>

#include "framework/config_reader.h"

namespace gradlab {

namespace {
struct InitName {
  Init init;
  const char* name;
};
constexpr InitName kInitNames[] = {{Init::kaiming_uniform, "kaiming_uniform"},
                                   {Init::kaiming_normal, "kaiming_normal"},
                                   {Init::xavier_uniform, "xavier_uniform"},
                                   {Init::xavier_normal, "xavier_normal"},
                                   {Init::pytorch, "pytorch"}};
}  // namespace

const std::vector<std::string>& init_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const InitName& entry : kInitNames) all.push_back(entry.name);
    return all;
  }();
  return names;
}

Init parse_init(const std::string& name) {
  for (const InitName& entry : kInitNames)
    if (name == entry.name) return entry.init;
  throw std::invalid_argument("unknown initialiser '" + name +
                              "' (valid: " + join_names(init_names()) + ")");
}

std::string to_string(Init init) {
  for (const InitName& entry : kInitNames)
    if (entry.init == init) return entry.name;
  return "unknown";
}

template <class T>
void initialize(Tensor<T>& weight, Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
  if (fan_in == 0 || fan_out == 0)
    throw std::invalid_argument("initialize: fan_in and fan_out must be > 0");
  const bool kaiming = init == Init::kaiming_normal || init == Init::kaiming_uniform;
  const double variance = init == Init::pytorch ? 1.0 / (3.0 * fan_in)  // U(±1/√fan_in)
                          : kaiming             ? 2.0 / fan_in
                                                : 2.0 / (fan_in + fan_out);
  const bool normal = init == Init::kaiming_normal || init == Init::xavier_normal;
  // U(−a, a) has variance a²/3, so a = √(3·variance).
  const double std_dev = std::sqrt(variance), bound = std::sqrt(3.0 * variance);
  for (T& w : weight)
    w = static_cast<T>(normal ? std_dev * rng.normal() : rng.uniform(-bound, bound));
}

template <class T>
void initialize_bias(Tensor<T>& bias, Init init, std::size_t fan_in, Rng& rng) {
  if (init != Init::pytorch) {
    bias.fill(T(0));
    return;
  }
  if (fan_in == 0) throw std::invalid_argument("initialize_bias: fan_in must be > 0");
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (T& b : bias) b = static_cast<T>(rng.uniform(-bound, bound));
}

template void initialize_bias<float>(Tensor<float>&, Init, std::size_t, Rng&);
template void initialize_bias<double>(Tensor<double>&, Init, std::size_t, Rng&);
template void initialize<float>(Tensor<float>&, Init, std::size_t, std::size_t, Rng&);
template void initialize<double>(Tensor<double>&, Init, std::size_t, std::size_t, Rng&);

}  // namespace gradlab
