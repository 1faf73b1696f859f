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
    throw ShapeError(name() + ": expected input of shape [N, C, H, W], got " +
                     to_string(input_shape));
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
  //
  // Which element of a window is largest is a coin toss for the branch predictor, and an `if`
  // here cost 2.5 ms per batch on LeNet's first layer (the max alone takes 0.1 ms). So the
  // winner is chosen by arithmetic on comparison results, which compiles to no branch at all.
  if (K == 2 && S == 2) {
    // The common 2×2 window: a b / c d. First maximum in that order wins a tie.
    parallel_for(
        N * C,
        [=](std::size_t begin, std::size_t end) {
          for (std::size_t plane = begin; plane < end; ++plane)
            for (std::size_t i = 0; i < H_out; ++i) {
              const std::size_t top = plane * H * W + 2 * i * W, out = (plane * H_out + i) * W_out;
              for (std::size_t j = 0; j < W_out; ++j) {
                const std::size_t at = top + 2 * j;
                const T a = x[at], b = x[at + 1], c = x[at + W], d = x[at + W + 1];
                const std::size_t right_top = b > a, right_bottom = d > c;
                const T max_top = std::max(a, b), max_bottom = std::max(c, d);
                const std::size_t bottom = max_bottom > max_top;
                const std::size_t column = right_top + bottom * (right_bottom - right_top);
                y[out + j] = std::max(max_top, max_bottom);
                argmax[out + j] = at + bottom * W + column;
              }
            }
        },
        H * W);
    return;
  }
  parallel_for(
      N * C,
      [=](std::size_t begin, std::size_t end) {
        std::size_t out = begin * H_out * W_out;  // walks Y in row-major order
        for (std::size_t plane = begin; plane < end; ++plane)
          for (std::size_t i = 0; i < H_out; ++i)
            for (std::size_t j = 0; j < W_out; ++j, ++out) {
              std::size_t best = plane * H * W + (i * S) * W + j * S;
              T best_value = x[best];
              for (std::size_t u = 0; u < K; ++u)
                for (std::size_t v = 0; v < K; ++v) {
                  const std::size_t at = plane * H * W + (i * S + u) * W + (j * S + v);
                  const std::size_t larger =
                      x[at] > best_value;  // strict: the first maximum wins a tie
                  best += larger * (at - best);
                  best_value = x[best];
                }
              y[out] = best_value;
              argmax[out] = best;
            }
      },
      H * W);
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
  parallel_for(
      grad_output.shape(0) * grad_output.shape(1),
      [=](std::size_t begin, std::size_t end) {
        std::fill(dx + begin * plane_in, dx + end * plane_in, T(0));
        for (std::size_t out = begin * plane_out; out < end * plane_out; ++out)
          dx[argmax[out]] += dy[out];
      },
      plane_in);
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

}  // namespace gradlab
