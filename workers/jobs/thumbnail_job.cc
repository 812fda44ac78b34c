#include "workers/jobs/thumbnail_job.h"

#include <fmt/format.h>

#include "common/log.h"
#include "common/require.h"

namespace fib {

namespace {

// SplitMix64: a tiny, well-mixed deterministic generator (same output on every platform).
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Result<int> ParseSide(const nlohmann::json& arg, const char* what) {
  if (!arg.is_number_integer()) {
    return Status::Error(
        fmt::format("{} must be an integer number of pixels, got {}", what, arg.type_name()));
  }
  int64_t side = arg.get<int64_t>();
  if (side < 1 || side > ThumbnailJob::kMaxSide) {
    return Status::Error(fmt::format("{} must be between 1 and {} pixels, got {}", what,
                                     ThumbnailJob::kMaxSide, side));
  }
  return static_cast<int>(side);
}

}  // namespace

Image GenerateImage(int width, int height, uint64_t seed) {
  Image image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  uint64_t state = seed;
  uint8_t* out = image.rgb.data();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint64_t noise = SplitMix64(&state);
      // Smooth gradients with per-pixel noise: like a photo, neither flat nor pure noise.
      *out++ = static_cast<uint8_t>(x * 191 / width + (noise & 63));
      *out++ = static_cast<uint8_t>(y * 191 / height + ((noise >> 8) & 63));
      *out++ = static_cast<uint8_t>((x + y) * 95 / (width + height) + ((noise >> 16) & 127));
    }
  }
  return image;
}

Image BoxDownscale(const Image& source, int factor) {
  FIB_REQUIRE(factor >= 1 && source.width % factor == 0 && source.height % factor == 0);
  Image thumb{source.width / factor, source.height / factor, {}};
  thumb.rgb.resize(static_cast<size_t>(thumb.width) * thumb.height * 3);
  int block = factor * factor;
  for (int ty = 0; ty < thumb.height; ++ty) {
    for (int tx = 0; tx < thumb.width; ++tx) {
      int sum[3] = {0, 0, 0};
      for (int dy = 0; dy < factor; ++dy) {
        size_t first_pixel =
            static_cast<size_t>(ty * factor + dy) * source.width + static_cast<size_t>(tx) * factor;
        const uint8_t* row = &source.rgb[first_pixel * 3];
        for (int i = 0; i < factor * 3; ++i) sum[i % 3] += row[i];
      }
      uint8_t* out = &thumb.rgb[(static_cast<size_t>(ty) * thumb.width + tx) * 3];
      for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>((sum[c] + block / 2) / block);
    }
  }
  return thumb;
}

uint64_t ImageChecksum(const Image& image) {
  uint64_t hash = 0xcbf29ce484222325ull;
  auto mix = [&hash](uint8_t byte) { hash = (hash ^ byte) * 0x100000001b3ull; };
  for (int side : {image.width, image.height}) {
    for (int shift = 0; shift < 32; shift += 8) mix(static_cast<uint8_t>(side >> shift));
  }
  for (uint8_t byte : image.rgb) mix(byte);
  return hash;
}

Result<ThumbnailRequest> ParseThumbnailArgs(const nlohmann::json& args) {
  if (!args.is_array() || args.size() != 3) {
    return Status::Error(
        fmt::format("wrong number of arguments (given {}, expected 3: width, "
                    "height, seed)",
                    args.is_array() ? args.size() : 1));
  }
  Result<int> width = ParseSide(args[0], "width (argument 1)");
  if (!width.ok()) return width.status();
  Result<int> height = ParseSide(args[1], "height (argument 2)");
  if (!height.ok()) return height.status();
  // A JSON integer parsed from a payload is unsigned when positive; one built in C++ may be signed.
  const nlohmann::json& seed = args[2];
  if (!seed.is_number_integer() || (!seed.is_number_unsigned() && seed.get<int64_t>() < 0)) {
    return Status::Error(
        fmt::format("seed (argument 3) must be a non-negative integer, got {}", seed.dump()));
  }
  return ThumbnailRequest{*width, *height, seed.get<uint64_t>()};
}

Image MakeThumbnail(const ThumbnailRequest& request) {
  const int k = ThumbnailJob::kScale;
  return BoxDownscale(GenerateImage(request.width * k, request.height * k, request.seed), k);
}

JobStatus ThumbnailJob::Perform(const nlohmann::json& args, const JobContext& context) const {
  Result<ThumbnailRequest> request = ParseThumbnailArgs(args);
  if (!request.ok()) return JobStatus::Fail(kArgumentError, request.message());
  uint64_t checksum = ImageChecksum(MakeThumbnail(*request));
  Log("{}: {}x{} thumbnail of a {}x{} image (seed {}): checksum 0x{:016x}{}", kClassName,
      request->width, request->height, request->width * kScale, request->height * kScale,
      request->seed, checksum, context.jid.empty() ? "" : " jid=" + context.jid);
  return JobStatus::Ok();
}

}  // namespace fib
