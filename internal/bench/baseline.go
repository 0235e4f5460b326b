package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// runB0 serves a small JSON GET with a bare net/http server on loopback
// and drives it like the GET scenario.
func runB0(ctx context.Context, cfg *Config) (Row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Row{}, fmt.Errorf("bench: B0 listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/phone/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id"), "status": "active"})
	})
	// The server's own timeouts, as app.Start sets them.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	target := vegeta.Target{Method: http.MethodGet, URL: "http://" + ln.Addr().String() + "/v1/phone/ph_bench"}
	l := newLoader(ReadConcurrency)
	defer l.close()
	cfg.progress("%s: %d workers, %s warm-up, %s", RowB0, ReadConcurrency, cfg.Warmup, cfg.Duration)
	l.attack(ctx, cfg.Warmup, vegeta.NewStaticTargeter(target))
	s := l.attack(ctx, cfg.Duration, vegeta.NewStaticTargeter(target))
	return s.row(RowB0, ReadConcurrency), nil
}

// baselineWriter is the hook both stores have for B1 (their baseline.go).
type baselineWriter interface {
	BaselineWrite(ctx context.Context, operatorID string, mode naive.Mode, subjectID string, price int64) error
}

// b1Price is what each B1 transaction debits: the default phone price.
const b1Price = 50

// runB1 opens the store on a fresh database, seeds an operator with a
// subject and a balance no run can exhaust, and runs BaselineWrite on
// WriteConcurrency goroutines. Afterwards the balance must be what the
// committed transactions leave, or the baseline did not do its writes.
func runB1(ctx context.Context, cfg *Config, dbURL string) (Row, error) {
	st, err := app.OpenStore(ctx, dbURL)
	if err != nil {
		return Row{}, fmt.Errorf("bench: B1 open store: %w", err)
	}
	defer st.Close()
	bw, ok := st.(baselineWriter)
	if !ok {
		return Row{}, fmt.Errorf("bench: a %T store has no BaselineWrite", st)
	}
	now := time.Now().UTC()
	op := &naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "bench baseline", CreatedAt: now}
	if err := st.CreateOperator(ctx, op); err != nil {
		return Row{}, fmt.Errorf("bench: B1 seed: %w", err)
	}
	sc := naive.Scope{OperatorID: op.ID, Mode: naive.ModeTest}
	subj := &naive.Subject{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: op.ID, Mode: naive.ModeTest, IsDefault: true, CreatedAt: now, UpdatedAt: now,
		Formation: naive.Formation{Status: naive.FormationCompleted}}
	subj.LegalName = "Bench Baseline LLC"
	if err := st.CreateSubject(ctx, subj); err != nil {
		return Row{}, fmt.Errorf("bench: B1 seed: %w", err)
	}
	const seed = int64(1) << 52
	if _, err := st.AddLedgerEntry(ctx, &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), CreatedAt: now, OperatorID: op.ID, Mode: naive.ModeTest, Amount: seed,
		Reason: naive.LedgerGrant, Memo: "naive bench baseline"}, store.Progress{}); err != nil {
		return Row{}, fmt.Errorf("bench: B1 seed: %w", err)
	}
	write := func(ctx context.Context) error {
		return bw.BaselineWrite(ctx, op.ID, naive.ModeTest, subj.ID, b1Price)
	}
	cfg.progress("%s: %d workers, %s warm-up, %s", RowB1, WriteConcurrency, cfg.Warmup, cfg.Duration)
	_, warm := drive(ctx, WriteConcurrency, cfg.Warmup, write)
	s, done := drive(ctx, WriteConcurrency, cfg.Duration, write)
	if err := ctx.Err(); err != nil {
		return Row{}, err
	}
	bal, err := st.Balance(context.WithoutCancel(ctx), sc)
	if err != nil {
		return Row{}, fmt.Errorf("bench: B1 balance: %w", err)
	}
	if want := seed - b1Price*int64(warm+done); bal != want {
		return Row{}, fmt.Errorf("bench: B1 balance is %d after %d writes, want %d", bal, warm+done, want)
	}
	return s.row(RowB1, WriteConcurrency), nil
}
