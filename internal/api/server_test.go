package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/naive-oss/naive/internal/api"
)

// TestDispatchRewordsTheMux checks the answers the mux itself makes when
// no route matches: a 405 in the error envelope with Allow, a path-cleaning
// redirect passed on, and a 404 in the envelope.
func TestDispatchRewordsTheMux(t *testing.T) {
	t.Parallel()
	srv := api.NewServer(api.Config{}, api.Deps{}, slog.New(slog.DiscardHandler))
	serve := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec
	}
	code := func(t *testing.T, rec *httptest.ResponseRecorder) string {
		t.Helper()
		var body struct {
			Error struct {
				Code, Hint string
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("not the error envelope: %d %q", rec.Code, rec.Body)
		}
		if body.Error.Hint == "" {
			t.Errorf("no hint: %s", rec.Body)
		}
		return body.Error.Code
	}

	rec := serve("PUT", "/v1/phone/provision")
	if rec.Code != http.StatusMethodNotAllowed || code(t, rec) != "method_not_allowed" || rec.Header().Get("Allow") == "" {
		t.Errorf("wrong method: %d Allow=%q %s", rec.Code, rec.Header().Get("Allow"), rec.Body)
	}
	rec = serve("GET", "/v1//subjects")
	if rec.Code/100 != 3 || rec.Header().Get("Location") != "/v1/subjects" {
		t.Errorf("unclean path: %d Location=%q %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	rec = serve("GET", "/v1/nothing")
	if rec.Code != http.StatusNotFound || code(t, rec) != "not_found" {
		t.Errorf("unknown route: %d %s", rec.Code, rec.Body)
	}
}
