#include "bench/orchestrator/stack_report.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "bench/orchestrator/loadgen_run.h"
#include "common/process.h"

namespace fib::bench {
namespace {

constexpr const char* kModes[2] = {"inline", "background"};

double Figure(const nlohmann::json& j, const char* mode, const char* key) {
  return j.contains(mode) ? NumberAt(j[mode], key) : NAN;
}

std::string Cell(double v) { return std::isnan(v) ? "not measured" : Ms(v); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Returns the first whitespace-separated number after `prefix` on a line starting with it.
double NumberAfter(const std::string& text, const std::string& prefix, int field) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream words(line.substr(prefix.size()));
    std::string word;
    for (int i = 0; i <= field && words >> word; ++i) {
      if (i == field) return std::strtod(word.c_str(), nullptr);
    }
  }
  return NAN;
}

}  // namespace

std::string TargetIntro(const BenchOptions& options) {
  if (!options.stack.target()) return "";
  return fmt::format(
      "**Target**: apps the orchestrator did not start and did not stop — inline {}, "
      "background {}. They run whatever they run: the profile named below only sets the load "
      "(the form posted, its rate), not the app's stages.\n\n",
      options.targets.at("inline"), options.targets.at("background"));
}

std::string NoInboxNote(const BenchOptions& options) {
  if (!options.stack.target() || !options.target_mail_url.empty()) return "";
  return "The email columns are not measured (—): no --mail-url was given, so no email could be "
         "joined to its request (docs/targets.md).\n\n";
}

std::string StackSkipReason(const StackChoice& stack, const std::string& name) {
  if (stack.target()) {
    if (name == "lesson" || name == "fibtastic") return "";
    if (name == "saturation")
      return "saturation starts a fresh stack for every run (an empty queue, no backlog left by "
             "the previous step); the orchestrator never restarts an app it did not start";
    if (name == "scaling")
      return "scaling starts the workers itself after a burst waits in the queue; it cannot "
             "scale a target's workers";
    if (name == "queueing")
      return "queueing sets the worker's threads and the job's service time through our own "
             "processes; a target's are its own";
    if (name == "microbench") return "microbench times our own components in-process, no app";
    if (name == "heroku")
      return "heroku starts our own web, worker, Redis and mail sink on network namespaces it "
             "creates; a target already runs where it runs";
    return "a profile is loaded into our web at start; a target runs whatever it runs (use the "
           "lesson scenario for its load)";
  }
  if (!stack.uses_rails()) return "";
  if (name == "lesson" || name == "fibtastic" || name == "saturation") return "";
  if (name == "microbench") return "microbench times our own components in-process, no app";
  if (name == "heroku")
    return "heroku runs our own programs on network namespaces (docs/heroku.md) and is not wired "
           "for the Rails app (it runs on the cpp stack)";
  return "the Rails app runs the lesson and fibtastic profiles only, and this scenario is not "
         "wired for it (it runs on the cpp stack)";
}

Section SkippedSection(const std::string& name, const std::string& stack,
                       const std::string& reason) {
  Section s;
  s.id = name;
  s.title = name + ": skipped on the " + stack + " stack";
  s.markdown = "Skipped: " + reason + ".\n";
  s.figures = {{"skipped", reason}, {"stack", stack}};
  return s;
}

nlohmann::json RssFigures(Stack& stack) {
  nlohmann::json rss = nlohmann::json::object();
  for (const auto& [name, kb] : stack.RssKb()) rss[name] = kb;
  return rss;
}

std::string RssTable(const nlohmann::json& rss, const std::string& note) {
  if (!note.empty()) return "RSS per process: " + note + ".\n\n";
  if (rss.empty()) return "";
  std::string head = "| RSS at the end of the runs (MB, forks included) |";
  std::string rule = "|---|";
  std::string row = "| |";
  for (const auto& [name, kb] : rss.items()) {
    head += " " + name + " |";
    rule += "---|";
    row += fmt::format(" {:.1f} |", kb.template get<double>() / 1024);
  }
  return head + "\n" + rule + "\n" + row + "\n\n";
}

nlohmann::json NotMeasured(const std::string& mail_url, const std::string& redis_url,
                           const std::string& rss_note, const nlohmann::json& figures) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* mode : kModes) {
    nlohmann::json why = nlohmann::json::object();
    if (std::isnan(Figure(figures, mode, "email_p50_ms"))) {
      why["email_p50_ms"] =
          mail_url.empty()
              ? "no mail inbox: give --mail-url with the HTTP base of the mail sink the app "
                "sends through (fibtastic-mailsink --http-port)"
              : "no email in the inbox at " + mail_url +
                    " carried a request's X-Request-Id: the app must send through that sink and "
                    "copy the request's X-Request-Id header into the email's X-Request-Id header";
    }
    if (std::string(mode) == "background") {
      if (std::isnan(Figure(figures, mode, "enqueue_p50_ms"))) {
        why["enqueue_p50_ms"] =
            "the background web sent no Server-Timing `enqueue` metric: it must answer with "
            "`Server-Timing: enqueue;dur=<ms>`, the time its enqueue (e.g. perform_async) took";
      }
      if (redis_url.empty()) {
        why["queue_depth"] =
            "no --redis-url: the queue's depth is sampled from the app's Redis (LLEN "
            "queue:default)";
      }
    }
    if (!figures.contains(mode) || !figures[mode].contains("stages") ||
        figures[mode]["stages"].empty()) {
      why["stages"] =
          "no stage waterfall: the app sent no Server-Timing stages and its emails carried no "
          "X-Fib-Timing stamps (docs/measurement.md)";
    }
    if (!rss_note.empty()) why["rss"] = rss_note;
    if (!why.empty()) out[mode] = why;
  }
  return out;
}

std::string NotMeasuredMarkdown(const nlohmann::json& not_measured) {
  if (not_measured.empty()) return "";
  std::string md = "Not measured (never guessed), and what the app must do to have it:\n\n";
  for (const auto& [mode, why] : not_measured.items()) {
    for (const auto& [figure, reason] : why.items()) {
      md += fmt::format("- {} `{}`: {}\n", mode, figure, reason.get<std::string>());
    }
  }
  return md + "\n";
}

nlohmann::json StacksSummary(const std::vector<Section>& sections) {
  nlohmann::json stacks = nlohmann::json::object();
  for (const auto& s : sections) {
    if (s.scenario != "lesson" || s.stack.empty() || s.figures.contains("skipped")) continue;
    for (const char* mode : kModes) {
      nlohmann::json m = nlohmann::json::object();
      for (const char* key : {"p50_ms", "p99_ms", "email_p50_ms", "enqueue_p50_ms"}) {
        double v = Figure(s.figures, mode, key);
        m[key] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
      }
      stacks[s.stack]["lesson"][mode] = m;
    }
  }
  return stacks;
}

double HighestRateHeld(const nlohmann::json& saturation_figures, double p99_limit_ms) {
  double held = NAN;
  if (!saturation_figures.contains("steps")) return held;
  for (const auto& step : saturation_figures["steps"]) {
    double p99 = NumberAt(step, "background_p99_ms");
    if (std::isnan(p99) || p99 >= p99_limit_ms) break;
    held = NumberAt(step, "offered_rps");
  }
  return held;
}

Result<nlohmann::json> WorkerDrainRates(const std::string& script, const std::string& bin_dir,
                                        int jobs, const std::string& log_path) {
  auto child = ChildProcess::Start(
      {{"bash", script, std::to_string(jobs)}, {{"BIN_DIR", bin_dir}}, log_path, {}});
  if (!child.ok()) return child.status();
  int code = (*child)->Wait(600000);
  std::string out = Slurp(log_path);
  if (code != 0) return Status::Error("worker_throughput.sh failed; see " + log_path);
  nlohmann::json j = {{"jobs", jobs},
                      {"command", fmt::format("BIN_DIR={} {} {}", bin_dir, script, jobs)}};
  double ours = NumberAfter(out, "fibtastic-worker", 1);
  double ruby = NumberAfter(out, "sidekiq 6.4", 1);
  if (std::isnan(ours) || std::isnan(ruby))
    return Status::Error("cannot read jobs/s from worker_throughput.sh's output; see " + log_path);
  j["ours_jobs_per_s"] = ours;
  j["sidekiq_jobs_per_s"] = ruby;
  j["ratio"] = ruby > 0 ? ours / ruby : NAN;
  return j;
}

Section StackComparison(const std::vector<Section>& sections,
                        const std::vector<StackChoice>& stacks, const nlohmann::json& drain) {
  std::map<std::string, std::map<std::string, const Section*>> by_stack;
  for (const auto& s : sections) by_stack[s.stack][s.scenario] = &s;
  std::string head = "| |", rule = "|---|";
  for (const auto& st : stacks) {
    head += " " + st.name + " (web: " + st.web + ", worker: " + st.worker + ") |";
    rule += "---|";
  }
  auto row = [&](const std::string& what, auto cell) {
    std::string r = "| " + what + " |";
    for (const auto& st : stacks) r += " " + cell(by_stack[st.name]) + " |";
    return r + "\n";
  };
  auto lesson = [](const char* mode, const char* key) {
    return [mode, key](std::map<std::string, const Section*>& m) {
      if (!m.count("lesson") || m["lesson"]->figures.contains("skipped"))
        return std::string("not run");
      return Cell(Figure(m["lesson"]->figures, mode, key));
    };
  };
  std::string md =
      "The same load generator, mail sink and Redis against each stack; every figure below is "
      "measured by URL as for any app (docs/targets.md). Enqueue cost is the background web's "
      "own `Server-Timing: enqueue` metric (ours: the Redis round trip of its LPUSH; Rails: "
      "`perform_async` inside Puma, timed by the controller), not the enqueue stamp in the job; "
      "\"not measured\" when the app sends none.\n\n" +
      head + "\n" + rule + "\n";
  md += row("lesson inline p50 / p99 (ms)", [&](auto& m) {
    return lesson("inline", "p50_ms")(m) + " / " + lesson("inline", "p99_ms")(m);
  });
  md += row("lesson background p50 / p99 (ms)", [&](auto& m) {
    return lesson("background", "p50_ms")(m) + " / " + lesson("background", "p99_ms")(m);
  });
  md += row("enqueue p50 (ms, Server-Timing)", lesson("background", "enqueue_p50_ms"));
  md += row("time to email p50, inline / background (ms)", [&](auto& m) {
    return lesson("inline", "email_p50_ms")(m) + " / " + lesson("background", "email_p50_ms")(m);
  });
  md += row("highest rate the background web holds with p99 < 100 ms (req/s)", [](auto& m) {
    if (!m.count("saturation") || m["saturation"]->figures.contains("skipped"))
      return std::string("not run");
    double r = HighestRateHeld(m["saturation"]->figures, 100);
    return std::isnan(r) ? std::string("none of the steps") : fmt::format("{:g}", r);
  });
  md += row("RSS per process at the end of the lesson (MB)", [](auto& m) {
    if (!m.count("lesson") || !m["lesson"]->figures.contains("rss_kb"))
      return std::string("not run");
    std::string cell;
    for (const auto& [name, kb] : m["lesson"]->figures["rss_kb"].items()) {
      cell += fmt::format("{}{} {:.0f}", cell.empty() ? "" : ", ", name,
                          kb.template get<double>() / 1024);
    }
    return cell.empty() ? std::string("not measured") : cell;
  });
  md += "\n";
  nlohmann::json figures = {{"stacks", StacksSummary(sections)}};
  if (drain.is_object() && drain.contains("ours_jobs_per_s")) {
    md += fmt::format(
        "Worker drain rate, the same {} no-op jobs from one private Redis (`{}`): our worker "
        "{:.0f} jobs/s, Ruby Sidekiq 6.4 {:.0f} jobs/s ({:.1f}×).\n\n",
        drain["jobs"].get<int>(), drain["command"].get<std::string>(),
        drain["ours_jobs_per_s"].get<double>(), drain["sidekiq_jobs_per_s"].get<double>(),
        NumberAt(drain, "ratio"));
    figures["worker_drain"] = drain;
  } else if (drain.is_object() && drain.contains("error")) {
    md += "Worker drain rate: not measured: " + drain["error"].get<std::string>() + ".\n\n";
    figures["worker_drain"] = drain;
  } else {
    md +=
        "Worker drain rate: not run (no stack here uses Ruby Sidekiq; "
        "bench/calibration/worker_throughput.sh compares the two workers).\n\n";
  }
  return {"stacks", "Stacks side by side", md, figures, "stacks", ""};
}

}  // namespace fib::bench
