// Inverted dropout (Srivastava et al. 2014, scaled at training time as PyTorch does).
//   training:  m_i = [u_i ≥ p] / (1 − p),  y = x ⊙ m,  dx = dy ⊙ m
//   eval:      y = x,  dx = dy
// Scaling by 1/(1 − p) keeps E[y] = x, so nothing changes at evaluation time.
#pragma once

#include <cstdint>

#include "framework/layers/activation.h"
#include "framework/random.h"

namespace gradlab {

template <class T>
class Dropout : public Activation<T> {
 public:
  // p ∈ [0, 1]: the probability that an element is zeroed. Masks are drawn from an own Rng.
  Dropout(double p, std::uint64_t seed);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"dropout"};
    op.alpha = p_;
    return op;
  }

  // While frozen, forward reuses the last mask instead of drawing a new one (for gradient
  // checks, which need the same function on every evaluation).
  void freeze_mask(bool frozen) { mask_frozen_ = frozen; }
  const Tensor<T>& mask() const { return mask_; }
  std::vector<std::pair<std::string, Rng*>> named_rngs() override { return {{"rng", &rng_}}; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  double p_;
  Rng rng_;
  Tensor<T> mask_;
  bool mask_frozen_ = false;
  bool masked_ = false;  // whether the last forward applied the mask
};

}  // namespace gradlab
