// Multi-layer perceptron: Linear → ReLU → … → Linear (no activation after the last layer; the
// loss takes logits). sizes = {D_in, hidden…, D_out}, e.g. {784, 256, 128, 10}.
#pragma once

#include <memory>
#include <stdexcept>
#include <vector>

#include "framework/layers/linear.h"
#include "framework/layers/relu.h"
#include "framework/sequential.h"

namespace gradlab {

template <class T>
std::unique_ptr<Sequential<T>> make_mlp(const std::vector<std::size_t>& sizes, Rng& rng) {
  if (sizes.size() < 2) throw std::invalid_argument("make_mlp: need at least {D_in, D_out}");
  auto model = std::make_unique<Sequential<T>>();
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    model->template emplace<Linear<T>>(sizes[i], sizes[i + 1], rng);
    if (i + 2 < sizes.size()) model->template emplace<ReLU<T>>();
  }
  return model;
}

}  // namespace gradlab
