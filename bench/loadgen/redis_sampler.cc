#include "bench/loadgen/redis_sampler.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "bench/loadgen/mono_time.h"
#include "common/redis/redis_connection.h"

namespace fib {

Result<std::unique_ptr<RedisSampler>> RedisSampler::Open(const std::string& url, std::string queue,
                                                         int64_t interval_ms) {
  auto redis = RedisConnection::Open(url);
  if (!redis.ok()) return Status::Error("--redis-url: " + redis.message());
  if (Status s = (*redis)->Connect(); !s.ok()) return Status::Error("--redis-url: " + s.message());
  return std::unique_ptr<RedisSampler>(
      new RedisSampler(std::move(*redis), std::move(queue), interval_ms));
}

RedisSampler::RedisSampler(std::unique_ptr<RedisConnection> redis, std::string queue,
                           int64_t interval_ms)
    : redis_(std::move(redis)), queue_(std::move(queue)), interval_ms_(interval_ms) {}

RedisSampler::~RedisSampler() { Stop(); }

Result<RedisSample> RedisSampler::SampleOnce() {
  // Jobs recovered from a dead worker wait in a list of their own (docs/reliability.md, rule 2):
  // they are queued work too.
  auto replies = redis_->Pipeline({{"LLEN", "queue:" + queue_},
                                   {"ZCARD", "retry"},
                                   {"ZCARD", "dead"},
                                   {"SMEMBERS", "processes"},
                                   {"LLEN", "fibtastic:recovered:" + queue_}});
  if (!replies.ok()) return replies.status();
  if (Status s = FirstReplyError(*replies, "the queue sample", redis_->url()); !s.ok()) return s;
  RedisSample sample;
  sample.queue_depth = (*replies)[0].integer + (*replies)[4].integer;
  sample.retry = (*replies)[1].integer;
  sample.dead = (*replies)[2].integer;
  std::vector<std::vector<std::string>> busy_commands;
  for (const auto& member : (*replies)[3].elements) {
    busy_commands.push_back({"HMGET", member.str, "busy", "info"});
  }
  if (busy_commands.empty()) return sample;
  auto busy = redis_->Pipeline(busy_commands);
  if (!busy.ok()) return busy.status();
  for (const auto& reply : *busy) {
    if (reply.elements.size() != 2) continue;
    if (reply.elements[0].is_string()) sample.busy += std::atoll(reply.elements[0].str.c_str());
    // The heartbeat's info JSON (untrusted, but Redis caps what a hash value can be read as).
    auto info = nlohmann::json::parse(reply.elements[1].str, nullptr, false);
    if (info.is_object() && info.contains("concurrency") &&
        info["concurrency"].is_number_integer()) {
      sample.concurrency += info["concurrency"].get<int64_t>();
    }
  }
  return sample;
}

void RedisSampler::Start(int64_t origin_us) {
  thread_ = std::thread([this, origin_us] { Loop(origin_us); });
}

void RedisSampler::Loop(int64_t origin_us) {
  int64_t next = MonoMicros();
  while (!stop_.load()) {
    int64_t taken_us = MonoMicros();
    auto sample = SampleOnce();
    if (sample.ok()) {
      sample->t_s = static_cast<double>(taken_us - origin_us) / 1e6;
      std::lock_guard<std::mutex> lock(mutex_);
      samples_.push_back(*sample);
    } else {
      ++failures_;
    }
    next += interval_ms_ * 1000;
    while (!stop_.load() && MonoMicros() < next) {
      std::this_thread::sleep_for(std::chrono::microseconds(
          std::min<int64_t>(10'000, std::max<int64_t>(0, next - MonoMicros()))));
    }
  }
}

void RedisSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<RedisSample> RedisSampler::samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_;
}

}  // namespace fib
