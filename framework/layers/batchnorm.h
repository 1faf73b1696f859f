// Batch normalisation (Ioffe & Szegedy 2015), as PyTorch's BatchNorm1d and BatchNorm2d.
//   X: N × C × S (S = H·W for BatchNorm2d's N × C × H × W, 1 or L for BatchNorm1d's N × C or
//   N × C × L); statistics per channel c over its m = N·S values; γ, β: C (affine), ε, momentum.
//   training:   μ_c = (1/m) Σ x,    σ²_c = (1/m) Σ (x − μ_c)²                 (biased)
//               x̂ = (x − μ_c) / √(σ²_c + ε),    y = γ_c x̂ + β_c
//               running_mean ← (1 − momentum) running_mean + momentum μ_c
//               running_var  ← (1 − momentum) running_var  + momentum σ²_c · m/(m − 1)  (unbiased)
//   evaluation: x̂ = (x − running_mean_c) / √(running_var_c + ε),    y = γ_c x̂ + β_c
//   backward:   dβ_c += Σ dy,    dγ_c += Σ dy · x̂
//     training:    dx = γ_c / √(σ²_c + ε) · (dy − (1/m) Σ dy − x̂ (1/m) Σ dy · x̂)
//                  (the batch statistics depend on every x of the channel: the two means are
//                  their share of the gradient)
//     evaluation:  dx = γ_c / √(running_var_c + ε) · dy
// The running statistics are buffers: saved in checkpoints, not trained. The loops are the
// backend's batch-normalisation kernel (kernels/normalization.h; kernels/reference/batch_norm.cpp).
#pragma once

#include <memory>

#include "framework/kernels/backend.h"
#include "framework/module.h"

namespace gradlab {

// BatchNorm1d (N × C or N × C × L) or BatchNorm2d (N × C × H × W).
enum class BatchNormKind { d1, d2 };

template <class T>
class BatchNorm : public Layer<T> {
 public:
  using Kind = BatchNormKind;

  BatchNorm(Kind kind, std::size_t num_features, double eps = 1e-5, double momentum = 0.1,
            bool affine = true);

  std::string name() const override;
  OpSpec<T> describe() override {
    OpSpec<T> op{kind_ == Kind::d1 ? "batchnorm1d" : "batchnorm2d"};
    op.in_size = op.out_size = num_features_;
    op.eps = eps_, op.momentum = momentum_;
    op.weight = affine_ ? &weight_ : nullptr, op.bias = affine_ ? &bias_ : nullptr;
    op.running_mean = &running_mean_, op.running_var = &running_var_;
    return op;
  }
  Shape output_shape(const Shape& input_shape) const override;
  Kind kind() const { return kind_; }
  std::size_t num_features() const { return num_features_; }
  bool affine() const { return affine_; }
  double eps() const { return eps_; }
  double momentum() const { return momentum_; }

  Parameter<T>& weight() { return weight_; }  // γ
  Parameter<T>& bias() { return bias_; }      // β
  const Tensor<T>& running_mean() const { return running_mean_; }
  const Tensor<T>& running_var() const { return running_var_; }
  // The running statistics in place, for tests that set them.
  T* running_mean_data() { return running_mean_.data(); }
  T* running_var_data() { return running_var_.data(); }

  // 2 where a sample holds one value per channel (BatchNorm1d on N × C, or a 1 × 1 plane).
  std::size_t smallest_training_batch(const Shape& input_shape) const override;
  // Throws ShapeError unless training on this input has more than one value per channel.
  void check_training_input(const Shape& input_shape) const override;

 protected:
  void forward_impl(const Tensor<T>& input, Tensor<T>& output) override;
  void backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) override;

 private:
  Kind kind_;
  std::size_t num_features_;
  double eps_, momentum_;
  bool affine_;
  Parameter<T> weight_, bias_;
  Tensor<T> running_mean_, running_var_;
  // The backend's kernel (it keeps x̂ and 1/√(σ² + ε) for backward), made when first needed
  // after the backend changes, and the last forward's sizes.
  BatchNormKernel<T>& kernel();
  KernelForBackend<BatchNormKernel<T>> kernel_;
  BatchNormGeometry geometry_{};
};

}  // namespace gradlab
