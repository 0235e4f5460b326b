package naive_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// TestFindCodes runs code extraction on verification texts as services
// send them, and on texts whose numbers are not codes.
func TestFindCodes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"google", "G-123456 is your Google verification code.", []string{"G-123456", "123456"}},
		{"google plain", "Your Google verification code is 482913", []string{"482913"}},
		{"apple", "Your Apple ID Code is: 731902. Don't share it with anyone.\n\n@apple.com #731902 %apple.com", []string{"731902"}},
		{"amazon", "123456 is your Amazon OTP. Do not share it with anyone.", []string{"123456"}},
		{"microsoft", "Use 853210 as Microsoft account password reset code", []string{"853210"}},
		{"uber with opt-out number", "Your Uber code: 1234. Never share this code. Reply STOP ALL to +1 415-237-0403 to unsubscribe.", []string{"1234"}},
		{"whatsapp", "Your WhatsApp code: 123-456\nYou can also tap on this link to verify your phone: v.whatsapp.com/123456\nDon't share this code with others", []string{"123456"}},
		{"signal spaced", "Your Signal registration code is 482 913", []string{"482913"}},
		{"telegram", "Telegram code: 50227\n\nYou can also tap on this link to log in:\nhttps://t.me/login/50227", []string{"50227"}},
		{"facebook prefix", "FB-40592 is your Facebook confirmation code", []string{"FB-40592", "40592"}},
		{"chase 8 digits", "Chase: Your one-time code is 12345678. It expires in 10 minutes. We'll never call you to ask for this code.", []string{"12345678"}},
		{"bank with toll-free", "BofA: Your code is 559012. Don't share it. We'll NEVER call to ask for it. Didn't request? Call 800.432.1000.", []string{"559012"}},
		{"coinbase 7 digits", "Your Coinbase verification code is: 1234567. Don't share this code with anyone; our employees will never ask for the code.", []string{"1234567"}},
		{"paypal", "PayPal: Your security code is 384712. Your code expires in 10 minutes. Please don't reply.", []string{"384712"}},
		{"alphanumeric", "Your Acme verification code is AB12CD. It expires in 5 minutes.", []string{"AB12CD"}},
		{"pin", "Your PIN is 4821. Do not share it.", []string{"4821"}},
		{"passcode with questions number", "Your passcode is 990213. Questions? Call (800) 555-0199.", []string{"990213"}},
		{"code glued to colon", "Verification code:664201", []string{"664201"}},
		{"2fa 4-4", "Your 2FA code is 1234-5678", []string{"12345678"}},

		// Numbers that are not codes.
		{"order and price", "Your order #4521 has shipped! Total: $45.99. Track it at https://ups.com/t/1Z999AA10123456784", []string{}},
		{"appointment", "Your appointment with Dr. Smith is on 12/05/2024 at 3:30 PM. Reply C to confirm or call 415-555-0123.", []string{}},
		{"pin sentence with a date and a phone", "Your balance is $1,234.56. Your PIN was changed on 05/12/2024. Questions? Call 1 800 555 1234.", []string{}},
		{"code sentence with a phone number", "Enter the code we emailed you, or call 415 555 0123 for help.", []string{}},
		{"zip code", "We deliver to zip code 94105 from 10:30 to 18:00.", []string{}},
		{"promo code", "Use promo code SAVE20 for 20% off your next order of 2 or more.", []string{}},
		{"iso date", "Your password was reset on 2024-05-12 at 10:30.", []string{}},
		{"plain chat", "Is my order 88213 ready? I can pick it up at 5.", []string{}},
		{"empty", "", []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := naive.FindCodes(c.body)
			if got == nil || !slices.Equal(got, c.want) {
				t.Errorf("FindCodes(%q) = %#v, want %#v", c.body, got, c.want)
			}
		})
	}
}

// TestMessageCodesJSON: an inbound message is written with its codes ([]
// when none), an outbound one without.
func TestMessageCodesJSON(t *testing.T) {
	t.Parallel()
	read := func(m naive.Message) map[string]any {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	in := read(naive.Message{ID: "m1", Direction: naive.DirectionInbound, Body: "Your code is 482913.", CarrierID: "msg_1"})
	if codes, _ := in["codes"].([]any); len(codes) != 1 || codes[0] != "482913" || in["surge_message_id"] != "msg_1" {
		t.Fatalf("inbound: %v", in)
	}
	none := read(naive.Message{ID: "m2", Direction: naive.DirectionInbound, Body: "hello"})
	if codes, ok := none["codes"].([]any); !ok || len(codes) != 0 {
		t.Fatalf("inbound without a code: %v", none)
	}
	out := read(naive.Message{ID: "m3", Direction: naive.DirectionOutbound, Body: "Your code is 482913.", Codes: []string{"x"}})
	if _, ok := out["codes"]; ok {
		t.Fatalf("outbound carries codes: %v", out)
	}
	// Decoded, the codes come back as sent.
	var m naive.Message
	b, _ := json.Marshal(naive.Message{Direction: naive.DirectionInbound, Body: "G-123456 is your Google verification code."})
	if err := json.Unmarshal(b, &m); err != nil || !slices.Equal(m.Codes, []string{"G-123456", "123456"}) {
		t.Fatalf("decoded %v %v", m.Codes, err)
	}
}
