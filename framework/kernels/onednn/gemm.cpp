#include "framework/kernels/onednn/gemm.h"

#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace gradlab::onednn {

void sgemm(bool transpose_a, bool transpose_b, std::size_t M, std::size_t N, std::size_t K,
           const float* A, const float* B, float* C, bool accumulate) {
  if (M == 0 || N == 0) return;
  // Leading dimensions of the stored (row-major) matrices: A is M×K or K×M, B is K×N or N×K.
  const auto lda = static_cast<dnnl_dim_t>(transpose_a ? M : K);
  const auto ldb = static_cast<dnnl_dim_t>(transpose_b ? K : N);
  const dnnl::status status = dnnl::sgemm(
      transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', static_cast<dnnl_dim_t>(M),
      static_cast<dnnl_dim_t>(N), static_cast<dnnl_dim_t>(K), 1.0f, A, lda > 0 ? lda : 1, B,
      ldb > 0 ? ldb : 1, accumulate ? 1.0f : 0.0f, C, static_cast<dnnl_dim_t>(N));
  if (status != dnnl::status::success)
    throw std::runtime_error(
        "oneDNN sgemm failed with status " + std::to_string(static_cast<int>(status)) +
        " for M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
}

}  // namespace gradlab::onednn
