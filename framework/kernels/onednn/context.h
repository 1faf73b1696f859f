// The process's oneDNN engine and stream, and thread settings for the kernels.
#pragma once

#include <string>

namespace dnnl {
struct engine;
struct stream;
}  // namespace dnnl

namespace gradlab::onednn {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// Threads of the OpenMP pool oneDNN runs on (omp_set_num_threads); 0 keeps the current count.
void set_num_threads(int threads);
int num_threads();

// Flush denormal floats to zero (FTZ and DAZ) in every thread of the pool: denormals made
// PyTorch's later MLP epochs 15–18% slower on this CPU, and they carry no useful precision here.
void enable_flush_to_zero();

// The instruction set oneDNN's kernels run with: the CPU's own, or lower under the environment
// variable ONEDNN_MAX_CPU_ISA (e.g. "avx512_core_bf16", "avx2", "avx", "sse41").
std::string cpu_isa();
// Whether it includes AVX2. Below it, oneDNN 2.6 has no JIT backward kernels for the blocked
// layouts (nChw8c) its forward kernels use, so LeNet's blocks run unfused (docs/decisions.md).
bool cpu_isa_has_avx2();

}  // namespace gradlab::onednn
