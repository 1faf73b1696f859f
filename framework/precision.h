// Precision: what a model's convolutions compute in on the oneDNN backend (issue #29).
//   f32   everything in float32 (the default)
//   bf16  mixed precision: each convolution reads bfloat16 copies of its input, its weights and
//         its output gradient, and writes float32 outputs and weight gradients, its input
//         gradient in bfloat16 (converted back to float32 where the next layer reads it).
//         Everything else stays float32: the master weights and the optimizer's state, batch
//         normalisation and its statistics, pooling, the residual sums, Linear layers, the loss.
// bf16 keeps float32's 8-bit exponent (no loss scaling is needed, unlike float16) and rounds
// the mantissa to 8 bits: products lose precision, sums accumulate in float32 inside oneDNN.
// What runs bf16 needs oneDNN's AVX512_BF16 or AMX kernels (onednn::cpu_isa_has_bf16()); the
// CLI refuses bf16 elsewhere (train/config.cpp), and a convolution oneDNN has no bf16 kernel for
// (one input channel: it is ours, and a tiny share of the work) runs in float32.
// Like the backend, a model's precision is set on it and passed down to every module
// (Module::set_precision); checkpoints and ONNX exports are float32 either way.
#pragma once

#include <string>
#include <vector>

namespace gradlab {

enum class Precision { f32, bf16 };

// "f32" or "bf16"; throws std::invalid_argument naming the valid names.
Precision parse_precision(const std::string& name);
std::string to_string(Precision precision);
std::vector<std::string> precision_names();

}  // namespace gradlab
