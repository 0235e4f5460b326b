// Package mcp is naive's MCP server, built on the official Go SDK. Its tools
// are written once over naive.Service: `naive mcp` serves them over stdio
// through the Go client of a remote server, and `naive serve` mounts them at
// /mcp over streamable HTTP on the in-process service, authenticating the
// bearer key on every request.
//
// Each tool has a description that says when to use it, deliberate
// annotations, typed input and output with JSON schemas (kept as golden files
// in testdata/), and structured output. A failure the caller can fix (any
// *naive.Error but internal_error) is an isError result that carries the
// error code and hint both in text and in structured content; anything else
// is a Go error. An input string with a NUL or invalid UTF-8 is such a
// failure, found before the tool runs, as the REST API refuses it.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// Version is reported to clients as the server's version.
var Version = "dev"

// instructions tell a model how the tools fit together.
const instructions = `naive gives this agent real US phone numbers for the company it works for.
Start with naive_status to see the operator, the subject (the company), its LLC formation and the
credit balance; naive_phone_preflight lists what a purchase still needs. naive_phone_provision buys a
number (the subject's first number needs its EIN); the number receives SMS at once
(naive_phone_messages, naive_phone_read), and naive_phone_send works once the carrier campaign is
active (naive_phone_status shows the pipeline; before that sending answers compliance_pending).
Some subjects need a human to approve a purchase first: the answer is then status
"pending_approval" with an approval id, and nothing was bought or charged; follow it with
naive_approvals_get (agents cannot approve). naive_phone_assign connects other agents to a number.
To onboard another company: naive_subjects_create, then fill what naive_phone_preflight's fields_needed
lists with naive_subjects_update, naive_formation_start (and naive_formation_get until it is
formation_completed), then naive_phone_provision with its subject_id. naive_credits_get,
naive_credits_ledger and naive_events_list show the money and what happened.
Errors carry a code and a hint that says what to do next.`

// NewServer returns an MCP server whose tools act through svc. For the
// in-process service, svc must carry the caller's principal (see
// NewHTTPHandler); the Go client carries its credentials itself.
func NewServer(svc naive.Service) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "naive", Title: "naive", Version: Version},
		&sdk.ServerOptions{Instructions: instructions, SchemaCache: schemaCache, Capabilities: &sdk.ServerCapabilities{}})
	for _, t := range tools {
		t.add(s, svc)
	}
	return s
}

// schemaCache spares each per-request HTTP server the schema resolution.
var schemaCache = sdk.NewSchemaCache()

// tool is one tool's metadata and how to register it over a service.
type tool struct {
	meta *sdk.Tool
	add  func(s *sdk.Server, svc naive.Service)
}

// Tools returns the metadata of every tool, in registration order, for
// documentation and the golden-file test.
func Tools() []*sdk.Tool {
	out := make([]*sdk.Tool, len(tools))
	for i, t := range tools {
		out[i] = t.meta
	}
	return out
}

// newTool builds a tool whose handler maps its input to an output through
// the service. Schemas are inferred once from In and Out; the output schema
// also admits the {"error": …} object of a failed call.
func newTool[In, Out any](meta sdk.Tool, tweak func(in *jsonschema.Schema), run func(ctx context.Context, svc naive.Service, in In) (*Out, error)) tool {
	in := must(jsonschema.For[In](nil))
	if tweak != nil {
		tweak(in)
	}
	meta.InputSchema = in
	meta.OutputSchema = outputSchema[Out]()
	t := tool{meta: &meta}
	t.add = func(s *sdk.Server, svc naive.Service) {
		// Out is any to the SDK so an error result keeps its own structured
		// content; the schema above still validates every success.
		sdk.AddTool(s, t.meta, func(ctx context.Context, req *sdk.CallToolRequest, input In) (*sdk.CallToolResult, any, error) {
			// input has invalid UTF-8 replaced already: the raw arguments
			// tell whether a string held it, or a NUL, which the REST API
			// refuses too.
			if req != nil && req.Params != nil {
				if err := naive.CheckJSONText(req.Params.Arguments); err != nil {
					return errorResult(err)
				}
			}
			out, err := run(ctx, svc, input)
			if err != nil {
				return errorResult(err)
			}
			return nil, out, nil
		})
	}
	return t
}

// ToolError is the structured content of a failed call.
type ToolError struct {
	Code    string `json:"code" jsonschema:"error code, e.g. insufficient_credits or formation_incomplete; one code per cause"`
	Message string `json:"message" jsonschema:"what went wrong"`
	Param   string `json:"param,omitempty" jsonschema:"the input field at fault, if any"`
	Hint    string `json:"hint,omitempty" jsonschema:"what to do next"`
	// RetryAfterSeconds is set when the call may be retried after a wait.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty" jsonschema:"wait this many seconds before retrying"`
	// Details are the error's extra members (e.g. campaign_status, retryable).
	Details map[string]any `json:"details,omitempty" jsonschema:"extra facts about the error, e.g. retryable"`
}

// errorOutput is the structured content of a failed call.
type errorOutput struct {
	Error ToolError `json:"error"`
}

// errorResult turns err into a tool result: user-fixable *naive.Errors are
// isError results with the code and hint in text and structured content;
// everything else (internal errors, bugs, an unreachable server) is a Go
// error.
func errorResult(err error) (*sdk.CallToolResult, any, error) {
	var ne *naive.Error
	if !errors.As(err, &ne) || ne.Code == naive.EInternal {
		return nil, nil, err
	}
	te := ToolError{Code: ne.Code, Message: ne.Message, Param: ne.Param, Hint: hints.For(hints.MCP, ne.Hint), Details: ne.Fields}
	if ne.RetryAfter > 0 {
		te.RetryAfterSeconds = int((ne.RetryAfter + 999_999_999) / 1_000_000_000)
	}
	var text strings.Builder
	fmt.Fprintf(&text, "%s: %s", ne.Code, ne.Message)
	if ne.Param != "" {
		fmt.Fprintf(&text, " (param %s)", ne.Param)
	}
	if te.Hint != "" {
		fmt.Fprintf(&text, "\nHint: %s", te.Hint)
	}
	if te.RetryAfterSeconds > 0 {
		fmt.Fprintf(&text, "\nRetry after %d seconds.", te.RetryAfterSeconds)
	}
	return &sdk.CallToolResult{
		IsError:           true,
		Content:           []sdk.Content{&sdk.TextContent{Text: text.String()}},
		StructuredContent: errorOutput{Error: te},
	}, nil, nil
}

// outputSchema infers Out's schema, makes its arrays non-null (tools never
// answer null lists) and lets it hold, instead, the error object of a failed
// call: {"error": {code, message, …}}.
func outputSchema[Out any]() *jsonschema.Schema {
	s := must(jsonschema.For[Out](nil))
	noNullArrays(s)
	errSchema := must(jsonschema.For[ToolError](nil))
	s.Properties["error"] = errSchema
	s.PropertyOrder = append(s.PropertyOrder, "error")
	success := s.Required
	s.Required = nil
	s.AnyOf = []*jsonschema.Schema{{Required: success}, {Required: []string{"error"}}}
	return s
}

// noNullArrays turns the inferred ["null","array"] of slices into "array".
func noNullArrays(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && s.Types[0] == "null" && s.Types[1] == "array" {
		s.Types, s.Type = nil, "array"
	}
	noNullArrays(s.Items)
	for _, p := range s.Properties {
		noNullArrays(p)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
