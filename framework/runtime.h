// Process-wide settings of how kernels run, whatever the backend: the OpenMP pool that oneDNN and
// parallel_for (framework/parallel.h) share, and how floats treat denormals.
#pragma once

namespace gradlab {

// Threads of the OpenMP pool (omp_set_num_threads); 0 keeps the current count.
void set_num_threads(int threads);
int num_threads();

// Flush denormal floats to zero (FTZ and DAZ) in every thread of the pool: denormals made
// PyTorch's later MLP epochs 15–18% slower on the AVX2 machine, and they carry no useful
// precision here.
void enable_flush_to_zero();

}  // namespace gradlab
