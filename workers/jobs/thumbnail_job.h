// ThumbnailJob (Sidekiq class ThumbnailWorker): the worked C++ example of adding a job type
// (docs/profiles.md). It makes a thumbnail the honest way — generates a deterministic "upload"
// kScale times larger, box-downscales it — and logs the result's checksum. Args: [width, height,
// seed]. Thread-safety: stateless; Perform may run concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "workers/jobs/job.h"

namespace fib {

// An 8-bit RGB image, row-major, 3 bytes per pixel.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

struct ThumbnailRequest {
  int width = 0;   // of the thumbnail, in pixels
  int height = 0;  // of the thumbnail, in pixels
  uint64_t seed = 0;
};

// Returns a width x height image (gradients plus noise) that depends only on `seed`.
Image GenerateImage(int width, int height, uint64_t seed);
// Returns `source` shrunk by `factor` in each direction, each pixel the rounded mean of its
// factor x factor block. REQUIRES: factor >= 1 and both sides divisible by factor.
Image BoxDownscale(const Image& source, int factor);
// Returns the FNV-1a 64-bit hash of the size and pixels.
uint64_t ImageChecksum(const Image& image);
// Validates [width, height, seed]: sides 1..ThumbnailJob::kMaxSide, seed a non-negative integer.
Result<ThumbnailRequest> ParseThumbnailArgs(const nlohmann::json& args);
// Generates the source image for `request` and returns its thumbnail.
Image MakeThumbnail(const ThumbnailRequest& request);

class ThumbnailJob : public Job {
 public:
  static constexpr char kClassName[] = "ThumbnailWorker";
  static constexpr int kScale = 4;       // the source is kScale times the thumbnail per side
  static constexpr int kMaxSide = 1024;  // thumbnail pixels; the source is then 48 MiB at most
  // Logs "ThumbnailWorker: WxH thumbnail of a W'xH' image (seed S): checksum 0x...".
  JobStatus Perform(const nlohmann::json& args, const JobContext& context) const override;
};

}  // namespace fib
