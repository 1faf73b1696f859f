// The Harris corner detector (Harris & Stephens, 1988), an application of the 2 × 2
// eigenproblem: at each pixel the structure tensor
//   M = G_σ * [Ix²  IxIy; IxIy  Iy²]      (Ix, Iy: Sobel gradients; G_σ: Gaussian window)
// has eigenvalues λ₁ ≥ λ₂ ≥ 0 that say how the image changes around the pixel:
//   both small → flat;  one large, one small → edge;  both large → corner.
// The response R = λ₁λ₂ − k(λ₁ + λ₂)² = det M − k (trace M)² separates them without an
// eigendecomposition per pixel: R ≫ 0 at corners, R ≪ 0 along edges, |R| small on flat ground.
//
// Images are H × W matrices of intensities (any scale); borders repeat the edge pixels.
#pragma once

#include <cstddef>
#include <vector>

#include "framework/math/linalg.h"

namespace gradlab::math {

// The three distinct entries of M at every pixel, each H × W.
struct StructureTensor {
  Matrix xx, xy, yy;
};
StructureTensor structure_tensor(const Matrix& image, double sigma = 1.0);

// R = det M − k (trace M)², H × W. k is usually 0.04–0.06.
Matrix harris_response(const StructureTensor& m, double k = 0.05);
Matrix harris_response(const Matrix& image, double sigma = 1.0, double k = 0.05);

// Per pixel, by R relative to the largest response r = max R:
//   corner where R > threshold·r,  edge where R < −threshold·r,  flat otherwise.
enum class PixelKind { flat = 0, edge = 1, corner = 2 };
std::vector<std::vector<PixelKind>> classify_pixels(const Matrix& response,
                                                    double threshold = 0.01);

// Corner points: pixels whose R exceeds threshold·max R and is the largest in the
// (2·radius + 1)² window around them (non-maximum suppression), strongest first.
struct Corner {
  std::size_t row, column;
  double response;
};
std::vector<Corner> harris_corners(const Matrix& response, double threshold = 0.01,
                                   std::size_t radius = 3);

}  // namespace gradlab::math
