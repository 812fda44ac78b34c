// fibtastic-microbench: Google Benchmark figures for the pieces the lesson talks about —
// the exponential Fibonacci curve (rec_sequence vs the linear sequence) and one SMTP send to the
// mail sink (SMTP_URL, default smtp://127.0.0.1:1025; skipped with a message when nothing listens).
// Run with --benchmark_format=json for machine-readable output.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/build_info.h"
#include "common/smtp/smtp_mailer.h"
#include "common/text.h"
#include "workers/jobs/fib_sequence.h"
#include "workers/jobs/sequence_email_job.h"

namespace {

void BM_RecSequence(benchmark::State& state) {
  const int q = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(fib::RecSequence(q));
  state.SetComplexityN(q);
}
BENCHMARK(BM_RecSequence)->DenseRange(1, 27, 1)->Unit(benchmark::kMicrosecond);

void BM_Sequence(benchmark::State& state) {
  const int q = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(fib::Sequence(q));
  state.SetComplexityN(q);
}
BENCHMARK(BM_Sequence)->DenseRange(1, 27, 1)->Unit(benchmark::kMicrosecond);

// One FibTastic email (N=10) over SMTP to the sink, connection reused per thread by libcurl.
void BM_SmtpSend(benchmark::State& state) {
  fib::SmtpMailer mailer({fib::EnvOr("SMTP_URL", "smtp://127.0.0.1:1025"), 2000, 10000});
  fib::JobContext context;
  context.request_id = "microbench";
  fib::Email email = fib::SequenceEmail({"bench@example.com", 10}, context);
  for (auto _ : state) {
    fib::Status sent = mailer.Send(email);
    if (!sent.ok()) {
      state.SkipWithError(("start fibtastic-mailsink or set SMTP_URL: " + sent.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmtpSend)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(4);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  nlohmann::json conditions = fib::BuildConditions();
  benchmark::AddCustomContext("fibtastic_build_type", conditions["build_type"]);
  benchmark::AddCustomContext("fibtastic_compiler", conditions["compiler"]);
  if (fib::IsDebugBuild())
    std::fprintf(stderr, "%s\n", conditions["warning"].get<std::string>().c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
