// Linear (fully connected) layer.
//   X: N × D_in,  W: D_in × D_out,  b: D_out,  Y: N × D_out
//   forward:   Y  = X W + b
//   backward:  dW += Xᵀ dY,   db += Σ_n dY[n, :],   dX = dY Wᵀ
#pragma once

#include "framework/init.h"
#include "framework/module.h"

namespace gradlab {

template <class T>
class Linear : public Layer<T> {
 public:
  // W is drawn with `init` (fan_in = D_in, fan_out = D_out); b starts at zero.
  Linear(std::size_t in_features, std::size_t out_features, Rng& rng,
         Init init = Init::kaiming_uniform, bool bias = true);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{"linear"};
    op.in_size = in_features_, op.out_size = out_features_;
    op.weight = &weight_, op.bias = has_bias_ ? &bias_ : nullptr;
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  std::size_t forward_flops(const Shape& input_shape) const override {
    return 2 * output_shape(input_shape)[0] * in_features_ * out_features_;
  }
  std::size_t in_features() const { return in_features_; }
  std::size_t out_features() const { return out_features_; }

  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  bool has_bias() const { return has_bias_; }

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  std::size_t in_features_, out_features_;
  bool has_bias_;
  Parameter<T> weight_, bias_;
  Tensor<T> input_;  // X, kept for dW = Xᵀ dY
};

}  // namespace gradlab
