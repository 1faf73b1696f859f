// Backends: the kernels a model's layers run. Each operation has one interface (gemm below,
// kernels/convolution.h, kernels/pooling.h) and one implementation per backend: the reference
// loops (kernels/reference/, the oracle) and oneDNN (kernels/onednn/, float32). Layers ask
// kernels<T>(their backend) for them and never branch on the backend themselves; which one a
// model runs is chosen once, by whoever builds it (Module::set_backend; the CLI resolves the
// config's "backend", --backend and $GRADLAB_BACKEND in train/config.cpp). A backend may also
// run runs of layers fused (framework/fusion/plan.h).
//
// Adding a backend: a value below and its line in backends() (backend.cpp), a Kernels<T>
// implementation in its own folder, and its case in kernels<T>() (backend.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/kernels/convolution.h"
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
};

// The kernels of a backend for element type T: float64 always gets the reference loops, which
// the gradient checks prove.
template <class T>
const Kernels<T>& kernels(Backend backend);

}  // namespace gradlab
