package telnyx

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The 10DLC API answers with bare objects; the numbers and messaging APIs
// wrap theirs in {"data": ...}.
type data[T any] struct {
	Data T `json:"data"`
}

// --- 10DLC brands ---

// CreateBrand registers a brand (POST /10dlc/brand); on ErrUnknownOutcome
// it may exist (find it with ListBrands by display name).
func (c *Client) CreateBrand(ctx context.Context, in Brand) (Brand, error) {
	var out Brand
	err := c.do(ctx, http.MethodPost, "/10dlc/brand", nil, in, &out)
	return out, err
}

// GetBrand reads a brand, its status and identity status.
func (c *Client) GetBrand(ctx context.Context, brandID string) (Brand, error) {
	var out Brand
	err := c.do(ctx, http.MethodGet, "/10dlc/brand/"+url.PathEscape(brandID), nil, nil, &out)
	return out, err
}

// UpdateBrand replaces a brand's fields (PUT /10dlc/brand/{brandId});
// entityType, displayName, country, email and vertical are required.
func (c *Client) UpdateBrand(ctx context.Context, brandID string, in Brand) (Brand, error) {
	var out Brand
	err := c.do(ctx, http.MethodPut, "/10dlc/brand/"+url.PathEscape(brandID), nil, in, &out)
	return out, err
}

// ListBrands lists the account's brands, optionally of one display name.
func (c *Client) ListBrands(ctx context.Context, displayName string) ([]Brand, error) {
	q := url.Values{}
	if displayName != "" {
		q.Set("displayName", displayName)
	}
	return listRecords[Brand](ctx, c, "/10dlc/brand", q)
}

// DeleteBrand deletes a brand (DELETE /10dlc/brand/{brandId}).
func (c *Client) DeleteBrand(ctx context.Context, brandID string) error {
	return c.do(ctx, http.MethodDelete, "/10dlc/brand/"+url.PathEscape(brandID), nil, nil, nil)
}

// BrandFeedback says why a brand's registration failed.
func (c *Client) BrandFeedback(ctx context.Context, brandID string) (BrandFeedback, error) {
	var out BrandFeedback
	err := c.do(ctx, http.MethodGet, "/10dlc/brand/feedback/"+url.PathEscape(brandID), nil, nil, &out)
	return out, err
}

// TriggerBrandOTP texts a sole proprietor brand's mobilePhone a one-time
// password, again if it was sent already (POST /10dlc/brand/{id}/smsOtp).
func (c *Client) TriggerBrandOTP(ctx context.Context, brandID string, in OTPTrigger) (OTPTriggered, error) {
	var out OTPTriggered
	err := c.do(ctx, http.MethodPost, "/10dlc/brand/"+url.PathEscape(brandID)+"/smsOtp", nil, in, &out)
	return out, err
}

// BrandOTPStatus reads the delivery and verification of the last OTP.
func (c *Client) BrandOTPStatus(ctx context.Context, brandID string) (OTPStatus, error) {
	var out OTPStatus
	err := c.do(ctx, http.MethodGet, "/10dlc/brand/"+url.PathEscape(brandID)+"/smsOtp", nil, nil, &out)
	return out, err
}

// VerifyBrandOTP submits the PIN the contact received (PUT
// /10dlc/brand/{id}/smsOtp); the brand's identityStatus becomes VERIFIED.
func (c *Client) VerifyBrandOTP(ctx context.Context, brandID, pin string) error {
	return c.do(ctx, http.MethodPut, "/10dlc/brand/"+url.PathEscape(brandID)+"/smsOtp", nil, map[string]string{"otpPin": pin}, nil)
}

// --- 10DLC campaigns ---

// CreateCampaign submits a campaign on in.BrandID (POST
// /10dlc/campaignBuilder); on ErrUnknownOutcome it may exist (list the
// brand's campaigns).
func (c *Client) CreateCampaign(ctx context.Context, in Campaign) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodPost, "/10dlc/campaignBuilder", nil, in, &out)
	return out, err
}

// GetCampaign reads a campaign and its campaignStatus.
func (c *Client) GetCampaign(ctx context.Context, campaignID string) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodGet, "/10dlc/campaign/"+url.PathEscape(campaignID), nil, nil, &out)
	return out, err
}

// ListCampaigns lists a brand's campaigns (GET /10dlc/campaign?brandId=).
func (c *Client) ListCampaigns(ctx context.Context, brandID string) ([]Campaign, error) {
	return listRecords[Campaign](ctx, c, "/10dlc/campaign", url.Values{"brandId": {brandID}})
}

// UpdateCampaign edits the few fields Telnyx lets change (PUT
// /10dlc/campaign/{campaignId}).
func (c *Client) UpdateCampaign(ctx context.Context, campaignID string, in CampaignUpdate) (Campaign, error) {
	var out Campaign
	err := c.do(ctx, http.MethodPut, "/10dlc/campaign/"+url.PathEscape(campaignID), nil, in, &out)
	return out, err
}

// AppealCampaign asks for a rejected campaign (TELNYX_FAILED or
// MNO_REJECTED) to be reviewed again; Telnyx resets it to TCR_ACCEPTED.
func (c *Client) AppealCampaign(ctx context.Context, campaignID, reason string) (CampaignAppealed, error) {
	var out CampaignAppealed
	err := c.do(ctx, http.MethodPost, "/10dlc/campaign/"+url.PathEscape(campaignID)+"/appeal", nil, CampaignAppeal{AppealReason: reason}, &out)
	return out, err
}

// DeactivateCampaign ends a campaign for good (DELETE /10dlc/campaign/{campaignId}).
func (c *Client) DeactivateCampaign(ctx context.Context, campaignID string) (CampaignDeactivated, error) {
	var out CampaignDeactivated
	err := c.do(ctx, http.MethodDelete, "/10dlc/campaign/"+url.PathEscape(campaignID), nil, nil, &out)
	return out, err
}

// AssignCampaign assigns a number (E.164) to a campaign (POST
// /10dlc/phone_number_campaigns); the assignment starts PENDING_ASSIGNMENT.
func (c *Client) AssignCampaign(ctx context.Context, phoneNumber, campaignID string) (NumberCampaign, error) {
	var out NumberCampaign
	err := c.do(ctx, http.MethodPost, "/10dlc/phone_number_campaigns", nil,
		NumberCampaign{PhoneNumber: phoneNumber, CampaignID: campaignID}, &out)
	return out, err
}

// NumberCampaign reads a number's campaign assignment.
func (c *Client) NumberCampaign(ctx context.Context, phoneNumber string) (NumberCampaign, error) {
	var out NumberCampaign
	err := c.do(ctx, http.MethodGet, "/10dlc/phone_number_campaigns/"+url.PathEscape(phoneNumber), nil, nil, &out)
	return out, err
}

// ListNumberCampaigns lists the assignments to a campaign
// (filter[telnyx_campaign_id]).
func (c *Client) ListNumberCampaigns(ctx context.Context, campaignID string) ([]NumberCampaign, error) {
	return listRecords[NumberCampaign](ctx, c, "/10dlc/phone_number_campaigns", url.Values{"filter[telnyx_campaign_id]": {campaignID}})
}

// UnassignCampaign removes a number's campaign assignment.
func (c *Client) UnassignCampaign(ctx context.Context, phoneNumber string) (NumberCampaign, error) {
	var out NumberCampaign
	err := c.do(ctx, http.MethodDelete, "/10dlc/phone_number_campaigns/"+url.PathEscape(phoneNumber), nil, nil, &out)
	return out, err
}

// --- numbers ---

// AvailableNumbers searches the numbers for sale (GET /available_phone_numbers).
func (c *Client) AvailableNumbers(ctx context.Context, f AvailableFilter) ([]AvailableNumber, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set("filter["+k+"]", v)
		}
	}
	set("country_code", f.CountryCode)
	set("national_destination_code", f.NationalDestinationCode)
	set("phone_number_type", f.PhoneNumberType)
	set("locality", f.Locality)
	set("administrative_area", f.AdministrativeArea)
	set("features", strings.Join(f.Features, ","))
	if f.Limit > 0 {
		set("limit", strconv.Itoa(f.Limit))
	}
	var out data[[]AvailableNumber]
	err := c.do(ctx, http.MethodGet, "/available_phone_numbers", q, nil, &out)
	return out.Data, err
}

// CreateNumberOrder orders numbers (POST /number_orders); on
// ErrUnknownOutcome it may exist (ListNumberOrders by customer_reference).
func (c *Client) CreateNumberOrder(ctx context.Context, in NumberOrderCreate) (NumberOrder, error) {
	var out data[NumberOrder]
	err := c.do(ctx, http.MethodPost, "/number_orders", nil, in, &out)
	return out.Data, err
}

// GetNumberOrder reads an order and the status of its numbers.
func (c *Client) GetNumberOrder(ctx context.Context, orderID string) (NumberOrder, error) {
	var out data[NumberOrder]
	err := c.do(ctx, http.MethodGet, "/number_orders/"+url.PathEscape(orderID), nil, nil, &out)
	return out.Data, err
}

// ListNumberOrders lists the orders made with a customer_reference ("" for all).
func (c *Client) ListNumberOrders(ctx context.Context, customerReference string) ([]NumberOrder, error) {
	q := url.Values{}
	if customerReference != "" {
		q.Set("filter[customer_reference]", customerReference)
	}
	return listFlat[NumberOrder](ctx, c, "/number_orders", q)
}

// ListPhoneNumbers lists the account's numbers matching f.
func (c *Client) ListPhoneNumbers(ctx context.Context, f PhoneNumberFilter) ([]PhoneNumber, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set("filter["+k+"]", v)
		}
	}
	set("phone_number", f.PhoneNumber)
	set("tag", f.Tag)
	set("customer_reference", f.CustomerReference)
	set("status", f.Status)
	return listFlat[PhoneNumber](ctx, c, "/phone_numbers", q)
}

// GetPhoneNumber reads a number by its id.
func (c *Client) GetPhoneNumber(ctx context.Context, id string) (PhoneNumber, error) {
	var out data[PhoneNumber]
	err := c.do(ctx, http.MethodGet, "/phone_numbers/"+url.PathEscape(id), nil, nil, &out)
	return out.Data, err
}

// UpdatePhoneNumber sets a number's customer_reference or tags.
func (c *Client) UpdatePhoneNumber(ctx context.Context, id string, in PhoneNumberUpdate) (PhoneNumber, error) {
	var out data[PhoneNumber]
	err := c.do(ctx, http.MethodPatch, "/phone_numbers/"+url.PathEscape(id), nil, in, &out)
	return out.Data, err
}

// DeletePhoneNumber releases a number for good (DELETE /phone_numbers/{id}).
func (c *Client) DeletePhoneNumber(ctx context.Context, id string) (PhoneNumber, error) {
	var out data[PhoneNumber]
	err := c.do(ctx, http.MethodDelete, "/phone_numbers/"+url.PathEscape(id), nil, nil, &out)
	return out.Data, err
}

// UpdateNumberMessaging assigns a number to a messaging profile (PATCH
// /phone_numbers/{id}/messaging).
func (c *Client) UpdateNumberMessaging(ctx context.Context, id, messagingProfileID string) (NumberMessaging, error) {
	var out data[NumberMessaging]
	err := c.do(ctx, http.MethodPatch, "/phone_numbers/"+url.PathEscape(id)+"/messaging", nil,
		NumberMessagingUpdate{MessagingProfileID: messagingProfileID}, &out)
	return out.Data, err
}

// NumberMessaging reads a number's messaging settings.
func (c *Client) NumberMessaging(ctx context.Context, id string) (NumberMessaging, error) {
	var out data[NumberMessaging]
	err := c.do(ctx, http.MethodGet, "/phone_numbers/"+url.PathEscape(id)+"/messaging", nil, nil, &out)
	return out.Data, err
}

// --- messages ---

// SendMessage sends a text (POST /messages) and returns it queued; its fate
// arrives by webhook (message.sent, message.finalized). On ErrUnknownOutcome
// it may have been sent: Telnyx has no idempotency key, so mark the message
// (its WebhookURL) and look for it with ListMessageRecords before sending again.
func (c *Client) SendMessage(ctx context.Context, in MessageCreate) (Message, error) {
	var out data[Message]
	err := c.do(ctx, http.MethodPost, "/messages", nil, in, &out)
	return out.Data, err
}

// GetMessage reads a message by its id.
func (c *Client) GetMessage(ctx context.Context, id string) (Message, error) {
	var out data[Message]
	err := c.do(ctx, http.MethodGet, "/messages/"+url.PathEscape(id), nil, nil, &out)
	return out.Data, err
}

// ListMessageRecords lists message detail records (GET /detail_records,
// filter[record_type]=messaging) whose attributes equal filters, such as
// {"direction": "outbound", "delivery_status_webhook_url": u}.
func (c *Client) ListMessageRecords(ctx context.Context, filters map[string]string) ([]MessageRecord, error) {
	q := url.Values{"filter[record_type]": {"messaging"}}
	for k, v := range filters {
		q.Set("filter["+k+"]", v)
	}
	return listFlat[MessageRecord](ctx, c, "/detail_records", q)
}
