// The process's oneDNN engine and stream, and thread settings for the kernels.
#pragma once

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

}  // namespace gradlab::onednn
