package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Forms that spend or add money (buying a number, granting credits) run
// once, whatever the browser does: each rendering of the form carries a
// fresh one-time key (FormKeyField), used as the action's Idempotency-Key
// exactly as the REST API uses one. The same form submitted twice — a
// double click without JavaScript, a browser re-posting it after a lost
// answer — gets the first submission's outcome instead of running again;
// one cut off by a crash is resumed by the next submission, from its last
// recovery point.

// FormKeyField is the hidden field holding a form's one-time key.
const FormKeyField = "form_key"

// formKeyPrefix keeps the console's keys apart from any a human sends to
// the REST API.
const formKeyPrefix = "console-form:"

// Keys is what running a form once needs of the service: the REST API's
// Idempotency-Key records. *service.Service implements it.
type Keys interface {
	LookupKey(ctx context.Context, p naive.Principal, key string) (*store.IdempotencyRecord, error)
	TakeOverKey(ctx context.Context, rec *store.IdempotencyRecord) (bool, error)
}

// onceWait bounds how long a submission waits for a duplicate still
// running elsewhere before saying so.
const onceWait = 10 * time.Second

// runOnce runs action under the form's one-time key. It returns the
// stored answer of an earlier submission of the same form instead when
// there is one (JSON, as the REST API answered it; nil when action ran
// now). A form without a key (an old page) runs as it is.
func (c *Console) runOnce(w http.ResponseWriter, r *http.Request, s *session, action func(ctx context.Context) error) (*store.IdempotencyRecord, error) {
	key := r.PostFormValue(FormKeyField)
	if key == "" || len(key) > 64 || strings.ContainsFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return nil, action(s.ctx)
	}
	k := &naive.Idempotency{Key: formKeyPrefix + key, RequestHash: formHash(r), Method: r.Method, Path: r.URL.Path,
		RequestID: w.Header().Get("Request-Id")}
	deadline := time.Now().Add(onceWait)
	for {
		rec, err := c.svc.LookupKey(s.ctx, s.p, k.Key)
		if err != nil {
			return nil, err
		}
		switch {
		case rec == nil:
			// The action records the key in its first phase.
		case rec.RequestHash != k.RequestHash:
			return nil, (&naive.Error{Code: naive.EIdempotencyKeyReused, Message: "This form was already submitted with other values; nothing was done now."}).
				WithHint("Reload the page for a fresh form, then submit it again.")
		case rec.Completed:
			return rec, nil
		case rec.LockedBy == "" || !rec.OwnerAlive:
			ok, err := c.svc.TakeOverKey(s.ctx, rec)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			k.Resume = true
		default:
			if time.Now().After(deadline) {
				return nil, (&naive.Error{Code: naive.EConflict, Message: "This form's first submission is still running; nothing was done twice."}).
					WithHint("Wait a few seconds, then reload the list to see its outcome.").With("retryable", true)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		err = action(naive.WithIdempotency(s.ctx, k))
		if errors.Is(err, naive.ErrKeyBusy) {
			continue // a concurrent submission took the key: look again
		}
		return nil, err
	}
}

// formHash identifies a submission by its path and its values (not its
// CSRF token or which button sent it).
func formHash(r *http.Request) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", r.Method, r.URL.Path)
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != CSRFField && k != FormKeyField && k != "op" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, r.PostForm[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// replayed decodes an earlier submission's stored answer into out, or
// returns its stored error.
func replayed(rec *store.IdempotencyRecord, out any) error {
	if rec.Status >= 400 {
		var env struct {
			Error naive.ErrorObject `json:"error"`
		}
		if err := json.Unmarshal(rec.Body, &env); err != nil || env.Error.Code == "" {
			return fmt.Errorf("console: stored answer %d is not an error envelope: %v", rec.Status, err)
		}
		return &naive.Error{Code: env.Error.Code, Message: env.Error.Message, Param: env.Error.Param, Hint: env.Error.Hint}
	}
	return json.Unmarshal(rec.Body, out)
}
