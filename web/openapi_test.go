package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"yicha/web/sitestore"
)

// TestResponsesMatchOpenAPI calls every endpoint of the JSON API, in its
// good and its error answers, and validates each request and answer
// against the OpenAPI description the server publishes.
func TestResponsesMatchOpenAPI(t *testing.T) {
	s := newAdminServer(t, testToken)
	resp, err := http.Get(s.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	specData, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(specData)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI description is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: s.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	report, err := s.fb.AddReport(context.Background(), sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonWrong, Comment: "电话打不通"}, sitestore.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	calls := []apiCall{
		{"GET", "/api/search?q=" + url.QueryEscape("残疾人补贴"), false, 200, ""},
		{"GET", "/api/search?q=" + url.QueryEscape("补贴") + "&age=72&hukou=" + url.QueryEscape("本市户籍") + "&category=" + url.QueryEscape("养老服务"), false, 200, ""},
		{"GET", "/api/search?category=" + url.QueryEscape("社会救助") + "&online=true&sort=date", false, 200, ""},
		{"GET", "/api/search?size=0", false, 400, ""},
		{"GET", "/api/policies/dibao", false, 200, ""},
		{"GET", "/api/policies/nope", false, 404, ""},
		{"GET", "/api/documents", false, 200, ""},
		{"GET", "/api/documents/nope", false, 404, ""},
		{"GET", "/api/situation", false, 200, ""},
		{"GET", "/api/match?age=75&hukou=" + url.QueryEscape("本市户籍") + "&identity=" + url.QueryEscape("独居"), false, 200, ""},
		{"GET", "/api/match?age=-1", false, 400, ""},
		{"GET", "/api/suggest?q=dibao", false, 200, ""},
		{"GET", "/api/suggest?q=x&limit=99", false, 400, ""},
		{"GET", "/api/sites", false, 200, ""},
		{"GET", "/api/search?site=quyanglu&q=" + url.QueryEscape("低保"), false, 200, ""},
		{"GET", "/api/search?site=putuo", false, 400, ""},
		{"GET", "/api/suggest?site=quyanglu&q=dibao", false, 200, ""},
		{"GET", "/api/match?site=quyanglu&age=75", false, 200, ""},
		{"GET", "/api/admin/status", true, 200, ""},
		{"GET", "/api/admin/status", false, 401, ""},
		{"GET", "/api/admin/queries", true, 200, ""},
		{"POST", "/api/admin/reindex?wait=true", true, 200, ""},
		{"POST", "/api/admin/reindex", false, 401, ""},
		{"GET", "/api/admin/feedback", true, 200, ""},
		{"GET", "/api/admin/feedback?format=csv", true, 200, ""},
		{"GET", "/api/admin/feedback", false, 401, ""},
		{"POST", "/api/admin/feedback/" + strconv.FormatInt(report.ID, 10), true, 200, `{"state":"handled","note":"已转主管部门核实"}`},
		{"POST", "/api/admin/feedback/999999", true, 404, `{"state":"handled"}`},
		{"GET", "/healthz", false, 200, ""},
		{"GET", "/readyz", false, 200, ""},
	}
	validateCalls(t, router, s.URL, testToken, calls)

	// The entries API, on a server with an entry store; the publisher
	// signs in, so its changes go through.
	es := newEntryServer(t, false)
	doc.Servers = openapi3.Servers{{URL: es.URL}}
	if router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	var dibao EntryResponse
	es.call(t, "GET", policiesAPI+"/dibao", publisherToken, nil, &dibao)
	entry := string(dibao.Published.Entry)
	retitled := strings.Replace(entry, `"最低生活保障"`, `"最低生活保障（低保）"`, 1)
	validateCalls(t, router, es.URL, publisherToken, []apiCall{
		{"GET", policiesAPI, true, 200, ""},
		{"GET", policiesAPI, false, 401, ""},
		{"GET", policiesAPI + "/dibao", true, 200, ""},
		{"GET", policiesAPI + "/nope", true, 404, ""},
		{"POST", policiesAPI, true, 201, `{"id": "dibao-copy", "entry": ` + entry + `, "note": "复制"}`},
		{"POST", policiesAPI, true, 422, `{"id": "dibao-copy2", "entry": {"title": ""}}`},
		{"POST", policiesAPI, true, 400, `{"id": "x", "entry": {}, "extra": 1}`},
		{"PUT", policiesAPI + "/dibao/draft", true, 200, `{"based_on": {"version": 1}, "entry": ` + retitled + `}`},
		{"PUT", policiesAPI + "/dibao/draft", true, 409, `{"based_on": {"version": 1}, "entry": ` + retitled + `}`},
		{"POST", policiesAPI + "/dibao/review", true, 200, `{"based_on": {"version": 1, "draft": 1}, "note": "请审核"}`},
		{"POST", policiesAPI + "/dibao/publish", true, 200, `{"based_on": {"version": 1, "draft": 1}, "note": "核对无误"}`},
		{"POST", policiesAPI + "/dibao/publish", true, 409, `{"based_on": {"version": 2}}`},
		{"GET", policiesAPI + "/dibao/history", true, 200, ""},
		{"GET", policiesAPI + "/dibao/diff?from=1&to=2", true, 200, ""},
		{"GET", policiesAPI + "/dibao/diff?from=1&to=9", true, 404, ""},
		{"POST", policiesAPI + "/dibao/rollback", true, 409, `{"to": 1, "based_on": {"version": 1}}`},
		{"POST", policiesAPI + "/dibao/retire", true, 200, `{"based_on": {"version": 2}, "note": "测试撤下"}`},
		{"GET", "/api/policies/dibao", false, 410, ""},
		{"GET", "/api/admin/audit", true, 200, ""},
		{"GET", "/api/admin/audit?format=csv", true, 200, ""},
		{"GET", "/api/admin/audit?limit=0", true, 400, ""},
		{"POST", policiesAPI + "/import", true, 200, `{"text": "上海市人民政府办公厅关于印发《测试办法》的通知\n沪府办规〔2099〕7号\n第一条 本办法自2099年6月1日起施行。"}`},
		{"POST", policiesAPI + "/import", true, 200, `{"text": "社会救助暂行办法\n（2014年2月21日中华人民共和国国务院令第649号公布）"}`},
		{"POST", policiesAPI + "/import", true, 400, `{"text": ""}`},
		{"POST", policiesAPI + "/import", false, 401, `{"text": "x"}`},
		{"POST", "/api/admin/documents", true, 201, `{"document": {"id": "test-doc", "title": "测试办法", "number": "沪府办规〔2099〕7号", "issuer": "上海市人民政府办公厅", "adopted": "2099-05-20", "effective": "2099-06-01", "status": "unknown", "url": "unknown"}, "note": "导入"}`},
		{"POST", "/api/admin/documents", true, 409, `{"document": {"id": "test-doc", "title": "测试办法", "number": "unknown", "issuer": "unknown", "adopted": "unknown", "effective": "unknown", "status": "unknown", "url": "unknown"}}`},
		{"POST", "/api/admin/documents", true, 422, `{"document": {"id": "test-doc2", "title": "测试办法", "number": "unknown", "issuer": "unknown", "adopted": "2099-13-01", "effective": "unknown", "status": "unknown", "url": "unknown"}}`},
	})
	if code, _ := es.call(t, "POST", policiesAPI+"/dibao/retire", editorToken, map[string]any{"based_on": map[string]int{"version": 3}}, nil); code != http.StatusForbidden {
		t.Errorf("an editor's retire = %d", code)
	}
}

// apiCall is a request of TestResponsesMatchOpenAPI and the status it
// must get.
type apiCall struct {
	method, path string
	auth         bool
	status       int
	body         string
}

// validateCalls makes each call and validates it and its answer against
// the OpenAPI description.
func validateCalls(t *testing.T, router routers.Router, base, token string, calls []apiCall) {
	t.Helper()
	for _, call := range calls {
		newReq := func() *http.Request {
			req, _ := http.NewRequest(call.method, base+call.path, strings.NewReader(call.body))
			if call.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if call.auth {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return req
		}
		req := newReq()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != call.status {
			t.Errorf("%s %s = %d, want %d: %s", call.method, call.path, resp.StatusCode, call.status, body)
			continue
		}
		req = newReq() // a fresh body for validation
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s is not described: %v", call.method, call.path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if call.status < 400 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s %s: request does not match: %v", call.method, call.path, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s: answer does not match: %v\n%s", call.method, call.path, err, bytes.TrimSpace(body)[:min(300, len(body))])
		}
	}
}
