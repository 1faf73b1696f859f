#include "framework/kernels/onednn/conv2d.h"

#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/implementation.h"
#include "framework/kernels/onednn/staged.h"
#include "framework/log.h"

namespace gradlab::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// The activation layouts each pass is tried with, in order: oneDNN's own choice, then the
// layouts its kernels are written for, ending with plain NCHW, which its gemm-based kernel takes.
constexpr tag kLayouts[] = {tag::any, tag::nChw16c, tag::nChw8c, tag::nhwc, tag::nchw};

constexpr const char* kIm2col = "gradlab:im2col+sgemm";

using ForwardPd = dnnl::convolution_forward::primitive_desc;
using BackwardDataPd = dnnl::convolution_backward_data::primitive_desc;
using BackwardWeightsPd = dnnl::convolution_backward_weights::primitive_desc;

}  // namespace

struct Conv2dKernel::Plan {
  Plan(const reference::Conv2dGeometry& g, bool with_bias, const std::string& layer)
      : has_bias(with_bias),
        label(layer + " on " + std::to_string(g.C_in) + "×" + std::to_string(g.H) + "×" +
              std::to_string(g.W) + " inputs"),
        im2col_weights(g.C_in == 1),
        src_dims(dims({g.N, g.C_in, g.H, g.W})),
        dst_dims(dims({g.N, g.C_out, g.H_out, g.W_out})),
        src_plain(src_dims, dt::f32, tag::nchw),
        weights_plain(dims({g.C_out, g.C_in, g.K, g.K}), dt::f32, tag::oihw),
        dst_plain(dst_dims, dt::f32, tag::nchw),
        bias_md(dims({g.C_out}), dt::f32, tag::x),
        weights_any(weights_plain.dims(), dt::f32, tag::any),
        strides(dims({g.S, g.S})),
        padding(dims({g.P, g.P})),
        // The right/bottom padding that makes oneDNN's output size floor((H + 2P − K)/S) + 1.
        padding_r(
            dims({(g.H_out - 1) * g.S + g.K - g.H - g.P, (g.W_out - 1) * g.S + g.K - g.W - g.P})) {
    std::vector<dnnl::convolution_forward::desc> candidates;
    for (tag layout : kLayouts) candidates.push_back(forward_desc(layout));
    const auto make = [](const auto& desc) { return ForwardPd(desc, cpu_engine()); };
    if (auto choice = choose(candidates, make)) {
      forward_pd = choice->pd;
      on_onednn[0] = true;
      if (!choice->first_of(0)) say_moved("forward", forward_pd.impl_info_str(), forward_pd.src_desc());
      forward = dnnl::convolution_forward(forward_pd);
      fwd_src = Staged(src_plain, forward_pd.src_desc());
      fwd_weights = Staged(weights_plain, forward_pd.weights_desc());
      fwd_dst = Staged(dst_plain, forward_pd.dst_desc());
      bias = memory(bias_md, cpu_engine(), DNNL_MEMORY_NONE);
    } else {
      // The backward passes still take a forward descriptor as their hint; this one never runs.
      forward_pd = ForwardPd(forward_desc(tag::any), cpu_engine());
      say_im2col("forward");
    }
  }

  dnnl::convolution_forward::desc forward_desc(tag layout) const {
    return {dnnl::prop_kind::forward_training,
            dnnl::algorithm::convolution_direct,
            memory::desc(src_dims, dt::f32, layout),
            weights_any,
            has_bias ? bias_md : memory::desc(),
            memory::desc(dst_dims, dt::f32, layout),
            strides,
            padding,
            padding_r};
  }

  // The backward half is built on first use, so plans that only ever run forward (evaluation
  // batches) hold no backward buffers: 50 MB less for a LeNet training run.
  void make_backward() {
    if (has_backward) return;
    has_backward = true;
    std::vector<dnnl::convolution_backward_data::desc> data_candidates;
    for (tag layout : kLayouts)
      data_candidates.emplace_back(dnnl::algorithm::convolution_direct,
                                   memory::desc(src_dims, dt::f32, layout), weights_any,
                                   memory::desc(dst_dims, dt::f32, layout), strides, padding,
                                   padding_r);
    const auto make_data = [this](const auto& desc) {
      return BackwardDataPd(desc, cpu_engine(), forward_pd);
    };
    if (auto choice = choose(data_candidates, make_data)) {
      backward_data_pd = choice->pd;
      on_onednn[1] = true;
      if (!choice->first_of(0))
        say_moved("backward-data", backward_data_pd.impl_info_str(), backward_data_pd.diff_src_desc());
      backward_data = dnnl::convolution_backward_data(backward_data_pd);
      bwd_data_dst = Staged(dst_plain, backward_data_pd.diff_dst_desc());
      bwd_data_weights = Staged(weights_plain, backward_data_pd.weights_desc());
      bwd_data_src = Staged(src_plain, backward_data_pd.diff_src_desc());
    } else {
      say_im2col("backward-data");
    }

    if (im2col_weights) return;  // one input channel: im2col is the normal path (conv2d_im2col.h)
    auto weights_desc = [this](const memory::desc& src, const memory::desc& diff_dst) {
      return dnnl::convolution_backward_weights::desc(
          dnnl::algorithm::convolution_direct, src, weights_any,
          has_bias ? bias_md : memory::desc(), diff_dst, strides, padding, padding_r);
    };
    std::vector<dnnl::convolution_backward_weights::desc> weights_candidates;
    // First the input in the layout the forward pass chose, so that its staged copy is reused:
    // with "any" here, oneDNN 2.6 on AVX2 padded LeNet's one input channel to 8 (aBcd8b) and ran
    // 1.5× slower. (Pinning diff_dst to the forward's blocked output as well selected ref:any,
    // which choose() now refuses.)
    if (on_onednn[0])
      weights_candidates.push_back(
          weights_desc(forward_pd.src_desc(), memory::desc(dst_dims, dt::f32, tag::any)));
    const std::size_t preferred = weights_candidates.size();  // the "any" candidate
    for (tag layout : kLayouts)
      weights_candidates.push_back(weights_desc(memory::desc(src_dims, dt::f32, layout),
                                                memory::desc(dst_dims, dt::f32, layout)));
    const auto make_weights = [this](const auto& desc) {
      return BackwardWeightsPd(desc, cpu_engine(), forward_pd);
    };
    if (auto choice = choose(weights_candidates, make_weights)) {
      backward_weights_pd = choice->pd;
      on_onednn[2] = true;
      if (!choice->first_of(0) && !choice->first_of(preferred))
        say_moved("backward-weights", backward_weights_pd.impl_info_str(),
                  backward_weights_pd.src_desc());
      backward_weights = dnnl::convolution_backward_weights(backward_weights_pd);
      bwd_weights_src = Staged(src_plain, backward_weights_pd.src_desc());
      bwd_weights_dst = Staged(dst_plain, backward_weights_pd.diff_dst_desc());
      // oneDNN overwrites the weight gradient; it lands in a plain scratch buffer first and is
      // then added to the parameter's gradient, which accumulates.
      weights_grad_plain = memory(weights_plain, cpu_engine());
      bwd_weights_grad = Staged(weights_plain, backward_weights_pd.diff_weights_desc());
      bias_grad = memory(bias_md, cpu_engine());
    } else {
      im2col_weights = true;
      say_im2col("backward-weights");
    }
  }

  void say_moved(const std::string& pass, const std::string& implementation,
                 const memory::desc& layout) const {
    notice_once(label + ": " + pass + " runs " + implementation + " on " + layout_name(layout) +
                ", as oneDNN's first choice for it was a reference kernel");
  }
  void say_im2col(const std::string& pass) const {
    notice_once(label + ": " + pass +
                " runs gradlab's im2col + sgemm, as oneDNN has only reference kernels for it");
  }

  std::vector<std::string> implementations() {
    make_backward();
    std::vector<std::string> names{
        on_onednn[0] ? forward_pd.impl_info_str() : kIm2col,
        on_onednn[1] ? backward_data_pd.impl_info_str() : kIm2col,
        on_onednn[2] ? backward_weights_pd.impl_info_str() : kIm2col};
    for (const Staged* staged :
         {&fwd_src, &fwd_weights, &fwd_dst, &bwd_data_dst, &bwd_data_weights, &bwd_data_src,
          &bwd_weights_src, &bwd_weights_dst, &bwd_weights_grad})
      for (const std::string& reorder : staged->implementations())
        names.push_back("reorder " + reorder);
    return names;
  }

  bool has_bias, has_backward = false;
  std::string label;  // the layer and its input's shape, for notices
  // Whether forward, backward-data and backward-weights run on oneDNN (else on im2col_).
  bool on_onednn[3] = {false, false, false};
  bool im2col_weights;  // backward-weights by im2col: one input channel, or oneDNN has nothing
  memory::dims src_dims, dst_dims;
  memory::desc src_plain, weights_plain, dst_plain, bias_md, weights_any;
  memory::dims strides, padding, padding_r;
  ForwardPd forward_pd;
  BackwardDataPd backward_data_pd;
  BackwardWeightsPd backward_weights_pd;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  Staged fwd_src, fwd_weights, fwd_dst, bwd_data_dst, bwd_data_weights, bwd_data_src,
      bwd_weights_src, bwd_weights_dst, bwd_weights_grad;
  memory weights_grad_plain, bias_grad, bias;
  const float* forward_input = nullptr;  // x of the last forward, whose blocked copy fwd_src holds
};

Conv2dKernel::Conv2dKernel(bool with_bias, std::string label)
    : with_bias_(with_bias), label_(std::move(label)) {}
Conv2dKernel::~Conv2dKernel() = default;

Conv2dKernel::Plan& Conv2dKernel::plan(const reference::Conv2dGeometry& g) {
  // Batch sizes alternate (full batches, a partial last one, evaluation batches): keep a plan each.
  const Key key{g.N, g.C_in, g.H, g.W, g.C_out, g.K, g.S, g.P};
  auto it = plans_.find(key);
  if (it == plans_.end())
    it = plans_.emplace(key, std::make_unique<Plan>(g, with_bias_, label_)).first;
  return *it->second;
}

void Conv2dKernel::forward(const reference::Conv2dGeometry& g, const float* x, const float* w,
                           const float* b, float* y) {
  Plan& p = plan(g);
  p.forward_input = x;
  if (!p.on_onednn[0]) {
    im2col_.forward(g, x, w, b, y);
    return;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, p.fwd_src.input(x)},
                                       {DNNL_ARG_WEIGHTS, p.fwd_weights.input(w)},
                                       {DNNL_ARG_DST, p.fwd_dst.output(y)}};
  if (b) {
    p.bias.set_data_handle(const_cast<float*>(b));
    args.insert({DNNL_ARG_BIAS, p.bias});
  }
  p.forward.execute(cpu_stream(), args);
  p.fwd_dst.output_done();
  cpu_stream().wait();
}

void Conv2dKernel::backward_data(const reference::Conv2dGeometry& g, const float* dy,
                                 const float* w, float* dx) {
  Plan& p = plan(g);
  p.make_backward();
  if (!p.on_onednn[1]) {
    im2col_.backward_data(g, dy, w, dx);
    return;
  }
  p.backward_data.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, p.bwd_data_dst.input(dy)},
                                         {DNNL_ARG_WEIGHTS, p.bwd_data_weights.input(w)},
                                         {DNNL_ARG_DIFF_SRC, p.bwd_data_src.output(dx)}});
  p.bwd_data_src.output_done();
  cpu_stream().wait();
}

void Conv2dKernel::backward_weights(const reference::Conv2dGeometry& g, const float* x,
                                    const float* dy, float* dw, float* db) {
  Plan& p = plan(g);
  p.make_backward();
  if (p.im2col_weights) {
    im2col_.backward_weights(g, x, dy, dw, db);
    return;
  }
  // Reuse the blocked input the forward pass already made, when it is the same data and layout.
  const bool reuse_src = p.on_onednn[0] && p.forward_input == x &&
                         p.backward_weights_pd.src_desc() == p.forward_pd.src_desc();
  memory& src = reuse_src ? p.fwd_src.staged() : p.bwd_weights_src.input(x);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_DIFF_DST, p.bwd_weights_dst.input(dy)},
      {DNNL_ARG_DIFF_WEIGHTS, p.bwd_weights_grad.output(p.weights_grad_plain.get_data_handle())}};
  if (db) args.insert({DNNL_ARG_DIFF_BIAS, p.bias_grad});
  p.backward_weights.execute(cpu_stream(), args);
  p.bwd_weights_grad.output_done();
  cpu_stream().wait();
  // dW += the new gradient; db likewise.
  add_into(dw, p.weights_grad_plain, g.C_out * g.C_in * g.K * g.K);
  if (db) add_into(db, p.bias_grad, g.C_out);
}

void Conv2dKernel::backward(const reference::Conv2dGeometry& g, const float* x, const float* w,
                            const float* dy, float* dx, float* dw, float* db) {
  backward_weights(g, x, dy, dw, db);
  if (!dx) return;
  Plan& p = plan(g);
  if (p.im2col_weights || !p.on_onednn[1] ||
      p.backward_data_pd.diff_dst_desc() != p.backward_weights_pd.diff_dst_desc()) {
    backward_data(g, dy, w, dx);
    return;
  }
  // dy is already in the layout backward-data wants: backward_weights() staged it.
  p.backward_data.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, p.bwd_weights_dst.staged()},
                                         {DNNL_ARG_WEIGHTS, p.bwd_data_weights.input(w)},
                                         {DNNL_ARG_DIFF_SRC, p.bwd_data_src.output(dx)}});
  p.bwd_data_src.output_done();
  cpu_stream().wait();
}

std::vector<std::string> Conv2dKernel::implementations(const reference::Conv2dGeometry& g) {
  return plan(g).implementations();
}

}  // namespace gradlab::onednn
