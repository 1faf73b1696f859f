#include "framework/kernels/reference/gemm.h"

#include <vector>

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("reference gemm on a worked example, with every transpose", "[kernels][gemm]") {
  // A = [[1, 2, 3], [4, 5, 6]] (2 × 3), B = [[7, 8], [9, 10], [11, 12]] (3 × 2)
  // A·B = [[1·7 + 2·9 + 3·11, 1·8 + 2·10 + 3·12], [4·7 + 5·9 + 6·11, 4·8 + 5·10 + 6·12]]
  //     = [[58, 64], [139, 154]]
  const std::vector<double> A{1, 2, 3, 4, 5, 6}, B{7, 8, 9, 10, 11, 12};
  const std::vector<double> At{1, 4, 2, 5, 3, 6}, Bt{7, 9, 11, 8, 10, 12};  // written out by hand
  const std::vector<double> expected{58, 64, 139, 154};
  std::vector<double> C(4, -1);
  reference::gemm(false, false, 2, 2, 3, A.data(), B.data(), C.data(), false);
  CHECK(C == expected);
  reference::gemm(true, false, 2, 2, 3, At.data(), B.data(), C.data(), false);
  CHECK(C == expected);
  reference::gemm(false, true, 2, 2, 3, A.data(), Bt.data(), C.data(), false);
  CHECK(C == expected);
  reference::gemm(true, true, 2, 2, 3, At.data(), Bt.data(), C.data(), false);
  CHECK(C == expected);
  reference::gemm(false, false, 2, 2, 3, A.data(), B.data(), C.data(), true);  // C += A·B
  CHECK(C == std::vector<double>{116, 128, 278, 308});
}

TEST_CASE("reference gemm with a 1-wide inner dimension is an outer product", "[kernels][gemm]") {
  const std::vector<float> a{1, 2, 3}, b{4, 5};
  std::vector<float> C(6);
  reference::gemm(false, false, 3, 2, 1, a.data(), b.data(), C.data(), false);
  CHECK(C == std::vector<float>{4, 5, 8, 10, 12, 15});
}
