#include "bench/report/threshold.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/require.h"
#include "common/text.h"

namespace fib {

namespace {
struct OpToken {
  const char* text;
  Threshold::Op op;
};
// Two-character operators first so ">=" is not read as ">".
constexpr OpToken kOps[] = {{">=", Threshold::Op::kGreaterEqual},
                            {"<=", Threshold::Op::kLessEqual},
                            {">", Threshold::Op::kGreater},
                            {"<", Threshold::Op::kLess}};

const char* OpText(Threshold::Op op) {
  for (const OpToken& t : kOps) {
    if (t.op == op) return t.text;
  }
  return "?";
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Returns the factor that converts `unit` into the metric's unit, or nullopt when it does not fit.
std::optional<double> UnitFactor(MetricUnit metric_unit, const std::string& unit) {
  switch (metric_unit) {
    case MetricUnit::kMilliseconds:
      if (unit.empty() || unit == "ms") return 1.0;
      if (unit == "us" || unit == "\xC2\xB5s") return 0.001;
      if (unit == "s") return 1000.0;
      return std::nullopt;
    case MetricUnit::kRate:
      if (unit.empty() || unit == "rps" || unit == "/s") return 1.0;
      return std::nullopt;
    case MetricUnit::kCount:
      if (unit.empty()) return 1.0;
      return std::nullopt;
  }
  return std::nullopt;
}

// Returns " ms" or " req/s" to follow a value; "" for counts, which read best bare ("errors = 3").
std::string UnitSuffix(MetricUnit unit) {
  return unit == MetricUnit::kCount ? "" : std::string(" ") + MetricUnitName(unit);
}

std::string FormatValue(const MetricInfo& metric, double value) {
  return FormatMetricValue(metric.unit, value) + UnitSuffix(metric.unit);
}

std::string FormatChange(double percent) {
  if (std::isinf(percent)) return percent > 0 ? "+inf% (baseline is 0)" : "-inf% (baseline is 0)";
  return fmt::format("{:+.1f}%", percent);
}

// Returns the change of `value` against `base` in percent (±inf when base is 0 and value is not).
double ChangePercent(double value, double base) {
  if (base == 0) {
    if (value == 0) return 0;
    return value > 0 ? std::numeric_limits<double>::infinity()
                     : -std::numeric_limits<double>::infinity();
  }
  return (value - base) / std::fabs(base) * 100.0;
}

// Returns a ratio of medians as a change in percent, its interval likewise.
GroupEstimate AsChange(GroupEstimate ratio) {
  ratio.value = (ratio.value - 1) * 100;
  if (ratio.ci95) ratio.ci95 = Interval{(ratio.ci95->low - 1) * 100, (ratio.ci95->high - 1) * 100};
  return ratio;
}

// Returns how a message names side g's figure: the median (relative: the change against the
// baseline side's median) and its interval.
std::string DescribeSide(const Threshold& t, const GroupComparison& c, size_t g,
                         const GroupEstimate& judged) {
  const MetricInfo& m = t.metric();
  std::optional<GroupEstimate> median = c.Median(g, m.name);
  std::string text = fmt::format("{} {} median {}", c.Heading(g), m.name,
                                 median ? FormatValue(m, median->value) : "-");
  if (!t.relative()) {
    if (judged.ci95) {
      text += fmt::format(" [95% CI {}, {}]", FormatMetricValue(m.unit, judged.ci95->low),
                          FormatMetricValue(m.unit, judged.ci95->high));
    }
    return text;
  }
  text += ", " + FormatChange(judged.value);
  if (judged.ci95) {
    text += fmt::format(" [95% CI {}, {}]", FormatChange(judged.ci95->low),
                        FormatChange(judged.ci95->high));
  }
  std::optional<GroupEstimate> base = c.Median(c.baseline(), m.name);
  return text + fmt::format(" vs baseline {} median {}", c.Heading(c.baseline()),
                            base ? FormatValue(m, base->value) : "-");
}

// Judges threshold `t` on side g of `c`; adds the breach or the notes to `outcome`.
void CheckSide(const Threshold& t, const GroupComparison& c, size_t g, ThresholdOutcome* outcome) {
  const std::string& name = t.metric().name;
  std::optional<GroupEstimate> estimate = t.relative() ? c.Ratio(g, name) : c.Median(g, name);
  std::string prefix = "--fail-if '" + t.text() + "': ";
  if (!estimate) {
    outcome->notes.push_back(prefix + "not checked for " + c.Heading(g) + ": no " + name +
                             (t.relative() ? " on both sides (or a baseline median of 0)" : ""));
    return;
  }
  GroupEstimate judged = t.relative() ? AsChange(*estimate) : *estimate;
  ++outcome->checks;
  std::string figure = DescribeSide(t, c, g, judged);
  switch (t.Judge(judged.value, judged.ci95)) {
    case Threshold::Verdict::kBreach:
      outcome->breaches.push_back("FAIL " + t.text() + ": " + figure);
      break;
    case Threshold::Verdict::kStraddles:
      outcome->notes.push_back(prefix + figure +
                               ": the median is beyond the limit but its interval reaches back "
                               "across it: not flagged (more runs narrow the interval)");
      break;
    case Threshold::Verdict::kHolds:
      break;
  }
  if (!judged.ci95) {
    outcome->notes.push_back(prefix + c.Heading(g) + " judged on medians alone: an interval " +
                             "needs at least " + std::to_string(kMinRunsForInterval) +
                             " runs per side");
  }
}
}  // namespace

std::string Threshold::GrammarHelp() {
  return "--fail-if EXPR (repeatable) fails the run (exit 1) when a report breaks EXPR:\n"
         "  EXPR   := METRIC OP LIMIT            e.g. 'p99>+10%'  'p50>250ms'  'errors>0'\n"
         "  OP     := >  >=  <  <=               (a breach is when 'value OP LIMIT' is true)\n"
         "  LIMIT  := [+|-]NUMBER%               relative: the change of each other report\n"
         "                                       against the baseline, in percent\n"
         "                                       ('rps<-5%' = more than 5% below the baseline)\n"
         "          | NUMBER[UNIT]               absolute: checked on every report; latency\n"
         "                                       units us, ms (default), s; rates rps (default);\n"
         "                                       counts take no unit\n"
         "  METRIC := " +
         MetricNamesForHelp() + "\n";
}

Result<Threshold> Threshold::Parse(const std::string& expression) {
  auto error = [&](const std::string& what) {
    return Status::Error("--fail-if '" + expression + "': " + what +
                         " (expected METRIC OP LIMIT, e.g. 'p99>+10%' or 'p50>250ms')");
  };
  Threshold t;
  t.text_ = expression;
  size_t op_at = std::string::npos, op_len = 0;
  for (const OpToken& token : kOps) {
    size_t at = expression.find(token.text);
    if (at != std::string::npos && (op_at == std::string::npos || at < op_at)) {
      op_at = at;
      op_len = std::string(token.text).size();
      t.op_ = token.op;
    }
  }
  if (op_at == std::string::npos) return error("no comparison operator (>, >=, <, <=)");
  std::string name = Lower(Trim(expression.substr(0, op_at)));
  std::string limit = Trim(expression.substr(op_at + op_len));
  if (name.empty()) return error("no metric before the operator");
  t.metric_ = FindMetric(name);
  if (!t.metric_) return error("unknown metric '" + name + "'; known: " + MetricNamesForHelp());
  if (limit.empty()) return error("no limit after the operator");
  char* end = nullptr;
  t.limit_ = std::strtod(limit.c_str(), &end);
  if (end == limit.c_str() || !std::isfinite(t.limit_)) {
    return error("the limit '" + limit + "' does not start with a number");
  }
  std::string unit = Lower(Trim(end));
  if (unit == "%") {
    t.relative_ = true;
    return t;
  }
  std::optional<double> factor = UnitFactor(t.metric_->unit, unit);
  if (!factor) return error("unit '" + unit + "' does not fit metric '" + t.metric_->name + "'");
  t.limit_ *= *factor;
  return t;
}

bool Threshold::Breaks(double value) const {
  switch (op_) {
    case Op::kGreater:
      return value > limit_;
    case Op::kGreaterEqual:
      return value >= limit_;
    case Op::kLess:
      return value < limit_;
    case Op::kLessEqual:
      return value <= limit_;
  }
  return false;
}

std::optional<std::string> Threshold::Check(const Report& report, const Report* baseline,
                                            std::string* not_checked) const {
  FIB_REQUIRE(!relative_ || baseline != nullptr);
  std::optional<double> value = report.Metric(metric_->name);
  std::optional<double> base = relative_ ? baseline->Metric(metric_->name) : std::nullopt;
  const Report* lacking = !value ? &report : (relative_ && !base ? baseline : nullptr);
  if (lacking) {
    *not_checked = fmt::format("--fail-if '{}': not checked for {}: {} has no {}", text_,
                               report.DisplayName(), lacking->DisplayName(), metric_->name);
    return std::nullopt;
  }
  if (!relative_) {
    if (!Breaks(*value)) return std::nullopt;
    return fmt::format("FAIL {}: {} {} = {} ({} {}{})", text_, report.DisplayName(), metric_->name,
                       FormatValue(*metric_, *value), OpText(op_),
                       FormatMetricValue(metric_->unit, limit_), UnitSuffix(metric_->unit));
  }
  double change = ChangePercent(*value, *base);
  if (!Breaks(change)) return std::nullopt;
  return fmt::format("FAIL {}: {} {} = {}, {} vs baseline {} {}", text_, report.DisplayName(),
                     metric_->name, FormatValue(*metric_, *value), FormatChange(change),
                     baseline->DisplayName(), FormatValue(*metric_, *base));
}

Threshold::Verdict Threshold::Judge(double value, const std::optional<Interval>& interval) const {
  bool upward = op_ == Op::kGreater || op_ == Op::kGreaterEqual;
  // The bound nearest the limit decides: the whole interval is beyond it only if that one is.
  double nearest = !interval ? value : (upward ? interval->low : interval->high);
  if (Breaks(nearest)) return Verdict::kBreach;
  return Breaks(value) ? Verdict::kStraddles : Verdict::kHolds;
}

ThresholdOutcome CheckThresholds(const std::vector<Threshold>& thresholds,
                                 const std::vector<Report>& reports, size_t baseline) {
  FIB_REQUIRE(baseline < reports.size());
  ThresholdOutcome outcome;
  for (const Threshold& t : thresholds) {
    if (t.relative() && reports.size() < 2) {
      outcome.notes.push_back("--fail-if '" + t.text() +
                              "': not checked: a relative limit needs at least two reports");
      continue;
    }
    for (size_t i = 0; i < reports.size(); ++i) {
      if (t.relative() && i == baseline) continue;
      std::string not_checked;
      std::optional<std::string> breach =
          t.Check(reports[i], t.relative() ? &reports[baseline] : nullptr, &not_checked);
      if (!not_checked.empty()) {
        outcome.notes.push_back(not_checked);
        continue;
      }
      ++outcome.checks;
      if (breach) outcome.breaches.push_back(*breach);
    }
  }
  return outcome;
}

ThresholdOutcome CheckGroupThresholds(const std::vector<Threshold>& thresholds,
                                      const GroupComparison& c) {
  ThresholdOutcome outcome;
  for (const Threshold& t : thresholds) {
    if (!t.relative() && t.metric().unit == MetricUnit::kCount) {
      // 'errors>0' means any error in any run: a median would hide one bad run among good ones.
      ThresholdOutcome every_run = CheckThresholds({t}, c.all().reports(), 0);
      outcome.breaches.insert(outcome.breaches.end(), every_run.breaches.begin(),
                              every_run.breaches.end());
      outcome.notes.insert(outcome.notes.end(), every_run.notes.begin(), every_run.notes.end());
      outcome.checks += every_run.checks;
      continue;
    }
    if (t.relative() && c.groups().size() < 2) {
      outcome.notes.push_back("--fail-if '" + t.text() +
                              "': not checked: a relative limit needs at least two sides");
      continue;
    }
    for (size_t g = 0; g < c.groups().size(); ++g) {
      if (!t.relative() || g != c.baseline()) CheckSide(t, c, g, &outcome);
    }
  }
  return outcome;
}

}  // namespace fib
