package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// envName is the environment variable a flag falls back to: --rate-limit
// reads YICHA_RATE_LIMIT.
func envName(flagName string) string {
	return "YICHA_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envFallbacks sets every flag not given on the command line from its
// environment variable, if that is set.
func envFallbacks(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// newLogger returns the process's logger in the chosen format.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

// secretFlags are never printed.
var secretFlags = map[string]bool{"db": true}

// logConfig prints the configuration once at start, secrets redacted.
func logConfig(log *slog.Logger, fs *flag.FlagSet, adminToken bool) {
	var attrs []any
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		if secretFlags[f.Name] && v != "" {
			v = redact(v)
		}
		attrs = append(attrs, slog.String(f.Name, v))
	})
	token := "unset (admin API off)"
	if adminToken {
		token = "set (redacted)"
	}
	attrs = append(attrs, slog.String("admin-token", token))
	log.Info("configuration", attrs...)
}

// redact keeps the shape of a database URL without any of its passwords:
// the one after the user name (postgres://user:secret@host), the query's
// password and sslpassword (postgres://host/db?password=secret), and the
// same keys of a keyword/value string (host=h password=secret). What cannot
// be read as either is hidden whole.
func redact(v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && (u.Host != "" || u.User != nil || u.RawQuery != "") {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
		if q := u.Query(); len(q) > 0 {
			changed := false
			for k := range q {
				if passwordKeys[strings.ToLower(k)] {
					q[k] = []string{redacted}
					changed = true
				}
			}
			if changed {
				u.RawQuery = q.Encode()
			}
		}
		return u.String()
	}
	if strings.Contains(v, "=") && !strings.Contains(v, "://") {
		return keywordPasswordRE.ReplaceAllString(v, "${1}="+redacted)
	}
	return redacted
}

// redacted stands for a hidden secret.
const redacted = "REDACTED"

// passwordKeys are the connection parameters that hold a password.
var passwordKeys = map[string]bool{"password": true, "sslpassword": true}

// keywordPasswordRE finds a password in a keyword/value connection string:
// the value bare, or quoted with backslash escapes.
var keywordPasswordRE = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*(?:'(?:\\.|[^'\\])*'|\S+)`)
