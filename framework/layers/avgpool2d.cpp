#include "framework/layers/avgpool2d.h"

#include "framework/layers/pool2d_shape.h"
#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
AvgPool2d<T>::AvgPool2d(std::size_t kernel_size, std::size_t stride, std::size_t padding)
    : kernel_size_(kernel_size), stride_(stride == 0 ? kernel_size : stride), padding_(padding) {
  if (kernel_size == 0) throw std::invalid_argument("AvgPool2d: kernel_size must be >= 1");
  if (2 * padding > kernel_size)
    throw std::invalid_argument(
        "AvgPool2d: padding " + std::to_string(padding) + " is more than half the kernel_size " +
        std::to_string(kernel_size) + " (a window could hold only padding)");
}

template <class T>
std::string AvgPool2d<T>::name() const {
  return "AvgPool2d(kernel_size=" + std::to_string(kernel_size_) +
         ", stride=" + std::to_string(stride_) +
         (padding_ ? ", padding=" + std::to_string(padding_) : std::string()) + ")";
}

template <class T>
Shape AvgPool2d<T>::output_shape(const Shape& input_shape) const {
  return pool2d_output_shape(name(), input_shape, kernel_size_, stride_, padding_);
}

template <class T>
reference::Pool2dGeometry AvgPool2d<T>::geometry(const Shape& input_shape) const {
  return pool2d_geometry(input_shape, output_shape(input_shape), kernel_size_, stride_, padding_);
}

template <class T>
void AvgPool2d<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  kernels<T>(this->backend())
      .avg_pool_forward(geometry(shape_of(input)), input.data(), output.data());
}

template <class T>
void AvgPool2d<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  if (!grad_input) return;
  kernels<T>(this->backend())
      .avg_pool_backward(geometry(this->input_shape()), grad_output.data(), grad_input->data());
}

template class AvgPool2d<float>;
template class AvgPool2d<double>;

namespace {
const LayerRegistration avgpool2d_type(
    "avgpool2d", "kernel_size, stride (= kernel_size), padding (0, at most kernel_size / 2)",
    [](auto& layer) {
      const std::size_t kernel_size = layer.size("kernel_size");
      const std::size_t stride = layer.size("stride", static_cast<long long>(kernel_size));
      const std::size_t padding = layer.size("padding", 0, 0);
      if (2 * padding > kernel_size)
        throw ConfigError(layer.keys.key_path("padding") + ": is " + std::to_string(padding) +
                          ", more than half the kernel_size " + std::to_string(kernel_size));
      return make_layer<AvgPool2d>(layer, kernel_size, stride, padding);
    },
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      std::vector<OnnxAttribute> attributes = onnx_window(op.kernel_size, op.stride, op.padding);
      // Dividing by K² everywhere, as AvgPool2d does.
      attributes.push_back(OnnxAttribute::integer("count_include_pad", 1));
      return graph.node("AveragePool", graph.name_of(path), {x}, attributes);
    });
}  // namespace

}  // namespace gradlab
