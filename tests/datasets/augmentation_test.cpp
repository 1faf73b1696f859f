#include "datasets/augmentation.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "datasets/loader.h"
#include "tests/support.h"

using namespace gradlab;

namespace {
// The image torchvision's RandomCrop(padding=P) + flip would give for a shift (dy, dx), written
// the slow way: pad with zeros, take the window at (P + dy, P + dx), then mirror it if asked.
std::vector<std::uint8_t> shifted(const std::vector<std::uint8_t>& image, std::size_t C,
                                  std::size_t H, std::size_t W, int P, int dy, int dx, bool flip) {
  const std::size_t Hp = H + 2 * P, Wp = W + 2 * P;
  std::vector<std::uint8_t> padded(C * Hp * Wp, 0), out(C * H * W);
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t h = 0; h < H; ++h)
      for (std::size_t w = 0; w < W; ++w)
        padded[(c * Hp + h + P) * Wp + w + P] = image[(c * H + h) * W + w];
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t h = 0; h < H; ++h)
      for (std::size_t w = 0; w < W; ++w) {
        const std::size_t column = flip ? W - 1 - w : w;
        out[(c * H + h) * W + w] = padded[(c * Hp + h + P + dy) * Wp + column + P + dx];
      }
  return out;
}
}  // namespace

TEST_CASE("Augmentation shifts by every offset up to P and mirrors half the time",
          "[augmentation]") {
  const std::size_t C = 2, H = 4, W = 5;
  std::vector<std::uint8_t> image(C * H * W);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i + 1);
  const int P = 2;
  Augmentation augmentation{P, true};
  Rng rng(3);
  std::set<std::tuple<int, int, bool>> seen;
  std::vector<std::uint8_t> out(image.size());
  for (int draw = 0; draw < 2000; ++draw) {
    augmentation.apply(image.data(), C, H, W, rng, out.data());
    // Exactly one (dy, dx, flip) explains the output: every pixel value is distinct and non-zero.
    std::vector<std::tuple<int, int, bool>> matches;
    for (int dy = -P; dy <= P; ++dy)
      for (int dx = -P; dx <= P; ++dx)
        for (bool flip : {false, true})
          if (shifted(image, C, H, W, P, dy, dx, flip) == out) matches.emplace_back(dy, dx, flip);
    REQUIRE(matches.size() == 1);
    seen.insert(matches[0]);
  }
  CHECK(seen.size() == 5 * 5 * 2);  // every shift, mirrored and not

  // Off: the image unchanged; translate 0 with a flip: only mirrors.
  Augmentation none;
  CHECK_FALSE(none.enabled());
  Augmentation flip_only{0, true};
  std::set<bool> flips;
  for (int draw = 0; draw < 50; ++draw) {
    flip_only.apply(image.data(), C, H, W, rng, out.data());
    const bool mirrored = out == shifted(image, C, H, W, 0, 0, 0, true);
    CHECK((mirrored || out == image));
    flips.insert(mirrored);
  }
  CHECK(flips.size() == 2);
}

TEST_CASE("Augmentation turns and scales about the centre, bilinear, and shifts the result",
          "[augmentation]") {
  const std::size_t C = 2, H = 6, W = 6;
  std::vector<std::uint8_t> image(C * H * W), out(image.size());
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(3 * i + 1);
  auto at = [&](const std::vector<std::uint8_t>& im, std::size_t c, std::size_t h, std::size_t w) {
    return im[(c * H + h) * W + w];
  };
  // No turn, no scaling: exactly the shifts and mirrors of RandomCrop + flip.
  for (int dy : {-2, 0, 1})
    for (int dx : {-1, 0, 2})
      for (bool flip : {false, true}) {
        Augmentation::transform(image.data(), C, H, W, 0.0, 1.0, dy, dx, flip, out.data());
        CHECK(out == shifted(image, C, H, W, 2, dy, dx, flip));
      }
  // A quarter turn samples whole pixels: A[y][x] = I[W − 1 − x][y] (square image).
  Augmentation::transform(image.data(), C, H, W, 90.0, 1.0, 0, 0, false, out.data());
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x) CHECK(at(out, c, y, x) == at(image, c, W - 1 - x, y));
  // Scaling by 2 about c = (2.5, 2.5): A(p) = I(c + (p − c)/2). A[0][0] = I(1.25, 1.25), the
  // bilinear mix 0.5625 I[1][1] + 0.1875 (I[1][2] + I[2][1]) + 0.0625 I[2][2] of channel 0:
  // I[h][w] = 3(6h + w) + 1, so 0.5625·22 + 0.1875·(25 + 40) + 0.0625·43 = 27.25 → 27.
  Augmentation::transform(image.data(), C, H, W, 0.0, 2.0, 0, 0, false, out.data());
  CHECK(at(out, 0, 0, 0) == 27);
  // Scaling by ½: A(p) = I(c + 2(p − c)). A[0][0] = I(−2.5, −2.5), outside: black. A[2][2] =
  // I(1.5, 1.5), the mean of I[1][1], I[1][2], I[2][1], I[2][2] = (22 + 25 + 40 + 43)/4 = 32.5.
  Augmentation::transform(image.data(), C, H, W, 0.0, 0.5, 0, 0, false, out.data());
  CHECK(at(out, 0, 0, 0) == 0);
  CHECK(at(out, 0, 2, 2) == 33);
}

TEST_CASE("Random turns stay within ±D degrees and cover both directions", "[augmentation]") {
  // One bright pixel at distance 6 from the centre of a 15 × 15 image: after a turn by θ the
  // brightest output pixel lies at angle θ from it, to within a pixel's angular size.
  const std::size_t H = 15, W = 15;
  std::vector<std::uint8_t> image(H * W, 0), out(H * W);
  image[7 * W + 13] = 255;  // (y, x) = (7, 13): angle 0 from the centre (7, 7)
  Augmentation augmentation;
  augmentation.rotate = 30;
  Rng rng(4);
  double smallest = 0, largest = 0;
  const double pi = std::acos(-1.0);
  for (int draw = 0; draw < 500; ++draw) {
    augmentation.apply(image.data(), 1, H, W, rng, out.data());
    const std::size_t brightest =
        static_cast<std::size_t>(std::max_element(out.begin(), out.end()) - out.begin());
    const double y = static_cast<double>(brightest / W) - 7,
                 x = static_cast<double>(brightest % W) - 7;
    // Image rows grow downwards: a counter-clockwise turn of the content has negative y.
    const double degrees = std::atan2(-y, x) * 180 / pi;
    CHECK(std::abs(degrees) <= 30 + 10);
    smallest = std::min(smallest, degrees);
    largest = std::max(largest, degrees);
  }
  CHECK(smallest < -20);
  CHECK(largest > 20);
}

TEST_CASE("A loader augments reproducibly from the epoch's Rng, in the same order as without",
          "[augmentation][loader]") {
  ImageDataset data;
  data.count = 40, data.height = 6, data.width = 6, data.classes = 10;
  Rng fill(5);
  for (std::size_t i = 0; i < data.count * 36; ++i)
    data.pixels.push_back(static_cast<std::uint8_t>(1 + fill.below(255)));
  for (std::size_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<int>(i % 10));
  std::vector<std::size_t> all(data.count);
  for (std::size_t i = 0; i < data.count; ++i) all[i] = i;

  auto epoch = [&](DataLoader& loader, std::uint64_t seed) {
    Rng rng(seed);
    loader.start_epoch(rng);
    std::vector<float> pixels;
    Labels labels;
    Tensor<float> x;
    Labels y;
    while (loader.next(x, y)) {
      pixels.insert(pixels.end(), x.begin(), x.end());
      labels.insert(labels.end(), y.begin(), y.end());
    }
    return std::make_pair(pixels, labels);
  };
  DataLoader plain(data, all, 16, true, false, {});
  DataLoader augmented(data, all, 16, true, false, {});
  augmented.set_augmentation({2, false});
  const auto a = epoch(augmented, 7), b = epoch(augmented, 7), c = epoch(augmented, 8);
  CHECK(a == b);                              // the same epoch Rng: the same images
  CHECK(a.first != c.first);                  // another epoch: other shifts
  CHECK(a.second == epoch(plain, 7).second);  // the order is the unaugmented loader's
  CHECK(a.first != epoch(plain, 7).first);
}

TEST_CASE("Random erasing blanks one rectangle of 2-33% of the image with probability p",
          "[augmentation]") {
  // A bright image: the erased pixels are exactly the zeros, and they must form one rectangle,
  // the same in every channel, of an area and aspect torchvision's RandomErasing would draw.
  const std::size_t C = 2, H = 28, W = 28;
  const std::vector<std::uint8_t> image(C * H * W, 200);
  Augmentation augmentation;
  augmentation.erase = 0.5;
  CHECK(augmentation.enabled());
  Rng rng(11);
  std::vector<std::uint8_t> out(image.size());
  int erased = 0;
  const int draws = 2000;
  for (int draw = 0; draw < draws; ++draw) {
    augmentation.apply(image.data(), C, H, W, rng, out.data());
    std::size_t top = H, bottom = 0, left = W, right = 0, zeros = 0;
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x)
        if (out[y * W + x] == 0) {
          ++zeros;
          top = std::min(top, y), bottom = std::max(bottom, y);
          left = std::min(left, x), right = std::max(right, x);
        }
    if (zeros == 0) {
      REQUIRE(out == image);
      continue;
    }
    ++erased;
    const std::size_t h = bottom - top + 1, w = right - left + 1;
    REQUIRE(zeros == h * w);  // one filled rectangle
    REQUIRE(std::equal(out.begin(), out.begin() + H * W, out.begin() + H * W));  // each channel
    // Area A·U(0.02, 0.33) and ratio in [0.3, 3.3], both before rounding each side.
    const double area = static_cast<double>(h * w) / (H * W);
    REQUIRE(area >= 0.02 * 0.7);
    REQUIRE(area <= 0.33 * 1.3);
    REQUIRE(h < H);
    REQUIRE(w < W);
  }
  // Binomial(2000, ½): mean 1000, σ ≈ 22; a few draws of ten find no fitting rectangle.
  CHECK(erased > 1000 - 5 * 22);
  CHECK(erased < 1000 + 5 * 22);

  // Erasing draws last: the shift and flip before it are those drawn without erasing.
  Augmentation shifts{2, true}, shifts_and_erasing{2, true};
  shifts_and_erasing.erase = 1e-300;  // on, but never erasing
  Rng a(5), b(5);
  std::vector<std::uint8_t> first(image.size()), second(image.size());
  shifts.apply(image.data(), C, H, W, a, first.data());
  shifts_and_erasing.apply(image.data(), C, H, W, b, second.data());
  CHECK(first == second);
}
