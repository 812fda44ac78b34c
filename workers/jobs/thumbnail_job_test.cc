#include "workers/jobs/thumbnail_job.h"

#include <catch2/catch.hpp>

#include "workers/jobs/example_jobs.h"

TEST_CASE("BoxDownscale averages each block, rounding to nearest", "[thumbnail]") {
  // A 4x2 image: two 2x2 blocks. Block 1 red values 0, 4, 8, 13 (mean 6.25 -> 6);
  // block 2 all 200 (stays 200). Green and blue carry x and y so the block layout shows.
  fib::Image image{4, 2, {}};
  const uint8_t kReds[2][4] = {{0, 4, 200, 200}, {8, 13, 200, 200}};
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) {
      image.rgb.push_back(kReds[y][x]);
      image.rgb.push_back(static_cast<uint8_t>(x * 10));
      image.rgb.push_back(static_cast<uint8_t>(y * 100));
    }
  }
  fib::Image thumb = fib::BoxDownscale(image, 2);
  CHECK(thumb.width == 2);
  CHECK(thumb.height == 1);
  CHECK(thumb.rgb == std::vector<uint8_t>{6, 5, 50, 200, 25, 50});
}

TEST_CASE("A thumbnail's checksum depends only on its size and seed", "[thumbnail]") {
  fib::ThumbnailRequest request{64, 48, 7};
  fib::Image first = fib::MakeThumbnail(request);
  CHECK(first.width == 64);
  CHECK(first.height == 48);
  CHECK(first.rgb.size() == size_t{64} * 48 * 3);
  CHECK(fib::ImageChecksum(first) == fib::ImageChecksum(fib::MakeThumbnail(request)));
  CHECK(fib::ImageChecksum(first) != fib::ImageChecksum(fib::MakeThumbnail({64, 48, 8})));
  CHECK(fib::ImageChecksum(first) != fib::ImageChecksum(fib::MakeThumbnail({48, 64, 7})));
  // The thumbnail is the downscaled source, not something else of the right size.
  fib::Image source = fib::GenerateImage(64 * 4, 48 * 4, 7);
  CHECK(fib::BoxDownscale(source, 4).rgb == first.rgb);
}

TEST_CASE("ThumbnailWorker is registered and validates its args", "[thumbnail]") {
  fib::JobRegistry registry;
  fib::RegisterExampleJobs(&registry);
  fib::JobContext context;
  CHECK(registry.Run("ThumbnailWorker", {32, 24, 1}, context).ok());
  auto arity = registry.Run("ThumbnailWorker", {32, 24}, context);
  CHECK(arity.error_class() == fib::kArgumentError);
  CHECK(arity.message().find("given 2, expected 3: width, height, seed") != std::string::npos);
  auto too_big = registry.Run("ThumbnailWorker", {4096, 24, 1}, context);
  CHECK(too_big.message().find("width (argument 1) must be between 1 and 1024 pixels, got 4096") !=
        std::string::npos);
  auto negative_seed = registry.Run("ThumbnailWorker", {32, 24, -1}, context);
  CHECK(negative_seed.message().find("seed (argument 3) must be a non-negative integer") !=
        std::string::npos);
  auto text_height = registry.Run("ThumbnailWorker", {32, "24", 1}, context);
  CHECK(text_height.error_class() == fib::kArgumentError);
}
