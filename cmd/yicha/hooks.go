package main

// HoldBuildEnv names the build that a binary built with -tags testhooks
// holds (see hooks_testhooks.go): YICHA_TEST_HOLD_BUILD=2 stops the
// process's second build after its first batch, logs "build held" and
// waits there for good, so that a test can kill the process at a known
// point in the middle of a build. The shipped binary has no such hook.
const HoldBuildEnv = "YICHA_TEST_HOLD_BUILD"

// NowEnv, in a binary built with -tags testhooks, shifts the process's
// clock so that it starts at this time (RFC 3339, or a date: 10:00 that
// day in Shanghai) and runs on from there: tests of child processes run on
// the suite's pinned day, not today.
const NowEnv = "YICHA_TEST_NOW"
