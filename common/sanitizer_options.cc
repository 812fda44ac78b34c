// Sanitizer runtime defaults for every program of a sanitizer build (FIBTASTIC_SANITIZE set;
// CMake links this object into every target then, so tests AND the programs they start agree).
// A report must fail the run: ASan/LSan/UBSan/TSan halt on the first finding with a non-zero
// exit, and tests/support's Subprocess fails a test whose child logged a report.
// Suppressions for third-party code live in tests/sanitizers/*.supp (each entry justified there).
// Options in the environment (ASAN_OPTIONS, ...) still override these defaults.
// Thread-safety: the runtimes call these once, before main().

#ifndef FIB_SOURCE_DIR
#error "FIB_SOURCE_DIR must point at the source tree (set by CMake)"
#endif

#define FIB_SUPP(name) FIB_SOURCE_DIR "/tests/sanitizers/" name

extern "C" {

__attribute__((used, visibility("default"))) const char* __asan_default_options() {
  return "detect_leaks=1:abort_on_error=0:halt_on_error=1:check_initialization_order=1:"
         "strict_init_order=1";
}

__attribute__((used, visibility("default"))) const char* __lsan_default_options() {
  return "suppressions=" FIB_SUPP("lsan.supp") ":print_suppressions=0";
}

__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1:suppressions=" FIB_SUPP("ubsan.supp");
}

__attribute__((used, visibility("default"))) const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:print_suppressions=0:suppressions=" FIB_SUPP(
      "tsan.supp");
}

}  // extern "C"
