class ApplicationMailer < ActionMailer::Base
  default from: "fibmaster@example.com"
end
