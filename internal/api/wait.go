package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// nextMessage serves GET /phone/{id}/messages/next: the number's first
// inbound text after ?after=, as soon as it arrives, or 204 No Content at
// ?timeout= (the server has no write timeout that could cut it short).
func (s *Server) nextMessage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := naive.NextMessageRequest{After: q.Get("after")}
	if v, given := q["timeout"]; given {
		d, err := parseWait(v[0])
		if err != nil {
			return err
		}
		req.Timeout = d
	}
	m, err := s.svc.NextMessage(r.Context(), subjectID(r), r.PathValue("id"), req)
	if err != nil && r.Context().Err() != nil {
		return nil // the client left: nobody reads an answer, nor an error to log
	}
	if err != nil {
		return err
	}
	if m == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return writeJSON(w, http.StatusOK, m)
}

// parseWait reads ?timeout=: a duration (30s, 1m) or whole seconds (30).
func parseWait(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d <= 0 {
		return 0, naive.InvalidParam("timeout", "timeout must be a duration between 1s and %ds, such as 30s or 1m; got %q.", int(naive.MaxWait.Seconds()), v).
			WithHint("Write it as 30s, 45s or 1m (a bare number counts seconds), or leave it out for %ds.", int(naive.DefaultWait.Seconds()))
	}
	return d, nil
}
