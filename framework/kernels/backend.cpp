#include "framework/kernels/backend.h"

#include <cstdlib>
#include <stdexcept>

namespace gradlab {

Backend parse_backend(const std::string& name) {
  if (name == "onednn") return Backend::onednn;
  if (name == "reference") return Backend::reference;
  throw std::invalid_argument("unknown backend '" + name + "' (valid: onednn, reference)");
}

std::string to_string(Backend backend) {
  return backend == Backend::onednn ? "onednn" : "reference";
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

}  // namespace gradlab
