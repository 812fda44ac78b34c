// The one Catch2 main shared by the unit test runner and every integration test binary.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
