package console

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// The webhooks area: the operator's endpoints of this mode, which receive
// its events signed with their secret, and each endpoint's deliveries with
// every attempt. An agent's own webhook (its webhook URL) is not listed
// here: it is set on the agent's page.

// webhookRoutes registers the webhooks pages.
func (c *Console) webhookRoutes() {
	c.page("GET "+Path+"/webhooks", c.webhooksList)
	c.page("GET "+Path+"/webhooks/new", c.webhooksNew)
	c.page("POST "+Path+"/webhooks", c.webhooksCreate)
	c.page("GET "+Path+"/webhooks/{id}", c.webhooksShow)
	c.page("POST "+Path+"/webhooks/{id}/test", c.webhooksTest)
	c.page("POST "+Path+"/webhooks/{id}/deliveries/{delivery_id}/resend", c.webhooksResend)
	c.page("GET "+Path+"/webhooks/{id}/delete", c.webhooksDeleteConfirm)
	c.page("POST "+Path+"/webhooks/{id}/delete", c.webhooksDelete)
}

// webhooksFind returns one endpoint of the mode.
func (c *Console) webhooksFind(s *session, id string) (*naive.WebhookEndpoint, error) {
	return c.svc.GetWebhook(s.ctx, id)
}

type webhooksListView struct {
	Rows  []naive.WebhookEndpoint
	Pager pager
}

func (c *Console) webhooksList(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := c.svc.ListWebhooks(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	return c.webhooksRender(w, r, s, http.StatusOK, "webhooks_list", "Webhooks", webhooksListView{Rows: l.Data, Pager: pagerFor(r, l.NextCursor)})
}

// webhooksRender renders a page of the webhooks area.
func (c *Console) webhooksRender(w http.ResponseWriter, r *http.Request, s *session, status int, name, title string, data any) error {
	return c.show(w, r, s, status, name, title, "webhooks", data)
}

type webhooksForm struct {
	URL        string
	EventTypes []string
}

type webhooksNewView struct {
	Form  webhooksForm
	Types []string
	Err   *formError
}

func (c *Console) webhooksNew(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.show(w, r, s, http.StatusOK, "webhooks_new", "Add a webhook endpoint", "webhooks", webhooksNewView{Types: service.EventTypes})
}

type webhooksCreatedView struct {
	naive.WebhookEndpoint
	Secret string
}

// webhooksCreate registers the endpoint and shows its signing secret,
// once, from the POST.
func (c *Console) webhooksCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	u, err := field(r, "url")
	types := r.PostForm["event_types"]
	if err == nil {
		for _, t := range types {
			if err = naive.CheckText("event_types", t); err != nil {
				err = naive.InvalidParam("event_types", "%s", unstorable("An event type")).WithHint("Tick the event types again and submit the form.")
				types = nil
				break
			}
		}
	}
	if err == nil {
		var e *naive.WebhookEndpoint
		if e, err = c.svc.CreateWebhook(s.ctx, naive.WebhookRequest{URL: u, EventTypes: types}); err == nil {
			v := webhooksCreatedView{WebhookEndpoint: *e, Secret: e.Secret}
			v.WebhookEndpoint.Secret, v.SigningSecret = "", ""
			return c.show(w, r, s, http.StatusOK, "webhooks_created", "Webhook endpoint added", "webhooks", v)
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	v := webhooksNewView{Types: service.EventTypes, Err: fe, Form: webhooksForm{URL: r.PostFormValue("url"), EventTypes: types}}
	return c.show(w, r, s, statusOf(fe), "webhooks_new", "Add a webhook endpoint", "webhooks", v)
}

type webhooksShowView struct {
	naive.WebhookEndpoint
	Deliveries []naive.Delivery
	Pager      pager
	// ResendErr is a refused resend, shown at its delivery (ResendID), or
	// above the list when that delivery is not on this page.
	ResendErr   *formError
	ResendID    string
	ResendShown bool
}

func (c *Console) webhooksShow(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.webhooksShowPage(w, r, s, "", nil)
}

func (c *Console) webhooksShowPage(w http.ResponseWriter, r *http.Request, s *session, resendID string, fe *formError) error {
	e, err := c.webhooksFind(s, r.PathValue("id"))
	if err != nil {
		return err
	}
	lp := listParams(r)
	if r.Method == http.MethodPost {
		lp = naive.ListParams{Limit: 50}
	}
	l, err := c.svc.ListDeliveries(s.ctx, e.ID, lp)
	if err != nil {
		return err
	}
	v := webhooksShowView{WebhookEndpoint: *e, Deliveries: l.Data, ResendErr: fe, ResendID: resendID}
	if r.Method == http.MethodGet {
		v.Pager = pagerFor(r, l.NextCursor)
	} else if l.NextCursor != nil {
		v.Pager = pager{Next: Path + "/webhooks/" + e.ID + qs("cursor", *l.NextCursor)}
	}
	v.ResendShown = slices.ContainsFunc(l.Data, func(d naive.Delivery) bool { return d.ID == resendID })
	return c.webhooksRender(w, r, s, statusOf(fe), "webhooks_show", "Webhook "+e.URL, v)
}

// webhooksOutcome says how a delivery's last attempt went, as a notice,
// and whether it failed.
func webhooksOutcome(what string, d *naive.Delivery) (string, bool) {
	if len(d.Attempts) == 0 {
		return what + ": no attempt was recorded; reload the page to see the delivery.", true
	}
	a := d.Attempts[len(d.Attempts)-1]
	if a.Error == "" && a.StatusCode >= 200 && a.StatusCode <= 299 {
		return fmt.Sprintf("%s: your endpoint answered %d in %d ms (attempt %d).", what, a.StatusCode, a.DurationMS, a.N), false
	}
	return fmt.Sprintf("%s, and it failed: %s (attempt %d, %d ms). Fix the endpoint, then resend the delivery below.",
		what, a.Error, a.N, a.DurationMS), true
}

// webhooksDone redirects to an endpoint's page with a delivery's outcome.
func (c *Console) webhooksDone(w http.ResponseWriter, r *http.Request, endpointID, what string, d *naive.Delivery) error {
	notice, bad := webhooksOutcome(what, d)
	return c.redirectWith(w, r, Path+"/webhooks/"+endpointID, notice, bad)
}

// webhooksTest sends a webhook.test event now, once.
func (c *Console) webhooksTest(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := c.svc.TestWebhook(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.webhooksDone(w, r, d.EndpointID, "Test event sent", d)
}

// webhooksResend makes one more attempt of a finished delivery; one still
// being retried is refused in place.
func (c *Console) webhooksResend(w http.ResponseWriter, r *http.Request, s *session) error {
	id, did := r.PathValue("id"), r.PathValue("delivery_id")
	d, err := c.svc.ResendDelivery(s.ctx, id, did)
	if err != nil {
		if naive.ErrorCode(err) == naive.ENotFound {
			return err // an unknown endpoint or delivery: the 404 page
		}
		fe, ferr := inPlace(err)
		if ferr != nil {
			return ferr
		}
		return c.webhooksShowPage(w, r, s, did, fe)
	}
	return c.webhooksDone(w, r, id, "Delivery "+short(d.ID)+" resent", d)
}

type webhooksDeleteView struct {
	naive.WebhookEndpoint
}

func (c *Console) webhooksDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	e, err := c.webhooksFind(s, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.show(w, r, s, http.StatusOK, "webhooks_delete", "Delete webhook endpoint", "webhooks", webhooksDeleteView{*e})
}

// webhooksDelete removes the endpoint; its pending deliveries stop.
func (c *Console) webhooksDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	e, err := c.webhooksFind(s, id)
	if err != nil {
		return err
	}
	if err := c.svc.DeleteWebhook(s.ctx, id); err != nil {
		return err
	}
	return c.done(w, r, Path+"/webhooks", "Endpoint "+e.URL+" deleted: it receives no more events, and its pending deliveries stop.")
}
