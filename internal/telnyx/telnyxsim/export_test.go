package telnyxsim

import (
	"encoding/json"
	"slices"
)

// DumpState renders the whole state — every object as its record has it,
// the index of numbers in use and the event order — canonically, for tests
// that compare two simulators on one Storage: anything a write changed
// without touching it shows as a difference.
func (s *Server) DumpState() string {
	s.lockInspected(false)
	defer s.mu.Unlock()
	var keys []recKey
	add := func(kind string, ids []string) {
		for _, id := range ids {
			keys = append(keys, recKey{kind, id})
		}
	}
	add(kindBrand, mapKeys(s.brands))
	add(kindCampaign, mapKeys(s.campaigns))
	add(kindOrder, mapKeys(s.orders))
	add(kindNumber, mapKeys(s.numbers))
	add(kindAssignment, mapKeys(s.assignments))
	add(kindMessage, mapKeys(s.messages))
	add(kindOptOut, mapKeys(s.optOuts))
	var order []string
	for _, ev := range s.events {
		order = append(order, ev.id)
	}
	add(kindEvent, order)
	keys = append(keys, recKey{kindMeta, metaSeq}, recKey{kindMeta, metaKey})
	objects := map[string]any{}
	for _, k := range keys {
		v, _ := s.objectLocked(k)
		objects[k.kind+" "+k.id] = v
	}
	var inUse []string
	for n, id := range s.inUse {
		inUse = append(inUse, n+" -> "+id)
	}
	slices.Sort(inUse)
	b, err := json.MarshalIndent(map[string]any{"objects": objects, "in_use": inUse, "event_order": order}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mapKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
