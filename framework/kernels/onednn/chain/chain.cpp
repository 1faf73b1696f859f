#include "framework/kernels/onednn/chain/chain.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/max_pool.h"
#include "framework/kernels/onednn/chain/relayout.h"
#include "framework/kernels/onednn/chain/sequence.h"
#include "framework/kernels/onednn/staged.h"

namespace gradlab::onednn {

using dnnl::memory;

namespace {
memory::desc plain(const Chain::Shape4& shape) {
  return memory::desc(dims({shape[0], shape[1], shape[2], shape[3]}), memory::data_type::f32,
                      memory::format_tag::nchw);
}
}  // namespace

// The ops between the chain's plain ends, and the reorders at those ends.
struct Chain::Plan {
  std::unique_ptr<OpSequence> ops;
  Shape4 input_shape, output_shape;
  memory input, output;  // plain, on the caller's pointers
  Transfer to_output;

  bool has_backward = false;
  memory grad_output, grad_input;  // plain, on the caller's pointers
  memory last_gradient;            // ∂L/∂(the last op's output), in its layout
  Transfer from_grad_output;       // dy into last_gradient (always a copy: ops may overwrite
                                   // their diff_dst)

  void make_backward() {
    if (has_backward) return;
    last_gradient = ops->make_output_gradient();
    grad_output = memory(plain(output_shape), cpu_engine(), DNNL_MEMORY_NONE);
    grad_input = memory(plain(input_shape), cpu_engine(), DNNL_MEMORY_NONE);
    from_grad_output = Transfer(plain(output_shape), ops->dst_desc());
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

namespace {
// The layers with each ReLU merged into what precedes it where it can run inside (Layer::relu),
// inside residual blocks' branches too.
std::vector<Chain::Layer> merge_relus(const std::vector<Chain::Layer>& layers,
                                      bool fuse_batch_norm_relu) {
  using Kind = Chain::Layer::Kind;
  std::vector<Chain::Layer> merged;
  for (const Chain::Layer& layer : layers) {
    if (layer.kind == Kind::relu && !merged.empty() && !merged.back().relu &&
        (merged.back().kind == Kind::convolution || merged.back().kind == Kind::residual ||
         (merged.back().kind == Kind::batch_norm && fuse_batch_norm_relu))) {
      merged.back().relu = true;      // the convolution's post-op, in the sum, or inside the norm
      merged.back().tag = layer.tag;  // whose output the op's is
      continue;
    }
    if (layer.kind == Kind::max_pool && !MaxPoolOp::supports(layer.kernel_size))
      throw std::invalid_argument(layer.name + ": a window over 256 positions cannot be chained");
    if (layer.kind == Kind::residual && layer.body.empty())
      throw std::invalid_argument(layer.name + ": a residual block without a body");
    merged.push_back(layer);
    merged.back().body = merge_relus(layer.body, fuse_batch_norm_relu);
    merged.back().shortcut = merge_relus(layer.shortcut, fuse_batch_norm_relu);
  }
  return merged;
}
}  // namespace

Chain::Chain(std::vector<Layer> layers, bool fuse_batch_norm_relu, Precision precision)
    : ops_(merge_relus(layers, fuse_batch_norm_relu)), precision_(precision) {
  if (ops_.empty()) throw std::invalid_argument("Chain: no layers");
}

Chain::~Chain() = default;

Chain::Plan& Chain::plan(const Shape4& input_shape) {
  auto found = plans_.find(input_shape);
  if (found != plans_.end()) return *found->second;
  auto p = std::make_unique<Plan>();
  p->input_shape = input_shape;
  p->ops = std::make_unique<OpSequence>(ops_, plain(input_shape), precision_);
  p->output_shape = p->ops->output_shape();
  p->input = memory(plain(input_shape), cpu_engine(), DNNL_MEMORY_NONE);
  p->output = memory(plain(p->output_shape), cpu_engine(), DNNL_MEMORY_NONE);
  p->to_output = Transfer(p->ops->dst_desc(), plain(p->output_shape));
  return *plans_.emplace(input_shape, std::move(p)).first->second;
}

void Chain::forward(const Shape4& input_shape, const float* x, float* y,
                    const std::vector<LayerParameters>& parameters) {
  Plan& p = plan(input_shape);
  if (parameters.size() != p.ops->parameter_count())
    throw std::invalid_argument("Chain::forward: " + std::to_string(parameters.size()) +
                                " parameter entries for " +
                                std::to_string(p.ops->parameter_count()) + " layers with them");
  last_ = &p;
  forward_fresh_ = true;
  p.input.set_data_handle(const_cast<float*>(x));
  p.output.set_data_handle(y);
  const memory& value = p.ops->forward(p.input, parameters.data(), observer_);
  Laps laps(observer_, ops_.size() - 1);
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
  {
    Laps laps(observer_, ops_.size() - 1);
    p.grad_output.set_data_handle(const_cast<float*>(dy));
    p.from_grad_output(p.grad_output, p.last_gradient);
    laps.lap(Work::reorder);
  }
  if (dx) p.grad_input.set_data_handle(dx);
  p.ops->backward(p.last_gradient, dx ? &p.grad_input : nullptr, parameters.data(), observer_);
  cpu_stream().wait();
}

std::vector<std::string> Chain::implementations(const Shape4& input_shape) {
  Plan& p = plan(input_shape);
  p.make_backward();
  std::vector<std::string> names = p.ops->implementations();
  names.push_back("reorder " + p.to_output.implementation());
  names.push_back("reorder " + p.from_grad_output.implementation());
  return names;
}

std::vector<std::string> Chain::op_names() const {
  std::vector<std::string> names;
  for (const Layer& op : ops_) names.push_back(op.name + (op.relu ? " + ReLU" : ""));
  return names;
}

void Chain::visit_outputs(const OutputVisitor& visit) {
  if (!last_ || !forward_fresh_)
    throw std::logic_error(
        "Chain::visit_outputs: no forward since the last backward, whose gradients took the "
        "outputs' buffers");
  last_->ops->visit_outputs([&](std::size_t tag, const memory& value) {
    const memory::dims d = value.get_desc().dims();
    const Shape4 shape{static_cast<std::size_t>(d[0]), static_cast<std::size_t>(d[1]),
                       static_cast<std::size_t>(d[2]), static_cast<std::size_t>(d[3])};
    const memory::desc wanted = plain(shape);
    if (value.get_desc() == wanted) {
      visit(tag, data(value), shape);
      return;
    }
    // Blocked layouts pad channels to the block: a reorder drops the padding. Every N steps
    // (train/layer_stats.h), so the primitive is made anew, from oneDNN's primitive cache.
    plain_output_.resize(shape[0] * shape[1] * shape[2] * shape[3]);
    const memory copy(wanted, cpu_engine(), plain_output_.data());
    Transfer(value.get_desc(), wanted)(value, copy);
    cpu_stream().wait();
    visit(tag, plain_output_.data(), shape);
  });
}

std::size_t Chain::inner_reorders(const Shape4& input_shape) {
  return plan(input_shape).ops->reorders(false);
}

}  // namespace gradlab::onednn
