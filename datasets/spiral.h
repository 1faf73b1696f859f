// The spiral data set (CS231n): K interleaved spiral arms in the plane, one class per arm.
// Not linearly separable, so a linear model fails and a small MLP succeeds: a quick, honest demo.
//   for class k, point i of n:  r = i/(n−1),  θ = 4k + 4r + noise·z,  x = (r sin θ, r cos θ)
#pragma once

#include "framework/random.h"
#include "framework/tensor.h"

namespace gradlab {

struct SpiralData {
  Tensor<float> points;  // (K·n) × 2
  Labels labels;         // K·n values in [0, K)
};

SpiralData make_spiral(std::size_t points_per_class, std::size_t classes, double noise, Rng& rng);

}  // namespace gradlab
