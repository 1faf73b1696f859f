// Batch normalisation inside a chain, on oneDNN's batch-normalisation primitive, in the layout
// the data comes in (layers/batchnorm.h has the math and PyTorch's conventions):
//   training:    y = γ (x − μ_B) / √(σ²_B + ε) + β over the batch's statistics, which then
//                update the running ones (ours: oneDNN computes μ_B and the biased σ²_B)
//                  running_mean ← (1 − momentum) running_mean + momentum μ_B
//                  running_var  ← (1 − momentum) running_var  + momentum σ²_B · m/(m − 1)
//   evaluation:  the same with the running statistics (oneDNN's use_global_stats)
//   backward:    dγ += Σ dy x̂, dβ += Σ dy (oneDNN writes them; we add), dx through the batch
//                statistics in training, γ/√(running_var + ε) · dy in evaluation
// A ReLU after it runs inside (oneDNN's fuse_norm_relu): forward keeps a bit per element of
// [y > 0] in a workspace, backward masks dy with it, so the output is never read again in
// backward and its gradient can take its buffer. Where oneDNN has no acceptable fused kernel
// the op applies ReLU and its backward itself.
#pragma once

#include <memory>

#include "framework/kernels/onednn/chain/op.h"

namespace gradlab::onednn {

class BatchNormOp : public Op {
 public:
  // offered: the layout its input comes in (N × C × H × W); relu: a ReLU follows it.
  BatchNormOp(const dnnl::memory::desc& offered, float eps, double momentum, bool affine,
              bool relu);
  ~BatchNormOp() override;

  const dnnl::memory::desc& src_desc() const override { return layout_; }
  const dnnl::memory::desc& dst_desc() const override { return layout_; }
  std::size_t parameter_count() const override { return 1; }
  bool reads_dst_in_backward() const override { return relu_ && !relu_fused_; }
  bool overwrites_diff_dst() const override { return relu_ && !relu_fused_; }
  // oneDNN documents its backward pass in place over diff_dst, not over src.
  bool writes_diff_src_over_src() const override { return false; }
  void forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters* parameters,
               Laps& laps) override;
  void backward(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                const dnnl::memory* diff_src, const LayerParameters* parameters,
                Laps& laps) override;
  // Forward, then backward.
  std::vector<std::string> implementations() override;

 private:
  struct Passes;  // the primitives for one mode (training or evaluation), made on first use
  Passes& passes(bool training);
  void make_backward(Passes& p);

  dnnl::memory::desc layout_;
  float eps_;
  double momentum_;
  bool affine_, relu_, relu_fused_ = false;
  bool last_forward_training_ = true;   // which statistics backward goes through
  std::size_t channels_, per_channel_;  // C, and m = N·H·W values per channel
  std::unique_ptr<Passes> training_passes_, evaluation_passes_;
  dnnl::memory mean_, variance_;  // the last training forward's batch statistics
  dnnl::memory diff_scale_, diff_shift_, diff_src_scratch_;
};

}  // namespace gradlab::onednn
