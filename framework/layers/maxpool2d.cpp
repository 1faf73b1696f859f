#include "framework/layers/maxpool2d.h"

#include "framework/layers/pool2d_shape.h"
#include "framework/layers/registry.h"

namespace gradlab {

template <class T>
MaxPool2d<T>::MaxPool2d(std::size_t kernel_size, std::size_t stride)
    : kernel_size_(kernel_size), stride_(stride == 0 ? kernel_size : stride) {
  if (kernel_size == 0) throw std::invalid_argument("MaxPool2d: kernel_size must be >= 1");
}

template <class T>
std::string MaxPool2d<T>::name() const {
  return "MaxPool2d(kernel_size=" + std::to_string(kernel_size_) +
         ", stride=" + std::to_string(stride_) + ")";
}

template <class T>
Shape MaxPool2d<T>::output_shape(const Shape& input_shape) const {
  return pool2d_output_shape(name(), input_shape, kernel_size_, stride_);
}

template <class T>
reference::Pool2dGeometry MaxPool2d<T>::geometry(const Shape& input_shape) const {
  return pool2d_geometry(input_shape, output_shape(input_shape), kernel_size_, stride_);
}

template <class T>
MaxPoolKernel<T>& MaxPool2d<T>::kernel() {
  return kernel_.get(this->backend(), [this] { return kernels<T>(this->backend()).max_pool(); });
}

template <class T>
void MaxPool2d<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  kernel().forward(geometry(shape_of(input)), input.data(), output.data());
}

template <class T>
void MaxPool2d<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  if (!grad_input) return;
  kernel().backward(geometry(this->input_shape()), grad_output.data(), grad_input->data());
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

namespace {
const LayerRegistration maxpool2d_type(
    "maxpool2d", "kernel_size, stride (= kernel_size)",
    [](auto& layer) {
      const std::size_t kernel_size = layer.size("kernel_size");
      const std::size_t stride = layer.size("stride", static_cast<long long>(kernel_size));
      return make_layer<MaxPool2d>(layer, kernel_size, stride);
    },
    [](const OpSpec<float>& op, OnnxGraph& graph, const std::string& x, const std::string& path) {
      return graph.node("MaxPool", graph.name_of(path), {x},
                        onnx_window(op.kernel_size, op.stride, 0));
    });
}  // namespace

}  // namespace gradlab
