package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// The events area: what happened in this mode, newest first, as webhook
// endpoints receive it, each with a link to what it is about and its data.

// eventRoutes registers the events pages.
func (c *Console) eventRoutes() {
	c.page("GET "+Path+"/events", c.eventsList)
}

// eventsTypes are the types the filter offers: every type an endpoint may
// subscribe to, and the test event.
var eventsTypes = append(slices.Clone(service.EventTypes), service.EventWebhookTest)

// eventsAbout is the link to what an event is about.
type eventsAbout struct {
	Label string
	Href  string
}

type eventsRow struct {
	naive.Event
	Summary string
	About   *eventsAbout
	JSON    string
}

type eventsListView struct {
	Type  string
	Types []string
	Rows  []eventsRow
	Pager pager
}

// eventsList lists events, optionally of one type.
func (c *Console) eventsList(w http.ResponseWriter, r *http.Request, s *session) error {
	typ := r.URL.Query().Get("type")
	if typ != "" && !slices.Contains(eventsTypes, typ) {
		return naive.InvalidParam("type", "Unknown event type %q.", typ).
			WithHint("Choose a type in the filter, or “All types”.")
	}
	l, err := c.svc.ListEvents(s.ctx, typ, listParams(r))
	if err != nil {
		return err
	}
	n := c.names(s)
	v := eventsListView{Type: typ, Types: eventsTypes, Pager: pagerFor(r, l.NextCursor)}
	for _, e := range l.Data {
		v.Rows = append(v.Rows, eventsRow{Event: e, Summary: eventsSummary(e), About: eventsAboutOf(n, e), JSON: pretty(e.Data)})
	}
	return c.show(w, r, s, http.StatusOK, "events_list", "Events", "events", v)
}

// eventsData is the part of every event's data the console links with.
type eventsData struct {
	ID             string          `json:"id"`
	E164           string          `json:"e164"`
	PhoneID        string          `json:"phone_id"`
	SubjectID      string          `json:"subject_id"`
	Title          string          `json:"title"`
	Direction      string          `json:"direction"`
	From           string          `json:"from"`
	To             string          `json:"to"`
	Kind           string          `json:"kind"`
	Status         string          `json:"status"`
	PreviousStatus string          `json:"previous_status"`
	EndpointID     string          `json:"endpoint_id"`
	Phone          json.RawMessage `json:"phone"`
}

// eventsSummary says in a few words what an event is about: the shared
// summary, completed for the types it says little of.
func eventsSummary(e naive.Event) string {
	sum := summarize(e)
	var d eventsData
	if json.Unmarshal(e.Data, &d) != nil {
		return sum
	}
	switch e.Type {
	case naive.EventCampaignUpdated:
		var parts []string
		if d.Kind != "" {
			parts = append(parts, d.Kind+" campaign")
		}
		if d.PreviousStatus != "" && d.Status != "" {
			parts = append(parts, d.PreviousStatus+" → "+d.Status)
		} else if d.Status != "" {
			parts = append(parts, d.Status)
		}
		if len(parts) > 0 {
			return strings.Join(parts, " · ")
		}
	case service.EventWebhookTest:
		if d.EndpointID != "" {
			return "test event to endpoint " + short(d.EndpointID)
		}
	case naive.EventSMSReceived, naive.EventSMSStatus:
		if d.Direction != "" && sum != "" {
			return d.Direction + " · " + sum
		}
	}
	return sum
}

// eventsAboutOf links an event to what it is about: a number (phone and
// text events), an approval, a subject (campaign events) or an endpoint.
func eventsAboutOf(n *names, e naive.Event) *eventsAbout {
	var d eventsData
	if json.Unmarshal(e.Data, &d) != nil {
		return nil
	}
	switch {
	case strings.HasPrefix(e.Type, "phone."):
		if d.ID == "" {
			return nil
		}
		label := d.E164
		if label == "" {
			label = "number " + short(d.ID)
		}
		return &eventsAbout{Label: label, Href: Path + "/numbers/" + d.ID}
	case strings.HasPrefix(e.Type, "sms."):
		if d.PhoneID == "" {
			return nil
		}
		label := d.From // the number of an outbound text
		if d.Direction == naive.DirectionInbound {
			label = d.To
		}
		if label == "" {
			label = "number " + short(d.PhoneID)
		}
		return &eventsAbout{Label: "text on " + label, Href: Path + "/numbers/" + d.PhoneID}
	case strings.HasPrefix(e.Type, "approval."):
		if d.ID == "" {
			return nil
		}
		label := d.Title
		if label == "" {
			label = "approval " + short(d.ID)
		}
		return &eventsAbout{Label: label, Href: Path + "/approvals/" + d.ID}
	case e.Type == naive.EventCampaignUpdated:
		if d.SubjectID == "" {
			return nil
		}
		return &eventsAbout{Label: n.subject(d.SubjectID), Href: Path + "/subjects/" + d.SubjectID}
	case e.Type == service.EventWebhookTest:
		if d.EndpointID == "" {
			return nil
		}
		return &eventsAbout{Label: "the webhook endpoint", Href: Path + "/webhooks/" + d.EndpointID}
	}
	return nil
}
