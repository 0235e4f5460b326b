package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
)

// The OpenAPI document is kept true by these tests: it is a valid 3.1
// document whose references resolve; every route the server registers is
// documented and every documented operation routes; and real answers
// validate against the documented schemas, statuses, headers and error
// codes.

// undocumentedPatterns are routes deliberately left out of the document.
var undocumentedPatterns = map[string]string{
	// Test mode's carrier: a simulation of Surge's own API, which naive
	// calls as a client; not part of naive's API.
	"/sandbox/surge/": "the sandbox carrier (Surge's API, simulated)",
	// The web console (internal/console): server-rendered HTML pages and
	// forms for humans, not a REST resource; / only sends browsers to it.
	"/console/": "the web console's HTML pages",
	"/{$}":      "a browser's redirect to the web console (JSON 404 otherwise)",
}

// dispatched maps a pattern suffix that one handler serves for several
// documented paths (handlers.go, phoneSub) to those paths' suffixes.
var dispatched = map[string][]string{
	"/phone/{id}/{sub}": {"/phone/{id}/campaign", "/phone/{id}/messages", "/phone/{id}/assignments", "/phone/{id}/contacts", "/phone/messages/{id}"},
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// harness is a real server on 127.0.0.1:0 with a temp SQLite database.
type harness struct {
	t       *testing.T
	url     string
	testKey string
	app     *app.App
}

const adminPassword = "correct horse battery staple"

// acmeProfile is the example subject of the API docs.
const acmeProfile = `{"legal_name": "Acme Robotics LLC", "state": "DE", "website": "https://acme.example",
 "industry": "technology", "privacy_policy_url": "https://acme.example/privacy",
 "terms_url": "https://acme.example/terms",
 "address": {"line1": "1 Main St", "city": "San Francisco", "region": "CA", "postal_code": "94105", "country": "US"},
 "contact": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "phone": "+14155550100", "title": "ceo"}}`

func start(t *testing.T) *harness {
	t.Helper()
	a, err := app.Start(context.Background(), app.Options{
		Addr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "naive.db"),
		AdminPassword: adminPassword, SandboxReviewDelay: time.Hour, FormationDelay: 10 * time.Millisecond,
		PollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	b := a.Bootstrapped()
	if b == nil || b.TestKey == "" {
		t.Fatal("no test key from the first start")
	}
	return &harness{t: t, url: a.URL(), testKey: b.TestKey, app: a}
}

type resp struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s %s: decode %s: %v", r.method, r.path, r.body, err)
	}
	return m
}

func (r resp) str(t *testing.T, keys ...string) string {
	t.Helper()
	var v any = r.json(t)
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s %s: no string at %v in %s", r.method, r.path, keys, r.body)
	}
	return s
}

// call sends a request; body is raw (string) or a value sent as JSON;
// headers are name, value pairs.
func (h *harness) call(method, path, token string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp{method: method, path: path, status: res.StatusCode, header: res.Header, body: b}
}

// doc is the decoded document.
type doc struct {
	raw      []byte
	root     map[string]any
	compiled map[string]*jsonschema.Resolved
}

func loadDoc(t *testing.T, b []byte) *doc {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return &doc{raw: b, root: root, compiled: map[string]*jsonschema.Resolved{}}
}

// pointer resolves a local reference ("#/a/b").
func (d *doc) pointer(ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var v any = d.root
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return v, true
}

// deref follows a $ref object to what it names.
func (d *doc) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		t, _ := d.pointer(ref)
		m, _ = t.(map[string]any)
	}
	return m
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func list(v any) []any { l, _ := v.([]any); return l }

// each calls f on every operation, in a stable order.
func (d *doc) each(f func(path, method string, op map[string]any)) {
	paths := obj(d.root["paths"])
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		item := obj(paths[p])
		for _, m := range methods {
			if op := obj(item[m]); op != nil {
				f(p, m, op)
			}
		}
	}
}

// schema compiles a schema of the document with the component schemas as
// its $defs, for jsonschema-go (JSON Schema 2020-12, OpenAPI 3.1's dialect).
func (d *doc) schema(t *testing.T, s any) *jsonschema.Resolved {
	t.Helper()
	key, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if rs, ok := d.compiled[string(key)]; ok {
		return rs
	}
	root := map[string]any{}
	for k, v := range obj(s) {
		root[k] = v
	}
	root["$defs"] = obj(d.root["components"])["schemas"]
	b, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(`"#/components/schemas/`), []byte(`"#/$defs/`))
	var js jsonschema.Schema
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatalf("schema %s: %v", b, err)
	}
	rs, err := js.Resolve(nil)
	if err != nil {
		t.Fatalf("schema %.300s: %v", b, err)
	}
	d.compiled[string(key)] = rs
	return rs
}

func fetchDoc(t *testing.T, h *harness) *doc {
	t.Helper()
	r := h.call("GET", "/v1/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("GET /v1/openapi.json: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if r.header.Get("Request-Id") == "" {
		t.Fatal("no Request-Id")
	}
	b, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, r.body) {
		t.Fatal("the served document differs from api.OpenAPI()")
	}
	return loadDoc(t, r.body)
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	b, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	d := loadDoc(t, b)
	if v, _ := d.root["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Fatalf("openapi %q, want 3.1.x", v)
	}
	info := obj(d.root["info"])
	if info["title"] != "naive" || info["version"] == "" || info["version"] == nil {
		t.Fatalf("info %v", info)
	}
	if len(obj(d.root["paths"])) == 0 {
		t.Fatal("no paths")
	}
	comps := obj(d.root["components"])

	// Every $ref resolves.
	var refs int
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				if _, ok := d.pointer(ref); !ok {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, c := range v {
				walk(c, at+"/"+k)
			}
		case []any:
			for i, c := range v {
				walk(c, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(d.root, "#")
	if refs == 0 {
		t.Fatal("no $ref at all")
	}

	// Every component schema compiles as JSON Schema 2020-12, its
	// references resolved.
	d.schema(t, map[string]any{})

	// The error envelope enumerates naive.Codes().
	errObj := obj(obj(obj(obj(comps["schemas"])["Error"])["properties"])["error"])
	var enum []string
	for _, c := range obj(obj(errObj["properties"])["code"])["enum"].([]any) {
		enum = append(enum, c.(string))
	}
	if !slices.Equal(enum, naive.Codes()) {
		t.Errorf("Error code enum %v, want naive.Codes() %v", enum, naive.Codes())
	}

	tags := map[string]bool{}
	for _, tg := range list(d.root["tags"]) {
		tags[obj(tg)["name"].(string)] = true
	}
	schemes := obj(comps["securitySchemes"])
	ids := map[string]string{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	d.each(func(path, method string, op map[string]any) {
		at := strings.ToUpper(method) + " " + path
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", at)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %s used by %s and %s", id, prev, at)
		}
		ids[id] = at
		if op["summary"] == "" {
			t.Errorf("%s: no summary", at)
		}
		for _, tg := range list(op["tags"]) {
			if !tags[tg.(string)] {
				t.Errorf("%s: tag %v not declared", at, tg)
			}
		}
		for _, req := range list(op["security"]) {
			for name := range obj(req) {
				if schemes[name] == nil {
					t.Errorf("%s: security scheme %s not declared", at, name)
				}
			}
		}
		// Path parameters match the template, both ways.
		declared := map[string]bool{}
		for _, p := range list(op["parameters"]) {
			p := d.deref(p)
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v not required", at, p["name"])
				}
			}
		}
		for _, m := range param.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %s not declared", at, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: parameter %s is not in the path", at, name)
		}
		responses := obj(op["responses"])
		if len(responses) == 0 {
			t.Errorf("%s: no responses", at)
		}
		for status, r := range responses {
			r := d.deref(r)
			if obj(obj(r["headers"])["Request-Id"]) == nil {
				t.Errorf("%s %s: no Request-Id header", at, status)
			}
			codes, _ := r["x-error-codes"].([]any)
			for _, c := range codes {
				if want := strconv.Itoa(naive.HTTPStatus(c.(string))); want != status || !slices.Contains(naive.Codes(), c.(string)) {
					t.Errorf("%s: code %v under status %s", at, c, status)
				}
			}
			if status == "429" && obj(obj(r["headers"])["Retry-After"]) == nil {
				t.Errorf("%s: 429 without Retry-After", at)
			}
		}
		if (method == "post" || method == "delete") && path != "/v1/auth/login" && path != "/v1/auth/accept-invite" && !strings.HasPrefix(path, "/webhooks/") && path != "/mcp" {
			if !slices.ContainsFunc(list(op["parameters"]), func(p any) bool { return d.deref(p)["name"] == "Idempotency-Key" }) {
				t.Errorf("%s: no Idempotency-Key parameter", at)
			}
		}
	})
}

// routes lists the documented (method, path) pairs of the server's
// registered patterns, and reports patterns it cannot find documented.
func routes(patterns []string, d *doc) (documented map[string]bool, problems []string) {
	documented = map[string]bool{}
	paths := obj(d.root["paths"])
	for _, pat := range patterns {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			method, path = "", pat
		}
		if _, skip := undocumentedPatterns[path]; skip {
			continue
		}
		expanded := []string{path}
		for suffix, to := range dispatched {
			if prefix, ok := strings.CutSuffix(path, suffix); ok {
				expanded = nil
				for _, s := range to {
					expanded = append(expanded, prefix+s)
				}
			}
		}
		for _, p := range expanded {
			item := obj(paths[p])
			if method == "" {
				// A pattern for every method: at least one is documented.
				found := false
				for _, m := range methods {
					if item[m] != nil {
						documented[strings.ToUpper(m)+" "+p] = true
						found = true
					}
				}
				if !found {
					problems = append(problems, pat+": "+p+" is not documented")
				}
				continue
			}
			if item[strings.ToLower(method)] == nil {
				problems = append(problems, pat+": "+method+" "+p+" is not documented")
			}
			documented[method+" "+p] = true
		}
	}
	return documented, problems
}

// TestOpenAPIDocumentsEveryRoute fails when a route is registered without
// a documented operation, or an operation is documented without a route.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	b, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	d := loadDoc(t, b)
	// Every optional mount on, so every route is registered.
	srv := api.NewServer(api.Config{MCP: http.NotFoundHandler(), Sandbox: http.NotFoundHandler(), Console: http.NotFoundHandler()}, api.Deps{}, slog.New(slog.DiscardHandler))
	patterns := srv.Patterns()
	if len(patterns) < 50 || !slices.Contains(patterns, "GET /v1/openapi.json") {
		t.Fatalf("patterns not recorded: %v", patterns)
	}
	documented, problems := routes(patterns, d)
	for _, p := range problems {
		t.Errorf("undocumented route: %s", p)
	}
	d.each(func(path, method string, op map[string]any) {
		if !documented[strings.ToUpper(method)+" "+path] {
			t.Errorf("%s %s is documented but no route serves it", strings.ToUpper(method), path)
		}
	})
	// The check bites: a new route without a document entry is reported.
	if _, p := routes(append(slices.Clone(patterns), "GET /v1/brand-new"), d); len(p) != len(problems)+1 {
		t.Fatalf("an undocumented route went unnoticed: %v", p)
	}
	if _, p := routes(append(slices.Clone(patterns), "POST /v1/subjects/{sid}/phone/{id}/{sub}"), d); len(p) != len(problems)+len(dispatched["/phone/{id}/{sub}"]) {
		t.Fatalf("an undocumented method on the dispatcher went unnoticed: %v", p)
	}
}

// isRouteMissing reports an answer of the router rather than of a handler.
func isRouteMissing(t *testing.T, r resp) bool {
	if r.status == http.StatusMethodNotAllowed {
		return true
	}
	if r.status != http.StatusNotFound {
		return false
	}
	var m struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &m)
	return strings.HasPrefix(m.Error.Message, "No route ")
}

// TestOpenAPIOperationsRoute calls every documented operation on a real
// server: none may meet the router's 404 or 405, and each answer's status
// must be one the operation documents. Bodies carry an unknown field and
// ids are fresh, so no call changes anything.
func TestOpenAPIOperationsRoute(t *testing.T) {
	t.Parallel()
	h := start(t)
	d := fetchDoc(t, h)
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	d.each(func(path, method string, op map[string]any) {
		n++
		concrete := param.ReplaceAllStringFunc(path, func(string) string { return uuid.NewString() })
		var body any
		if op["requestBody"] != nil {
			body = `{"openapi_probe": true}`
		}
		r := h.call(strings.ToUpper(method), concrete, h.testKey, body)
		at := strings.ToUpper(method) + " " + path
		if isRouteMissing(t, r) {
			t.Errorf("%s (%s): the router answered %d %s", at, concrete, r.status, r.body)
			return
		}
		if path == "/mcp" {
			return // the MCP transport's own refusals are not enumerated
		}
		if obj(op["responses"])[strconv.Itoa(r.status)] == nil {
			t.Errorf("%s: status %d not documented: %s", at, r.status, r.body)
		}
	})
	if n < 60 {
		t.Fatalf("only %d operations", n)
	}
}

// check validates a live answer against the documented operation: its
// status is documented, its documented required headers are present, its
// body validates against the documented schema and an error's code is one
// the response lists.
func (d *doc) check(t *testing.T, template string, r resp) {
	t.Helper()
	at := r.method + " " + r.path
	op := obj(obj(obj(d.root["paths"])[template])[strings.ToLower(r.method)])
	if op == nil {
		t.Fatalf("%s: %s %s not documented", at, r.method, template)
	}
	res := d.deref(obj(op["responses"])[strconv.Itoa(r.status)])
	if res == nil {
		t.Fatalf("%s: status %d not documented for %s %s: %s", at, r.status, r.method, template, r.body)
	}
	for name, hv := range obj(res["headers"]) {
		if d.deref(hv)["required"] == true && r.header.Get(name) == "" {
			t.Errorf("%s: no %s header", at, name)
		}
	}
	media := obj(obj(res["content"])["application/json"])
	if media == nil {
		if len(r.body) != 0 {
			t.Errorf("%s: body %s where none is documented", at, r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", at, ct)
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%s: body not JSON: %v: %s", at, err, r.body)
	}
	if err := d.schema(t, media["schema"]).Validate(v); err != nil {
		t.Errorf("%s %d: the answer does not match the documented schema: %v\n%s", at, r.status, err, r.body)
	}
	if codes, ok := res["x-error-codes"].([]any); ok {
		code, _ := obj(obj(v)["error"])["code"].(string)
		if !slices.Contains(codes, any(code)) {
			t.Errorf("%s: error code %q not among the documented %v", at, code, codes)
		}
	}
}

// TestOpenAPIAnswersMatch validates real answers, successes and errors,
// against the documented schemas.
func TestOpenAPIAnswersMatch(t *testing.T) {
	t.Parallel()
	h := start(t)
	d := fetchDoc(t, h)
	key := h.testKey
	check := func(template string, want int, r resp) resp {
		t.Helper()
		if r.status != want {
			t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, r.status, want, r.body)
		}
		d.check(t, template, r)
		return r
	}

	check("/healthz", 200, h.call("GET", "/healthz", "", nil))
	check("/readyz", 200, h.call("GET", "/readyz", "", nil))
	check("/v1/openapi.json", 200, h.call("GET", "/v1/openapi.json", "", nil))

	// The seed request, then reads of what it made.
	check("/v1/phone/preflight", 200, h.call("GET", "/v1/phone/preflight?ein=12-3456789", key, nil))
	check("/v1/campaign-content", 200, h.call("GET", "/v1/campaign-content", key, nil))
	check("/v1/campaign-content", 200, h.call("PATCH", "/v1/campaign-content", key, `{"volume":"low","use_cases":["customer_care"]}`))
	check("/v1/campaign-content", 400, h.call("PATCH", "/v1/campaign-content", key, `{"volume":"huge"}`))
	prov := check("/v1/phone/provision", 202, h.call("POST", "/v1/phone/provision", key, `{"ein":"12-3456789","area_code":"415","label":"Support"}`))
	phone := prov.str(t, "phone", "id")
	e164 := prov.str(t, "phone", "e164")
	check("/v1/phone", 200, h.call("GET", "/v1/phone", key, nil))
	check("/v1/phone", 200, h.call("GET", "/v1/phone?limit=1", key, nil))
	check("/v1/phone/{id}", 200, h.call("GET", "/v1/phone/"+phone, key, nil))
	check("/v1/phone/{id}/campaign", 200, h.call("GET", "/v1/phone/"+phone+"/campaign", key, nil))
	check("/v1/campaign-content", 409, h.call("PATCH", "/v1/campaign-content", key, `{"volume":"high"}`))
	check("/v1/phone/{id}/messages", 200, h.call("GET", "/v1/phone/"+phone+"/messages", key, nil))
	check("/v1/phone/{id}/assignments", 200, h.call("GET", "/v1/phone/"+phone+"/assignments", key, nil))
	check("/v1/phone/status", 200, h.call("GET", "/v1/phone/status", key, nil))
	check("/v1/phone/preflight", 200, h.call("GET", "/v1/phone/preflight?area_code=415", key, nil))

	// Errors.
	bad := check("/v1/phone/provision", 400, h.call("POST", "/v1/phone/provision", key, `{"bogus":1}`))
	if bad.str(t, "error", "code") != naive.EInvalidInput || bad.str(t, "error", "param") != "bogus" {
		t.Fatalf("unknown field: %s", bad.body)
	}
	check("/v1/phone/provision", 415, h.call("POST", "/v1/phone/provision", key, "{}", "Content-Type", "text/plain"))
	check("/v1/phone", 400, h.call("GET", "/v1/phone?limit=0", key, nil))
	check("/v1/phone", 401, h.call("GET", "/v1/phone", "", nil))
	check("/v1/phone", 400, h.call("GET", "/v1/phone", key, nil, "Naive-Mode", "live"))
	check("/v1/phone/{id}", 404, h.call("GET", "/v1/phone/"+uuid.NewString(), key, nil))
	check("/v1/keys", 403, h.call("GET", "/v1/keys", key, nil))
	check("/v1/phone/{id}/sms", 409, h.call("POST", "/v1/phone/"+phone+"/sms", key, `{"to":"+14155550100","body":"hi"}`))
	check("/webhooks/surge", 401, h.call("POST", "/webhooks/surge", "", `{"id":"evt_1","type":"message.received","data":{}}`))

	// The caller, the default subject, its scoped routes.
	who := check("/v1/auth/whoami", 200, h.call("GET", "/v1/auth/whoami", key, nil))
	sid := who.str(t, "default_subject_id")
	check("/v1/subjects/{sid}", 200, h.call("GET", "/v1/subjects/"+sid, key, nil))
	check("/v1/subjects/{sid}/phone", 200, h.call("GET", "/v1/subjects/"+sid+"/phone", key, nil))
	check("/v1/subjects/{sid}/phone/{id}", 200, h.call("GET", "/v1/subjects/"+sid+"/phone/"+phone, key, nil))
	check("/v1/formation", 200, h.call("GET", "/v1/formation", key, nil))
	check("/v1/phone", 200, h.call("GET", "/v1/phone", key, nil, "Naive-Subject", sid))
	for _, p := range []string{"/v1/subjects", "/v1/credits", "/v1/credits/ledger", "/v1/agents", "/v1/events", "/v1/approvals", "/v1/account-kits", "/v1/webhooks"} {
		check(p, 200, h.call("GET", p, key, nil))
	}

	// Agents and assignments; an idempotent replay.
	agent := check("/v1/agents", 201, h.call("POST", "/v1/agents", key, `{"name":"bot"}`, "Idempotency-Key", "k1"))
	replay := check("/v1/agents", 201, h.call("POST", "/v1/agents", key, `{"name":"bot"}`, "Idempotency-Key", "k1"))
	if replay.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.body, agent.body) {
		t.Fatalf("no replay: %v %s", replay.header, replay.body)
	}
	check("/v1/agents", 409, h.call("POST", "/v1/agents", key, `{"name":"other"}`, "Idempotency-Key", "k1"))
	agentID := agent.str(t, "id")
	check("/v1/agents/{id}", 200, h.call("GET", "/v1/agents/"+agentID, key, nil))
	check("/v1/phone/{id}/assign", 201, h.call("POST", "/v1/phone/"+phone+"/assign", key, map[string]any{"agent_id": agentID}))
	check("/v1/phone/{id}/assignments", 200, h.call("GET", "/v1/phone/"+phone+"/assignments", key, nil))
	check("/v1/phone/{id}/assign/{agent}", 200, h.call("DELETE", "/v1/phone/"+phone+"/assign/"+agentID, key, nil))

	// MCP: one JSON-RPC exchange.
	check("/mcp", 200, h.call("POST", "/mcp", key,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"openapi-test","version":"0"}}}`,
		"Accept", "application/json, text/event-stream"))
	check("/mcp", 401, h.call("POST", "/mcp", "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "Accept", "application/json, text/event-stream"))

	// Test mode's inbound text.
	check("/v1/sandbox/sms", 202, h.call("POST", "/v1/sandbox/sms", key, map[string]any{"to": e164, "body": "hello"}))
	// Waiting for it: the text (however soon it lands), then nothing more.
	nextText := check("/v1/phone/{id}/messages/next", 200, h.call("GET", "/v1/phone/"+phone+"/messages/next?after=00000000-0000-0000-0000-000000000000&timeout=10s", key, nil))
	check("/v1/phone/{id}/messages/next", 204, h.call("GET", "/v1/phone/"+phone+"/messages/next?timeout=1s&after="+nextText.str(t, "id"), key, nil))
	check("/v1/phone/{id}/messages/next", 400, h.call("GET", "/v1/phone/"+phone+"/messages/next?timeout=forever", key, nil))

	// Webhook endpoints, on this server: no delivery leaves the test.
	hook := check("/v1/webhooks", 201, h.call("POST", "/v1/webhooks", key,
		map[string]any{"url": h.url + "/openapi-test-hook", "event_types": []string{"sms.received"}}))
	check("/v1/webhooks/{id}/deliveries", 200, h.call("GET", "/v1/webhooks/"+hook.str(t, "id")+"/deliveries", key, nil))
	check("/v1/webhooks/{id}", 200, h.call("DELETE", "/v1/webhooks/"+hook.str(t, "id"), key, nil))

	// A human: keys, kits, credits.
	login := check("/v1/auth/login", 200, h.call("POST", "/v1/auth/login", "", map[string]string{"email": "admin@localhost", "password": adminPassword}))
	sess := login.str(t, "token")
	check("/v1/auth/login", 401, h.call("POST", "/v1/auth/login", "", map[string]string{"email": "admin@localhost", "password": "wrong"}))
	check("/v1/keys", 200, h.call("GET", "/v1/keys", sess, nil, "Naive-Mode", "test"))
	newKey := check("/v1/keys", 201, h.call("POST", "/v1/keys", sess, `{"name":"ci","mode":"test"}`))
	check("/v1/keys/{id}", 200, h.call("DELETE", "/v1/keys/"+newKey.str(t, "id"), sess, nil))
	check("/v1/credits/grant", 201, h.call("POST", "/v1/credits/grant", sess, `{"amount":5,"memo":"openapi test"}`, "Naive-Mode", "test"))
	kit := check("/v1/account-kits", 201, h.call("POST", "/v1/account-kits", sess,
		`{"name":"strict","primitives_config":{"phone":{"requiresApproval":true,"defaults":{"area_code":"415"}}}}`, "Naive-Mode", "test"))
	kitID := kit.str(t, "id")
	check("/v1/account-kits/{id}", 200, h.call("PATCH", "/v1/account-kits/"+kitID, sess, `{"name":"stricter"}`, "Naive-Mode", "test"))
	check("/v1/account-kits/{id}", 200, h.call("GET", "/v1/account-kits/"+kitID, key, nil))

	// A second subject, formed, its kit gating provision: a pending
	// approval, then a human's decision.
	subj := check("/v1/subjects", 201, h.call("POST", "/v1/subjects", key, acmeProfile))
	sid2 := subj.str(t, "id")
	check("/v1/subjects/{sid}", 200, h.call("PATCH", "/v1/subjects/"+sid2, key, `{"website":"https://acme.example"}`))
	check("/v1/account-kits/{id}/subjects/{sid}/assign", 200, h.call("POST", "/v1/account-kits/"+kitID+"/subjects/"+sid2+"/assign", sess, nil, "Naive-Mode", "test"))
	check("/v1/subjects/{sid}/formation", 202, h.call("POST", "/v1/subjects/"+sid2+"/formation", key, `{"entity_type":"LLC","state":"DE"}`))
	time.Sleep(50 * time.Millisecond)
	check("/v1/subjects/{sid}/formation", 200, h.call("GET", "/v1/subjects/"+sid2+"/formation", key, nil))
	pending := check("/v1/subjects/{sid}/phone/provision", 202, h.call("POST", "/v1/subjects/"+sid2+"/phone/provision", key, `{"ein":"98-7654321"}`))
	if pending.str(t, "status") != "pending_approval" {
		t.Fatalf("no pending approval: %s", pending.body)
	}
	approval := pending.str(t, "approval_id")
	check("/v1/approvals/{id}", 200, h.call("GET", "/v1/approvals/"+approval, key, nil))
	check("/v1/approvals/{id}/approve", 403, h.call("POST", "/v1/approvals/"+approval+"/approve", key, nil))
	check("/v1/approvals/{id}/deny", 200, h.call("POST", "/v1/approvals/"+approval+"/deny", sess, `{"reason":"not now"}`, "Naive-Mode", "test"))
	check("/v1/approvals/{id}/approve", 409, h.call("POST", "/v1/approvals/"+approval+"/approve", sess, nil, "Naive-Mode", "test"))
	check("/v1/approvals", 200, h.call("GET", "/v1/approvals?status=denied", key, nil))

	check("/v1/account-kits/{id}", 200, h.call("DELETE", "/v1/account-kits/"+kitID, sess, nil, "Naive-Mode", "test"))
	check("/v1/phone/{id}", 200, h.call("DELETE", "/v1/phone/"+phone, key, nil))
	check("/v1/auth/logout", 204, h.call("POST", "/v1/auth/logout", sess, nil))
}
