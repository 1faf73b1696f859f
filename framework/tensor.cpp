#include "framework/tensor.h"

namespace gradlab {

Shape batch_shape(std::size_t n, const Shape& sample) {
  Shape shape{n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

std::string to_string(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace gradlab
