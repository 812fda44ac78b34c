// SameWorkCheck: a row where the background job took far longer than the same job inline is
// named as machine noise; rows within 25% or of short jobs are not.
#include "bench/orchestrator/same_work_check.h"

#include <catch2/catch.hpp>

TEST_CASE("SameWorkCheck names the rows where the same job ran much slower in the background",
          "[fibtastic]") {
  // The reference run's rows: 24 and 26 matched inline, 25 took 1.9× as long.
  nlohmann::json points = nlohmann::json::array(
      {{{"sequence_length", 5}, {"inline_email_p50_ms", 1.5}, {"background_email_p50_ms", 4.0}},
       {{"sequence_length", 24}, {"inline_email_p50_ms", 76.6}, {"background_email_p50_ms", 79.8}},
       {{"sequence_length", 25},
        {"inline_email_p50_ms", 155.9},
        {"background_email_p50_ms", 299.0}},
       {{"sequence_length", 26},
        {"inline_email_p50_ms", 325.1},
        {"background_email_p50_ms", 333.8}},
       {{"sequence_length", 27},
        {"inline_email_p50_ms", nullptr},
        {"background_email_p50_ms", 9}}});
  std::string warning = fib::bench::SameWorkCheck(&points);
  CHECK(warning.find("WARNING") != std::string::npos);
  CHECK(warning.find("sequence_length 25 (background 299 ms vs inline 156 ms, 1.9×)") !=
        std::string::npos);
  CHECK(warning.find("sequence_length 24") == std::string::npos);
  CHECK(warning.find("sequence_length 26") == std::string::npos);
  CHECK(warning.find("sequence_length 5 ") == std::string::npos);  // 1.5 ms: not judged
  CHECK_FALSE(points[0].contains("background_vs_inline_email"));
  CHECK(points[2]["background_vs_inline_email"].get<double>() == Approx(1.918).epsilon(0.01));
  CHECK_FALSE(points[4].contains("background_vs_inline_email"));
  points.erase(2);
  CHECK(fib::bench::SameWorkCheck(&points).empty());
}
