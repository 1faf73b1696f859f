#include "framework/kernels/onednn/kernels.h"

#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/onednn/gemm.h"
#include "framework/kernels/reference/avgpool2d.h"
#include "framework/kernels/reference/batch_norm.h"
#include "framework/kernels/reference/kernels.h"

namespace gradlab::onednn {

namespace {

// A convolution layer alone: a chain of one (plain tensors in and out, reordered at the ends).
class Convolution : public ConvolutionKernel<float> {
 public:
  explicit Convolution(const ConvolutionSpec& spec) : chain_({layer(spec)}) {}

  void forward(const reference::Conv2dGeometry& g, const float* x, const float* w, const float* b,
               float* y) override {
    chain_.forward({g.N, g.C_in, g.H, g.W}, x, y, {{w, b, nullptr, nullptr}});
  }
  void backward(const reference::Conv2dGeometry&, const float*, const float* w, const float* dy,
                float* dx, float* dw, float* db) override {
    chain_.backward(dy, dx, {{w, nullptr, dw, db}});
  }
  std::vector<std::string> implementations(const reference::Conv2dGeometry& g) override {
    return chain_.implementations({g.N, g.C_in, g.H, g.W});
  }

 private:
  static Chain::Layer layer(const ConvolutionSpec& spec) {
    Chain::Layer self{};
    self.kind = Chain::Layer::Kind::convolution;
    self.out_channels = spec.out_channels;
    self.kernel_size = spec.kernel_size;
    self.stride = spec.stride;
    self.padding = spec.padding;
    self.bias = spec.bias;
    self.name = spec.name;
    return self;
  }
  Chain chain_;
};

}  // namespace

void OnednnKernels::gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N,
                         std::size_t K, const float* A, const float* B, float* C,
                         bool accumulate) const {
  sgemm(transpose_a, transpose_b, M, N, K, A, B, C, accumulate);
}

std::unique_ptr<ConvolutionKernel<float>> OnednnKernels::convolution(
    const ConvolutionSpec& spec) const {
  return std::make_unique<Convolution>(spec);
}

std::unique_ptr<MaxPoolKernel<float>> OnednnKernels::max_pool() const {
  return reference::make_reference_max_pool<float>();
}

void OnednnKernels::avg_pool_forward(const reference::Pool2dGeometry& g, const float* x,
                                     float* y) const {
  reference::avg_pool2d_forward(g, x, y);
}

void OnednnKernels::avg_pool_backward(const reference::Pool2dGeometry& g, const float* dy,
                                      float* dx) const {
  reference::avg_pool2d_backward(g, dy, dx);
}

void OnednnKernels::global_avg_pool_forward(std::size_t planes, std::size_t plane_size,
                                            const float* x, float* y) const {
  reference::global_avg_pool_forward(planes, plane_size, x, y);
}

void OnednnKernels::global_avg_pool_backward(std::size_t planes, std::size_t plane_size,
                                             const float* dy, float* dx) const {
  reference::global_avg_pool_backward(planes, plane_size, dy, dx);
}

void OnednnKernels::add(const float* a, const float* b, float* y, std::size_t n) const {
  reference::add(a, b, y, n);
}

void OnednnKernels::concat_rows(std::size_t N, std::size_t width, std::size_t y_width,
                                std::size_t offset, const float* x, float* y) const {
  reference::concat_rows(N, width, y_width, offset, x, y);
}

void OnednnKernels::slice_rows(std::size_t N, std::size_t width, std::size_t x_width,
                               std::size_t offset, const float* x, float* y) const {
  reference::slice_rows(N, width, x_width, offset, x, y);
}

std::unique_ptr<BatchNormKernel<float>> OnednnKernels::batch_norm() const {
  return std::make_unique<reference::BatchNorm<float>>();
}

}  // namespace gradlab::onednn
