#include "datasets/loader.h"

#include <algorithm>

#include "tests/support.h"

using namespace gradlab;

namespace {
ImageDataset tiny_dataset(std::size_t count) {
  ImageDataset data;
  data.count = count, data.height = 1, data.width = 2, data.classes = 10;
  for (std::size_t i = 0; i < count; ++i) {
    data.pixels.push_back(static_cast<std::uint8_t>(i));  // first pixel = the index
    data.pixels.push_back(255);
    data.labels.push_back(static_cast<int>(i % 10));
  }
  return data;
}
}  // namespace

TEST_CASE("DataLoader batches in order, normalises, and keeps a partial last batch", "[loader]") {
  const ImageDataset data = tiny_dataset(5);
  DataLoader loader(data, {0, 1, 2, 3, 4}, 2, false, false, {{0.5}, {0.25}});
  Tensor<float> x;
  Labels y;
  std::vector<std::size_t> sizes;
  Rng rng(1);
  loader.start_epoch(rng);
  while (loader.next(x, y)) sizes.push_back(y.size());
  CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
  CHECK(loader.batches_per_epoch() == 3);
  CHECK(shape_of(x) == Shape{1, 1, 1, 2});
  // Pixel 4 → (4/255 − 0.5) / 0.25; pixel 255 → (1 − 0.5) / 0.25 = 2.
  CHECK(x(0, 0, 0, 0) == Approx((4.0 / 255 - 0.5) / 0.25));
  CHECK(x(0, 0, 0, 1) == 2.0f);

  DataLoader drop(data, {0, 1, 2, 3, 4}, 2, false, true, {});
  CHECK(drop.batches_per_epoch() == 2);
}

TEST_CASE("DataLoader shuffles each epoch from its Rng, visiting every index once", "[loader]") {
  const ImageDataset data = tiny_dataset(50);
  std::vector<std::size_t> all(50);
  for (std::size_t i = 0; i < 50; ++i) all[i] = i;
  DataLoader loader(data, all, 7, true, false, {});
  auto epoch_order = [&](std::uint64_t seed) {
    Rng rng(seed);
    loader.start_epoch(rng);
    std::vector<std::size_t> order;
    Tensor<float> x;
    Labels y;
    while (loader.next(x, y))
      for (std::size_t n = 0; n < y.size(); ++n)
        order.push_back(static_cast<std::size_t>(std::lround(x(n, 0, 0, 0) * 255)));
    return order;
  };
  const auto a = epoch_order(1), b = epoch_order(1), c = epoch_order(2);
  CHECK(a == b);
  CHECK(a != c);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == all);
}

TEST_CASE("Validation split and per-class subsets are seeded and disjoint", "[loader]") {
  Rng rng(3);
  const Split split = split_indices(100, 0.2, rng);
  CHECK(split.train.size() == 80);
  CHECK(split.validation.size() == 20);
  std::vector<std::size_t> all = split.train;
  all.insert(all.end(), split.validation.begin(), split.validation.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < 100; ++i) CHECK(all[i] == i);

  Labels labels(2000);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 2);
  std::vector<std::size_t> indices(2000);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  Rng keep_rng(4);
  const auto kept = keep_per_class(indices, labels, {1.0, 0.1, 0, 0, 0, 0, 0, 0, 0, 0}, keep_rng);
  const auto odd =
      std::count_if(kept.begin(), kept.end(), [](std::size_t i) { return i % 2 == 1; });
  CHECK(kept.size() - odd == 1000);      // all of class 0
  CHECK(odd == Approx(100).margin(47));  // Binomial(1000, 0.1): sd ≈ 9.5; allow 5 sd
  CHECK_THROWS_AS(split_indices(10, 1.0, rng), std::invalid_argument);
}

TEST_CASE("DataLoader normalises each channel with its own statistics", "[loader]") {
  // Three channels of 2 pixels: channel c's pixels are 51·c and 255.
  ImageDataset data;
  data.count = 1, data.channels = 3, data.height = 1, data.width = 2, data.classes = 10;
  for (std::uint8_t c = 0; c < 3; ++c) {
    data.pixels.push_back(static_cast<std::uint8_t>(51 * c));
    data.pixels.push_back(255);
  }
  data.labels = {3};
  const Normalization per_channel{{0.1, 0.2, 0.3}, {0.5, 0.25, 2.0}};
  DataLoader loader(data, {0}, 1, false, false, per_channel);
  Tensor<float> x;
  Labels y;
  Rng rng(1);
  loader.start_epoch(rng);
  REQUIRE(loader.next(x, y));
  for (std::size_t c = 0; c < 3; ++c) {
    INFO("channel " << c);
    CHECK(x(0, c, 0, 0) == Approx((51.0 * c / 255 - per_channel.mean[c]) / per_channel.std[c]));
    CHECK(x(0, c, 0, 1) == Approx((1.0 - per_channel.mean[c]) / per_channel.std[c]));
  }
  // One value for every channel, or one per channel; nothing in between, and std > 0.
  CHECK_THROWS_WITH(DataLoader(data, {0}, 1, false, false, {{0.1, 0.2}, {1.0, 1.0}}),
                    "normalisation: expected one mean and std, or one of each per channel (3), "
                    "got 2 and 2");
  CHECK_THROWS_WITH(DataLoader(data, {0}, 1, false, false, {{0.1}, {0.0}}),
                    "normalisation: std must be > 0");
}
