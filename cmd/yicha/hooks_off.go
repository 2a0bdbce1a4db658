//go:build !testhooks

package main

import (
	"log/slog"
	"time"

	"yicha/index"
)

// buildHook is a point where tests may stop a build; in the binary that is
// shipped, there is none.
func buildHook(*slog.Logger) index.Progress { return nil }

// clock is the process's clock: in the binary that is shipped, the
// system's.
func clock() func() time.Time { return time.Now }
