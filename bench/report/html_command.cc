// `fibtastic-report html`: (re)builds report.html from a `make bench` results directory.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench/report/commands.h"
#include "bench/report/run_report_html.h"

namespace fib {

namespace {
const char kHtmlProgram[] = "fibtastic-report html";
}  // namespace

int RunHtml(int argc, char** argv) {
  std::string output_path;
  FlagSet flags(kHtmlProgram, "[options] RESULTS_DIR",
                "Writes report.html into RESULTS_DIR (a `make bench` run: summary.json, report.md\n"
                "and each scenario's loadgen JSON reports; docs/report-format.md): one\n"
                "self-contained file that opens with the network off — the headline table with\n"
                "summary.json's numbers, conditions and WARNINGs as in report.md, percentile\n"
                "spectra on the log(1/(1-p)) axis, latency over time with queue depth, stage\n"
                "waterfalls, the FibTastic curve, saturation and scaling charts; hover a point\n"
                "for its value. Long series are downsampled (the page says so). `make bench`\n"
                "writes it after report.md; run this for older runs.");
  flags.String("output", 'o', &output_path, "FILE",
               "where to write the page (default: RESULTS_DIR/report.html)");
  std::vector<std::string> dirs;
  if (auto done = ParseCommandFlags(flags, kHtmlProgram, argc, argv, &dirs)) return *done;
  if (dirs.size() != 1) return UsageError(kHtmlProgram, "give exactly one RESULTS_DIR");
  std::error_code ec;
  if (!std::filesystem::is_directory(dirs[0], ec)) {
    return UsageError(kHtmlProgram, dirs[0] +
                                        " is not a directory (give a `make bench` results "
                                        "directory, e.g. results/reference)");
  }
  auto start = std::chrono::steady_clock::now();
  Status s = WriteRunReportHtml(dirs[0], output_path);
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", kHtmlProgram, s.message().c_str());
    return 1;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::string path = output_path.empty() ? dirs[0] + "/report.html" : output_path;
  std::fprintf(stderr, "%s: wrote %s (%ju bytes in %.0f ms)\n", kHtmlProgram, path.c_str(),
               static_cast<uintmax_t>(std::filesystem::file_size(path, ec)), ms);
  return 0;
}

}  // namespace fib
