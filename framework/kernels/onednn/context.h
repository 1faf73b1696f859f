// The process's oneDNN engine and stream, and the instruction set oneDNN runs with (thread
// settings are framework/runtime.h's).
#pragma once

#include <string>

namespace dnnl {
struct engine;
struct stream;
}  // namespace dnnl

namespace gradlab::onednn {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// The instruction set oneDNN's kernels run with: the CPU's own, or lower under the environment
// variable ONEDNN_MAX_CPU_ISA (e.g. "avx512_core_bf16", "avx2", "avx", "sse41").
std::string cpu_isa();
// Whether it includes AVX2. Below it, oneDNN 2.6 has no JIT backward kernels for the blocked
// layouts (nChw8c) its forward kernels use, so LeNet's blocks run unfused (docs/decisions.md).
bool cpu_isa_has_avx2();
// Whether it includes bfloat16 arithmetic: AVX512_BF16 (avx512_core_bf16) or AMX
// (avx512_core_amx), what bf16 training needs (framework/precision.h). Elsewhere oneDNN would
// run bf16 on reference kernels or emulate it, slower than float32.
bool cpu_isa_has_bf16();
// Whether bf16 is expected to train slower than float32 here: an Intel CPU with AVX512_BF16 but
// without AMX, where VDPBF16PS's two products per lane run on one port against float32's two FMA
// ports, and oneDNN 2.6's bf16 convolutions measured 0.6 of float32's speed (docs/benchmarks.md).
// AMD's Zen 4 (AVX512_BF16, one 512-bit FMA per cycle) and AMX gain instead.
bool bf16_slower_than_f32();

}  // namespace gradlab::onednn
