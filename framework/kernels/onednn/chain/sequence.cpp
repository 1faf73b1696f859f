#include "framework/kernels/onednn/chain/sequence.h"

#include <stdexcept>

#include "framework/kernels/onednn/chain/batch_norm.h"
#include "framework/kernels/onednn/chain/convolution.h"
#include "framework/kernels/onednn/chain/max_pool.h"
#include "framework/kernels/onednn/chain/relu.h"
#include "framework/kernels/onednn/chain/residual.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/reference/conv2d.h"

namespace gradlab::onednn {

using dnnl::memory;
using Kind = Chain::Layer::Kind;

OpSequence::OpSequence(const std::vector<Chain::Layer>& layers, const memory::desc& offered,
                       Precision precision)
    : offered_(offered) {
  if (layers.empty()) throw std::invalid_argument("OpSequence: no layers");
  const memory::dims dims = offered.dims();
  Chain::Shape4 shape{static_cast<std::size_t>(dims[0]), static_cast<std::size_t>(dims[1]),
                      static_cast<std::size_t>(dims[2]), static_cast<std::size_t>(dims[3])};
  memory::desc layout = offered;
  first_parameters_ = layers.size();
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const Chain::Layer& layer = layers[k];
    std::unique_ptr<Op> op;
    if (layer.kind == Kind::convolution) {
      const reference::Conv2dGeometry g = reference::make_conv2d_geometry(
          shape[0], shape[1], shape[2], shape[3], layer.out_channels, layer.kernel_size,
          layer.stride, layer.padding);
      op =
          std::make_unique<ConvolutionOp>(g, layer.bias, layer.relu, layout, layer.name, precision);
    } else if (layer.kind == Kind::batch_norm) {
      op = std::make_unique<BatchNormOp>(layout, static_cast<float>(layer.eps), layer.momentum,
                                         layer.bias, layer.relu);
    } else if (layer.kind == Kind::relu) {
      op = std::make_unique<ReluOp>(layout);
    } else if (layer.kind == Kind::max_pool) {
      // After a convolution with its ReLU, pooling applies the ReLU's backward (max_pool.h).
      const bool relu_before =
          k > 0 && layers[k - 1].relu && layers[k - 1].kind == Kind::convolution;
      op = std::make_unique<MaxPoolOp>(layout, layer.kernel_size, layer.stride, relu_before);
      if (relu_before) static_cast<ConvolutionOp&>(*ops_.back()).fold_relu_into_next();
    } else {
      op = std::make_unique<ResidualOp>(layer.body, layer.shortcut, layer.relu, layout, precision);
    }
    const memory::dims out = op->dst_desc().dims();
    shape = {static_cast<std::size_t>(out[0]), static_cast<std::size_t>(out[1]),
             static_cast<std::size_t>(out[2]), static_cast<std::size_t>(out[3])};
    tags_.push_back(layer.tag);
    parameters_at_.push_back(parameter_count_);
    if (op->parameter_count() > 0 && first_parameters_ == layers.size()) first_parameters_ = k;
    parameter_count_ += op->parameter_count();
    to_src_.emplace_back(layout, op->src_desc());
    dst_.emplace_back(op->dst_desc(), cpu_engine());
    layout = op->dst_desc();
    ops_.push_back(std::move(op));
  }
  output_shape_ = shape;
  src_.resize(ops_.size());
}

const LayerParameters* OpSequence::parameters_of(std::size_t k,
                                                 const LayerParameters* parameters) const {
  return ops_[k]->parameter_count() > 0 ? parameters + parameters_at_[k] : nullptr;
}

bool OpSequence::writes_diff_src_over_src() const {
  // Only the first op reads the sequence's input in backward, and not at all when it reads a
  // reordered copy.
  return !to_src_[0].implementation().empty() || ops_[0]->writes_diff_src_over_src();
}

const memory& OpSequence::forward(const memory& src, const LayerParameters* parameters,
                                  ChainObserver* observer, Laps* within) {
  memory value = src;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    Laps own_laps(within ? nullptr : observer, k);
    Laps& laps = within ? *within : own_laps;
    src_[k] = to_src_[k](value);
    laps.lap(Work::reorder);
    ops_[k]->forward(src_[k], dst_[k], parameters_of(k, parameters), laps);
    value = dst_[k];
  }
  return dst_.back();
}

memory OpSequence::make_output_gradient() const {
  return reads_dst_in_backward() ? memory(dst_desc(), cpu_engine())
                                 : memory(dst_desc(), cpu_engine(), dst_.back().get_data_handle());
}

void OpSequence::make_backward() {
  if (has_backward_) return;
  const std::size_t L = ops_.size();
  for (std::size_t k = 0; k + 1 < L; ++k) {
    // Once op k+1 has read its input (op k's output) and op k does not read its own output in
    // backward, the output is dead when its gradient arrives: they share the buffer, unless
    // op k+1 must not write its input gradient over its input.
    const memory::desc& layout = ops_[k]->dst_desc();
    const bool shared =
        !ops_[k]->reads_dst_in_backward() && ops_[k + 1]->writes_diff_src_over_src();
    diff_dst_.push_back(shared ? memory(layout, cpu_engine(), dst_[k].get_data_handle())
                               : memory(layout, cpu_engine()));
  }
  for (std::size_t k = 0; k < L; ++k)
    from_diff_src_.emplace_back(ops_[k]->src_desc(), k == 0 ? offered_ : ops_[k - 1]->dst_desc());
  has_backward_ = true;
}

void OpSequence::backward(const memory& diff_dst, const memory* diff_src,
                          const LayerParameters* parameters, ChainObserver* observer,
                          Laps* within) {
  make_backward();
  const std::size_t L = ops_.size();
  for (std::size_t k = L; k-- > 0;) {
    Laps own_laps(within ? nullptr : observer, k);
    Laps& laps = within ? *within : own_laps;
    const LayerParameters* own = parameters_of(k, parameters);
    const memory& gradient = k + 1 == L ? diff_dst : diff_dst_[k];
    // Input gradients are needed down to the first op with parameters, and below it only if
    // the caller wants diff_src.
    if (!diff_src && k <= first_parameters_) {
      ops_[k]->backward(src_[k], dst_[k], gradient, nullptr, own, laps);
      break;
    }
    const memory below = k == 0 ? *diff_src : diff_dst_[k - 1];
    const memory target = from_diff_src_[k].target(below);
    ops_[k]->backward(src_[k], dst_[k], gradient, &target, own, laps);
    from_diff_src_[k].finish(below);
    laps.lap(Work::reorder);
  }
}

std::vector<std::string> OpSequence::implementations() {
  make_backward();
  std::vector<std::string> names;
  for (const auto& op : ops_)
    for (const std::string& name : op->implementations()) names.push_back(name);
  for (std::size_t k = 0; k < ops_.size(); ++k)
    for (const std::string& name :
         {to_src_[k].implementation(), from_diff_src_[k].implementation()})
      if (!name.empty()) names.push_back("reorder " + name);
  return names;
}

void OpSequence::visit_outputs(const OpOutputVisitor& visit) const {
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    ops_[k]->visit_inner_outputs(visit);
    visit(tags_[k], dst_[k]);
  }
}

std::size_t OpSequence::reorders(bool first_included) const {
  std::size_t count = 0;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    if (k > 0 || first_included) count += !to_src_[k].implementation().empty();
    count += ops_[k]->inner_reorders();
  }
  return count;
}

}  // namespace gradlab::onednn
