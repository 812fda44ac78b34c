# The lesson's User, as a plain Ruby object (this app has no database): loading one is the
# lesson profile's "load user" stage, a 3 ms wait standing for a database round trip.
class User
  attr_reader :email

  def initialize(email)
    @email = email
  end

  def self.load(email)
    LessonStages.sleep_ms(LessonStages::LOAD_USER_MS)
    new(email)
  end
end
