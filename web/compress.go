package web

import (
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// gzipMinLength is the smallest answer worth compressing, in bytes: below
// it the gzip header and a round of deflate save nothing on a phone.
const gzipMinLength = 1024

// compressedExt are files that are compressed already.
var compressedExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".avif": true,
	".woff": true, ".woff2": true, ".gz": true, ".br": true, ".zip": true, ".pdf": true,
}

// compress gzips answers of gzipMinLength bytes or more for clients that
// accept it, and says so in Vary. It leaves alone files that are
// compressed already and /metrics, whose handler compresses on its own.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Level:     5,
		MinLength: gzipMinLength,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/metrics" || compressedExt[strings.ToLower(path.Ext(p))]
		},
	})
}
