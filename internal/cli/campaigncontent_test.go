package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// contentService answers the campaign content calls and records the patch.
type contentService struct {
	naive.Service
	subject string
	patch   naive.CampaignContentPatch
}

func (s *contentService) content() *naive.CampaignContent {
	return &naive.CampaignContent{SubjectID: "sub-1", Description: "Acme sends notifications.", MessageSamples: []string{"Acme: hi. Reply STOP to opt out.", "Acme: bye."},
		ConsentFlow: "Opt in at https://acme.example.", UseCases: []string{"customer_care"}, Volume: "low", Customized: []string{"volume"}, Editable: true}
}

func (s *contentService) GetCampaignContent(_ context.Context, id string) (*naive.CampaignContent, error) {
	s.subject = id
	return s.content(), nil
}

func (s *contentService) UpdateCampaignContent(_ context.Context, id string, p naive.CampaignContentPatch) (*naive.CampaignContent, error) {
	s.subject, s.patch = id, p
	return s.content(), nil
}

// TestCampaignContentSet: the flags given, and only those, make the
// patch; --reset empties a field; no field at all is a usage error.
func TestCampaignContentSet(t *testing.T) {
	t.Parallel()
	svc := &contentService{}
	f, out, _ := testFactory(t, svc, true)
	cmd := NewCmdSubjectsCampaignContentSet(f, nil)
	cmd.SetArgs([]string{"sub-1", "--message-sample", "Acme: one. Reply STOP to opt out.", "--message-sample", "Acme: two.", "--volume", "high",
		"--use-case", "marketing", "--reset", "description"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	high, empty := "high", ""
	want := naive.CampaignContentPatch{MessageSamples: []string{"Acme: one. Reply STOP to opt out.", "Acme: two."}, Volume: &high,
		UseCases: []string{"marketing"}, Description: &empty}
	if svc.subject != "sub-1" || !reflect.DeepEqual(svc.patch, want) {
		t.Fatalf("patch %+v for %q", svc.patch, svc.subject)
	}
	if s := out.String(); !strings.Contains(s, "Volume:") || !strings.Contains(s, "Description (default):") || !strings.Contains(s, "naive phone preflight") {
		t.Fatalf("output:\n%s", s)
	}
	cmd = NewCmdSubjectsCampaignContentSet(f, nil)
	cmd.SetArgs([]string{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("no field: %v", err)
	}
	cmd = NewCmdSubjectsCampaignContentSet(f, nil)
	cmd.SetArgs([]string{"--reset", "colour"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("unknown reset: %v", err)
	}
}
