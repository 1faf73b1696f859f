// A oneDNN element-wise primitive as an element-wise kernel (kernels/elementwise.h), for any
// activation oneDNN has an algorithm for (eltwise_swish, eltwise_gelu_erf, eltwise_logistic, ...).
// An activation's file registers it for its kind on the oneDNN backend:
//
//   const onednn::EltwiseRegistration swish_onednn("swish", dnnl::algorithm::eltwise_swish, 1.0f);
//
// The values are one plain 1-D tensor of n; primitives are made once per n and kept (a model
// alternates between a few batch sizes). Backward reads the input x, or the output y for the
// algorithms oneDNN names *_use_dst_for_bwd.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/backend.h"
#include "framework/kernels/elementwise.h"

namespace gradlab::onednn {

class EltwiseKernel : public ElementwiseKernel<float> {
 public:
  // alpha, beta: the algorithm's parameters, as oneDNN defines them (swish: y = x·σ(alpha·x)).
  // Throws std::invalid_argument if oneDNN has only a reference ("ref:") implementation of it.
  explicit EltwiseKernel(dnnl::algorithm algorithm, float alpha = 0.0f, float beta = 0.0f);
  ~EltwiseKernel() override;

  void forward(const float* x, float* y, std::size_t n) override;
  void backward(const float* x, const float* y, const float* dy, float* dx, std::size_t n) override;
  bool backward_reads_input() const override;
  // "onednn:jit:avx2" for the forward primitive, then ", onednn:..." for the backward once made.
  std::string implementation() const override;

 private:
  struct Plan;
  Plan& plan(std::size_t n);

  dnnl::algorithm algorithm_;
  float alpha_, beta_;
  std::map<std::size_t, std::unique_ptr<Plan>> plans_;
};

// Registers the oneDNN backend's kernel for a kind as this algorithm with fixed parameters
// (register_elementwise_kernel, kernels/backend.h, for parameters read from the layer's OpSpec).
struct EltwiseRegistration {
  EltwiseRegistration(const std::string& kind, dnnl::algorithm algorithm, float alpha = 0.0f,
                      float beta = 0.0f);
};

}  // namespace gradlab::onednn
