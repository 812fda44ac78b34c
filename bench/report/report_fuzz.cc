// libFuzzer target for the report reader and the gnuplot script writer (cmake -DFIBTASTIC_FUZZ=ON
// with clang): reports come from other machines, so any text must give a Report or an error,
// never a crash, and a report that reads must draw a script holding only our own commands —
// whatever its labels, metric names and conditions say.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bench/report/plotter.h"
#include "bench/report/report_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  fib::Result<fib::Report> report = fib::ParseReportText(text, "fuzz.json");
  if (!report.ok()) return 0;
  std::vector<fib::Report> reports = {*report, *report};
  reports[1].label = text.substr(0, 64);  // an arbitrary label (--label) as well as the report's
  fib::PlotOptions options;
  options.output_dir = "/nonexistent";
  for (bool terminal : {false, true}) {
    options.terminal = terminal;
    fib::PlotOutcome outcome;
    std::string script = fib::PlotScript(reports, options, &outcome);
    if (!fib::VerifyGnuplotScript(script).ok()) std::abort();
  }
  return 0;
}
