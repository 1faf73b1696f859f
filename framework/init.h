// Weight initialisers. fan_in / fan_out count the inputs / outputs feeding one unit:
// Linear: D_in / D_out; Conv2d: C_in·K·K / C_out·K·K.
//
//   kaiming_normal   w ~ N(0, 2/fan_in)                      He et al. 2015, for ReLU nets
//   kaiming_uniform  w ~ U(±√(6/fan_in))                     same variance, uniform
//   xavier_normal    w ~ N(0, 2/(fan_in + fan_out))          Glorot & Bengio 2010, for tanh/sigmoid
//   xavier_uniform   w ~ U(±√(6/(fan_in + fan_out)))         same variance, uniform
#pragma once

#include <cstddef>
#include <string>

#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

enum class Init { kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform };

// "kaiming_normal" → Init::kaiming_normal; throws std::invalid_argument listing the valid names.
Init parse_init(const std::string& name);
std::string to_string(Init init);

// Fills weight in row-major order from rng, so a seed fixes every value.
template <class T>
void initialize(Tensor<T>& weight, Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng);

}  // namespace gradlab
