// Compiled only to produce the precompiled catch2/catch.hpp that every test target reuses
// (fib_catch_pch, tests/support/CMakeLists.txt); the header comes in through the PCH.
