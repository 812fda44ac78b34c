// `fibtastic-report merge`: one report from several, written atomically.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/report/commands.h"
#include "bench/report/report_merger.h"

namespace fib {

namespace {
const char kMergeProgram[] = "fibtastic-report merge";

struct MergeCommandOptions {
  std::string output_path;
  std::string label;
};

// Writes to a temporary name first so a reader never sees half a report.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::Error("cannot write " + temp);
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return Status::Error("cannot rename " + temp + " to " + path + ": " + ec.message());
  return Status::Ok();
}
}  // namespace

int RunMerge(int argc, char** argv) {
  MergeCommandOptions o;
  FlagSet flags(kMergeProgram, "[options] -o MERGED.json A.json B.json ...",
                "Merges reports of one scenario run from several machines (or repeated runs)\n"
                "into one schema-1 report: histograms merged bucket by bucket, requests, errors,\n"
                "status codes and achieved rates summed (load from several machines adds up),\n"
                "summary percentiles recomputed from the merged histograms, and each input's\n"
                "conditions kept under \"merged_from\". compare and plot read the result.");
  flags.String("output", 'o', &o.output_path, "FILE",
               "where to write the merged report ('-' = stdout)");
  flags.String("label", 'l', &o.label, "TEXT",
               "label of the merged report (default: the input labels joined with ' + ')");
  std::vector<std::string> files;
  if (auto done = ParseCommandFlags(flags, kMergeProgram, argc, argv, &files)) return *done;
  if (o.output_path.empty()) return UsageError(kMergeProgram, "-o FILE is required");
  if (files.size() < 2) return UsageError(kMergeProgram, "merge needs at least two report files");
  std::vector<Report> reports;
  if (!LoadReports(kMergeProgram, files, {}, &reports)) return 2;
  Result<nlohmann::json> merged = MergeReports(reports, MergeOptions{o.label});
  if (!merged.ok()) {
    std::fprintf(stderr, "%s: %s\n", kMergeProgram, merged.message().c_str());
    return 2;
  }
  for (const auto& note : (*merged)["merge_notes"]) {
    std::fprintf(stderr, "%s: note: %s\n", kMergeProgram, note.get<std::string>().c_str());
  }
  std::string text = merged->dump(1) + "\n";
  if (o.output_path == "-") {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (Status s = WriteFileAtomically(o.output_path, text); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", kMergeProgram, s.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: wrote %s (%zu reports, %lld requests)\n", kMergeProgram,
               o.output_path.c_str(), reports.size(),
               static_cast<long long>((*merged)["summary"]["requests"].get<int64_t>()));
  return 0;
}

}  // namespace fib
