#include "framework/losses/mse.h"

namespace gradlab {

template <class T>
T MSELoss<T>::forward(const Tensor<T>& prediction, const Tensor<T>& target) {
  if (shape_of(prediction) != shape_of(target)) {
    throw ShapeError(name() + ": prediction " + to_string(shape_of(prediction)) + " and target " +
                     to_string(shape_of(target)) + " must have the same shape");
  }
  if (prediction.size() == 0) throw ShapeError(name() + ": empty prediction");
  const std::size_t M = prediction.size();
  grad_.resize(shape_of(prediction));
  const T *y_hat = prediction.data(), *y = target.data();
  T* grad = grad_.data();
  T sum = 0;
  for (std::size_t i = 0; i < M; ++i) {
    const T diff = y_hat[i] - y[i];
    sum += diff * diff;
    grad[i] = T(2) * diff / static_cast<T>(M);
  }
  has_forward_ = true;
  return sum / static_cast<T>(M);
}

template <class T>
const Tensor<T>& MSELoss<T>::backward() const {
  if (!has_forward_) throw std::logic_error(name() + ": backward called before forward");
  return grad_;
}

template class MSELoss<float>;
template class MSELoss<double>;

}  // namespace gradlab
