// Convolution → ReLU → max-pooling as one block (float32), the block of LeNet- and VGG-style
// networks, with the contract of the three reference layers run in a row:
//   y  = maxpool(relu(conv(x, w) + b))                       plain N×C×H×W in, plain out
//   dW += …, db += …, dx = …  of that composition, from dy (plain, y's shape)
//
// Why fuse: run layer by layer, the convolution's output leaves oneDNN's blocked layout for NCHW
// (a reorder as costly as the convolution at LeNet's first layer), ReLU and pooling then make
// four more passes over it, and the backward pass reorders it back. Here it never leaves the
// blocked layout: ReLU is oneDNN's convolution post-op, pooling runs on the blocked tensor
// (blocked_maxpool.h), and only the pooled result — a quarter of the size for 2×2 pooling — is
// reordered to NCHW, or not at all when the next block is linked (link()). Backward uses
//   relu'(pool⁻¹ …): dconv = pool_backward(dy · [y > 0])
// which holds because the pooled maximum y is the ReLU output at the window's argmax, the only
// place pooling sends the gradient: masking dy before pooling's scatter equals masking the
// scattered gradient after it, on a quarter of the elements. Tests compare blocks and chains of
// blocks with the reference layers (tests/framework/layers/conv_relu_pool_test.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "framework/kernels/onednn/blocked_backward_weights.h"
#include "framework/kernels/onednn/conv2d_im2col.h"
#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

struct ConvReluPoolGeometry {
  reference::Conv2dGeometry conv;
  std::size_t pool_K, pool_S;  // pooling window and stride, no padding
  std::size_t H_pool, W_pool;  // floor((H_out − pool_K) / pool_S) + 1, likewise for W
};

class ConvReluPoolKernel {
 public:
  explicit ConvReluPoolKernel(bool with_bias);
  ~ConvReluPoolKernel();
  ConvReluPoolKernel(const ConvReluPoolKernel&) = delete;
  ConvReluPoolKernel& operator=(const ConvReluPoolKernel&) = delete;

  // False when this geometry cannot run fused (then run the layers one by one): oneDNN has only
  // reference kernels for one of its convolution passes with a blocked output, or the pooling
  // window is too large. Builds the forward primitives otherwise; the backward ones are built on
  // the first backward.
  bool supports(const ConvReluPoolGeometry& g);
  // Why not, in words ("" when it does).
  std::string why_unsupported(const ConvReluPoolGeometry& g);

  // b is the bias (null exactly when the kernel was made without one).
  void forward(const ConvReluPoolGeometry& g, const float* x, const float* w, const float* b,
               float* y);
  // x is the last forward's input. Accumulates into dw and db (db null exactly when there is no
  // bias); overwrites dx unless it is null (no input gradient wanted).
  void backward(const ConvReluPoolGeometry& g, const float* x, const float* w, const float* dy,
                float* dx, float* dw, float* db);

  // Chains this block to the next one, whose input is this block's output, when their layouts
  // allow: then this block pools straight into the blocked memory the next block's convolution
  // reads, and the next block's backward writes its input gradient straight into the blocked
  // memory this block's backward reads — no N×C×H×W tensor and no reorder between them. While
  // linked (for these geometries), this block's forward leaves y unwritten and its backward
  // ignores dy; the next block's forward ignores x and its backward computes the input gradient
  // for this block whatever dx is. Returns whether they are linked (decided once per geometry).
  bool link(const ConvReluPoolGeometry& g, ConvReluPoolKernel& next,
            const ConvReluPoolGeometry& next_g);

  // The implementation of each convolution pass: forward (with the ReLU), backward-data and
  // backward-weights; none when the geometry is not supported. "ref…" would mean a slow fallback.
  std::vector<std::string> implementations(const ConvReluPoolGeometry& g);

  // Seconds spent in each part of the calls since timing was turned on, for the benchmark
  // (bench/gradlab_bench.cpp), which reports the convolution passes apart from the rest.
  struct Timing {
    double convolution_forward = 0, backward_data = 0, backward_weights = 0;  // the convolutions
    double pooling = 0;   // max-pooling with ReLU's backward, both directions
    double reorders = 0;  // layout changes, adding the weight gradient
  };
  void set_timing(bool on) {
    timing_on_ = on;
    timing_ = {};
  }
  const Timing& timing() const { return timing_; }

 private:
  struct Plan;
  using Key = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t,
                         std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;
  Plan& plan(const ConvReluPoolGeometry& g);
  bool with_bias_;
  Im2colConvolution im2col_;
  BlockedBackwardWeights direct_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
  bool timing_on_ = false;
  Timing timing_;
};

}  // namespace gradlab::onednn
