package api

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
)

// AllSubjects is the ?subject_id= value of GET /v1/phone that lists the
// numbers of every subject of the mode.
const AllSubjects = "all"

// phoneListSubject reads GET …/phone?subject_id=: all (every subject of the
// mode), a subject id (the same as /v1/subjects/{id}/phone) or absent (the
// route's subject). Like a /v1/subjects/{sid} path, it takes precedence
// over a Naive-Subject header. It answers whether every subject is asked
// for, else the subject to list.
func phoneListSubject(r *http.Request) (all bool, sid string, err error) {
	v := r.URL.Query().Get("subject_id")
	if v == "" {
		return false, subjectID(r), nil
	}
	if r.PathValue("sid") != "" {
		return false, "", naive.InvalidParam("subject_id", "subject_id is not accepted under /v1/subjects/{sid}: the path names the subject.").
			WithHint("Use GET /v1/phone?subject_id=%s instead.", v)
	}
	if v == AllSubjects {
		return true, "", nil
	}
	if _, perr := uuid.Parse(v); perr != nil {
		return false, "", naive.InvalidParam("subject_id", "subject_id must be \"all\" or a subject id (UUID); got %q.", v).
			WithHint("List subjects with GET /v1/subjects.")
	}
	return false, v, nil
}
