#include "framework/layers/conv2d.h"

#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
Conv2d<T>::Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
                  Rng& rng, std::size_t stride, std::size_t padding, Init init, bool bias)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      padding_(padding),
      has_bias_(bias),
      weight_("weight", {out_channels, in_channels, kernel_size, kernel_size}),
      bias_("bias", {bias ? out_channels : 0}) {
  if (in_channels == 0 || out_channels == 0 || kernel_size == 0 || stride == 0)
    throw std::invalid_argument(name() + ": channels, kernel_size and stride must be >= 1");
  const std::size_t receptive_field = kernel_size * kernel_size;
  initialize(weight_.value, init, in_channels * receptive_field, out_channels * receptive_field,
             rng);
  if (has_bias_) initialize_bias(bias_.value, init, in_channels * receptive_field, rng);
  this->register_parameter(weight_);
  if (has_bias_) this->register_parameter(bias_);
}

template <class T>
std::string Conv2d<T>::name() const {
  return "Conv2d(" + std::to_string(in_channels_) + " -> " + std::to_string(out_channels_) +
         ", kernel_size=" + std::to_string(kernel_size_) + ", stride=" + std::to_string(stride_) +
         ", padding=" + std::to_string(padding_) + ")";
}

template <class T>
reference::Conv2dGeometry Conv2d<T>::geometry(const Shape& input_shape) const {
  if (input_shape.size() != 4 || input_shape[1] != in_channels_) {
    throw ShapeError(name() + ": expected input of shape [N, " + std::to_string(in_channels_) +
                     ", H, W], got " + to_string(input_shape));
  }
  try {
    return reference::make_conv2d_geometry(input_shape[0], in_channels_, input_shape[2],
                                           input_shape[3], out_channels_, kernel_size_, stride_,
                                           padding_);
  } catch (const std::invalid_argument& error) {
    throw ShapeError(name() + ": input " + to_string(input_shape) +
                     " is too small: " + error.what());
  }
}

template <class T>
Shape Conv2d<T>::output_shape(const Shape& input_shape) const {
  const reference::Conv2dGeometry g = geometry(input_shape);
  return {g.N, g.C_out, g.H_out, g.W_out};
}

template <class T>
ConvolutionKernel<T>& Conv2d<T>::kernel() {
  return kernel_.get(this->backend(), [this] {
    return kernels<T>(this->backend())
        .convolution({out_channels_, kernel_size_, stride_, padding_, has_bias_, name()});
  });
}

template <class T>
void Conv2d<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  input_ = input;
  const T* bias = has_bias_ ? bias_.value.data() : nullptr;
  kernel().forward(geometry(shape_of(input)), input_.data(), weight_.value.data(), bias,
                   output.data());
}

template <class T>
void Conv2d<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  T* grad_bias = has_bias_ ? bias_.grad.data() : nullptr;
  kernel().backward(geometry(shape_of(input_)), input_.data(), weight_.value.data(),
                    grad_output.data(), grad_input ? grad_input->data() : nullptr,
                    weight_.grad.data(), grad_bias);
}

template <class T>
std::vector<std::string> Conv2d<T>::implementations(const Shape& input_shape) {
  return kernel().implementations(geometry(input_shape));
}

template class Conv2d<float>;
template class Conv2d<double>;

namespace {
const LayerRegistration conv2d_type(
    "conv2d",
    "out_channels, kernel_size, stride (1), padding (0), [in_channels], bias (true), init",
    [](auto& layer) {
      layer.expect_input({4}, "[N, C, H, W]");
      layer.check_given("in_channels", layer.input[1]);
      const std::size_t out_channels = layer.size("out_channels");
      const std::size_t kernel_size = layer.size("kernel_size");
      const std::size_t stride = layer.size("stride", 1);
      const std::size_t padding = layer.size("padding", 0, 0);
      const bool bias = layer.keys.boolean("bias", true);
      return make_layer<Conv2d>(layer, layer.input[1], out_channels, kernel_size, layer.rng, stride,
                                padding, layer.init(), bias);
    },
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      const std::string name = graph.name_of(path);
      std::vector<std::string> inputs{x, graph.constant(name + ".weight", op.weight->value)};
      if (op.bias) inputs.push_back(graph.constant(name + ".bias", op.bias->value));
      return graph.node("Conv", name, inputs, onnx_window(op.kernel_size, op.stride, op.padding));
    });
}  // namespace

}  // namespace gradlab
