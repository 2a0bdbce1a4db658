package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search"
	"yicha/web/sitestore"
)

// errorBody is the JSON shape of every error: {"error": {"code", "message"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleError is the one place errors become statuses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, "internal", "内部错误，请稍后再试"
	var he *echo.HTTPError
	switch {
	case errors.Is(err, search.ErrBadRequest), errors.Is(err, corpus.ErrBadSituation):
		status, code, msg = http.StatusBadRequest, "bad_request", err.Error()
	case errors.Is(err, search.ErrNotFound):
		status, code, msg = http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		status, code, msg = http.StatusServiceUnavailable, "timeout", "查询超时，请稍后再试"
	case errors.Is(err, context.Canceled):
		status, code, msg = 499, "canceled", "request canceled"
	case errors.As(err, &he):
		status = he.Code
		code = codeForStatus(status)
		msg = http.StatusText(status)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	case sitestore.Unavailable(err):
		// The site's database cannot be reached now (an outage, a restart):
		// nothing was saved, and trying again later may work.
		status, code, msg = http.StatusServiceUnavailable, "unavailable", "暂时无法保存，请稍后再试"
		c.Response().Header().Set("Retry-After", "5")
		s.cfg.Logger.LogAttrs(c.Request().Context(), slog.LevelWarn, "site database unavailable",
			slog.String("path", c.Request().URL.Path), slog.String("error", err.Error()))
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.cfg.Logger.LogAttrs(c.Request().Context(), slog.LevelError, "handler error",
			slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("path", c.Request().URL.Path),
			slog.String("error", err.Error()))
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if path := c.Request().URL.Path; !strings.HasPrefix(path, "/api/") && path != "/healthz" && path != "/readyz" && path != "/metrics" {
		s.htmlError(c, status, pageMessage(status))
		return
	}
	c.JSON(status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// pageMessage is what an error page tells a person.
func pageMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "没有找到这个页面，可能链接有误或这条信息已下线。"
	case http.StatusBadRequest:
		return "查询条件有误，请检查后重新搜索。"
	case http.StatusServiceUnavailable:
		return "服务暂时繁忙，请稍后再试。"
	case http.StatusTooManyRequests:
		return "访问太频繁，请稍后再试。"
	}
	if status >= 500 {
		return "系统出了点问题，请稍后再试。"
	}
	return "请求无法完成。"
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusConflict:
		return "conflict"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}
