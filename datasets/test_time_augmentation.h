// Test-time augmentation (TTA): a classifier's logits for an image averaged over the image and
// fixed views of it, z̄ = (z(x) + Σ_k z(v_k(x))) / (1 + K), as in torchvision's reference scripts
// and fastai's tta. Each view costs one more forward pass per image. The views, on normalised
// image batches [N, C, H, W]:
//   mirror                  columns reversed, w → W − 1 − w (training's horizontal flip)
//   shift_left, shift_right,
//   shift_up, shift_down    the image moved one pixel that way; the row or column brought in is
//                           black (a 0 byte, normalised per channel: −mean_c / std_c), as
//                           training's translation fills
#pragma once

#include <string>
#include <vector>

#include "datasets/loader.h"
#include "framework/tensor.h"

namespace gradlab {

class TestTimeAugmentation {
 public:
  static const std::vector<std::string>& view_names();
  // What is wrong with a list of views, or "" when nothing is: the first name not in
  // view_names() (with the nearest valid one) or given twice; `at` is set to its index. One check
  // for the config's eval.tta (train/config.cpp) and the constructor (gradlab eval --tta).
  static std::string problem(const std::vector<std::string>& views, std::size_t& at);

  TestTimeAugmentation() = default;  // no views: plain evaluation
  // Throws std::invalid_argument with problem()'s message.
  TestTimeAugmentation(std::vector<std::string> views, const Normalization& normalization);

  bool enabled() const { return !views_.empty(); }
  const std::vector<std::string>& views() const { return views_; }
  // "mirror, shift_left", or "none".
  std::string describe() const;

  // View k of every image of the batch, into out (resized to the batch's shape).
  void view(std::size_t k, const Tensor<float>& images, Tensor<float>& out) const;

 private:
  std::vector<std::string> views_;
  Normalization normalization_;
};

}  // namespace gradlab
