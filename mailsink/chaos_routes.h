// The inbox's /api/chaos routes: GET shows the chaos settings, their state and the injected
// counts; PUT replaces them (strict JSON, application/json only, same-origin only: a page on
// another site cannot switch a loopback sink); DELETE clears them (normal service).
// Thread-safety: handlers run on HTTP connection threads; Chaos is thread-safe.
#pragma once

#include "common/http/bounded_server.h"
#include "mailsink/chaos.h"

namespace fib {

// Adds GET, PUT and DELETE /api/chaos to `http`, acting on `chaos` (which must outlive it).
void AddChaosRoutes(BoundedServer* http, Chaos* chaos);

}  // namespace fib
