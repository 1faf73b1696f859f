// Which kernels a module runs: the plain reference loops, or oneDNN (float32 only; float64
// always runs the reference, which is what the gradient checks prove).
#pragma once

#include <string>

namespace gradlab {

enum class Backend { reference, onednn };

// "onednn" / "reference"; throws std::invalid_argument naming the valid values.
Backend parse_backend(const std::string& name);
std::string to_string(Backend backend);

// The process default: $GRADLAB_BACKEND if set (an invalid value is an error), else oneDNN.
Backend default_backend();

}  // namespace gradlab
