package e2e_test

import (
	"slices"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// TestEventTypesAgree holds the contract's list of subscribable event
// types, which the OpenAPI document shows, to the one the
// service accepts.
func TestEventTypesAgree(t *testing.T) {
	if !slices.Equal(naive.EventTypes, service.EventTypes) {
		t.Fatalf("naive.EventTypes %v, service.EventTypes %v: make them the same list", naive.EventTypes, service.EventTypes)
	}
}
