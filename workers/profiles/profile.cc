#include "workers/profiles/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "workers/profiles/stage_sampler.h"

namespace fib {

namespace {

namespace fs = std::filesystem;

bool IsBareName(const std::string& path_or_name) {
  return path_or_name.find('/') == std::string::npos &&
         !(path_or_name.size() > 5 && path_or_name.ends_with(".toml"));
}

std::string AvailableText(const std::string& dir) {
  std::vector<std::string> names = ListProfiles(dir);
  if (names.empty()) return fmt::format("none (no *.toml files in '{}')", dir);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

nlohmann::json JobArgs(const nlohmann::json& args_template, const std::string& email,
                       int sequence_length) {
  if (args_template.empty()) return nlohmann::json::array({email, sequence_length});
  nlohmann::json args = nlohmann::json::array();
  for (const nlohmann::json& item : args_template) {
    if (item == "{email}") {
      args.push_back(email);
    } else if (item == "{sequence_length}") {
      args.push_back(sequence_length);
    } else {
      args.push_back(item);
    }
  }
  return args;
}

const char* StageKindName(StageKind kind) {
  switch (kind) {
    case StageKind::kCpu:
      return "cpu";
    case StageKind::kIo:
      return "io";
    case StageKind::kSmtp:
      return "smtp";
  }
  return "?";
}

const char* StageDistributionName(StageDistribution distribution) {
  switch (distribution) {
    case StageDistribution::kFixed:
      return "fixed";
    case StageDistribution::kExponential:
      return "exponential";
    case StageDistribution::kLogNormal:
      return "lognormal";
  }
  return "?";
}

const char* StagePhaseName(StagePhase phase) {
  switch (phase) {
    case StagePhase::kRequest:
      return "request";
    case StagePhase::kJob:
      return "job";
    case StagePhase::kResponse:
      return "response";
  }
  return "?";
}

const std::vector<Stage>& Profile::Stages(StagePhase phase) const {
  switch (phase) {
    case StagePhase::kRequest:
      return request;
    case StagePhase::kJob:
      return job;
    case StagePhase::kResponse:
      return response;
  }
  return job;
}

int Profile::NominalMs(const Stage& stage) const {
  return stage.kind == StageKind::kSmtp ? mail_delay_ms : stage.ms;
}

int Profile::NominalMs(StagePhase phase) const {
  int total = 0;
  for (const Stage& stage : Stages(phase)) total += NominalMs(stage);
  return total;
}

double Profile::MeanMs(const Stage& stage) const {
  return stage.kind == StageKind::kSmtp ? mail_delay_ms : StageMeanMs(stage);
}

double Profile::VarianceMs2(const Stage& stage) const {
  return stage.kind == StageKind::kSmtp ? 0 : StageVarianceMs2(stage);
}

double Profile::MeanMs(StagePhase phase) const {
  double total = 0;
  for (const Stage& stage : Stages(phase)) total += MeanMs(stage);
  return total;
}

double Profile::VarianceMs2(StagePhase phase) const {
  double total = 0;
  for (const Stage& stage : Stages(phase)) total += VarianceMs2(stage);
  return total;
}

double Profile::SquaredCv(StagePhase phase) const {
  double mean = MeanMs(phase);
  return mean > 0 ? VarianceMs2(phase) / (mean * mean) : 0;
}

Result<Profile> LoadProfile(const std::string& path_or_name, const std::string& profiles_dir) {
  std::string path = path_or_name;
  if (IsBareName(path_or_name)) {
    path = (fs::path(profiles_dir) / (path_or_name + ".toml")).string();
    if (!fs::exists(path)) {
      return Status::Error(fmt::format("unknown profile '{}' (no file {}); available: {}",
                                       path_or_name, path, AvailableText(profiles_dir)));
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error(
        fmt::format("cannot read profile file '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseProfile(text.str(), path);
}

std::vector<std::string> ListProfiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<Profile>> LoadAllProfiles(const std::string& dir) {
  std::vector<Profile> profiles;
  std::map<std::string, std::string> job_definer;  // job_class -> profile defining [[job]]
  for (const std::string& name : ListProfiles(dir)) {
    Result<Profile> profile = LoadProfile(name, dir);
    if (!profile.ok()) return profile.status();
    if (profile->DefinesJob()) {
      auto [it, inserted] = job_definer.emplace(profile->job_class, profile->name);
      if (!inserted) {
        return Status::Error(fmt::format(
            "profiles '{}' and '{}' in {} both define [[job]] stages for job_class '{}'; "
            "give one of them another job_class",
            it->second, profile->name, dir, profile->job_class));
      }
    }
    profiles.push_back(std::move(*profile));
  }
  return profiles;
}

}  // namespace fib
