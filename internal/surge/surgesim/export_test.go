package surgesim

import (
	"encoding/json"
	"slices"
	"sort"
)

// DumpState renders the whole state — every object as its record has it,
// the indexes derived from them and the sequence — canonically, for tests
// that compare two simulators on one Storage: anything a write changed
// without touching it shows as a difference.
func (s *Server) DumpState() string {
	s.lockInspected(false)
	defer s.mu.Unlock()
	var keys []recKey
	for id := range s.accounts {
		keys = append(keys, recKey{kindAccount, id})
	}
	for id := range s.campaigns {
		keys = append(keys, recKey{kindCampaign, id})
	}
	for id := range s.numbers {
		keys = append(keys, recKey{kindNumber, id})
	}
	for id := range s.msgs.contacts {
		keys = append(keys, recKey{kindContact, id})
	}
	for id := range s.msgs.conversations {
		keys = append(keys, recKey{kindConversation, id})
	}
	for id := range s.msgs.messages {
		keys = append(keys, recKey{kindMessage, id})
	}
	for id := range s.msgs.flagged {
		keys = append(keys, recKey{kindFlag, id})
	}
	for _, ev := range s.events {
		keys = append(keys, recKey{kindEvent, ev.ID})
	}
	keys = append(keys, recKey{kindMeta, metaSeq}, recKey{kindMeta, metaSecret})
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].id < keys[j].id
	})
	objects := map[string]any{}
	for _, k := range keys {
		v, _ := s.objectLocked(k)
		objects[k.kind+" "+k.id] = v
	}
	index := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	set := func(n int, each func(add func(string))) map[string]bool {
		m := make(map[string]bool, n)
		each(func(k string) { m[k] = true })
		return m
	}
	var pending, eventOrder []string
	for _, m := range s.msgs.pending {
		if m.stage != stageDone {
			pending = append(pending, m.id)
		}
	}
	slices.Sort(pending)
	for _, ev := range s.events {
		eventOrder = append(eventOrder, ev.ID)
	}
	b, err := json.MarshalIndent(map[string]any{
		"objects": objects,
		"in_use":  index(s.inUse),
		"contact_index": index(set(len(s.msgs.contactIndex), func(add func(string)) {
			for k, c := range s.msgs.contactIndex {
				add(k + " -> " + c.id)
			}
		})),
		"conversation_index": index(set(len(s.msgs.convIndex), func(add func(string)) {
			for k, cv := range s.msgs.convIndex {
				add(k + " -> " + cv.id)
			}
		})),
		"pending":     pending,
		"event_order": eventOrder,
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}
