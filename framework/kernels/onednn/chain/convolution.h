// A convolution inside a chain (layers/conv2d.h has the math), with ReLU as oneDNN's post-op when
// a ReLU layer follows it:
//   forward:   y = conv(x, w) + b, or relu(conv(x, w) + b)
//   backward:  dW += …, db += …, dx = …  (ReLU's backward first: dy · [y > 0], unless the next
//              op, a max-pooling, applies it: fold_relu_into_next())
// Each pass runs the first acceptable oneDNN implementation (implementation.h) over candidate
// layouts — the ones the data is already in when oneDNN runs the same kernel on them, else
// oneDNN's own choice, then nChw16c, nChw8c, nhwc, nchw — and gradlab's im2col + sgemm
// (conv2d_im2col.h) when oneDNN has none; a pass off its usual path says so once. Backward-weights
// of a layer with one input channel, read in the plain layout, runs gradlab's own kernels instead
// (blocked_backward_weights.h with AVX2, else im2col): faster than oneDNN's there
// (docs/decisions.md).
#pragma once

#include <memory>
#include <string>

#include "framework/kernels/onednn/blocked_backward_weights.h"
#include "framework/kernels/onednn/chain/op.h"
#include "framework/kernels/onednn/chain/relayout.h"
#include "framework/kernels/onednn/conv2d_im2col.h"
#include "framework/kernels/onednn/staged.h"
#include "framework/kernels/reference/conv2d.h"
#include "framework/precision.h"

namespace gradlab::onednn {

class ConvolutionOp : public Op {
 public:
  // g: the convolution's sizes for this input shape; offered: the layout its input comes in;
  // layer: its name for notices ("Conv2d(27 -> 32, kernel_size=3, stride=2, padding=2)");
  // precision: bf16 reads its input (src_desc() is then bf16: the chain converts), weights and
  // output gradient as bf16 and writes its input gradient in bf16, its output and weight
  // gradient in float32 — where the CPU has AVX512_BF16 or AMX, oneDNN has bf16 kernels for all
  // three passes and there is more than one input channel; float32 otherwise, said once.
  ConvolutionOp(const reference::Conv2dGeometry& g, bool bias, bool relu,
                const dnnl::memory::desc& offered, const std::string& layer,
                Precision precision = Precision::f32);
  ~ConvolutionOp() override;

  // The next op (max-pooling) applies this op's ReLU backward (chain/max_pool.h).
  void fold_relu_into_next() { relu_folded_ = true; }

  const dnnl::memory::desc& src_desc() const override { return src_; }
  const dnnl::memory::desc& dst_desc() const override { return dst_; }
  std::size_t parameter_count() const override { return 1; }
  bool reads_dst_in_backward() const override { return relu_ && !relu_folded_; }
  bool overwrites_diff_dst() const override { return relu_ && !relu_folded_; }
  void forward(const dnnl::memory& src, const dnnl::memory& dst, const LayerParameters* parameters,
               Laps& laps) override;
  void backward(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& diff_dst,
                const dnnl::memory* diff_src, const LayerParameters* parameters,
                Laps& laps) override;
  // Forward, backward-data, backward-weights, then the reorders around them.
  std::vector<std::string> implementations() override;

 private:
  struct Backward;  // primitives and buffers of the backward passes, made on first use
  void plan_forward(const dnnl::memory::desc& offered);
  Backward& backward_plan();
  void say_moved(const std::string& pass, const std::string& implementation,
                 const dnnl::memory::desc& layout) const;
  void say_im2col(const std::string& pass) const;

  reference::Conv2dGeometry g_;
  bool has_bias_, relu_, relu_folded_ = false;
  dnnl::memory::data_type data_type_ = dnnl::memory::data_type::f32;  // computed in
  bool trying_bf16_ = false;  // planning in bf16, float32 the fallback: no im2col notices
  std::string label_;         // the layer and its input's shape, for notices
  dnnl::memory::desc src_, dst_, src_plain_, dst_plain_, weights_plain_, bias_md_;
  dnnl::memory::dims strides_, padding_, padding_r_;
  dnnl::convolution_forward::primitive_desc forward_pd_;  // also the backward passes' hint
  bool forward_on_onednn_ = false;                        // else im2col
  dnnl::convolution_forward forward_;
  Staged forward_weights_;
  dnnl::memory bias_;
  Im2colConvolution im2col_;
  BlockedBackwardWeights direct_;
  std::unique_ptr<Backward> backward_;
};

}  // namespace gradlab::onednn
