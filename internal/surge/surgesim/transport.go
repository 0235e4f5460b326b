package surgesim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// ErrDroppedResponse is what an in-process caller sees when the simulator drops its answer
// (LoseResponseRate); over a socket the same fault shows as a closed connection.
var ErrDroppedResponse = errors.New("surgesim: connection dropped before the response")

// Transport returns a RoundTripper that serves requests by calling the handler in-process,
// so the real client can be mounted without a socket. It honours request cancellation and
// turns a handler panic, such as an unmodelled route, into an error.
func (s *Server) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Server }

type result struct {
	resp *http.Response
	err  error
}

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("surgesim: read request body: %w", err)
		}
		body = b
	}
	ctx := req.Context()
	in := req.Clone(ctx)
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "in-process"
	if in.Host == "" {
		in.Host = req.URL.Host
	}

	done := make(chan result, 1)
	go func() {
		rec := &recorder{header: http.Header{}}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					done <- result{err: ErrDroppedResponse}
					return
				}
				done <- result{err: fmt.Errorf("surgesim: handler panic: %v", p)}
			}
		}()
		t.s.ServeHTTP(rec, in)
		done <- result{resp: rec.response(req)}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// recorder is a minimal ResponseWriter; the handler owns it until it returns.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) response(req *http.Request) *http.Response {
	r.WriteHeader(http.StatusOK)
	b := r.body.Bytes()
	r.header.Set("Content-Length", strconv.Itoa(len(b)))
	return &http.Response{
		Status:        strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		StatusCode:    r.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header,
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       req,
	}
}
