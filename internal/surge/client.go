package surge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier/carrierhttp"
)

// DefaultBaseURL is Surge's production API endpoint.
const DefaultBaseURL = "https://api.surge.app"

// Options configures a Client (see carrierhttp.Options); an empty BaseURL
// is DefaultBaseURL.
type Options = carrierhttp.Options

// Client calls the Surge API; it is safe for concurrent use.
type Client struct{ h *carrierhttp.Client }

// NewClient returns a Client for o, filling in defaults.
func NewClient(o Options) *Client {
	h := carrierhttp.New("surge", DefaultBaseURL, o)
	h.UnknownOutcome = ErrUnknownOutcome
	h.ParseError = func(method, path string, resp *http.Response, body []byte) (time.Duration, error) {
		e := parseError(resp, body)
		return e.RetryAfter, e
	}
	return &Client{h: h}
}

// do performs one API call with retries and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	return c.h.Do(ctx, method, path, q, in, out)
}

// CreateAccount creates an account (POST /accounts).
func (c *Client) CreateAccount(ctx context.Context, in AccountCreate) (Account, error) {
	var out Account
	err := c.do(ctx, http.MethodPost, "/accounts", nil, in, &out)
	return out, err
}

// GetAccount fetches an account by id.
func (c *Client) GetAccount(ctx context.Context, id string) (Account, error) {
	var out Account
	err := c.do(ctx, http.MethodGet, "/accounts/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// UpdateAccount patches an account; unset fields are left unchanged.
func (c *Client) UpdateAccount(ctx context.Context, id string, in AccountUpdate) (Account, error) {
	var out Account
	err := c.do(ctx, http.MethodPatch, "/accounts/"+url.PathEscape(id), nil, in, &out)
	return out, err
}

// ListAccounts returns every account of the platform, following cursors.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	return list[Account](ctx, c, "/accounts", nil)
}

// ArchiveAccount archives an account (DELETE /accounts/{id}) and returns it: Surge releases
// all its numbers and deactivates its campaigns, and the account can no longer send. It is
// irreversible; afterwards every mutation of the account, archiving it again included,
// answers 410 account_archived, which callers that only want it archived may take as done.
func (c *Client) ArchiveAccount(ctx context.Context, id string) (Account, error) {
	var out Account
	err := c.do(ctx, http.MethodDelete, "/accounts/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// BrandVerification is the answer of POST
// /accounts/{id}/brand_verification_messages.
type BrandVerification struct {
	Status string `json:"status"` // "enqueued"
}

// SendBrandVerification enqueues the SMS one-time verification text for a
// sole proprietor's account awaiting identity verification. It sends no
// body (and, as every request, Content-Type: application/json).
func (c *Client) SendBrandVerification(ctx context.Context, accountID string) (BrandVerification, error) {
	var out BrandVerification
	err := c.do(ctx, http.MethodPost, "/accounts/"+url.PathEscape(accountID)+"/brand_verification_messages", nil, nil, &out)
	return out, err
}

// AccountStatus reports the account's readiness for the given capabilities (default local_messaging).
func (c *Client) AccountStatus(ctx context.Context, accountID string, capabilities ...string) (AccountStatus, error) {
	if len(capabilities) == 0 {
		capabilities = []string{CapabilityLocalMessaging}
	}
	q := url.Values{"capabilities": {strings.Join(capabilities, ",")}}
	var out AccountStatus
	err := c.do(ctx, http.MethodGet, "/accounts/"+url.PathEscape(accountID)+"/status", q, nil, &out)
	return out, err
}

// CreateCampaign registers a campaign for an account.
func (c *Client) CreateCampaign(ctx context.Context, accountID string, in CampaignCreate) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodPost, "/accounts/"+url.PathEscape(accountID)+"/campaigns", nil, in, &out)
	return out, err
}

// UpdateCampaign replaces a not-yet-approved campaign's fields and resubmits it.
func (c *Client) UpdateCampaign(ctx context.Context, id string, in CampaignCreate) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodPatch, "/campaigns/"+url.PathEscape(id), nil, in, &out)
	return out, err
}

// GetCampaign fetches a campaign by id.
func (c *Client) GetCampaign(ctx context.Context, id string) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodGet, "/campaigns/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// ListCampaigns returns every campaign of an account, following cursors.
func (c *Client) ListCampaigns(ctx context.Context, accountID string) ([]Campaign, error) {
	return list[Campaign](ctx, c, "/accounts/"+url.PathEscape(accountID)+"/campaigns", nil)
}

// PurchaseNumber buys a phone number for an account; on ErrUnknownOutcome the number may exist.
func (c *Client) PurchaseNumber(ctx context.Context, accountID string, in NumberPurchase) (PhoneNumber, error) {
	var out PhoneNumber
	err := c.do(ctx, http.MethodPost, "/accounts/"+url.PathEscape(accountID)+"/phone_numbers", nil, in, &out)
	return out, err
}

// GetNumber fetches a phone number by id.
func (c *Client) GetNumber(ctx context.Context, id string) (PhoneNumber, error) {
	var out PhoneNumber
	err := c.do(ctx, http.MethodGet, "/phone_numbers/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// ListNumbers returns every phone number of an account, following cursors.
func (c *Client) ListNumbers(ctx context.Context, accountID string) ([]PhoneNumber, error) {
	return list[PhoneNumber](ctx, c, "/accounts/"+url.PathEscape(accountID)+"/phone_numbers", nil)
}

// AvailableNumbers browses purchasable numbers of type local or toll_free, optionally in one area code.
func (c *Client) AvailableNumbers(ctx context.Context, accountID, typ, areaCode string) ([]AvailableNumber, error) {
	q := url.Values{"type": {typ}}
	if areaCode != "" {
		q.Set("area_code", areaCode)
	}
	return list[AvailableNumber](ctx, c, "/accounts/"+url.PathEscape(accountID)+"/available_phone_numbers", q)
}

// UpdateNumber renames a number or attaches it to a campaign.
func (c *Client) UpdateNumber(ctx context.Context, id string, in NumberUpdate) (PhoneNumber, error) {
	var out PhoneNumber
	err := c.do(ctx, http.MethodPatch, "/phone_numbers/"+url.PathEscape(id), nil, in, &out)
	return out, err
}

// ReleaseNumber gives a number back to the carrier and returns it as it was released.
func (c *Client) ReleaseNumber(ctx context.Context, id string) (PhoneNumber, error) {
	var out PhoneNumber
	err := c.do(ctx, http.MethodDelete, "/phone_numbers/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// list walks a cursor-paginated collection forward.
func list[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	after := ""
	for {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		if after != "" {
			pq.Set("after", after)
		}
		var page Page[T]
		if err := c.do(ctx, http.MethodGet, path, pq, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		next := page.Pagination.NextCursor
		if next == nil || *next == "" {
			return all, nil
		}
		if seen[*next] {
			return nil, fmt.Errorf("surge: GET %s: pagination cursor %q repeated", path, *next)
		}
		seen[*next] = true
		after = *next
	}
}
