#include "server/profile_stages.h"

#include <memory>

#include "common/clock.h"
#include "workers/profiles/stage_runner.h"

namespace fib {
namespace {

class ProfileRequestStage : public RequestStage {
 public:
  ProfileRequestStage(const Profile& profile, const Stage& stage, Mailer* mailer)
      : runner_(profile), stage_(stage), mailer_(mailer) {}

  std::string name() const override { return stage_.name; }

  Status Run(const std::string& request_id) override {
    JobContext context;
    context.request_id = request_id;
    context.mailer = mailer_;
    context.clock = SystemClock::Default();
    return ToStatus(runner_.Run(stage_, nlohmann::json::array(), context, nullptr));
  }

 private:
  StageRunner runner_;
  const Stage& stage_;
  Mailer* mailer_;
};

}  // namespace

void AddProfileStages(const Profile& profile, Mailer* mailer, RequestPipeline* pipeline) {
  for (const Stage& stage : profile.request) {
    pipeline->AddBeforeJob(std::make_shared<ProfileRequestStage>(profile, stage, mailer));
  }
  for (const Stage& stage : profile.response) {
    pipeline->AddAfterJob(std::make_shared<ProfileRequestStage>(profile, stage, mailer));
  }
}

}  // namespace fib
