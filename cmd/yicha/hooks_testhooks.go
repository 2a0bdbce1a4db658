//go:build testhooks

package main

import (
	"log/slog"
	"os"
	"strconv"
	"time"

	"yicha/corpus"
	"yicha/index"
)

// buildHook holds the build that HoldBuildEnv names, if any.
func buildHook(log *slog.Logger) index.Progress {
	hold, _ := strconv.Atoi(os.Getenv(HoldBuildEnv))
	if hold <= 0 {
		return nil
	}
	builds, last := 0, 0
	return func(done, total int) {
		if last == 0 || done <= last {
			builds++ // the first batch of a new build
		}
		last = done
		if builds == hold && done < total {
			log.Warn("build held", "build", builds, "done", done, "total", total)
			select {}
		}
	}
}

// clock starts at NowEnv, when it is set, and runs on from there.
func clock() func() time.Time {
	v := os.Getenv(NowEnv)
	if v == "" {
		return time.Now
	}
	start, err := time.Parse(time.RFC3339, v)
	if day, derr := corpus.ParseDate(v); derr == nil {
		start, err = day.Add(10*time.Hour), nil // as corpustest reads it
	}
	if err != nil {
		panic(NowEnv + ": " + err.Error())
	}
	offset := time.Until(start)
	return func() time.Time { return time.Now().Add(offset) }
}
