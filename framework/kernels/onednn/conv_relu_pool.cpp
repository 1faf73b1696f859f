#include "framework/kernels/onednn/conv_relu_pool.h"

#include <chrono>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/kernels/onednn/blocked_backward_weights.h"
#include "framework/kernels/onednn/blocked_maxpool.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/implementation.h"
#include "framework/kernels/onednn/staged.h"

namespace gradlab::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using ForwardPd = dnnl::convolution_forward::primitive_desc;
using BackwardDataPd = dnnl::convolution_backward_data::primitive_desc;
using BackwardWeightsPd = dnnl::convolution_backward_weights::primitive_desc;

namespace {

// One input channel: convolution backward-weights by our own kernels, direct on the blocked
// gradient with AVX2 (blocked_backward_weights.h) or else im2col + sgemm (conv2d_im2col.h).
bool uses_own_backward_weights(const ConvReluPoolGeometry& g) {
  return g.conv.C_in == 1;
}

// Adds the time since the previous lap to a total, when timing is on (oneDNN's CPU primitives
// have finished when execute() returns).
class Laps {
 public:
  explicit Laps(bool on) : on_(on) {
    if (on_) last_ = std::chrono::steady_clock::now();
  }
  void lap(double& total) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    total += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace

struct ConvReluPoolKernel::Plan {
  Plan(const ConvReluPoolGeometry& g, bool with_bias)
      : has_bias(with_bias),
        own_backward_weights(uses_own_backward_weights(g)),
        src_plain(dims({g.conv.N, g.conv.C_in, g.conv.H, g.conv.W}), dt::f32, tag::nchw),
        weights_plain(dims({g.conv.C_out, g.conv.C_in, g.conv.K, g.conv.K}), dt::f32, tag::oihw),
        activation_plain(dims({g.conv.N, g.conv.C_out, g.conv.H_out, g.conv.W_out}), dt::f32,
                         tag::nchw),
        pooled_plain(dims({g.conv.N, g.conv.C_out, g.H_pool, g.W_pool}), dt::f32, tag::nchw),
        bias_md(dims({g.conv.C_out}), dt::f32, tag::x),
        src_any(src_plain.dims(), dt::f32, tag::any),
        weights_any(weights_plain.dims(), dt::f32, tag::any),
        activation_any(activation_plain.dims(), dt::f32, tag::any),
        strides(dims({g.conv.S, g.conv.S})),
        padding(dims({g.conv.P, g.conv.P})),
        // The right/bottom padding that makes oneDNN's output size floor((H + 2P − K)/S) + 1.
        padding_r(dims({(g.conv.H_out - 1) * g.conv.S + g.conv.K - g.conv.H - g.conv.P,
                        (g.conv.W_out - 1) * g.conv.S + g.conv.K - g.conv.W - g.conv.P})) {
    // ReLU as the convolution's post-op: applied to each output as the kernel stores it.
    dnnl::post_ops relu;
    relu.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attributes;
    attributes.set_post_ops(relu);
    // Pooling runs on the layout the convolution writes, which must be one blocked_maxpool.h
    // knows: oneDNN's choice if it is, else each of them asked for by name.
    const std::pair<std::size_t, tag> blocked_layouts[] = {{16, tag::nChw16c}, {8, tag::nChw8c}};
    auto block_of = [&](const memory::desc& dst) -> std::size_t {
      for (const auto& [width, layout] : blocked_layouts)
        if (dst == memory::desc(activation_plain.dims(), dt::f32, layout)) return width;
      return 0;
    };
    std::vector<dnnl::convolution_forward::desc> forward_candidates;
    for (tag layout : {tag::any, tag::nChw16c, tag::nChw8c})
      forward_candidates.emplace_back(dnnl::prop_kind::forward_training,
                                      dnnl::algorithm::convolution_direct, src_any, weights_any,
                                      has_bias ? bias_md : memory::desc(),
                                      memory::desc(activation_plain.dims(), dt::f32, layout),
                                      strides, padding, padding_r);
    const auto forward_choice = choose(
        forward_candidates,
        [&](const auto& desc) { return ForwardPd(desc, attributes, cpu_engine()); },
        [&](const ForwardPd& pd) { return block_of(pd.dst_desc()) > 0; });
    // Otherwise, or with more window positions than a byte of argmax holds, the layers run.
    if (g.pool_K * g.pool_K > 256) {
      unsupported_because = "its pooling window has more than 256 positions";
      return;
    }
    if (!forward_choice) {
      unsupported_because = "oneDNN has only reference kernels for its convolution into nChw8c or nChw16c";
      return;
    }
    conv_forward_pd = forward_choice->pd;
    block = block_of(conv_forward_pd.dst_desc());
    pooled_blocked = memory::desc(pooled_plain.dims(), dt::f32,
                                  block == 16 ? tag::nChw16c : tag::nChw8c);

    // The backward passes are chosen now, so that a block oneDNN could run forward but not
    // backward is never fused; their primitives and buffers are made on the first backward.
    std::vector<dnnl::convolution_backward_data::desc> data_candidates;
    for (tag layout : {tag::any, tag::nChw16c, tag::nChw8c, tag::nhwc, tag::nchw})
      data_candidates.emplace_back(
          dnnl::algorithm::convolution_direct, memory::desc(src_plain.dims(), dt::f32, layout),
          weights_any, memory::desc(activation_plain.dims(), dt::f32, layout), strides, padding,
          padding_r);
    const auto data_choice = choose(data_candidates, [&](const auto& desc) {
      return BackwardDataPd(desc, cpu_engine(), conv_forward_pd);
    });
    if (!data_choice) {
      unsupported_because = "oneDNN has only reference kernels for its backward-data";
      return;
    }
    backward_data_pd = data_choice->pd;
    if (!own_backward_weights) {
      auto weights_desc = [&](const memory::desc& src, const memory::desc& diff_dst) {
        return dnnl::convolution_backward_weights::desc(
            dnnl::algorithm::convolution_direct, src, weights_any,
            has_bias ? bias_md : memory::desc(), diff_dst, strides, padding, padding_r);
      };
      // First the input in the forward's layout, whose staged copy is then reused.
      std::vector<dnnl::convolution_backward_weights::desc> weights_candidates{
          weights_desc(conv_forward_pd.src_desc(), activation_any)};
      for (tag layout : {tag::any, tag::nChw16c, tag::nChw8c, tag::nhwc, tag::nchw})
        weights_candidates.push_back(
            weights_desc(memory::desc(src_plain.dims(), dt::f32, layout),
                         memory::desc(activation_plain.dims(), dt::f32, layout)));
      const auto weights_choice = choose(weights_candidates, [&](const auto& desc) {
        return BackwardWeightsPd(desc, cpu_engine(), conv_forward_pd);
      });
      if (!weights_choice) {
        unsupported_because = "oneDNN has only reference kernels for its backward-weights";
        return;
      }
      backward_weights_pd = weights_choice->pd;
    }

    pool = {g.conv.N,     (g.conv.C_out + block - 1) / block,
            g.conv.H_out, g.conv.W_out,
            g.pool_K,     g.pool_S,
            g.H_pool,     g.W_pool};
    conv_forward = dnnl::convolution_forward(conv_forward_pd);
    src = Staged(src_plain, conv_forward_pd.src_desc());
    weights = Staged(weights_plain, conv_forward_pd.weights_desc());
    bias = memory(bias_md, cpu_engine(), DNNL_MEMORY_NONE);
    activation = memory(conv_forward_pd.dst_desc(), cpu_engine());
    pooled = Staged(pooled_plain, pooled_blocked);
    argmax.resize(pooled_blocked.get_size() / sizeof(float));
    supported = true;
  }

  // Built on first use: evaluation batches only ever run forward.
  void make_backward() {
    if (has_backward) return;
    backward_data = dnnl::convolution_backward_data(backward_data_pd);
    if (!own_backward_weights)
      backward_weights = dnnl::convolution_backward_weights(backward_weights_pd);

    grad_pooled = Staged(pooled_plain, pooled_blocked);
    // The activation's gradient comes out of pooling in the activation's layout; a backward
    // pass that wants another gets a reordered copy.
    // It shares the activation's buffer: once pooled, the activation is never read again
    // (pooling's backward reads the pooled output and the argmax), and one buffer of this, the
    // step's largest tensor, keeps more of the step in cache.
    grad_activation =
        memory(conv_forward_pd.dst_desc(), cpu_engine(), activation.get_data_handle());
    // (Our own backward-weights kernels read the blocked layout as it is.)
    grad_for_weights =
        Relayout(grad_activation, own_backward_weights ? grad_activation.get_desc()
                                                       : backward_weights_pd.diff_dst_desc());
    grad_for_data = Relayout(grad_activation, backward_data_pd.diff_dst_desc());
    backward_data_weights = Staged(weights_plain, backward_data_pd.weights_desc());
    backward_data_src = Staged(src_plain, backward_data_pd.diff_src_desc());
    if (!own_backward_weights) {
      backward_weights_src = Staged(src_plain, backward_weights_pd.src_desc());
      // oneDNN overwrites the weight gradient; it lands in scratch and is added to the
      // parameter's.
      weights_grad_plain = memory(weights_plain, cpu_engine());
      weights_grad = Staged(weights_plain, backward_weights_pd.diff_weights_desc());
      bias_grad = memory(bias_md, cpu_engine());
    }
    has_backward = true;
  }

  // A memory, or a copy of it in another layout made by a reorder built once.
  class Relayout {
   public:
    Relayout() = default;
    Relayout(const memory& from, const memory::desc& wanted) : from_(from) {
      if (wanted != from.get_desc()) {
        copy_ = memory(wanted, cpu_engine());
        reorder_ = dnnl::reorder(from_, copy_);
      }
    }
    // from's current contents, in the wanted layout.
    memory& get() {
      if (!copy_) return from_;
      reorder_.execute(cpu_stream(), from_, copy_);
      return copy_;
    }

   private:
    memory from_, copy_;
    dnnl::reorder reorder_;
  };

  bool has_bias, own_backward_weights, supported = false, has_backward = false;
  std::string unsupported_because;  // when not supported
  std::size_t block = 0;  // B of the activation's nChw{B}c layout; 0 if it is another layout
  BlockedPoolGeometry pool{};
  memory::desc src_plain, weights_plain, activation_plain, pooled_plain, bias_md, src_any,
      weights_any, activation_any, pooled_blocked;
  memory::dims strides, padding, padding_r;
  dnnl::convolution_forward::primitive_desc conv_forward_pd;
  dnnl::convolution_backward_data::primitive_desc backward_data_pd;
  dnnl::convolution_backward_weights::primitive_desc backward_weights_pd;
  dnnl::convolution_forward conv_forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  Staged src, weights, pooled, grad_pooled, backward_data_weights, backward_data_src,
      backward_weights_src, weights_grad;
  // relu(conv(x)) and its gradient, blocked.
  memory bias, activation, grad_activation, weights_grad_plain, bias_grad;
  Relayout grad_for_weights, grad_for_data;
  std::vector<std::uint8_t> argmax;      // per pooled element, blocked like it
  const float* forward_input = nullptr;  // x of the last forward, staged in `src`
  // A chain (link()): the block whose pooled output is this block's input, the block whose input
  // is this block's pooled output.
  Plan *previous = nullptr, *next = nullptr;
  bool link_decided = false;

  // The pooled output, blocked: in the next block's input memory when linked.
  memory& pooled_blocked_memory() { return next ? next->src.staged() : pooled.staged(); }
};

ConvReluPoolKernel::ConvReluPoolKernel(bool with_bias) : with_bias_(with_bias) {}
ConvReluPoolKernel::~ConvReluPoolKernel() = default;

ConvReluPoolKernel::Plan& ConvReluPoolKernel::plan(const ConvReluPoolGeometry& g) {
  const Key key{g.conv.N, g.conv.C_in, g.conv.H, g.conv.W, g.conv.C_out,
                g.conv.K, g.conv.S,    g.conv.P, g.pool_K, g.pool_S};
  auto it = plans_.find(key);
  if (it == plans_.end()) it = plans_.emplace(key, std::make_unique<Plan>(g, with_bias_)).first;
  return *it->second;
}

bool ConvReluPoolKernel::supports(const ConvReluPoolGeometry& g) {
  return why_unsupported(g).empty();
}

std::string ConvReluPoolKernel::why_unsupported(const ConvReluPoolGeometry& g) {
  try {
    Plan& p = plan(g);
    return p.supported ? "" : p.unsupported_because;
  } catch (const dnnl::error& error) {
    return std::string("oneDNN cannot make its convolution: ") + error.what();
  }
}

bool ConvReluPoolKernel::link(const ConvReluPoolGeometry& g, ConvReluPoolKernel& next,
                              const ConvReluPoolGeometry& next_g) {
  if (!supports(g) || !next.supports(next_g)) return false;
  Plan &p = plan(g), &q = next.plan(next_g);
  if (p.link_decided) return p.next == &q;
  p.link_decided = true;
  // The next block must read this pooled output in the layout pooling writes it, and give back
  // its input gradient in that layout; its own backward-weights kernels read a plain input.
  if (q.own_backward_weights || q.previous || q.conv_forward_pd.src_desc() != p.pooled_blocked)
    return false;
  p.make_backward();
  q.make_backward();
  if (q.backward_data_pd.diff_src_desc() != p.pooled_blocked ||
      q.backward_weights_pd.src_desc() != p.pooled_blocked)
    return false;
  p.next = &q;
  q.previous = &p;
  return true;
}

void ConvReluPoolKernel::forward(const ConvReluPoolGeometry& g, const float* x, const float* w,
                                 const float* b, float* y) {
  Plan& p = plan(g);
  Laps laps(timing_on_);
  // Linked, the previous block has already pooled into src's blocked memory.
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, p.previous ? p.src.staged() : p.src.input(x)},
                                       {DNNL_ARG_WEIGHTS, p.weights.input(w)},
                                       {DNNL_ARG_DST, p.activation}};
  if (b) {
    p.bias.set_data_handle(const_cast<float*>(b));
    args.insert({DNNL_ARG_BIAS, p.bias});
  }
  cpu_stream().wait();
  laps.lap(timing_.reorders);
  p.conv_forward.execute(cpu_stream(), args);
  cpu_stream().wait();
  laps.lap(timing_.convolution_forward);
  const auto* activation = static_cast<const float*>(p.activation.get_data_handle());
  auto* pooled = static_cast<float*>(
      (p.next ? p.pooled_blocked_memory() : p.pooled.output(y)).get_data_handle());
  if (p.block == 8)
    blocked_maxpool_forward<8>(p.pool, activation, pooled, p.argmax.data());
  else
    blocked_maxpool_forward<16>(p.pool, activation, pooled, p.argmax.data());
  laps.lap(timing_.pooling);
  if (!p.next) p.pooled.output_done();
  cpu_stream().wait();
  laps.lap(timing_.reorders);
  p.forward_input = x;
}

void ConvReluPoolKernel::backward(const ConvReluPoolGeometry& g, const float* x, const float* w,
                                  const float* dy, float* dx, float* dw, float* db) {
  Plan& p = plan(g);
  p.make_backward();
  Laps laps(timing_on_);
  // The activation's gradient: pooling's and ReLU's backward in one pass over the blocked
  // tensors, reading the pooled output the forward left blocked. Linked, the next block has
  // already written dy, blocked, into grad_pooled's memory.
  const auto* grad_pooled = static_cast<const float*>(
      (p.next ? p.grad_pooled.staged() : p.grad_pooled.input(dy)).get_data_handle());
  cpu_stream().wait();
  laps.lap(timing_.reorders);
  const auto* pooled = static_cast<const float*>(p.pooled_blocked_memory().get_data_handle());
  auto* grad_activation = static_cast<float*>(p.grad_activation.get_data_handle());
  if (p.block == 8)
    blocked_maxpool_relu_backward<8>(p.pool, grad_pooled, pooled, p.argmax.data(), grad_activation);
  else
    blocked_maxpool_relu_backward<16>(p.pool, grad_pooled, pooled, p.argmax.data(),
                                      grad_activation);
  laps.lap(timing_.pooling);

  // dW, db from the activation's gradient.
  memory& grad_for_weights = p.grad_for_weights.get();
  cpu_stream().wait();
  laps.lap(timing_.reorders);
  if (p.own_backward_weights) {
    const auto* grad = static_cast<const float*>(grad_for_weights.get_data_handle());
    if (BlockedBackwardWeights::supports(g.conv, p.block))
      direct_.run(g.conv, x, grad, p.block, dw, db);
    else
      im2col_.backward_weights(g.conv, x, grad, dw, db, p.block);
    laps.lap(timing_.backward_weights);
  } else {
    // The forward's staged input is reused when it is the same data and layout (linked, it is the
    // previous block's pooled output, untouched since).
    const bool reuse_src = (p.previous || p.forward_input == x) &&
                           p.backward_weights_pd.src_desc() == p.conv_forward_pd.src_desc();
    memory& src = reuse_src ? p.src.staged() : p.backward_weights_src.input(x);
    memory& weights_grad = p.weights_grad.output(p.weights_grad_plain.get_data_handle());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                         {DNNL_ARG_DIFF_DST, grad_for_weights},
                                         {DNNL_ARG_DIFF_WEIGHTS, weights_grad}};
    if (db) args.insert({DNNL_ARG_DIFF_BIAS, p.bias_grad});
    cpu_stream().wait();
    laps.lap(timing_.reorders);
    p.backward_weights.execute(cpu_stream(), args);
    cpu_stream().wait();
    laps.lap(timing_.backward_weights);
    p.weights_grad.output_done();
    cpu_stream().wait();
    add_into(dw, p.weights_grad_plain, g.conv.C_out * g.conv.C_in * g.conv.K * g.conv.K);
    if (db) add_into(db, p.bias_grad, g.conv.C_out);
    laps.lap(timing_.reorders);
  }
  if (!dx && !p.previous) return;

  // dX, the transposed convolution of the activation's gradient; linked, straight into the
  // memory the previous block's backward reads its dy from.
  std::unordered_map<int, memory> args{
      {DNNL_ARG_DIFF_DST, p.grad_for_data.get()},
      {DNNL_ARG_WEIGHTS, p.backward_data_weights.input(w)},
      {DNNL_ARG_DIFF_SRC,
       p.previous ? p.previous->grad_pooled.staged() : p.backward_data_src.output(dx)}};
  cpu_stream().wait();
  laps.lap(timing_.reorders);
  p.backward_data.execute(cpu_stream(), args);
  cpu_stream().wait();
  laps.lap(timing_.backward_data);
  if (!p.previous) p.backward_data_src.output_done();
  cpu_stream().wait();
  laps.lap(timing_.reorders);
}

std::vector<std::string> ConvReluPoolKernel::implementations(const ConvReluPoolGeometry& g) {
  if (!supports(g)) return {};
  Plan& p = plan(g);
  p.make_backward();
  return {p.conv_forward_pd.impl_info_str(), p.backward_data_pd.impl_info_str(),
          !p.own_backward_weights ? p.backward_weights_pd.impl_info_str()
          : BlockedBackwardWeights::supports(g.conv, p.block) ? "gradlab:blocked_avx2"
                                                              : "gradlab:im2col+sgemm"};
}

}  // namespace gradlab::onednn
