#include "framework/concat.h"

#include <algorithm>

#include "framework/layers/registry.h"

namespace gradlab {

namespace {
// Rows of a tensor split at dimension 1: `outer` blocks (N) of dimension-1 slices `inner` long.
std::size_t inner_size(const Shape& shape) {
  std::size_t inner = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
  return inner;
}
}  // namespace

template <class T>
Concat<T>::Concat(std::vector<std::unique_ptr<Sequential<T>>> branches) {
  if (branches.size() < 2) throw std::invalid_argument("Concat: needs at least two branches");
  for (std::size_t k = 0; k < branches.size(); ++k) {
    if (!branches[k] || branches[k]->size() == 0)
      throw std::invalid_argument("Concat: branch " + std::to_string(k) + " has no layers");
    branches_.push_back(branches[k].get());
    this->add_child(std::to_string(k), std::move(branches[k]));
  }
}

template <class T>
std::string Concat<T>::name() const {
  return "Concat(" + std::to_string(branches_.size()) + " branches)";
}

template <class T>
Shape Concat<T>::output_shape(const Shape& input_shape) const {
  Shape joined;
  for (std::size_t k = 0; k < branches_.size(); ++k) {
    Shape shape;
    try {
      shape = branches_[k]->output_shape(input_shape);
    } catch (const ShapeError& error) {
      throw ShapeError("branch " + std::to_string(k) + ": " + error.what());
    }
    if (shape.size() < 2)
      throw ShapeError(name() + ": branch " + std::to_string(k) + " outputs " + to_string(shape) +
                       ", which has no channel dimension to join along");
    if (k == 0) {
      joined = shape;
      continue;
    }
    Shape others = shape, first = joined;
    others[1] = first[1] = 0;
    if (others != first)
      throw ShapeError(name() + ": branch " + std::to_string(k) + " outputs " + to_string(shape) +
                       " but branch 0 outputs " +
                       to_string(branches_[0]->output_shape(input_shape)) +
                       " (every dimension but the channels must agree)");
    joined[1] += shape[1];
  }
  return joined;
}

template <class T>
std::size_t Concat<T>::forward_flops(const Shape& input_shape) const {
  std::size_t flops = 0;
  for (const Sequential<T>* branch : branches_) flops += branch->forward_flops(input_shape);
  return flops;
}

template <class T>
const Tensor<T>& Concat<T>::forward(const Tensor<T>& input) {
  const Shape out = output_shape(shape_of(input));
  output_.resize(out);
  const std::size_t N = out[0], inner = inner_size(out), joined_rows = out[1] * inner;
  branch_shapes_.clear();
  std::size_t offset = 0;  // in channels
  for (Sequential<T>* branch : branches_) {
    const Tensor<T>& y = branch->forward(input);
    branch_shapes_.push_back(shape_of(y));
    kernels<T>(this->backend())
        .concat_rows(N, y.shape(1) * inner, joined_rows, offset * inner, y.data(), output_.data());
    offset += y.shape(1);
  }
  has_forward_ = true;
  report_output(*this, output_);
  return output_;
}

template <class T>
const Tensor<T>& Concat<T>::backward(const Tensor<T>& grad_output) {
  check_backward_call(name(), has_forward_, shape_of(output_), shape_of(grad_output));
  const Shape out = shape_of(output_);
  const std::size_t N = out[0], inner = inner_size(out), joined_rows = out[1] * inner;
  bool first = true;
  std::size_t offset = 0;
  for (std::size_t k = 0; k < branches_.size(); ++k) {
    // dY[:, offset_k : offset_k + C_k], copied out to the branch's own shape.
    grad_slice_.resize(branch_shapes_[k]);
    kernels<T>(this->backend())
        .slice_rows(N, branch_shapes_[k][1] * inner, joined_rows, offset * inner,
                    grad_output.data(), grad_slice_.data());
    offset += branch_shapes_[k][1];
    const Tensor<T>& dx = branches_[k]->backward(grad_slice_);
    if (!this->needs_input_grad()) continue;
    if (first) {
      grad_input_ = dx;
      first = false;
    } else {
      kernels<T>(this->backend()).add(grad_input_.data(), dx.data(), grad_input_.data(), dx.size());
    }
  }
  if (!this->needs_input_grad()) grad_input_.resize(Shape{0});
  return grad_input_;
}

template <class T>
void Concat<T>::set_needs_input_grad(bool needed) {
  Module<T>::set_needs_input_grad(needed);
  for (Sequential<T>* branch : branches_) branch->set_needs_input_grad(needed);
}

template class Concat<float>;
template class Concat<double>;

namespace {
// {"type": "concat", "branches": [[...], [...]]}: the branches' outputs joined along the channels.
const LayerRegistration concat_type(
    "concat", "branches (a list of at least two lists of layers)",
    [](auto& layer) {
      const nlohmann::json& branches = layer.keys.json("branches");
      if (!branches.is_array() || branches.size() < 2)
        throw ConfigError(layer.keys.key_path("branches") +
                          ": expected a list of at least two lists of layers, got " +
                          branches.dump());
      std::vector<decltype(layer.build_sequence(branches, ""))> built;
      for (std::size_t k = 0; k < branches.size(); ++k)
        built.push_back(layer.build_sequence(
            branches[k], layer.keys.key_path("branches") + "[" + std::to_string(k) + "]"));
      return make_layer<Concat>(layer, std::move(built));
    },
    // The branches, then Concat along the channels (axis 1).
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      std::vector<std::string> branches;
      for (std::size_t b = 0; b < op.children.size(); ++b)
        branches.push_back(
            graph.module(*op.children[b], x, path + ".branches[" + std::to_string(b) + "]"));
      return graph.node("Concat", graph.name_of(path) + ".concat", branches,
                        {OnnxAttribute::integer("axis", 1)});
    },
    LayerRegistration::Kind::block);
}  // namespace

}  // namespace gradlab
