#include "framework/kernels/onednn/chain/chain.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/batch_norm.h"
#include "framework/kernels/onednn/chain/convolution.h"
#include "framework/kernels/onednn/chain/max_pool.h"
#include "framework/kernels/onednn/chain/relayout.h"
#include "framework/kernels/onednn/chain/relu.h"
#include "framework/kernels/onednn/staged.h"
#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

using dnnl::memory;

namespace {
memory::desc plain(const Chain::Shape4& shape) {
  return memory::desc(dims({shape[0], shape[1], shape[2], shape[3]}), memory::data_type::f32,
                      memory::format_tag::nchw);
}
}  // namespace

// Op k reads src[k] (op k−1's output, or the chain's input, converted to its layout by
// to_src[k] where they differ) and writes dst[k]. In backward it reads diff_dst[k] and writes
// its input gradient through from_diff_src[k] into diff_dst[k−1] (or the caller's dx).
struct Chain::Plan {
  std::vector<std::unique_ptr<Op>> ops;
  std::vector<int> parameters_of;  // op k's index in the parameters argument; −1: none
  std::size_t first_parameters;    // the first op with parameters (ops.size() if none)
  Shape4 input_shape, output_shape;
  memory input, output;  // plain, on the caller's pointers
  std::vector<InputLayout> to_src;
  std::vector<memory> src, dst;
  Transfer to_output;

  bool has_backward = false;
  memory grad_output, grad_input;  // plain, on the caller's pointers
  Transfer from_grad_output;       // dy into diff_dst of the last op (always a copy: ops may
                                   // overwrite their diff_dst)
  std::vector<memory> diff_dst;
  std::vector<OutputLayout> from_diff_src;

  void make_backward() {
    if (has_backward) return;
    const std::size_t L = ops.size();
    for (std::size_t k = 0; k < L; ++k) {
      // Once op k+1 has read its input (op k's output) and op k does not read its own output in
      // backward, the output is dead when its gradient arrives: they share the buffer, unless
      // op k+1 must not write its input gradient over its input.
      const memory::desc& layout = ops[k]->dst_desc();
      const bool shared = !ops[k]->reads_dst_in_backward() &&
                          (k + 1 == L || ops[k + 1]->writes_diff_src_over_src());
      diff_dst.push_back(shared ? memory(layout, cpu_engine(), dst[k].get_data_handle())
                                : memory(layout, cpu_engine()));
      from_diff_src.emplace_back(ops[k]->src_desc(),
                                 k == 0 ? plain(input_shape) : ops[k - 1]->dst_desc());
    }
    grad_output = memory(plain(output_shape), cpu_engine(), DNNL_MEMORY_NONE);
    grad_input = memory(plain(input_shape), cpu_engine(), DNNL_MEMORY_NONE);
    from_grad_output = Transfer(plain(output_shape), ops.back()->dst_desc());
    has_backward = true;
  }
};

namespace {
// The layer kinds chain ops run, made on first use (registrations run at static initialisation).
std::map<std::string, std::function<Chain::Layer(const OpSpec<float>&)>>& chain_kinds() {
  static std::map<std::string, std::function<Chain::Layer(const OpSpec<float>&)>> kinds;
  return kinds;
}
}  // namespace

Chain::KindRegistration::KindRegistration(const std::string& kind,
                                          std::function<Layer(const OpSpec<float>&)> make) {
  if (!chain_kinds().emplace(kind, std::move(make)).second)
    throw std::logic_error("Chain: two chain ops for the layer kind \"" + kind + "\"");
}

std::optional<Chain::Layer> Chain::layer_for(const OpSpec<float>& op, const std::string& name) {
  const auto found = chain_kinds().find(op.kind);
  if (found == chain_kinds().end()) return std::nullopt;
  Layer layer = found->second(op);
  layer.name = name;
  return layer;
}

Chain::Chain(std::vector<Layer> layers, bool fuse_batch_norm_relu) {
  for (const Layer& layer : layers) {
    if (layer.kind == Layer::Kind::relu && !ops_.empty() && !relu_after_.back() &&
        (ops_.back().kind == Layer::Kind::convolution ||
         (ops_.back().kind == Layer::Kind::batch_norm && fuse_batch_norm_relu))) {
      relu_after_.back() = true;  // the convolution's post-op, or inside the batch norm
      continue;
    }
    if (layer.kind == Layer::Kind::max_pool && !MaxPoolOp::supports(layer.kernel_size))
      throw std::invalid_argument(layer.name + ": a window over 256 positions cannot be chained");
    ops_.push_back(layer);
    relu_after_.push_back(false);
  }
  if (ops_.empty()) throw std::invalid_argument("Chain: no layers");
}

Chain::~Chain() = default;

Chain::Plan& Chain::plan(const Shape4& input_shape) {
  auto found = plans_.find(input_shape);
  if (found != plans_.end()) return *found->second;
  auto p = std::make_unique<Plan>();
  p->input_shape = input_shape;
  memory::desc offered = plain(input_shape);
  Shape4 shape = input_shape;
  int with_parameters = 0;
  p->first_parameters = ops_.size();
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    const Layer& layer = ops_[k];
    std::unique_ptr<Op> op;
    p->parameters_of.push_back(-1);
    if (layer.kind == Layer::Kind::convolution) {
      const reference::Conv2dGeometry g = reference::make_conv2d_geometry(
          shape[0], shape[1], shape[2], shape[3], layer.out_channels, layer.kernel_size,
          layer.stride, layer.padding);
      op = std::make_unique<ConvolutionOp>(g, layer.bias, relu_after_[k], offered, layer.name);
      shape = {g.N, g.C_out, g.H_out, g.W_out};
    } else if (layer.kind == Layer::Kind::batch_norm) {
      op = std::make_unique<BatchNormOp>(offered, static_cast<float>(layer.eps), layer.momentum,
                                         layer.bias, relu_after_[k]);
    } else if (layer.kind == Layer::Kind::relu) {
      op = std::make_unique<ReluOp>(offered);
    } else {
      // After a convolution with its ReLU, pooling applies the ReLU's backward (max_pool.h).
      const bool relu_before =
          k > 0 && relu_after_[k - 1] && ops_[k - 1].kind == Layer::Kind::convolution;
      op = std::make_unique<MaxPoolOp>(offered, layer.kernel_size, layer.stride, relu_before);
      if (relu_before) static_cast<ConvolutionOp&>(*p->ops.back()).fold_relu_into_next();
      shape = {shape[0], shape[1], (shape[2] - layer.kernel_size) / layer.stride + 1,
               (shape[3] - layer.kernel_size) / layer.stride + 1};
    }
    if (layer.kind == Layer::Kind::convolution || layer.kind == Layer::Kind::batch_norm) {
      p->parameters_of.back() = with_parameters++;
      if (p->first_parameters == ops_.size()) p->first_parameters = k;
    }
    p->to_src.emplace_back(offered, op->src_desc());
    p->dst.emplace_back(op->dst_desc(), cpu_engine());
    offered = op->dst_desc();
    p->ops.push_back(std::move(op));
  }
  p->output_shape = shape;
  p->src.resize(ops_.size());
  p->input = memory(plain(input_shape), cpu_engine(), DNNL_MEMORY_NONE);
  p->output = memory(plain(shape), cpu_engine(), DNNL_MEMORY_NONE);
  p->to_output = Transfer(offered, plain(shape));
  return *plans_.emplace(input_shape, std::move(p)).first->second;
}

void Chain::forward(const Shape4& input_shape, const float* x, float* y,
                    const std::vector<LayerParameters>& parameters) {
  Plan& p = plan(input_shape);
  last_ = &p;
  forward_fresh_ = true;
  p.input.set_data_handle(const_cast<float*>(x));
  p.output.set_data_handle(y);
  memory value = p.input;
  for (std::size_t k = 0; k < p.ops.size(); ++k) {
    Laps laps(observer_, k);
    p.src[k] = p.to_src[k](value);
    laps.lap(Work::reorder);
    const int at = p.parameters_of[k];
    p.ops[k]->forward(p.src[k], p.dst[k], at < 0 ? nullptr : &parameters.at(at), laps);
    value = p.dst[k];
  }
  Laps laps(observer_, p.ops.size() - 1);
  p.to_output(value, p.output);
  cpu_stream().wait();
  laps.lap(Work::reorder);
}

void Chain::backward(const float* dy, float* dx, const std::vector<LayerParameters>& parameters) {
  if (!last_) throw std::logic_error("Chain::backward called before forward");
  // Gradients have taken activations' buffers: a second backward would read them as
  // activations. PyTorch refuses a second backward through a freed graph likewise.
  if (!forward_fresh_)
    throw std::logic_error(
        "backward called twice after one forward: a chain's gradients reuse its activations' "
        "buffers; run forward again first");
  forward_fresh_ = false;
  Plan& p = *last_;
  p.make_backward();
  const std::size_t L = p.ops.size();
  {
    Laps laps(observer_, L - 1);
    p.grad_output.set_data_handle(const_cast<float*>(dy));
    p.from_grad_output(p.grad_output, p.diff_dst[L - 1]);
    laps.lap(Work::reorder);
  }
  if (dx) p.grad_input.set_data_handle(dx);
  for (std::size_t k = L; k-- > 0;) {
    Laps laps(observer_, k);
    const int at = p.parameters_of[k];
    const LayerParameters* own = at < 0 ? nullptr : &parameters.at(at);
    // Input gradients are needed down to the first op with parameters, and below it only if
    // the caller wants dx.
    if (!dx && k <= p.first_parameters) {
      p.ops[k]->backward(p.src[k], p.dst[k], p.diff_dst[k], nullptr, own, laps);
      break;
    }
    memory below = k == 0 ? p.grad_input : p.diff_dst[k - 1];
    const memory target = p.from_diff_src[k].target(below);
    p.ops[k]->backward(p.src[k], p.dst[k], p.diff_dst[k], &target, own, laps);
    p.from_diff_src[k].finish(below);
    laps.lap(Work::reorder);
  }
  cpu_stream().wait();
}

std::vector<std::string> Chain::implementations(const Shape4& input_shape) {
  Plan& p = plan(input_shape);
  p.make_backward();
  std::vector<std::string> names;
  for (const auto& op : p.ops)
    for (const std::string& name : op->implementations()) names.push_back(name);
  for (std::size_t k = 0; k < p.ops.size(); ++k)
    for (const std::string& name :
         {p.to_src[k].implementation(), p.from_diff_src[k].implementation()})
      if (!name.empty()) names.push_back("reorder " + name);
  names.push_back("reorder " + p.to_output.implementation());
  names.push_back("reorder " + p.from_grad_output.implementation());
  return names;
}

std::size_t Chain::inner_reorders(const Shape4& input_shape) {
  Plan& p = plan(input_shape);
  std::size_t count = 0;
  for (std::size_t k = 1; k < p.ops.size(); ++k) count += !p.to_src[k].implementation().empty();
  return count;
}

}  // namespace gradlab::onednn
