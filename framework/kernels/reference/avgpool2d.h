// Reference 2-D average pooling (the math: layers/avgpool2d.h) and global average pooling (layers/
// global_avgpool2d.h): plain loops over N×C×H×W planes, one plane per task, for every backend.
#pragma once

#include <cstddef>

#include "framework/kernels/reference/maxpool2d.h"

namespace gradlab::reference {

// y: each K×K window's sum / K², zero padding P counted in the window (count_include_pad).
template <class T>
void avg_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y);
// Overwrites dx: each output's dy / K² added to every input of its window.
template <class T>
void avg_pool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx);

// y[p] = the mean of plane p's plane_size values, for `planes` planes.
template <class T>
void global_avg_pool_forward(std::size_t planes, std::size_t plane_size, const T* x, T* y);
// dx[p, :] = dy[p] / plane_size.
template <class T>
void global_avg_pool_backward(std::size_t planes, std::size_t plane_size, const T* dy, T* dx);

}  // namespace gradlab::reference
