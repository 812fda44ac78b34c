#include "mailsink/chaos_routes.h"

#include "mailsink/message_json.h"

namespace fib {
namespace {

constexpr const char* kJson = "application/json";

void Answer(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(DumpJson(body), kJson);
}

// Returns false (and answers 403) when the request carries an Origin other than this server's
// own ("http://" + Host). A browser sends Origin on every cross-site PUT or DELETE; curl sends
// none. Why not rely on CORS alone: a cross-site "simple" request is delivered before the browser
// checks any answer, so the server itself must refuse it.
bool SameOriginOrNone(const httplib::Request& request, httplib::Response& response) {
  if (!request.has_header("Origin")) return true;
  std::string origin = request.get_header_value("Origin");
  if (origin == "http://" + request.get_header_value("Host")) return true;
  Answer(response, 403,
         {{"error",
           "the chaos settings change only from this inbox's own origin or from a "
           "client without an Origin header (curl); refused a request from another "
           "site's page"}});
  return false;
}

// Returns false (and answers 415) unless the body is declared JSON. A cross-site HTML form can
// only send form or text types without a CORS preflight, so this also shuts out plain forms.
bool DeclaredJson(const httplib::Request& request, httplib::Response& response) {
  std::string type = request.get_header_value("Content-Type");
  std::string base = type.substr(0, type.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base == kJson) return true;
  Answer(response, 415,
         {{"error",
           "PUT /api/chaos needs 'Content-Type: application/json' (curl: -H "
           "'Content-Type: application/json')"}});
  return false;
}

void Put(Chaos* chaos, const httplib::Request& request, httplib::Response& response) {
  if (!SameOriginOrNone(request, response) || !DeclaredJson(request, response)) return;
  auto config = ParseChaosConfig(request.body);
  if (!config.ok()) {
    return Answer(response, 400, {{"error", config.status().message() + "; nothing was changed"}});
  }
  chaos->Set(*config);
  Answer(response, 200, chaos->StateJson());
}

}  // namespace

void AddChaosRoutes(BoundedServer* http, Chaos* chaos) {
  http->Get("/api/chaos", [chaos](const httplib::Request&, httplib::Response& response) {
    Answer(response, 200, chaos->StateJson());
  });
  http->Put("/api/chaos", [chaos](const httplib::Request& request, httplib::Response& response) {
    Put(chaos, request, response);
  });
  http->Delete("/api/chaos", [chaos](const httplib::Request& request, httplib::Response& response) {
    if (!SameOriginOrNone(request, response)) return;
    chaos->Set(ChaosConfig{});
    Answer(response, 200, chaos->StateJson());
  });
}

}  // namespace fib
