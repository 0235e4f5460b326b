package mcp

import (
	"context"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// PhoneSearchInput is the input of naive_phone_search: the query of
// GET /v1/phone/available plus the subject to act for.
type PhoneSearchInput struct {
	Type      string `json:"type,omitempty" jsonschema:"local (default) or toll_free"`
	AreaCode  string `json:"area_code,omitempty" jsonschema:"3-digit US area code (e.g. 415); for toll_free one of 800 833 844 855 866 877 888; omit for any"`
	Limit     int    `json:"limit,omitempty" jsonschema:"how many numbers to list, 1 to 50 (default 20)"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) to act for; omit for the default subject"`
}

// AvailableNumber is a number for sale.
type AvailableNumber struct {
	E164     string `json:"e164" jsonschema:"the number in E.164 (+14155551234): pass it as e164 to naive_phone_provision to buy exactly it"`
	Type     string `json:"type" jsonschema:"local or toll_free"`
	AreaCode string `json:"area_code" jsonschema:"its area code"`
	Country  string `json:"country" jsonschema:"its country (US)"`
	Locality string `json:"locality,omitempty" jsonschema:"its city, when the carrier says"`
	Region   string `json:"region,omitempty" jsonschema:"its state, when the carrier says"`
}

// PhoneSearchOutput is the numbers for sale.
type PhoneSearchOutput struct {
	Numbers  []AvailableNumber `json:"numbers" jsonschema:"numbers the carrier offers now; empty when the area code has none"`
	NextStep string            `json:"next_step" jsonschema:"what to do next"`
}

func newPhoneSearchTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_search",
		Title: "Search numbers for sale",
		Description: "List US phone numbers the carrier offers for sale right now, of a type and area code, to pick one " +
			"before buying: naive_phone_provision with its e164 buys exactly that number. Nothing is bought, reserved or " +
			"charged: a number listed may be taken before it is bought (provision then fails with no_matching_numbers; " +
			"search again). Works once the company's first number has registered its carrier brand; before that, " +
			"provision the first number with an area_code instead.",
		Annotations: &sdk.ToolAnnotations{Title: "Search numbers for sale", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(true)},
	}, func(s *jsonschema.Schema) {
		s.Properties["type"].Enum = []any{naive.PhoneLocal, naive.PhoneTollFree}
		s.Properties["limit"].Minimum = ptr(1.0)
		s.Properties["limit"].Maximum = ptr(float64(naive.MaxNumberSearch))
	}, func(ctx context.Context, svc naive.Service, in PhoneSearchInput) (*PhoneSearchOutput, error) {
		res, err := svc.SearchNumbers(ctx, in.SubjectID, naive.NumberSearch{Type: in.Type, AreaCode: in.AreaCode, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		out := &PhoneSearchOutput{Numbers: make([]AvailableNumber, 0, len(res.Data))}
		for _, n := range res.Data {
			out.Numbers = append(out.Numbers, AvailableNumber{E164: n.E164, Type: n.Type, AreaCode: n.AreaCode, Country: n.Country,
				Locality: n.Locality, Region: n.Region})
		}
		if len(out.Numbers) == 0 {
			out.NextStep = "No numbers are for sale there: try a nearby area code, or omit area_code."
		} else {
			out.NextStep = fmt.Sprintf("Buy one with naive_phone_provision and its e164 (e.g. %q).", out.Numbers[0].E164)
		}
		return out, nil
	})
}
