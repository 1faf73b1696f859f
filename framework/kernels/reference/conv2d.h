// Reference 2-D convolution (the deep-learning cross-correlation): plain loops, the oracle that
// fast kernels are tested against.
//
// Shapes: x is N × C_in × H × W, w is C_out × C_in × K × K, b is C_out,
//         y is N × C_out × H_out × W_out, with H_out = floor((H + 2P − K) / S) + 1 (same for W).
// Forward:           y[n,o,i,j] = b[o] + Σ_{c,u,v} x[n, c, i·S + u − P, j·S + v − P] · w[o,c,u,v]
//                    (x is zero outside the image: that is the padding).
// Backward-data:     dx[n,c,h,w]  = Σ over every (o,i,j,u,v) with i·S + u − P = h, j·S + v − P = w
//                                   of dy[n,o,i,j] · w[o,c,u,v]
// Backward-weights:  dw[o,c,u,v] += Σ_{n,i,j} x[n, c, i·S + u − P, j·S + v − P] · dy[n,o,i,j]
//                    db[o]       += Σ_{n,i,j} dy[n,o,i,j]
#pragma once

#include <cstddef>

namespace gradlab::reference {

struct Conv2dGeometry {
  std::size_t N, C_in, H, W;  // input
  std::size_t C_out;          // output channels
  std::size_t K, S, P;        // kernel size, stride, padding
  std::size_t H_out, W_out;   // output size (see the formula above)
};

// Fills H_out and W_out from the rest; throws std::invalid_argument if either would be < 1.
Conv2dGeometry make_conv2d_geometry(std::size_t N, std::size_t C_in, std::size_t H, std::size_t W,
                                    std::size_t C_out, std::size_t K, std::size_t S, std::size_t P);

// b may be null (no bias).
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y);

// Overwrites dx.
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx);

// Accumulates into dw and db (db may be null).
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db);

}  // namespace gradlab::reference
