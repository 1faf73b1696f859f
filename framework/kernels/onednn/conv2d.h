// 2-D convolution through oneDNN (float32), with the contract of kernels/reference/conv2d.h:
// plain N×C×H×W / O×I×K×K buffers in, plain buffers out; backward-weights accumulates.
//
// Why the machinery: with plain NCHW descriptors oneDNN picks a gemm-based kernel at ~50
// GFLOP/s; with format_tag::any it picks its JIT kernel (~95% of the FMA peak) on a blocked
// layout, so the kernel reorders in and out. Creating a primitive costs 60–215 µs, more than
// the small layers take to run, so primitives, reorders and blocked buffers are built once per
// geometry ("plan") and reused. See ../shared/notes/onednn.md for the measurements.
//
// Each pass runs the first acceptable oneDNN implementation over a list of layouts (any, then
// nChw16c, nChw8c, nhwc, nchw; implementation.h says why), and gradlab's im2col + sgemm
// (conv2d_im2col.h) when oneDNN has none; a pass that leaves oneDNN's preferred layout or oneDNN
// altogether says so once (framework/log.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "framework/kernels/onednn/conv2d_im2col.h"
#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

class Conv2dKernel {
 public:
  // One kernel serves one layer, whose bias is there or not for good; `label` names the layer in
  // notices ("Conv2d(27 -> 32, kernel_size=3, stride=2, padding=2)").
  explicit Conv2dKernel(bool with_bias, std::string label = "Conv2d");
  ~Conv2dKernel();
  Conv2dKernel(const Conv2dKernel&) = delete;
  Conv2dKernel& operator=(const Conv2dKernel&) = delete;

  // b is the bias (null exactly when the kernel was made without one).
  void forward(const reference::Conv2dGeometry& g, const float* x, const float* w, const float* b,
               float* y);
  // Overwrites dx.
  void backward_data(const reference::Conv2dGeometry& g, const float* dy, const float* w,
                     float* dx);
  // Accumulates into dw and db (db null exactly when there is no bias).
  void backward_weights(const reference::Conv2dGeometry& g, const float* x, const float* dy,
                        float* dw, float* db);

  // Both backward passes of a training step (dx may be null: the first layer needs no input
  // gradient). When the two primitives want dy in the same blocked layout, dy is reordered into
  // it once, not twice.
  void backward(const reference::Conv2dGeometry& g, const float* x, const float* w, const float* dy,
                float* dx, float* dw, float* db);

  // The implementation of each pass, forward, backward-data, backward-weights ("jit:avx512_core",
  // "gradlab:im2col+sgemm", ...), then those of the reorders around them ("reorder jit:uni").
  // Tests rule out any name starting with "ref".
  std::vector<std::string> implementations(const reference::Conv2dGeometry& g);

 private:
  struct Plan;
  using Key = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t,
                         std::size_t, std::size_t, std::size_t>;
  Plan& plan(const reference::Conv2dGeometry& g);
  bool with_bias_;
  std::string label_;
  Im2colConvolution im2col_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace gradlab::onednn
