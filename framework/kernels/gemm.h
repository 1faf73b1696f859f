// Matrix multiply dispatch: C (+)= op(A) · op(B), as reference::gemm documents, run by the
// module's backend. float with Backend::onednn goes to dnnl::sgemm; everything else to the
// reference loops.
#pragma once

#include <cstddef>

#include "framework/kernels/backend.h"

namespace gradlab {

template <class T>
void gemm(Backend backend, bool transpose_a, bool transpose_b, std::size_t M, std::size_t N,
          std::size_t K, const T* A, const T* B, T* C, bool accumulate);

}  // namespace gradlab
