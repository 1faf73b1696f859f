// Backends: the kernels a model's layers run. Each operation has one interface (gemm, the pools,
// sums and concatenations below; kernels/convolution.h, kernels/pooling.h,
// kernels/normalization.h, kernels/elementwise.h) and one implementation per backend: the reference
// loops (kernels/reference/, the oracle) and oneDNN (kernels/onednn/, float32). Layers ask
// kernels<T>(their backend) for them and never branch on the backend themselves; which one a
// model runs is chosen once, by whoever builds it (Module::set_backend; the CLI resolves the
// config's "backend", --backend and $GRADLAB_BACKEND in train/config.cpp). A backend may also
// run runs of layers fused, through a fuser it registers (framework/fusion/plan.h).
//
// Adding a backend: a value below and its line in backends() (backend.cpp), a Kernels<T>
// implementation in its own folder, and its case in kernels<T>() (backend.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/kernels/convolution.h"
#include "framework/kernels/elementwise.h"
#include "framework/kernels/normalization.h"
#include "framework/kernels/pooling.h"

namespace gradlab {

enum class Backend { reference, onednn };

struct BackendInfo {
  Backend backend;
  std::string name;   // as configs and the CLI spell it
  std::string about;  // one line for --help
};
// Every backend, in the order --help lists them.
const std::vector<BackendInfo>& backends();
std::vector<std::string> backend_names();

// The backend of a name; throws std::invalid_argument naming the valid ones.
Backend parse_backend(const std::string& name);
std::string to_string(Backend backend);

// $GRADLAB_BACKEND if set (an invalid value is an error), else oneDNN: the default of configs.
Backend default_backend();

template <class T>
class Kernels {
 public:
  virtual ~Kernels() = default;
  // C (+)= op(A) · op(B), row-major, as kernels/reference/gemm.h documents.
  virtual void gemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
                    const T* A, const T* B, T* C, bool accumulate) const = 0;
  virtual std::unique_ptr<ConvolutionKernel<T>> convolution(const ConvolutionSpec& spec) const = 0;
  virtual std::unique_ptr<MaxPoolKernel<T>> max_pool() const = 0;
  // Average pooling (count_include_pad) and global average pooling, as
  // kernels/reference/avgpool2d.h defines them; backward overwrites dx.
  virtual void avg_pool_forward(const reference::Pool2dGeometry& g, const T* x, T* y) const = 0;
  virtual void avg_pool_backward(const reference::Pool2dGeometry& g, const T* dy, T* dx) const = 0;
  virtual void global_avg_pool_forward(std::size_t planes, std::size_t plane_size, const T* x,
                                       T* y) const = 0;
  virtual void global_avg_pool_backward(std::size_t planes, std::size_t plane_size, const T* dy,
                                        T* dx) const = 0;
  // y = a + b over n values: a residual block's sum, and its input gradient's.
  virtual void add(const T* a, const T* b, T* y, std::size_t n) const = 0;
  // Concatenation along dimension 1, sample by sample (N samples): y[n, offset : offset + width]
  // = x[n, :], where a sample of x is `width` values and one of y `y_width`; and the reverse,
  // y[n, :] = x[n, offset : offset + width], for its gradient.
  virtual void concat_rows(std::size_t N, std::size_t width, std::size_t y_width,
                           std::size_t offset, const T* x, T* y) const = 0;
  virtual void slice_rows(std::size_t N, std::size_t width, std::size_t x_width, std::size_t offset,
                          const T* x, T* y) const = 0;
  // Batch normalisation (kernels/normalization.h), one kernel per layer: it keeps what its
  // backward needs.
  virtual std::unique_ptr<BatchNormKernel<T>> batch_norm() const = 0;

  // An element-wise activation's kernel, by its kind (kernels/elementwise.h): this backend's own
  // if one is registered for the kind, else the reference loops. Throws std::logic_error naming
  // a kind that has no kernel at all.
  std::unique_ptr<ElementwiseKernel<T>> elementwise(const OpSpec<T>& op) const;
  // Adds this backend's kernel for a kind (register_elementwise_kernel below is how).
  void add_elementwise(const std::string& kind, ElementwiseFactory<T> factory);

 private:
  std::map<std::string, ElementwiseFactory<T>> elementwise_;
};

// A layer's kernel for its backend, made on first use and again when the backend changes (a
// kernel keeps plans and what its backward needs, so a layer holds on to it).
template <class Kernel>
class KernelForBackend {
 public:
  // The kernel for `backend`, made by make() (returning a std::unique_ptr<Kernel>) if need be.
  template <class Make>
  Kernel& get(Backend backend, Make&& make) {
    if (!kernel_ || backend_ != backend) {
      kernel_ = make();
      backend_ = backend;
    }
    return *kernel_;
  }

 private:
  std::unique_ptr<Kernel> kernel_;
  Backend backend_ = Backend::reference;  // the backend kernel_ was made for
};

// Registers a backend's element-wise kernel for a kind, at static initialisation as layer types
// register (framework/layers/registry.h). Throws std::logic_error if the backend has one for the
// kind, or does not run T (oneDNN runs float32 only).
template <class T>
void register_elementwise_kernel(Backend backend, const std::string& kind,
                                 ElementwiseFactory<T> factory);

// What a layer's file defines (at namespace scope) to register a kind's reference kernel, for
// float and double: `factory` is generic, taking an OpSpec<T> and returning a
// std::unique_ptr<ElementwiseKernel<T>> (loop_kernel<T>(...), kernels/elementwise.h).
struct ReferenceKernelRegistration {
  template <class Factory>
  ReferenceKernelRegistration(const std::string& kind, Factory factory) {
    register_elementwise_kernel<float>(
        Backend::reference, kind,
        [factory](const OpSpec<float>& op) -> std::unique_ptr<ElementwiseKernel<float>> {
          return factory(op);
        });
    register_elementwise_kernel<double>(
        Backend::reference, kind,
        [factory](const OpSpec<double>& op) -> std::unique_ptr<ElementwiseKernel<double>> {
          return factory(op);
        });
  }
};

// The kernels of a backend for element type T: float64 always gets the reference loops, which
// the gradient checks prove.
template <class T>
const Kernels<T>& kernels(Backend backend);

}  // namespace gradlab
