#include "framework/kernels/onednn/chain/convolution.h"

#include <unordered_map>

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/onednn/chain/relu.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/implementation.h"
#include "framework/log.h"

namespace gradlab::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using ForwardPd = dnnl::convolution_forward::primitive_desc;
using BackwardDataPd = dnnl::convolution_backward_data::primitive_desc;
using BackwardWeightsPd = dnnl::convolution_backward_weights::primitive_desc;

namespace {

// After oneDNN's own choice ("any"), the layouts its convolution kernels are written for, ending
// with plain NCHW, which its gemm-based kernel always takes.
constexpr tag kExplicitLayouts[] = {tag::nChw16c, tag::nChw8c, tag::nhwc, tag::nchw};

constexpr const char* kIm2col = "gradlab:im2col+sgemm";

// The same layout holding another data type (a convolution's bf16 copy of an f32 activation).
memory::desc with_type(const memory::desc& desc, dt type) {
  dnnl_memory_desc_t raw = desc.data;
  raw.data_type = static_cast<dnnl_data_type_t>(type);
  return memory::desc(raw);
}

// The B of an nChw{B}c layout with these dims, 1 for plain NCHW, 0 for anything else.
std::size_t channel_block(const memory::desc& layout) {
  if (layout == memory::desc(layout.dims(), dt::f32, tag::nchw)) return 1;
  if (layout == memory::desc(layout.dims(), dt::f32, tag::nChw8c)) return 8;
  if (layout == memory::desc(layout.dims(), dt::f32, tag::nChw16c)) return 16;
  return 0;
}

}  // namespace

struct ConvolutionOp::Backward {
  // Backward-data: oneDNN, or im2col on plain layouts.
  bool data_on_onednn = false;
  BackwardDataPd data_pd;
  dnnl::convolution_backward_data data;
  Staged data_weights;
  InputLayout data_diff_dst;
  OutputLayout data_diff_src;
  // Backward-weights.
  enum class Path { onednn, direct, im2col } weights_path = Path::im2col;
  BackwardWeightsPd weights_pd;
  dnnl::convolution_backward_weights weights;
  InputLayout weights_src, weights_diff_dst;
  std::size_t dy_block = 1;  // how im2col or the direct kernel read diff_dst: nChw{B}c, or plain
  Staged weights_grad;       // oneDNN overwrites the weight gradient: it lands in scratch,
  memory weights_grad_scratch, bias_grad;  // and is then added to the parameter's
};

ConvolutionOp::ConvolutionOp(const reference::Conv2dGeometry& g, bool bias, bool relu,
                             const memory::desc& offered, const std::string& layer,
                             Precision precision)
    : g_(g),
      has_bias_(bias),
      relu_(relu),
      label_(layer + " on " + std::to_string(g.C_in) + "×" + std::to_string(g.H) + "×" +
             std::to_string(g.W) + " inputs"),
      src_plain_(dims({g.N, g.C_in, g.H, g.W}), dt::f32, tag::nchw),
      dst_plain_(dims({g.N, g.C_out, g.H_out, g.W_out}), dt::f32, tag::nchw),
      weights_plain_(dims({g.C_out, g.C_in, g.K, g.K}), dt::f32, tag::oihw),
      bias_md_(dims({g.C_out}), dt::f32, tag::x),
      strides_(dims({g.S, g.S})),
      padding_(dims({g.P, g.P})),
      // The right/bottom padding that makes oneDNN's output size floor((H + 2P − K)/S) + 1.
      padding_r_(
          dims({(g.H_out - 1) * g.S + g.K - g.H - g.P, (g.W_out - 1) * g.S + g.K - g.W - g.P})) {
  // bf16 where oneDNN has acceptable bf16 kernels for all three passes, else float32 (one
  // input channel: gradlab's own kernels, float32, and a tiny share of the work). Without
  // AVX512_BF16 or AMX, oneDNN would emulate bf16, slower than float32: never.
  if (precision == Precision::bf16 && !cpu_isa_has_bf16())
    notice_once("precision bf16: this CPU has neither AVX512_BF16 nor AMX (oneDNN runs " +
                cpu_isa() + "), so the convolutions run in float32");
  if (precision == Precision::bf16 && g.C_in > 1 && cpu_isa_has_bf16()) {
    data_type_ = dt::bf16;
    trying_bf16_ = true;
    plan_forward(offered);
    const bool all_bf16 = forward_on_onednn_ && [&] {
      const Backward& b = backward_plan();
      return b.data_on_onednn && b.weights_path == Backward::Path::onednn;
    }();
    trying_bf16_ = false;
    if (all_bf16) return;
    notice_once(label_ + ": runs in f32, as oneDNN has no bf16 kernel here for all its passes");
    backward_.reset();
    forward_on_onednn_ = false;
    data_type_ = dt::f32;
  }
  plan_forward(offered);
}

void ConvolutionOp::plan_forward(const memory::desc& offered) {
  // The input and the weights in the data type computed in; the output float32 always.
  const memory::desc src_any(src_plain_.dims(), data_type_, tag::any),
      dst_any(dst_plain_.dims(), dt::f32, tag::any),
      weights_any(weights_plain_.dims(), data_type_, tag::any);
  dnnl::primitive_attr attributes;
  if (relu_) {
    dnnl::post_ops post_ops;
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attributes.set_post_ops(post_ops);
  }
  auto desc = [&](const memory::desc& src, const memory::desc& dst) {
    return dnnl::convolution_forward::desc(
        dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src, weights_any,
        has_bias_ ? bias_md_ : memory::desc(), dst, strides_, padding_, padding_r_);
  };
  std::vector<dnnl::convolution_forward::desc> preferred{desc(src_any, dst_any)};
  for (tag layout : kExplicitLayouts)
    preferred.push_back(desc(memory::desc(src_plain_.dims(), data_type_, layout),
                             memory::desc(dst_plain_.dims(), dt::f32, layout)));
  const auto make = [&](const auto& d) { return ForwardPd(d, attributes, cpu_engine()); };
  if (const auto chosen =
          choose_fitted(desc(with_type(offered, data_type_), dst_any), preferred, make)) {
    forward_pd_ = chosen->pd;
    forward_on_onednn_ = true;
    if (!chosen->as_usual)
      say_moved("forward", forward_pd_.impl_info_str(), forward_pd_.src_desc());
    forward_ = dnnl::convolution_forward(forward_pd_);
    forward_weights_ = Staged(weights_plain_, forward_pd_.weights_desc());
    bias_ = memory(bias_md_, cpu_engine(), DNNL_MEMORY_NONE);
    src_ = forward_pd_.src_desc();
    dst_ = forward_pd_.dst_desc();
  } else {
    // The backward passes still take a forward descriptor as their hint; this one never runs.
    forward_pd_ = make(preferred.front());
    src_ = src_plain_;
    dst_ = dst_plain_;
    say_im2col("forward");
  }
}

ConvolutionOp::~ConvolutionOp() = default;

void ConvolutionOp::say_moved(const std::string& pass, const std::string& implementation,
                              const memory::desc& layout) const {
  notice_once(label_ + ": " + pass + " runs " + implementation + " on " + layout_name(layout) +
              ", as oneDNN's first choice for it was a reference kernel");
}

void ConvolutionOp::say_im2col(const std::string& pass) const {
  if (trying_bf16_) return;  // it will run in float32 instead (the constructor says so)
  notice_once(label_ + ": " + pass +
              " runs gradlab's im2col + sgemm, as oneDNN has only reference kernels for it");
}

ConvolutionOp::Backward& ConvolutionOp::backward_plan() {
  if (backward_) return *backward_;
  auto b = std::make_unique<Backward>();
  // Gradients of activations in the data type computed in (dy converted from float32 as it
  // comes), the weights' gradient float32.
  const memory::desc src_any(src_plain_.dims(), data_type_, tag::any),
      dst_any(dst_plain_.dims(), data_type_, tag::any),
      weights_any(weights_plain_.dims(), data_type_, tag::any),
      weights_grad_any(weights_plain_.dims(), dt::f32, tag::any);
  auto explicit_layout = [&](const memory::desc& like, tag layout) {
    return memory::desc(like.dims(), data_type_, layout);
  };
  const memory::desc dy_fitted = with_type(dst_, data_type_);

  // Backward-data: dx in the layout the input came in, from dy in the layout the output went out
  // in, if oneDNN runs its usual kernel on those.
  auto data_desc = [&](const memory::desc& diff_src, const memory::desc& diff_dst) {
    return dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, diff_src,
                                                 weights_any, diff_dst, strides_, padding_,
                                                 padding_r_);
  };
  std::vector<dnnl::convolution_backward_data::desc> data_preferred{data_desc(src_any, dst_any)};
  for (tag layout : kExplicitLayouts)
    data_preferred.push_back(
        data_desc(explicit_layout(src_, layout), explicit_layout(dst_, layout)));
  const auto make_data = [&](const auto& d) {
    return BackwardDataPd(d, cpu_engine(), forward_pd_);
  };
  if (const auto chosen = choose_fitted(data_desc(src_, dy_fitted), data_preferred, make_data)) {
    b->data_on_onednn = true;
    b->data_pd = chosen->pd;
    if (!chosen->as_usual)
      say_moved("backward-data", b->data_pd.impl_info_str(), b->data_pd.diff_src_desc());
    b->data = dnnl::convolution_backward_data(b->data_pd);
    b->data_weights = Staged(weights_plain_, b->data_pd.weights_desc());
    b->data_diff_dst = InputLayout(dst_, b->data_pd.diff_dst_desc());
    b->data_diff_src = OutputLayout(b->data_pd.diff_src_desc(), src_);
  } else {
    say_im2col("backward-data");
    b->data_diff_dst = InputLayout(dst_, dst_plain_);
    b->data_diff_src = OutputLayout(src_plain_, src_);
  }

  // Backward-weights. One input channel read plainly: gradlab's kernels, straight from dy as it
  // comes (conv2d_im2col.h, blocked_backward_weights.h).
  auto read_dy_as_it_comes = [&] {
    b->dy_block = channel_block(dst_);
    if (b->dy_block == 0) {  // a layout our kernels do not read: plain
      b->weights_diff_dst = InputLayout(dst_, dst_plain_);
      b->dy_block = 1;
    }
  };
  if (g_.C_in == 1 && src_ == src_plain_) {
    read_dy_as_it_comes();
    b->weights_path = BlockedBackwardWeights::supports(g_, b->dy_block) ? Backward::Path::direct
                                                                        : Backward::Path::im2col;
  } else {
    auto weights_desc = [&](const memory::desc& src, const memory::desc& diff_dst) {
      return dnnl::convolution_backward_weights::desc(
          dnnl::algorithm::convolution_direct, src, weights_grad_any,
          has_bias_ ? bias_md_ : memory::desc(), diff_dst, strides_, padding_, padding_r_);
    };
    // First the input as it is with dy free (with both free, oneDNN 2.6 on AVX2 padded one input
    // channel to 8 and ran 1.5× slower), then both free: either is oneDNN's usual kernel.
    std::vector<dnnl::convolution_backward_weights::desc> weights_preferred{
        weights_desc(src_, dst_any), weights_desc(src_any, dst_any)};
    for (tag layout : kExplicitLayouts)
      weights_preferred.push_back(
          weights_desc(explicit_layout(src_, layout), explicit_layout(dst_, layout)));
    const auto make_weights = [&](const auto& d) {
      return BackwardWeightsPd(d, cpu_engine(), forward_pd_);
    };
    if (const auto chosen =
            choose_fitted(weights_desc(src_, dy_fitted), weights_preferred, make_weights, 2)) {
      b->weights_path = Backward::Path::onednn;
      b->weights_pd = chosen->pd;
      if (!chosen->as_usual)
        say_moved("backward-weights", b->weights_pd.impl_info_str(), b->weights_pd.src_desc());
      b->weights = dnnl::convolution_backward_weights(b->weights_pd);
      b->weights_src = InputLayout(src_, b->weights_pd.src_desc());
      b->weights_diff_dst = InputLayout(dst_, b->weights_pd.diff_dst_desc());
      b->weights_grad_scratch = memory(weights_plain_, cpu_engine());
      b->weights_grad = Staged(weights_plain_, b->weights_pd.diff_weights_desc());
      b->bias_grad = memory(bias_md_, cpu_engine());
    } else {
      say_im2col("backward-weights");
      b->weights_path = Backward::Path::im2col;
      b->weights_src = InputLayout(src_, src_plain_);
      read_dy_as_it_comes();
    }
  }
  backward_ = std::move(b);
  return *backward_;
}

void ConvolutionOp::forward(const memory& src, const memory& dst, const LayerParameters* parameters,
                            Laps& laps) {
  if (!forward_on_onednn_) {
    im2col_.forward(g_, data(src), parameters->weight, parameters->bias, data(dst));
    if (relu_) relu_forward(data(dst), data(dst), dst_.get_size() / sizeof(float));
    laps.lap(Work::convolution_forward);
    return;
  }
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, forward_weights_.input(parameters->weight)},
      {DNNL_ARG_DST, dst}};
  if (parameters->bias) {
    bias_.set_data_handle(const_cast<float*>(parameters->bias));
    args.insert({DNNL_ARG_BIAS, bias_});
  }
  forward_.execute(cpu_stream(), args);
  cpu_stream().wait();
  laps.lap(Work::convolution_forward);
}

void ConvolutionOp::backward(const memory& src, const memory& dst, const memory& diff_dst,
                             const memory* diff_src, const LayerParameters* parameters,
                             Laps& laps) {
  Backward& b = backward_plan();
  if (reads_dst_in_backward()) {  // ReLU's backward: dy · [y > 0]
    relu_backward(data(dst), data(diff_dst), data(diff_dst), dst_.get_size() / sizeof(float));
    laps.lap(Work::relu);
  }

  // dW, db.
  memory dy_for_weights;
  switch (b.weights_path) {
    case Backward::Path::onednn: {
      dy_for_weights = b.weights_diff_dst(diff_dst);
      std::unordered_map<int, memory> args{
          {DNNL_ARG_SRC, b.weights_src(src)},
          {DNNL_ARG_DIFF_DST, dy_for_weights},
          {DNNL_ARG_DIFF_WEIGHTS, b.weights_grad.output(b.weights_grad_scratch.get_data_handle())}};
      if (parameters->bias_grad) args.insert({DNNL_ARG_DIFF_BIAS, b.bias_grad});
      laps.lap(Work::reorder);
      b.weights.execute(cpu_stream(), args);
      cpu_stream().wait();
      laps.lap(Work::convolution_backward_weights);
      b.weights_grad.output_done();
      cpu_stream().wait();
      add_into(parameters->weight_grad, b.weights_grad_scratch, g_.C_out * g_.C_in * g_.K * g_.K);
      if (parameters->bias_grad) add_into(parameters->bias_grad, b.bias_grad, g_.C_out);
      laps.lap(Work::reorder);
      break;
    }
    case Backward::Path::direct:
      direct_.run(g_, data(src), data(diff_dst), b.dy_block, parameters->weight_grad,
                  parameters->bias_grad);
      laps.lap(Work::convolution_backward_weights);
      break;
    case Backward::Path::im2col: {
      const memory x = b.weights_src(src), dy = b.weights_diff_dst(diff_dst);
      laps.lap(Work::reorder);
      im2col_.backward_weights(g_, data(x), data(dy), parameters->weight_grad,
                               parameters->bias_grad, b.dy_block);
      laps.lap(Work::convolution_backward_weights);
      break;
    }
  }
  if (!diff_src) return;

  // dX, the transposed convolution of dy; after dW, which read src (diff_src may share its
  // buffer). dy is reordered once when both passes want it in the same layout.
  const bool reuse_dy = b.weights_path == Backward::Path::onednn && b.data_on_onednn &&
                        b.data_pd.diff_dst_desc() == b.weights_pd.diff_dst_desc();
  const memory dy = reuse_dy ? dy_for_weights : b.data_diff_dst(diff_dst);
  const memory target = b.data_diff_src.target(*diff_src);
  laps.lap(Work::reorder);
  if (b.data_on_onednn) {
    b.data.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, dy},
                                  {DNNL_ARG_WEIGHTS, b.data_weights.input(parameters->weight)},
                                  {DNNL_ARG_DIFF_SRC, target}});
    cpu_stream().wait();
  } else {
    im2col_.backward_data(g_, data(dy), parameters->weight, data(target));
  }
  laps.lap(Work::convolution_backward_data);
  b.data_diff_src.finish(*diff_src);
  cpu_stream().wait();
  laps.lap(Work::reorder);
}

std::vector<std::string> ConvolutionOp::implementations() {
  Backward& b = backward_plan();
  std::vector<std::string> names{forward_on_onednn_ ? forward_pd_.impl_info_str() : kIm2col,
                                 b.data_on_onednn ? b.data_pd.impl_info_str() : kIm2col,
                                 b.weights_path == Backward::Path::onednn
                                     ? b.weights_pd.impl_info_str()
                                 : b.weights_path == Backward::Path::direct ? "gradlab:blocked_avx2"
                                                                            : kIm2col};
  std::vector<std::string> reorders = forward_weights_.implementations();
  for (const Staged* staged : {&b.data_weights, &b.weights_grad})
    reorders.insert(reorders.end(), staged->implementations().begin(),
                    staged->implementations().end());
  for (const std::string& name :
       {b.data_diff_dst.implementation(), b.data_diff_src.implementation(),
        b.weights_src.implementation(), b.weights_diff_dst.implementation()})
    if (!name.empty()) reorders.push_back(name);
  for (const std::string& name : reorders) names.push_back("reorder " + name);
  return names;
}

namespace {
// Conv2d layers run here (framework/layers/conv2d.h).
const Chain::KindRegistration conv2d_kind("conv2d", [](const OpSpec<float>& op) {
  Chain::Layer layer{};
  layer.kind = Chain::Layer::Kind::convolution;
  layer.out_channels = op.out_size;
  layer.kernel_size = op.kernel_size;
  layer.stride = op.stride;
  layer.padding = op.padding;
  layer.bias = op.bias != nullptr;
  return layer;
});
}  // namespace

}  // namespace gradlab::onednn
