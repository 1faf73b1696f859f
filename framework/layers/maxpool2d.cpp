#include "framework/layers/maxpool2d.h"

#include <algorithm>

#include "framework/parallel.h"

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
  if (input_shape.size() != 4)
    throw ShapeError(name() + ": expected input of shape [N, C, H, W], got " + to_string(input_shape));
  const std::size_t H = input_shape[2], W = input_shape[3];
  if (H < kernel_size_ || W < kernel_size_) {
    throw ShapeError(name() + ": input " + to_string(input_shape) + " is smaller than the " +
                     std::to_string(kernel_size_) + "x" + std::to_string(kernel_size_) +
                     " window (output size would be < 1)");
  }
  return {input_shape[0], input_shape[1], (H - kernel_size_) / stride_ + 1,
          (W - kernel_size_) / stride_ + 1};
}

template <class T>
void MaxPool2d<T>::forward_impl(const Tensor<T>& input, Tensor<T>& output) {
  const std::size_t N = input.shape(0), C = input.shape(1), H = input.shape(2), W = input.shape(3);
  const std::size_t H_out = output.shape(2), W_out = output.shape(3);
  const T* x = input.data();
  T* y = output.data();
  argmax_.resize(output.size());
  std::size_t* argmax = argmax_.data();
  const std::size_t K = kernel_size_, S = stride_;
  // Planes (one image's one channel) are independent: split them across threads.
  parallel_for(N * C, [=](std::size_t begin, std::size_t end) {
    std::size_t out = begin * H_out * W_out;  // walks Y in row-major order
    for (std::size_t plane = begin; plane < end; ++plane)
      for (std::size_t i = 0; i < H_out; ++i)
        for (std::size_t j = 0; j < W_out; ++j, ++out) {
          std::size_t best = plane * H * W + (i * S) * W + j * S;
          for (std::size_t u = 0; u < K; ++u)
            for (std::size_t v = 0; v < K; ++v) {
              const std::size_t at = plane * H * W + (i * S + u) * W + (j * S + v);
              if (x[at] > x[best]) best = at;  // strict: the first maximum wins a tie
            }
          y[out] = x[best];
          argmax[out] = best;
        }
  }, H * W);
}

template <class T>
void MaxPool2d<T>::backward_impl(const Tensor<T>& grad_output, Tensor<T>* grad_input) {
  if (!grad_input) return;
  const T* dy = grad_output.data();
  T* dx = grad_input->data();
  const std::size_t* argmax = argmax_.data();
  const std::size_t plane_in = grad_input->shape(2) * grad_input->shape(3);
  const std::size_t plane_out = grad_output.shape(2) * grad_output.shape(3);
  // By whole planes, so no two threads write the same input element; += because overlapping
  // windows (stride < kernel) can share a maximum.
  parallel_for(grad_output.shape(0) * grad_output.shape(1), [=](std::size_t begin, std::size_t end) {
    std::fill(dx + begin * plane_in, dx + end * plane_in, T(0));
    for (std::size_t out = begin * plane_out; out < end * plane_out; ++out) dx[argmax[out]] += dy[out];
  }, plane_in);
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

}  // namespace gradlab
