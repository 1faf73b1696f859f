// A run of layers — convolutions, batch normalisation, ReLU, max-pooling, and residual blocks of
// them — on oneDNN's layouts from end to end (float32).
//
// Run layer by layer, a convolution's output leaves oneDNN's blocked layout for N×C×H×W (a
// reorder as costly as LeNet's first convolution), the next layer works on that, and the next
// convolution reorders it back; the backward pass does the same with every gradient. Here each
// op (chain/op.h) reads its input in the layout it wants, given the layout its predecessor
// leaves, and the chain reorders only where two neighbours disagree — in LeNet, in the strided
// 27/21/33-channel benchmark model and in the shipped ResNets from the stem to the last block,
// nowhere — and at its two ends, where data is plain N×C×H×W. A residual block is one op whose
// body and shortcut are runs of ops themselves (chain/residual.h, chain/sequence.h), its sum and
// the ReLU after it computed in the blocked layout. Gradients travel in the same layouts as
// values. ReLU after a
// convolution becomes the convolution's post-op, ReLU after a batch normalisation runs inside it
// (chain/batch_norm.h), and a max-pooling after a convolution with its ReLU applies ReLU's
// backward itself (chain/max_pool.h); an activation's gradient takes the activation's buffer
// wherever the op that made it does not read it again in backward.
//
// Plans (ops, primitives, buffers) are built once per input shape and kept: batch sizes
// alternate between full, last-partial and evaluation batches. Backward buffers are made on the
// first backward, so a shape that only ever runs forward holds none.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/kernels/onednn/chain/op.h"
#include "framework/op_spec.h"
#include "framework/precision.h"

namespace gradlab::onednn {

class Chain {
 public:
  // What the chain runs, in order, as the layers say it.
  struct Layer {
    enum class Kind { convolution, batch_norm, relu, max_pool, residual } kind;
    std::size_t out_channels = 0;             // convolution
    std::size_t kernel_size = 0, stride = 1;  // convolution, max-pooling
    std::size_t padding = 0;                  // convolution
    bool bias = false;                        // convolution; batch norm: affine (γ and β)
    double eps = 1e-5, momentum = 0.1;        // batch norm
    // residual, y = body(x) + shortcut(x): the two branches' layers, an empty shortcut being the
    // identity (chain/residual.h)
    std::vector<Layer> body, shortcut;
    // Set by the chain, not by the layer: the ReLU that follows it runs inside it (a
    // convolution's post-op, inside a batch norm, or after a residual block's sum).
    bool relu = false;
    std::string name;  // for notices: "Conv2d(1 -> 16, ...)"
    // The caller's number for the layer, which visit_outputs reports its output under. A ReLU
    // that runs inside its predecessor gives it its own: the op's output is the ReLU's.
    std::size_t tag = 0;
  };
  using Shape4 = std::array<std::size_t, 4>;  // N, C, H, W

  // What the chain runs for a layer so described (framework/op_spec.h), if it runs that kind:
  // each chain op's file registers the layer kinds it runs and how ("conv2d" in convolution.cpp).
  // name: the layer's, for notices.
  static std::optional<Layer> layer_for(const OpSpec<float>& op, const std::string& name);
  struct KindRegistration {
    KindRegistration(const std::string& kind, std::function<Layer(const OpSpec<float>&)> make);
  };

  // A ReLU right after a convolution runs as its post-op, right after a residual block in its
  // sum, and right after a batch normalisation inside it unless fuse_batch_norm_relu is false
  // (the benchmark measures what it is worth); so also inside residual blocks' branches. Every
  // max-pooling window must have at most 256 positions (MaxPoolOp::supports).
  // precision: what its convolutions compute in (framework/precision.h).
  explicit Chain(std::vector<Layer> layers, bool fuse_batch_norm_relu = true,
                 Precision precision = Precision::f32);
  ~Chain();
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // x: plain N×C×H×W of input_shape, read again by backward (keep it); y: the plain output.
  // parameters: one entry per convolution and batch normalisation, in order; each batch
  // normalisation's says whether it uses (and updates) the batch's statistics or the running ones.
  void forward(const Shape4& input_shape, const float* x, float* y,
               const std::vector<LayerParameters>& parameters);
  // The backward pass of the last forward, once: dy plain, the output's shape; parameter
  // gradients accumulate; dx (plain, the input's shape) is written unless null. A second call
  // without a forward in between throws std::logic_error (gradients take activations' buffers).
  void backward(const float* dy, float* dx, const std::vector<LayerParameters>& parameters);

  // The implementation of every piece the chain runs for this input shape, op after op (see
  // Op::implementations), then "reorder …" for its own reorders.
  std::vector<std::string> implementations(const Shape4& input_shape);
  // How many reorders run between ops (not at the two ends) for this input shape.
  std::size_t inner_reorders(const Shape4& input_shape);

  // What each op the observer hears of is (the index it reports), as the layers name it:
  // "BatchNorm2d(24) + ReLU".
  std::vector<std::string> op_names() const;

  // After a forward and before its backward (whose gradients take the activations' buffers):
  // every op's output of that forward, plain N×C×H×W, under its layer's tag, in the order the
  // ops ran (a residual block's body, its shortcut, then its sum). values are valid during the
  // call only. Throws std::logic_error if no forward is fresh.
  using OutputVisitor =
      std::function<void(std::size_t tag, const float* values, const Shape4& shape)>;
  void visit_outputs(const OutputVisitor& visit);

  // Reports each piece of work's time to the observer (null: no timing at all).
  void set_observer(ChainObserver* observer) { observer_ = observer; }

 private:
  struct Plan;
  Plan& plan(const Shape4& input_shape);
  std::vector<Layer> ops_;  // the layers, with ReLUs merged into what precedes them (Layer::relu)
  Precision precision_;
  std::map<Shape4, std::unique_ptr<Plan>> plans_;
  Plan* last_ = nullptr;        // the last forward's
  bool forward_fresh_ = false;  // no backward has run since the last forward
  ChainObserver* observer_ = nullptr;
  std::vector<float> plain_output_;  // visit_outputs' copy of an output in a blocked layout
};

}  // namespace gradlab::onednn
