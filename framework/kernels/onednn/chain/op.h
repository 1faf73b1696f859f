// One layer of a chain (chain.h), run on oneDNN memories in layouts it chooses.
//
// Each op is planned for one input shape and the layout its predecessor leaves ("offered"); it
// says which layout it reads its input in (src) and writes its output in (dst). Gradients travel
// in the same layouts as the values: an op receives ∂L/∂dst in dst's layout and writes ∂L/∂src
// in src's. Where one op's dst and the next op's src differ, the chain reorders between them.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace gradlab::onednn {

// An op's parameters and their gradients (accumulated into, +=), null for what it has not.
//   convolution:  weight O×I×K×K, bias O (null exactly when the layer has none)
//   batch norm:   weight γ and bias β, C each (null when not affine), and the running statistics,
//                 C each, which a training forward updates and an evaluation forward reads;
//                 batch_statistics says which of the two the layer is in, each batch norm its own
//                 (a frozen one in evaluation may sit in a chain that trains, as in PyTorch)
struct LayerParameters {
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* weight_grad = nullptr;
  float* bias_grad = nullptr;
  float* running_mean = nullptr;
  float* running_var = nullptr;
  bool batch_statistics = true;
};

// A float memory's values (the chains run in f32 throughout).
inline float* data(const dnnl::memory& m) {
  return static_cast<float*>(m.get_data_handle());
}

// What a chain spends its time on, reported piece by piece to an observer when one is set (the
// benchmark's: bench/gradlab_bench.cpp). Unobserved, nothing is timed.
enum class Work {
  convolution_forward,
  convolution_backward_data,
  convolution_backward_weights,
  pooling,
  relu,
  batch_norm,
  residual_sum,  // a residual block's sum, with the ReLU after it, and their backward
  reorder
};
class ChainObserver {
 public:
  virtual ~ChainObserver() = default;
  // `op` is the op's index in the chain (reorders between ops count to the op that reads them).
  virtual void ran(std::size_t op, Work work, double seconds) = 0;
};

// Times consecutive pieces of work for an observer: each lap() reports the time since the
// previous one. oneDNN's CPU primitives have finished when execute() returns.
class Laps {
 public:
  Laps(ChainObserver* observer, std::size_t op) : observer_(observer), op_(op) {
    if (observer_) last_ = std::chrono::steady_clock::now();
  }
  void lap(Work work) {
    if (!observer_) return;
    const auto now = std::chrono::steady_clock::now();
    observer_->ran(op_, work, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  ChainObserver* observer_;
  std::size_t op_;
  std::chrono::steady_clock::time_point last_;
};

// Told an op's output (in its own layout) and the tag of the layer it belongs to
// (Chain::visit_outputs).
using OpOutputVisitor = std::function<void(std::size_t tag, const dnnl::memory& value)>;

class Op {
 public:
  virtual ~Op() = default;
  // The layouts it reads its input in and writes its output in.
  virtual const dnnl::memory::desc& src_desc() const = 0;
  virtual const dnnl::memory::desc& dst_desc() const = 0;
  // Whether backward reads the forward's output (then its gradient cannot share its buffer).
  virtual bool reads_dst_in_backward() const = 0;
  // Whether backward overwrites diff_dst (a ReLU's backward applied in place); if not, others
  // may read the same gradient after it.
  virtual bool overwrites_diff_dst() const { return true; }
  // Whether backward may write ∂L/∂src over src (see backward); if not, the chain gives the
  // input gradient a buffer of its own.
  virtual bool writes_diff_src_over_src() const { return true; }
  // How many entries of the chain's parameters it takes (one per convolution and batch norm;
  // a residual block, its branches'), from the pointer forward and backward are given.
  virtual std::size_t parameter_count() const { return 0; }
  // parameters: the op's, null for ops without.
  virtual void forward(const dnnl::memory& src, const dnnl::memory& dst,
                       const LayerParameters* parameters, Laps& laps) = 0;
  // diff_dst: ∂L/∂dst in dst's layout, which backward may overwrite. diff_src: where ∂L/∂src
  // goes, in src's layout, or null when nobody needs it. Unless writes_diff_src_over_src() says
  // otherwise, backward reads src before it writes diff_src, so the two may share a buffer.
  virtual void backward(const dnnl::memory& src, const dnnl::memory& dst,
                        const dnnl::memory& diff_dst, const dnnl::memory* diff_src,
                        const LayerParameters* parameters, Laps& laps) = 0;
  // The implementation of each piece it runs ("jit:avx512_core", "gradlab:im2col+sgemm",
  // "reorder jit:uni", ...); tests rule out "ref".
  virtual std::vector<std::string> implementations() = 0;
  // How many reorders it runs inside (a residual block's branches), for a chain's count.
  virtual std::size_t inner_reorders() const { return 0; }
  // The outputs of the ops it runs inside (a residual block's branches), after a forward.
  virtual void visit_inner_outputs(const OpOutputVisitor& /*visit*/) const {}
};

}  // namespace gradlab::onednn
