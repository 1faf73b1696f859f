#include "framework/layers/avgpool2d.h"

#include <algorithm>

#include "framework/layers/pool2d_shape.h"
#include "framework/layers/registry.h"
#include "framework/parallel.h"

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

// Window rows of output row i inside X: [first, last) of i·S − P + [0, K), clipped to [0, H).
namespace {
struct Span {
  std::size_t first, last;
};
Span window(std::size_t i, std::size_t stride, std::size_t padding, std::size_t kernel,
            std::size_t extent) {
  const std::ptrdiff_t start =
      static_cast<std::ptrdiff_t>(i * stride) - static_cast<std::ptrdiff_t>(padding);
  const std::ptrdiff_t stop = start + static_cast<std::ptrdiff_t>(kernel);
  return {static_cast<std::size_t>(std::max<std::ptrdiff_t>(start, 0)),
          static_cast<std::size_t>(
              std::min<std::ptrdiff_t>(stop, static_cast<std::ptrdiff_t>(extent)))};
}
}  // namespace

template <class T>
void AvgPool2d<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  const Shape in = shape_of(input), out = shape_of(output);
  const std::size_t H = in[2], W = in[3], H_out = out[2], W_out = out[3];
  const T scale = T(1) / static_cast<T>(kernel_size_ * kernel_size_);
  const T* x = input.data();
  T* y = output.data();
  const std::size_t K = kernel_size_, S = stride_, P = padding_;
  // One (n, c) plane per task.
  parallel_for(in[0] * in[1], [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane) {
      const T* x_plane = x + plane * H * W;
      T* y_plane = y + plane * H_out * W_out;
      for (std::size_t i = 0; i < H_out; ++i) {
        const Span rows = window(i, S, P, K, H);
        for (std::size_t j = 0; j < W_out; ++j) {
          const Span cols = window(j, S, P, K, W);
          T sum = 0;
          for (std::size_t h = rows.first; h < rows.last; ++h)
            for (std::size_t w = cols.first; w < cols.last; ++w) sum += x_plane[h * W + w];
          y_plane[i * W_out + j] = sum * scale;
        }
      }
    }
  });
}

template <class T>
void AvgPool2d<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  if (!grad_input) return;
  const Shape in = this->input_shape(), out = shape_of(grad_output);
  const std::size_t H = in[2], W = in[3], H_out = out[2], W_out = out[3];
  const T scale = T(1) / static_cast<T>(kernel_size_ * kernel_size_);
  const T* dy = grad_output.data();
  T* dx = grad_input->data();
  const std::size_t K = kernel_size_, S = stride_, P = padding_;
  parallel_for(in[0] * in[1], [=](std::size_t begin, std::size_t end) {
    for (std::size_t plane = begin; plane < end; ++plane) {
      T* dx_plane = dx + plane * H * W;
      const T* dy_plane = dy + plane * H_out * W_out;
      std::fill(dx_plane, dx_plane + H * W, T(0));
      for (std::size_t i = 0; i < H_out; ++i) {
        const Span rows = window(i, S, P, K, H);
        for (std::size_t j = 0; j < W_out; ++j) {
          const Span cols = window(j, S, P, K, W);
          const T share = dy_plane[i * W_out + j] * scale;
          for (std::size_t h = rows.first; h < rows.last; ++h)
            for (std::size_t w = cols.first; w < cols.last; ++w) dx_plane[h * W + w] += share;
        }
      }
    }
  });
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
