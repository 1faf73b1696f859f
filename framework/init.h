// Weight initialisers. fan_in / fan_out count the inputs / outputs feeding one unit:
// Linear: D_in / D_out; Conv2d: C_in·K·K / C_out·K·K.
//
//   kaiming_normal   w ~ N(0, 2/fan_in)                      He et al. 2015, for ReLU nets
//   kaiming_uniform  w ~ U(±√(6/fan_in))                     same variance, uniform
//   xavier_normal    w ~ N(0, 2/(fan_in + fan_out))          Glorot & Bengio 2010, for tanh/sigmoid
//   xavier_uniform   w ~ U(±√(6/(fan_in + fan_out)))         same variance, uniform
//   pytorch          w ~ U(±1/√fan_in), b ~ U(±1/√fan_in)   PyTorch's default for Linear and
//                    Conv2d (kaiming_uniform with a = √5: √(6/((1 + 5) fan_in)) = 1/√fan_in)
// Biases start at zero, except with `pytorch`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

enum class Init { kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform, pytorch };

// "kaiming_normal" → Init::kaiming_normal; throws std::invalid_argument listing the valid names.
Init parse_init(const std::string& name);
const std::vector<std::string>& init_names();
std::string to_string(Init init);

// Fills weight in row-major order from rng, so a seed fixes every value.
template <class T>
void initialize(Tensor<T>& weight, Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng);

// A bias after its weight (the draws follow the weight's, as in PyTorch): zeros, or with
// Init::pytorch U(±1/√fan_in).
template <class T>
void initialize_bias(Tensor<T>& bias, Init init, std::size_t fan_in, Rng& rng);

}  // namespace gradlab
