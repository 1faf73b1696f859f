// Ops in a row on oneDNN memories (chain/op.h): each reads its predecessor's output, reordered
// only where the two layouts differ. What a chain runs between its two plain ends (chain.h), and
// each branch of a residual block inside it (chain/residual.h).
//
// Forward keeps every op's output (backward reads them). Backward walks the ops in reverse: op k
// receives ∂L/∂dst in a buffer of its own, which is op k's output buffer wherever that output
// is dead by then (op k does not read it in backward and op k+1 reads its input before it writes
// its input gradient), and writes ∂L/∂src into op k−1's.
#pragma once

#include <memory>
#include <vector>

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/onednn/chain/relayout.h"

namespace gradlab::onednn {

class OpSequence {
 public:
  // layers: non-empty, ReLUs merged (Layer::relu); offered: the layout and N×C×H×W shape the
  // input comes in; precision: what the convolutions compute in.
  OpSequence(const std::vector<Chain::Layer>& layers, const dnnl::memory::desc& offered,
             Precision precision);

  const dnnl::memory::desc& src_desc() const { return offered_; }
  const dnnl::memory::desc& dst_desc() const { return ops_.back()->dst_desc(); }
  Chain::Shape4 output_shape() const { return output_shape_; }
  // Entries of the parameters argument it takes: its ops', in order.
  std::size_t parameter_count() const { return parameter_count_; }
  // As Op's (chain/op.h), for the sequence as a whole.
  bool reads_dst_in_backward() const { return ops_.back()->reads_dst_in_backward(); }
  bool overwrites_diff_dst() const { return ops_.back()->overwrites_diff_dst(); }
  bool writes_diff_src_over_src() const;

  // Runs every op; returns the last one's output (valid until the next forward). Each op's time
  // goes to the observer (null: none) under its index, or, `within` an op (a residual block's
  // branches), to that op's laps.
  const dnnl::memory& forward(const dnnl::memory& src, const LayerParameters* parameters,
                              ChainObserver* observer, Laps* within = nullptr);
  // A buffer for ∂L/∂(last output), in dst_desc(): the last output's own when backward does not
  // read that, else new. Made once per call: keep it.
  dnnl::memory make_output_gradient() const;
  // After forward: diff_dst = ∂L/∂(output) in dst_desc(), which backward may overwrite; writes
  // ∂L/∂src into diff_src (src_desc()) unless it is null, and then stops at the first op with
  // parameters, whose input gradient nobody needs.
  void backward(const dnnl::memory& diff_dst, const dnnl::memory* diff_src,
                const LayerParameters* parameters, ChainObserver* observer, Laps* within = nullptr);

  // Every op's implementations, then the reorders' (see Chain::implementations).
  std::vector<std::string> implementations();
  // Reorders between its ops (first_included: also the one before its first op) and inside them.
  std::size_t reorders(bool first_included) const;
  // After forward: each op's output under its layer's tag, an op's inner ones before its own.
  void visit_outputs(const OpOutputVisitor& visit) const;

 private:
  void make_backward();
  // Op k's entries of the sequence's parameters, null for an op without.
  const LayerParameters* parameters_of(std::size_t k, const LayerParameters* parameters) const;

  dnnl::memory::desc offered_;
  Chain::Shape4 output_shape_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<std::size_t> tags_;           // op k's layer's (Chain::Layer::tag)
  std::vector<std::size_t> parameters_at_;  // op k's first entry in the parameters argument
  std::size_t parameter_count_ = 0;
  std::size_t first_parameters_;  // the first op with parameters (ops_.size() if none)
  std::vector<InputLayout> to_src_;
  std::vector<dnnl::memory> src_, dst_;

  bool has_backward_ = false;
  std::vector<dnnl::memory> diff_dst_;  // ∂L/∂dst of ops 0 … L−2 (the last one's comes in)
  std::vector<OutputLayout> from_diff_src_;
};

}  // namespace gradlab::onednn
