#include "framework/precision.h"

#include <stdexcept>

namespace gradlab {

Precision parse_precision(const std::string& name) {
  if (name == "f32") return Precision::f32;
  if (name == "bf16") return Precision::bf16;
  throw std::invalid_argument("unknown precision '" + name + "' (valid: f32, bf16)");
}

std::string to_string(Precision precision) {
  return precision == Precision::bf16 ? "bf16" : "f32";
}

std::vector<std::string> precision_names() {
  return {"f32", "bf16"};
}

}  // namespace gradlab
