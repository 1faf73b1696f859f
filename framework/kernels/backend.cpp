#include "framework/kernels/backend.h"

#include <cstdlib>
#include <stdexcept>
#include <type_traits>

#include "framework/config_reader.h"
#include "framework/kernels/onednn/kernels.h"
#include "framework/kernels/reference/kernels.h"

namespace gradlab {

const std::vector<BackendInfo>& backends() {
  static const std::vector<BackendInfo> all{
      {Backend::onednn, "onednn", "oneDNN's JIT kernels (float32; float64 runs the reference)"},
      {Backend::reference, "reference", "plain loops, the oracle the tests compare against"}};
  return all;
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendInfo& info : backends()) names.push_back(info.name);
  return names;
}

Backend parse_backend(const std::string& name) {
  for (const BackendInfo& info : backends())
    if (info.name == name) return info.backend;
  throw std::invalid_argument("unknown backend '" + name +
                              "' (valid: " + join_names(backend_names()) + ")");
}

std::string to_string(Backend backend) {
  for (const BackendInfo& info : backends())
    if (info.backend == backend) return info.name;
  throw std::logic_error("a backend without a name");
}

Backend default_backend() {
  const char* name = std::getenv("GRADLAB_BACKEND");
  if (!name || !*name) return Backend::onednn;
  try {
    return parse_backend(name);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(std::string("GRADLAB_BACKEND: ") + error.what());
  }
}

namespace {
// Each backend's kernels, made on first use (registrations run during static initialisation).
template <class T>
Kernels<T>& backend_kernels(Backend backend);

template <>
Kernels<float>& backend_kernels<float>(Backend backend) {
  static reference::ReferenceKernels<float> reference_kernels;
  static onednn::OnednnKernels onednn_kernels;
  switch (backend) {
    case Backend::onednn:
      return onednn_kernels;
    case Backend::reference:
      break;
  }
  return reference_kernels;
}

template <>
Kernels<double>& backend_kernels<double>(Backend) {
  static reference::ReferenceKernels<double> reference_kernels;
  return reference_kernels;
}
}  // namespace

template <>
const Kernels<float>& kernels<float>(Backend backend) {
  return backend_kernels<float>(backend);
}

template <>
const Kernels<double>& kernels<double>(Backend backend) {
  return backend_kernels<double>(backend);
}

template <class T>
std::unique_ptr<ElementwiseKernel<T>> Kernels<T>::elementwise(const OpSpec<T>& op) const {
  const auto found = elementwise_.find(op.kind);
  if (found != elementwise_.end()) return found->second(op);
  const Kernels<T>& reference = kernels<T>(Backend::reference);
  if (&reference != this) return reference.elementwise(op);
  throw std::logic_error("no element-wise kernel is registered for \"" + op.kind + "\"");
}

template <class T>
void Kernels<T>::add_elementwise(const std::string& kind, ElementwiseFactory<T> factory) {
  if (!elementwise_.emplace(kind, std::move(factory)).second)
    throw std::logic_error("two element-wise kernels for \"" + kind + "\" on one backend");
}

template <class T>
void register_elementwise_kernel(Backend backend, const std::string& kind,
                                 ElementwiseFactory<T> factory) {
  if (std::is_same_v<T, double> && backend != Backend::reference)
    throw std::logic_error("register_elementwise_kernel(\"" + kind + "\"): the " +
                           to_string(backend) + " backend runs float32 only");
  backend_kernels<T>(backend).add_elementwise(kind, std::move(factory));
}

template class Kernels<float>;
template class Kernels<double>;
template void register_elementwise_kernel<float>(Backend, const std::string&,
                                                 ElementwiseFactory<float>);
template void register_elementwise_kernel<double>(Backend, const std::string&,
                                                  ElementwiseFactory<double>);

}  // namespace gradlab
