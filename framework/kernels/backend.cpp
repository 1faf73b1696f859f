#include "framework/kernels/backend.h"

#include <cstdlib>
#include <stdexcept>

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
  std::string valid;
  for (const BackendInfo& info : backends()) {
    if (info.name == name) return info.backend;
    valid += (valid.empty() ? "" : ", ") + info.name;
  }
  throw std::invalid_argument("unknown backend '" + name + "' (valid: " + valid + ")");
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

template <>
const Kernels<float>& kernels<float>(Backend backend) {
  static const reference::ReferenceKernels<float> reference_kernels;
  static const onednn::OnednnKernels onednn_kernels;
  switch (backend) {
    case Backend::onednn:
      return onednn_kernels;
    case Backend::reference:
      break;
  }
  return reference_kernels;
}

template <>
const Kernels<double>& kernels<double>(Backend) {
  static const reference::ReferenceKernels<double> reference_kernels;
  return reference_kernels;
}

}  // namespace gradlab
