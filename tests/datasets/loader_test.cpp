#include "datasets/loader.h"

#include <algorithm>
#include <memory>

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

TEST_CASE("Sharded loaders give each rank a slice of every batch, together the whole epoch",
          "[loader][distributed]") {
  // 23 images: with batch 5 the last batch has 3, fewer than 4 ranks, so a rank's slice can be
  // empty. Shifted and mirrored: each image's augmentation must not depend on who loads it.
  ImageDataset data;
  data.count = 23, data.height = 4, data.width = 4, data.classes = 10;
  Rng fill(9);
  for (std::size_t i = 0; i < data.count * 16; ++i)
    data.pixels.push_back(static_cast<std::uint8_t>(1 + fill.below(255)));
  for (std::size_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<int>(i % 10));
  std::vector<std::size_t> all(data.count);
  for (std::size_t i = 0; i < data.count; ++i) all[i] = i;
  const Augmentation augmentation{1, true};

  for (const std::size_t batch : {5, 16}) {
    DataLoader whole(data, all, batch, true, false, {});
    whole.set_augmentation(augmentation);
    Rng whole_rng(4);
    whole.start_epoch(whole_rng);
    std::vector<std::pair<Tensor<float>, Labels>> batches;
    Tensor<float> x;
    Labels y;
    while (whole.next(x, y)) batches.emplace_back(x, y);
    for (const std::size_t ranks : {1, 2, 3, 4}) {
      INFO("batch " << batch << ", " << ranks << " ranks");
      std::vector<std::unique_ptr<DataLoader>> shards;
      for (std::size_t r = 0; r < ranks; ++r) {
        shards.push_back(
            std::make_unique<DataLoader>(data, all, batch, true, false, Normalization{}));
        shards.back()->set_augmentation(augmentation);
        shards.back()->set_shard(r, ranks);
        Rng rng(4);  // every rank draws the epoch from the same seed
        shards.back()->start_epoch(rng);
      }
      for (const auto& [expected_x, expected_y] : batches) {
        std::vector<float> pixels;
        Labels labels;
        std::size_t smallest = batch, largest = 0;
        for (auto& shard : shards) {
          REQUIRE(shard->next(x, y));
          CHECK(shard->batch_labels() == expected_y);
          pixels.insert(pixels.end(), x.begin(), x.end());
          labels.insert(labels.end(), y.begin(), y.end());
          smallest = std::min(smallest, y.size());
          largest = std::max(largest, y.size());
        }
        // The slices, in rank order, are the batch: same images, same shifts, same labels.
        CHECK(labels == expected_y);
        CHECK(pixels == std::vector<float>(expected_x.begin(), expected_x.end()));
        CHECK(largest - smallest <= 1);
      }
      for (auto& shard : shards) CHECK_FALSE(shard->next(x, y));
    }
  }
  DataLoader loader(data, all, 5, true, false, {});
  CHECK_THROWS_WITH(loader.set_shard(2, 2), "DataLoader: shard 2 of 2");
}
