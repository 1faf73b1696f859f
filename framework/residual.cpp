#include "framework/residual.h"

#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
Residual<T>::Residual(std::unique_ptr<Sequential<T>> body,
                      std::unique_ptr<Sequential<T>> shortcut) {
  if (!body || body->size() == 0)
    throw std::invalid_argument("Residual: the body needs at least one layer");
  Sequential<T>* body_pointer = body.get();
  this->add_child("body", std::move(body));
  body_ = body_pointer;
  if (shortcut) {
    if (shortcut->size() == 0)
      throw std::invalid_argument("Residual: an empty shortcut; leave it out for the identity");
    Sequential<T>* shortcut_pointer = shortcut.get();
    this->add_child("shortcut", std::move(shortcut));
    shortcut_ = shortcut_pointer;
  }
}

template <class T>
std::string Residual<T>::name() const {
  return shortcut_ ? "Residual(body + shortcut)" : "Residual(body + identity)";
}

template <class T>
Shape Residual<T>::output_shape(const Shape& input_shape) const {
  Shape body_shape, shortcut_shape;
  try {
    body_shape = body_->output_shape(input_shape);
  } catch (const ShapeError& error) {
    throw ShapeError("body: " + std::string(error.what()));
  }
  try {
    shortcut_shape = shortcut_ ? shortcut_->output_shape(input_shape) : input_shape;
  } catch (const ShapeError& error) {
    throw ShapeError("shortcut: " + std::string(error.what()));
  }
  if (body_shape != shortcut_shape) {
    throw ShapeError(name() + ": the body outputs " + to_string(body_shape) + " but the " +
                     (shortcut_ ? "shortcut outputs " : "identity shortcut passes ") +
                     to_string(shortcut_shape) + " for input " + to_string(input_shape) +
                     (shortcut_ ? "" : " (add a shortcut, such as a strided 1x1 conv2d)"));
  }
  return body_shape;
}

template <class T>
std::size_t Residual<T>::forward_flops(const Shape& input_shape) const {
  return body_->forward_flops(input_shape) +
         (shortcut_ ? shortcut_->forward_flops(input_shape) : 0);
}

template <class T>
const Tensor<T>& Residual<T>::forward(const Tensor<T>& input) {
  output_shape(shape_of(input));  // names the branch at fault before anything runs
  const Tensor<T>& body_output = body_->forward(input);
  output_.resize(shape_of(body_output));
  const Tensor<T>& skip = shortcut_ ? shortcut_->forward(input) : input;
  kernels<T>(this->backend()).add(body_output.data(), skip.data(), output_.data(), output_.size());
  has_forward_ = true;
  report_output(*this, output_);
  return output_;
}

template <class T>
const Tensor<T>& Residual<T>::backward(const Tensor<T>& grad_output) {
  check_backward_call(name(), has_forward_, shape_of(output_), shape_of(grad_output));
  const Tensor<T>& body_grad = body_->backward(grad_output);
  if (!this->needs_input_grad()) {
    if (shortcut_) shortcut_->backward(grad_output);  // its parameters' gradients only
    grad_input_.resize(Shape{0});
    return grad_input_;
  }
  grad_input_.resize(shape_of(body_grad));
  const Tensor<T>& skip_grad = shortcut_ ? shortcut_->backward(grad_output) : grad_output;
  kernels<T>(this->backend())
      .add(body_grad.data(), skip_grad.data(), grad_input_.data(), grad_input_.size());
  return grad_input_;
}

template <class T>
void Residual<T>::set_needs_input_grad(bool needed) {
  Module<T>::set_needs_input_grad(needed);
  body_->set_needs_input_grad(needed);
  if (shortcut_) shortcut_->set_needs_input_grad(needed);
}

template class Residual<float>;
template class Residual<double>;

namespace {
// y = body(x) + shortcut(x): {"type": "residual", "body": [...], "shortcut": [...]}.
const LayerRegistration residual_type(
    "residual", "body (a list of layers), [shortcut] (a list; absent: the identity)",
    [](auto& layer) {
      auto body = layer.build_sequence(layer.keys.json("body"), layer.keys.key_path("body"));
      decltype(body) shortcut;
      if (layer.keys.has("shortcut"))
        shortcut =
            layer.build_sequence(layer.keys.json("shortcut"), layer.keys.key_path("shortcut"));
      return make_layer<Residual>(layer, std::move(body), std::move(shortcut));
    },
    // body(x) + shortcut(x)
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      const std::string body = graph.module(*op.children[0], x, path + ".body");
      const std::string shortcut =
          op.children[1] ? graph.module(*op.children[1], x, path + ".shortcut") : x;
      return graph.node("Add", graph.name_of(path) + ".add", {body, shortcut});
    },
    LayerRegistration::Kind::block);
}  // namespace

}  // namespace gradlab
