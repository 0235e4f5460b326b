package api

import (
	"net/http"
	"strconv"

	"github.com/naive-oss/naive/internal/naive"
)

// searchNumbers serves GET …/phone/available?type=&area_code=&limit=.
func (s *Server) searchNumbers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := naive.NumberSearch{Type: q.Get("type"), AreaCode: q.Get("area_code")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > naive.MaxNumberSearch {
			return naive.InvalidParam("limit", "limit must be an integer between 1 and %d; got %q.", naive.MaxNumberSearch, v)
		}
		req.Limit = n
	}
	res, err := s.svc.SearchNumbers(r.Context(), subjectID(r), req)
	return ok(w, http.StatusOK, res, err)
}
