#include "framework/kernels/reference/batch_norm.h"

#include <cmath>

#include "framework/parallel.h"

namespace gradlab::reference {

template <class T>
void BatchNorm<T>::forward(const BatchNormGeometry& g, const T* x, const T* gamma, const T* beta,
                           T* running_mean, T* running_var, double eps, double momentum,
                           bool training, T* y) {
  const std::size_t N = g.N, C = g.C, S = g.S, m = N * S;
  training_ = training;
  normalized_.resize(N * C * S);
  inv_std_.assign(C, 0.0);
  T* x_hat = normalized_.data();
  const bool affine = gamma != nullptr;
  double* inv_std = inv_std_.data();
  // One channel per task; sums in double, the variance in a second pass (no cancellation).
  parallel_for(C, [=](std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      double mean, variance;
      if (training) {
        double sum = 0;
        for (std::size_t n = 0; n < N; ++n)
          for (std::size_t s = 0; s < S; ++s) sum += x[(n * C + c) * S + s];
        mean = sum / static_cast<double>(m);
        double squares = 0;
        for (std::size_t n = 0; n < N; ++n)
          for (std::size_t s = 0; s < S; ++s) {
            const double d = x[(n * C + c) * S + s] - mean;
            squares += d * d;
          }
        variance = squares / static_cast<double>(m);
        running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
        running_var[c] = static_cast<T>((1 - momentum) * running_var[c] +
                                        momentum * variance * static_cast<double>(m) / (m - 1));
      } else {
        mean = running_mean[c];
        variance = running_var[c];
      }
      inv_std[c] = 1 / std::sqrt(variance + eps);
      const T scale = affine ? gamma[c] : T(1), shift = affine ? beta[c] : T(0);
      const T mean_t = static_cast<T>(mean), inv_std_t = static_cast<T>(inv_std[c]);
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t s = 0; s < S; ++s) {
          const std::size_t i = (n * C + c) * S + s;
          x_hat[i] = (x[i] - mean_t) * inv_std_t;
          y[i] = scale * x_hat[i] + shift;
        }
    }
  });
}

template <class T>
void BatchNorm<T>::backward(const BatchNormGeometry& g, const T* dy, const T* gamma, T* dgamma,
                            T* dbeta, T* dx) {
  const std::size_t N = g.N, C = g.C, S = g.S, m = N * S;
  const T* x_hat = normalized_.data();
  const double* inv_std = inv_std_.data();
  const bool training = training_, affine = gamma != nullptr;
  parallel_for(C, [=](std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      double sum_dy = 0, sum_dy_x_hat = 0;
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t s = 0; s < S; ++s) {
          const std::size_t i = (n * C + c) * S + s;
          sum_dy += dy[i];
          sum_dy_x_hat += static_cast<double>(dy[i]) * x_hat[i];
        }
      if (affine) {
        dbeta[c] += static_cast<T>(sum_dy);
        dgamma[c] += static_cast<T>(sum_dy_x_hat);
      }
      if (!dx) continue;
      const T scale = static_cast<T>((affine ? gamma[c] : T(1)) * inv_std[c]);
      // Training: the means of dy and dy·x̂ over the channel; evaluation: constants, no share.
      const T mean_dy = training ? static_cast<T>(sum_dy / m) : T(0);
      const T mean_dy_x_hat = training ? static_cast<T>(sum_dy_x_hat / m) : T(0);
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t s = 0; s < S; ++s) {
          const std::size_t i = (n * C + c) * S + s;
          dx[i] = scale * (dy[i] - mean_dy - x_hat[i] * mean_dy_x_hat);
        }
    }
  });
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace gradlab::reference
