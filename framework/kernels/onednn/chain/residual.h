// A residual block inside a chain (framework/residual.h has the math), its body and shortcut each
// a run of ops in the layouts they choose (chain/sequence.h), and the ReLU that follows the block
// in its sum:
//   forward:   z = body(x) + shortcut(x)      (the identity for an empty shortcut)
//              y = relu(z), or y = z
//   backward:  dz = dy · [y > 0], or dy
//              dx = ∂body/∂x · dz + ∂shortcut/∂x · dz      (identity: + dz)
// Nothing leaves oneDNN's blocked layouts: the sum and its gradient run element by element over
// whole buffers of one layout (padding channels hold zeros in both operands, and keep them), so
// a ResNet runs from its stem to its last block without a reorder. oneDNN's sum post-op cannot
// take the add here: the body ends in a batch normalisation, whose primitive has no post-ops.
#pragma once

#include <vector>

#include "framework/kernels/onednn/chain/sequence.h"

namespace gradlab::onednn {

// y = a + b, or max(0, a + b), over n floats, on both threads; y may be a or b.
void residual_sum(const float* a, const float* b, float* y, std::size_t n, bool relu);
// dz = dy · [y > 0] (or dy), written to dz and, unless it is null, to dz_copy; dz may be dy.
void residual_sum_backward(const float* dy, const float* y, float* dz, float* dz_copy,
                           std::size_t n, bool relu);
// y += x over n floats.
void accumulate(float* y, const float* x, std::size_t n);

class ResidualOp : public Op {
 public:
  // body: non-empty; shortcut: empty for the identity; relu: a ReLU follows the block; offered:
  // the layout the input comes in; precision: the branches' convolutions'.
  ResidualOp(const std::vector<Chain::Layer>& body, const std::vector<Chain::Layer>& shortcut,
             bool relu, const dnnl::memory::desc& offered, Precision precision);

  const dnnl::memory::desc& src_desc() const override { return body_.src_desc(); }
  const dnnl::memory::desc& dst_desc() const override { return body_.dst_desc(); }
  std::size_t parameter_count() const override;
  bool reads_dst_in_backward() const override { return relu_; }
  // The shortcut runs its backward first, into a buffer of its own; then the body, whose first
  // op is the only reader of src left.
  bool writes_diff_src_over_src() const override { return body_.writes_diff_src_over_src(); }
  void forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters* parameters,
               Laps& laps) override;
  void backward(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                const dnnl::memory* diff_src, const LayerParameters* parameters,
                Laps& laps) override;
  std::vector<std::string> implementations() override;
  std::size_t inner_reorders() const override;
  void visit_inner_outputs(const OpOutputVisitor& visit) const override;

 private:
  void make_backward();

  OpSequence body_;
  std::unique_ptr<OpSequence> shortcut_;  // null: the identity
  bool relu_;
  InputLayout skip_layout_;  // the shortcut's output (or x) in the body's output layout
  bool has_backward_ = false;
  // dz for the body: a copy of its own if the body or the shortcut overwrites the gradient it
  // is given, else dz itself (diff_dst)
  bool body_gradient_copied_ = false;
  dnnl::memory body_gradient_;
  InputLayout to_shortcut_gradient_;  // dz in the shortcut's output layout
  dnnl::memory skip_input_gradient_;  // the shortcut's dx, added into the body's
  InputLayout identity_to_src_;       // dz in the input's layout (identity)
};

}  // namespace gradlab::onednn
