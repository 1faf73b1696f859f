#include "framework/kernels/reference/kernels.h"

#include <algorithm>
#include <vector>

#include "framework/kernels/reference/avgpool2d.h"
#include "framework/kernels/reference/batch_norm.h"
#include "framework/kernels/reference/conv2d.h"
#include "framework/kernels/reference/gemm.h"
#include "framework/kernels/reference/maxpool2d.h"
#include "framework/parallel.h"

namespace gradlab::reference {

namespace {

template <class T>
class Convolution : public ConvolutionKernel<T> {
 public:
  void forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) override {
    conv2d_forward(g, x, w, b, y);
  }
  void backward(const Conv2dGeometry& g, const T* x, const T* w, const T* dy, T* dx, T* dw,
                T* db) override {
    conv2d_backward_weights(g, x, dy, dw, db);
    if (dx) conv2d_backward_data(g, dy, w, dx);
  }
};

template <class T>
class MaxPool : public MaxPoolKernel<T> {
 public:
  void forward(const Pool2dGeometry& g, const T* x, T* y) override {
    argmax_.resize(g.N * g.C * g.H_out * g.W_out);
    max_pool2d_forward(g, x, y, argmax_.data());
  }
  void backward(const Pool2dGeometry& g, const T* dy, T* dx) override {
    max_pool2d_backward(g, dy, argmax_.data(), dx);
  }

 private:
  std::vector<std::size_t> argmax_;  // per output element, the flat index of its input maximum
};

}  // namespace

template <class T>
void ReferenceKernels<T>::gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N,
                               std::size_t K, const T* A, const T* B, T* C, bool accumulate) const {
  reference::gemm(transpose_a, transpose_b, M, N, K, A, B, C, accumulate);
}

template <class T>
std::unique_ptr<ConvolutionKernel<T>> ReferenceKernels<T>::convolution(
    const ConvolutionSpec&) const {
  return std::make_unique<Convolution<T>>();
}

template <class T>
std::unique_ptr<MaxPoolKernel<T>> ReferenceKernels<T>::max_pool() const {
  return make_reference_max_pool<T>();
}

template <class T>
void ReferenceKernels<T>::avg_pool_forward(const Pool2dGeometry& g, const T* x, T* y) const {
  avg_pool2d_forward(g, x, y);
}

template <class T>
void ReferenceKernels<T>::avg_pool_backward(const Pool2dGeometry& g, const T* dy, T* dx) const {
  avg_pool2d_backward(g, dy, dx);
}

template <class T>
void ReferenceKernels<T>::global_avg_pool_forward(std::size_t planes, std::size_t plane_size,
                                                  const T* x, T* y) const {
  reference::global_avg_pool_forward(planes, plane_size, x, y);
}

template <class T>
void ReferenceKernels<T>::global_avg_pool_backward(std::size_t planes, std::size_t plane_size,
                                                   const T* dy, T* dx) const {
  reference::global_avg_pool_backward(planes, plane_size, dy, dx);
}

template <class T>
void add(const T* a, const T* b, T* y, std::size_t n) {
  parallel_for(n, [=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) y[i] = a[i] + b[i];
  });
}

template <class T>
void concat_rows(std::size_t N, std::size_t width, std::size_t y_width, std::size_t offset,
                 const T* x, T* y) {
  for (std::size_t n = 0; n < N; ++n)
    std::copy(x + n * width, x + (n + 1) * width, y + n * y_width + offset);
}

template <class T>
void slice_rows(std::size_t N, std::size_t width, std::size_t x_width, std::size_t offset,
                const T* x, T* y) {
  for (std::size_t n = 0; n < N; ++n)
    std::copy(x + n * x_width + offset, x + n * x_width + offset + width, y + n * width);
}

template <class T>
void ReferenceKernels<T>::add(const T* a, const T* b, T* y, std::size_t n) const {
  reference::add(a, b, y, n);
}

template <class T>
void ReferenceKernels<T>::concat_rows(std::size_t N, std::size_t width, std::size_t y_width,
                                      std::size_t offset, const T* x, T* y) const {
  reference::concat_rows(N, width, y_width, offset, x, y);
}

template <class T>
void ReferenceKernels<T>::slice_rows(std::size_t N, std::size_t width, std::size_t x_width,
                                     std::size_t offset, const T* x, T* y) const {
  reference::slice_rows(N, width, x_width, offset, x, y);
}

template <class T>
std::unique_ptr<BatchNormKernel<T>> ReferenceKernels<T>::batch_norm() const {
  return std::make_unique<BatchNorm<T>>();
}

template <class T>
std::unique_ptr<MaxPoolKernel<T>> make_reference_max_pool() {
  return std::make_unique<MaxPool<T>>();
}

template class ReferenceKernels<float>;
template class ReferenceKernels<double>;
template std::unique_ptr<MaxPoolKernel<float>> make_reference_max_pool<float>();
template void add<float>(const float*, const float*, float*, std::size_t);
template void concat_rows<float>(std::size_t, std::size_t, std::size_t, std::size_t, const float*,
                                 float*);
template void slice_rows<float>(std::size_t, std::size_t, std::size_t, std::size_t, const float*,
                                float*);

}  // namespace gradlab::reference
