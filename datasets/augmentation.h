// Data augmentation of training images, on their bytes before normalisation, as torchvision's
// RandomCrop(size, padding=P) and RandomHorizontalFlip():
//   translation: pad the image by P zero pixels on every side and crop a random H × W window,
//                i.e. shift it by (dy, dx) drawn uniformly from {−P, …, P}², filling with 0;
//   flip:        with probability ½, mirror the columns (w → W − 1 − w).
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

  bool enabled() const { return translate > 0 || horizontal_flip; }

  // Writes one augmented C × H × W image of `pixels` to `out` (not overlapping).
  void apply(const std::uint8_t* pixels, std::size_t C, std::size_t H, std::size_t W, Rng& rng,
             std::uint8_t* out) const;
};

}  // namespace gradlab
