package mcp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// TestBadTextIsToolError checks a NUL in a tool's input is an isError
// result naming the field, and the tool does not run.
func TestBadTextIsToolError(t *testing.T) {
	t.Parallel()
	svc := &fakeService{provision: func(string, naive.ProvisionRequest) (*naive.ProvisionResult, error) {
		t.Error("the tool ran")
		return nil, naive.Errorf(naive.EInternal, "unreachable")
	}}
	res := call(t, connect(t, svc), "naive_phone_provision", map[string]any{"ein": "12-3456789", "label": "Sup\x00port"})
	e, _ := structured(t, res)["error"].(map[string]any)
	if !res.IsError || e["code"] != naive.EInvalidInput || e["param"] != "label" || e["hint"] == "" {
		t.Fatalf("NUL in label: isError %v, %s", res.IsError, text(res))
	}
}

// TestBadTextOverHTTP posts raw tool calls to /mcp, as a client that
// does not re-encode its JSON would: invalid UTF-8 or a NUL in an argument
// is an isError result naming it, not a protocol or server error.
func TestBadTextOverHTTP(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	for _, c := range []struct{ name, args, param string }{
		{"naive_phone_provision", "{\"ein\":\"12-3456789\",\"label\":\"Sup\xffport\"}", "label"},
		{"naive_phone_send", `{"phone_id":"01a2239c-0000-7000-8000-000000000000","to":"+14155550123","body":"hi\u0000"}`, "body"},
		{"naive_phone_list", "{\"agent_id\":\"\xc3\x28\"}", "agent_id"},
	} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + c.name + `","arguments":` + c.args + `}}`
		req, _ := http.NewRequest("POST", a.URL()+"/mcp", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+a.Bootstrapped().TestKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var m struct {
			Result struct {
				IsError           bool `json:"isError"`
				StructuredContent struct {
					Error struct{ Code, Param, Hint string } `json:"error"`
				} `json:"structuredContent"`
			} `json:"result"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %d %s: %v", c.name, res.StatusCode, raw, err)
		}
		e := m.Result.StructuredContent.Error
		if res.StatusCode != 200 || !m.Result.IsError || e.Code != naive.EInvalidInput || e.Param != c.param || e.Hint == "" {
			t.Fatalf("%s: %d %s, want an isError result naming %s", c.name, res.StatusCode, raw, c.param)
		}
	}

	// The headers the endpoint reads as text are refused like the API's.
	req, _ := http.NewRequest("POST", a.URL()+"/mcp", bytes.NewReader([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)))
	req.Header.Set("Authorization", "Bearer "+a.Bootstrapped().TestKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Naive-Subject", "\xff")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var env struct {
		Error struct{ Code, Param, Hint string } `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || res.StatusCode != 400 || env.Error.Param != "Naive-Subject" || env.Error.Hint == "" {
		t.Fatalf("invalid Naive-Subject: %d %s", res.StatusCode, raw)
	}
}
