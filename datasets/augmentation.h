// Data augmentation of training images, on their bytes before normalisation, as torchvision's
// RandomAffine(degrees=D, scale=(a, b)), RandomCrop(size, padding=P) and RandomHorizontalFlip():
//   rotation and scale: A = the image turned by θ ~ U(−D, D) degrees and scaled by s ~ U(a, b)
//                about its centre c = ((H − 1)/2, (W − 1)/2):
//                  A(p) = I(c + R(−θ)(p − c)/s), bilinear between the four nearest pixels,
//                  0 outside the image, rounded to a byte (torchvision's default is nearest)
//   translation: pad A by P zero pixels on every side and crop a random H × W window,
//                i.e. shift it by (dy, dx) drawn uniformly from {−P, …, P}², filling with 0;
//   flip:        with probability ½, mirror the columns (w → W − 1 − w);
//   erasing:     with probability p, as torchvision's RandomErasing(p, scale=(0.02, 0.33),
//                ratio=(0.3, 3.3), value=0): a rectangle of area A·U(0.02, 0.33) and aspect
//                ratio exp(U(ln 0.3, ln 3.3)), h = round(√(A·ratio)), w = round(√(A/ratio)), at a
//                uniform position, set to 0 (up to 10 draws for one that fits, else none).
// Draws come from an Rng the loader seeds at the start of each epoch from the epoch's Rng, so a
// run resumed at an epoch boundary augments exactly as the run never stopped. Validation and test
// loaders never augment.
#pragma once

#include <cstddef>
#include <cstdint>

#include "framework/random.h"

namespace gradlab {

struct Augmentation {
  std::size_t translate = 0;     // P: the largest shift in pixels, each direction
  bool horizontal_flip = false;  // for classes a mirror does not change (clothes, not digits)
  double rotate = 0;             // D: the largest turn in degrees, each direction
  double scale_min = 1, scale_max = 1;  // [a, b]
  double erase = 0;                     // p: the probability of erasing a rectangle

  bool warps() const { return rotate > 0 || scale_min != 1 || scale_max != 1; }
  bool enabled() const { return translate > 0 || horizontal_flip || warps() || erase > 0; }

  // Writes one augmented C × H × W image of `pixels` to `out` (not overlapping).
  void apply(const std::uint8_t* pixels, std::size_t C, std::size_t H, std::size_t W, Rng& rng,
             std::uint8_t* out) const;

  // Random erasing of `out` (C × H × W) in place, with probability `erase`.
  void erase_rectangle(std::size_t C, std::size_t H, std::size_t W, Rng& rng,
                       std::uint8_t* out) const;

  // The transformation for given draws: A turned by `degrees` and scaled by `scale`, shifted
  // by (dy, dx), mirrored if `flip`.
  static void transform(const std::uint8_t* pixels, std::size_t C, std::size_t H, std::size_t W,
                        double degrees, double scale, std::ptrdiff_t dy, std::ptrdiff_t dx,
                        bool flip, std::uint8_t* out);
};

}  // namespace gradlab
