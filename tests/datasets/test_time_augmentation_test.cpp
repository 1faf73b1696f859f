#include "datasets/test_time_augmentation.h"

#include "framework/losses/softmax_cross_entropy.h"
#include "models/builder.h"
#include "tests/support.h"
#include "train/evaluation.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
// One 2-channel 2 × 3 image with values 1..12, in a batch of one.
Tensor<float> small_batch() {
  Tensor<float> images = Tensor<float>::from_shape({1, 2, 2, 3});
  for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = static_cast<float>(i + 1);
  return images;
}
std::vector<float> values(const Tensor<float>& t) {
  return {t.begin(), t.end()};
}
}  // namespace

TEST_CASE("Test-time views mirror, and shift one pixel bringing in black", "[tta]") {
  // Black (a 0 byte) normalises to -mean/std per channel: -0.5/0.25 = -2 in channel 0 and
  // -0.3/0.1 = -3 in channel 1.
  Normalization normalization;
  normalization.mean = {0.5, 0.3};
  normalization.std = {0.25, 0.1};
  const TestTimeAugmentation tta({"mirror", "shift_left", "shift_right", "shift_up", "shift_down"},
                                 normalization);
  const Tensor<float> images = small_batch();  // channel 0: [1 2 3; 4 5 6], 1: [7 8 9; 10 11 12]
  Tensor<float> view;
  tta.view(0, images, view);
  CHECK(values(view) == std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10});
  tta.view(1, images, view);  // left: column x takes x + 1
  CHECK(values(view) == std::vector<float>{2, 3, -2, 5, 6, -2, 8, 9, -3, 11, 12, -3});
  tta.view(2, images, view);
  CHECK(values(view) == std::vector<float>{-2, 1, 2, -2, 4, 5, -3, 7, 8, -3, 10, 11});
  tta.view(3, images, view);  // up: row y takes y + 1
  CHECK(values(view) == std::vector<float>{4, 5, 6, -2, -2, -2, 10, 11, 12, -3, -3, -3});
  tta.view(4, images, view);
  CHECK(values(view) == std::vector<float>{-2, -2, -2, 1, 2, 3, -3, -3, -3, 7, 8, 9});
  CHECK(tta.describe() == "mirror, shift_left, shift_right, shift_up, shift_down");
  CHECK(TestTimeAugmentation().describe() == "none");
  CHECK_THROWS_WITH(TestTimeAugmentation({"flip"}, normalization),
                    Catch::Matchers::StartsWith("unknown test-time view \"flip\""));
  CHECK_THROWS_WITH(TestTimeAugmentation({"mirror", "mirror"}, normalization),
                    "test-time view \"mirror\" is given twice");
  std::size_t at = 0;
  CHECK(TestTimeAugmentation::problem({"mirror", "shift_up"}, at).empty());
  CHECK(TestTimeAugmentation::problem({"mirror", "shift_upp"}, at) ==
        "unknown test-time view \"shift_upp\"; did you mean \"shift_up\"? (valid: mirror, "
        "shift_left, shift_right, shift_up, shift_down)");
  CHECK(at == 1);
}

TEST_CASE("evaluate with test-time views averages the logits as by hand", "[tta]") {
  // 10 random 1 × 4 × 5 images; the mirrored copies made here from the bytes, not by view().
  ImageDataset data;
  data.count = 10, data.channels = 1, data.height = 4, data.width = 5, data.classes = 3;
  Rng rng(4);
  for (std::size_t i = 0; i < data.count * data.image_size(); ++i)
    data.pixels.push_back(static_cast<std::uint8_t>(rng.below(256)));
  for (std::size_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<int>(i % 3));
  Normalization normalization;
  normalization.mean = {0.4};
  normalization.std = {0.3};
  const nlohmann::json spec = {{"layers",
                                {{{"type", "conv2d"}, {"out_channels", 2}, {"kernel_size", 3}},
                                 {{"type", "relu"}},
                                 {{"type", "flatten"}},
                                 {{"type", "linear"}, {"out_features", 3}}}}};
  auto model = build_model<float>(spec, {1, 4, 5}, 3, 9);
  model->eval();

  Tensor<float> plain = Tensor<float>::from_shape({10, 1, 4, 5}),
                mirrored = Tensor<float>::from_shape({10, 1, 4, 5});
  for (std::size_t n = 0; n < 10; ++n)
    for (std::size_t y = 0; y < 4; ++y)
      for (std::size_t x = 0; x < 5; ++x) {
        const double pixel = data.pixels[(n * 4 + y) * 5 + x] / 255.0;
        plain(n, 0, y, x) = static_cast<float>((pixel - 0.4) / 0.3);
        mirrored(n, 0, y, 4 - x) = plain(n, 0, y, x);
      }
  Tensor<float> expected = model->forward(plain);
  expected = (expected + model->forward(mirrored)) / 2.0f;
  SoftmaxCrossEntropy<float> loss;
  const double expected_loss = loss.forward(expected, data.labels);

  const TestTimeAugmentation tta({"mirror"}, normalization);
  // Batches of 4 (4 + 4 + 2): the views follow the batches.
  const auto loader = DataLoader::in_order(data, 4, normalization);
  std::vector<float> logits;
  const ClassificationMetrics metrics = evaluate(
      *model, loss, *loader, 3, nullptr,
      [&](const Tensor<float>& batch, const Labels&) {
        logits.insert(logits.end(), batch.begin(), batch.end());
      },
      &tta);
  REQUIRE(logits.size() == expected.size());
  for (std::size_t i = 0; i < logits.size(); ++i)
    CHECK(logits[i] == Approx(expected.data()[i]).margin(1e-5));
  CHECK(metrics.loss() == Approx(expected_loss).epsilon(1e-5));
  // And without views: the plain logits, which differ.
  const ClassificationMetrics without = evaluate(*model, loss, *loader, 3);
  CHECK(without.loss() != Approx(expected_loss).epsilon(1e-5));
  // The plain metrics taken from the views' passes are those of a pass without views, exactly.
  ClassificationMetrics plain_from_views(3);
  evaluate(*model, loss, *loader, 3, nullptr, {}, &tta, &plain_from_views);
  CHECK(plain_from_views.totals() == without.totals());
  CHECK(plain_from_views.loss() == without.loss());
  CHECK(plain_from_views.count() == 10);
}
