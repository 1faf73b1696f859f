#include "datasets/test_time_augmentation.h"

#include <algorithm>
#include <stdexcept>

#include "framework/config_reader.h"

namespace gradlab {

const std::vector<std::string>& TestTimeAugmentation::view_names() {
  static const std::vector<std::string> names{"mirror", "shift_left", "shift_right", "shift_up",
                                              "shift_down"};
  return names;
}

std::string TestTimeAugmentation::problem(const std::vector<std::string>& views, std::size_t& at) {
  const std::vector<std::string>& names = view_names();
  for (at = 0; at < views.size(); ++at) {
    const std::string& view = views[at];
    if (std::find(names.begin(), names.end(), view) == names.end()) {
      const std::string nearest = nearest_name(view, names);
      return "unknown test-time view \"" + view + "\"" +
             (nearest.empty() ? "" : "; did you mean \"" + nearest + "\"?") +
             " (valid: " + join_names(names) + ")";
    }
    if (std::count(views.begin(), views.begin() + static_cast<std::ptrdiff_t>(at), view) > 0)
      return "test-time view \"" + view + "\" is given twice";
  }
  return "";
}

TestTimeAugmentation::TestTimeAugmentation(std::vector<std::string> views,
                                           const Normalization& normalization)
    : views_(std::move(views)), normalization_(normalization) {
  std::size_t at = 0;
  if (const std::string wrong = problem(views_, at); !wrong.empty())
    throw std::invalid_argument(wrong);
}

std::string TestTimeAugmentation::describe() const {
  std::string text;
  for (const std::string& view : views_) text += (text.empty() ? "" : ", ") + view;
  return text.empty() ? "none" : text;
}

void TestTimeAugmentation::view(std::size_t k, const Tensor<float>& images,
                                Tensor<float>& out) const {
  const Shape shape = shape_of(images);
  if (shape.size() != 4)
    throw std::invalid_argument("test-time augmentation: expected images [N, C, H, W], got " +
                                to_string(shape));
  if (shape_of(out) != shape) out = Tensor<float>::from_shape(shape);
  const std::string& name = views_.at(k);
  const std::size_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  // (dy, dx): where the pixel at (y, x) of the view comes from, (y − dy, x − dx).
  const std::ptrdiff_t dy = name == "shift_down" ? 1 : name == "shift_up" ? -1 : 0;
  const std::ptrdiff_t dx = name == "shift_right" ? 1 : name == "shift_left" ? -1 : 0;
  const bool mirror = name == "mirror";
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c) {
      const auto black = static_cast<float>(-normalization_.mean_of(c) / normalization_.std_of(c));
      const float* from = images.data() + ((n * C + c) * H) * W;
      float* to = out.data() + ((n * C + c) * H) * W;
      for (std::size_t y = 0; y < H; ++y)
        for (std::size_t x = 0; x < W; ++x) {
          const auto sy = static_cast<std::ptrdiff_t>(y) - dy;
          const auto sx =
              mirror ? static_cast<std::ptrdiff_t>(W - 1 - x) : static_cast<std::ptrdiff_t>(x) - dx;
          const bool inside = sy >= 0 && sy < static_cast<std::ptrdiff_t>(H) && sx >= 0 &&
                              sx < static_cast<std::ptrdiff_t>(W);
          to[y * W + x] =
              inside ? from[static_cast<std::size_t>(sy) * W + static_cast<std::size_t>(sx)]
                     : black;
        }
    }
}

}  // namespace gradlab
