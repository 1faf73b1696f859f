#include "framework/kernels/onednn/conv2d.h"

#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/staged.h"

namespace gradlab::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Conv2dKernel::Plan {
  Plan(const reference::Conv2dGeometry& g, bool with_bias)
      : has_bias(with_bias),
        src_plain(dims({g.N, g.C_in, g.H, g.W}), dt::f32, tag::nchw),
        weights_plain(dims({g.C_out, g.C_in, g.K, g.K}), dt::f32, tag::oihw),
        dst_plain(dims({g.N, g.C_out, g.H_out, g.W_out}), dt::f32, tag::nchw),
        bias_md(dims({g.C_out}), dt::f32, tag::x),
        // format_tag::any on activations and weights lets oneDNN choose its blocked JIT layouts.
        src_any(src_plain.dims(), dt::f32, tag::any),
        weights_any(weights_plain.dims(), dt::f32, tag::any),
        dst_any(dst_plain.dims(), dt::f32, tag::any),
        strides(dims({g.S, g.S})),
        padding(dims({g.P, g.P})),
        // The right/bottom padding that makes oneDNN's output size floor((H + 2P − K)/S) + 1.
        padding_r(
            dims({(g.H_out - 1) * g.S + g.K - g.H - g.P, (g.W_out - 1) * g.S + g.K - g.W - g.P})) {
    forward_pd = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(
            dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_any,
            weights_any, has_bias ? bias_md : memory::desc(), dst_any, strides, padding, padding_r),
        cpu_engine());
    forward = dnnl::convolution_forward(forward_pd);
    fwd_src = Staged(src_plain, forward_pd.src_desc());
    fwd_weights = Staged(weights_plain, forward_pd.weights_desc());
    fwd_dst = Staged(dst_plain, forward_pd.dst_desc());
    bias = memory(bias_md, cpu_engine(), DNNL_MEMORY_NONE);
  }

  // The backward half is built on first use, so plans that only ever run forward (evaluation
  // batches) hold no backward buffers: 50 MB less for a LeNet training run.
  void make_backward() {
    if (has_backward) return;
    backward_data_pd = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, src_any,
                                              weights_any, dst_any, strides, padding, padding_r),
        cpu_engine(), forward_pd);
    // Backward-weights reads the input in the layout the forward pass chose. With "any" here,
    // oneDNN 2.6 on AVX2 pads LeNet's one input channel to 8 (aBcd8b) and takes 4.2 ms on 2
    // cores; given the forward's plain layout it runs its gemm kernel in 2.9 ms, and the
    // forward's staged input is reused without a reorder. (Pinning diff_dst to the forward's
    // blocked output layout as well selects ref:any, 679 ms: never do that.)
    backward_weights_pd = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(
            dnnl::algorithm::convolution_direct, forward_pd.src_desc(), weights_any,
            has_bias ? bias_md : memory::desc(), dst_any, strides, padding, padding_r),
        cpu_engine(), forward_pd);
    backward_data = dnnl::convolution_backward_data(backward_data_pd);
    backward_weights = dnnl::convolution_backward_weights(backward_weights_pd);
    bwd_data_dst = Staged(dst_plain, backward_data_pd.diff_dst_desc());
    bwd_data_weights = Staged(weights_plain, backward_data_pd.weights_desc());
    bwd_data_src = Staged(src_plain, backward_data_pd.diff_src_desc());
    bwd_weights_src = Staged(src_plain, backward_weights_pd.src_desc());
    bwd_weights_dst = Staged(dst_plain, backward_weights_pd.diff_dst_desc());
    // oneDNN overwrites the weight gradient; it lands in a plain scratch buffer first and is
    // then added to the parameter's gradient, which accumulates.
    weights_grad_plain = memory(weights_plain, cpu_engine());
    bwd_weights_grad = Staged(weights_plain, backward_weights_pd.diff_weights_desc());
    bias_grad = memory(bias_md, cpu_engine());
    has_backward = true;
  }

  bool has_bias, has_backward = false;
  memory::desc src_plain, weights_plain, dst_plain, bias_md, src_any, weights_any, dst_any;
  memory::dims strides, padding, padding_r;
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_backward_data::primitive_desc backward_data_pd;
  dnnl::convolution_backward_weights::primitive_desc backward_weights_pd;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  Staged fwd_src, fwd_weights, fwd_dst, bwd_data_dst, bwd_data_weights, bwd_data_src,
      bwd_weights_src, bwd_weights_dst, bwd_weights_grad;
  memory weights_grad_plain, bias_grad, bias;
  const float* forward_input = nullptr;  // x of the last forward, whose blocked copy fwd_src holds
};

Conv2dKernel::Conv2dKernel(bool with_bias) : with_bias_(with_bias) {}
Conv2dKernel::~Conv2dKernel() = default;

Conv2dKernel::Plan& Conv2dKernel::plan(const reference::Conv2dGeometry& g) {
  // Batch sizes alternate (full batches, a partial last one, evaluation batches): keep a plan each.
  const Key key{g.N, g.C_in, g.H, g.W, g.C_out, g.K, g.S, g.P};
  auto it = plans_.find(key);
  if (it == plans_.end()) it = plans_.emplace(key, std::make_unique<Plan>(g, with_bias_)).first;
  return *it->second;
}

void Conv2dKernel::forward(const reference::Conv2dGeometry& g, const float* x, const float* w,
                           const float* b, float* y) {
  Plan& p = plan(g);
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
  p.forward_input = x;
}

void Conv2dKernel::backward_data(const reference::Conv2dGeometry& g, const float* dy,
                                 const float* w, float* dx) {
  Plan& p = plan(g);
  p.make_backward();
  p.backward_data.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, p.bwd_data_dst.input(dy)},
                                         {DNNL_ARG_WEIGHTS, p.bwd_data_weights.input(w)},
                                         {DNNL_ARG_DIFF_SRC, p.bwd_data_src.output(dx)}});
  p.bwd_data_src.output_done();
  cpu_stream().wait();
}

void Conv2dKernel::backward_weights(const reference::Conv2dGeometry& g, const float* x,
                                    const float* dy, float* dw, float* db) {
  if (uses_im2col(g)) {
    im2col_.run(g, x, dy, dw, db);
    return;
  }
  Plan& p = plan(g);
  p.make_backward();
  // Reuse the blocked input the forward pass already made, when it is the same data and layout.
  const bool reuse_src =
      p.forward_input == x && p.backward_weights_pd.src_desc() == p.forward_pd.src_desc();
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
  p.make_backward();
  if (uses_im2col(g) ||
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
  Plan& p = plan(g);
  p.make_backward();
  return {p.forward_pd.impl_info_str(), p.backward_data_pd.impl_info_str(),
          uses_im2col(g) ? "gradlab:im2col+sgemm" : p.backward_weights_pd.impl_info_str()};
}

}  // namespace gradlab::onednn
