package workflow

import (
	"slices"
	"testing"

	historypb "go.temporal.io/api/history/v1"
)

// window returns what filtering event by event returns, in order or not.
func TestWindowIsTheFilteredEvents(t *testing.T) {
	evs := func(ids ...int64) []*historypb.HistoryEvent {
		out := make([]*historypb.HistoryEvent, len(ids))
		for i, id := range ids {
			out[i] = &historypb.HistoryEvent{EventId: id}
		}
		return out
	}
	filter := func(events []*historypb.HistoryEvent, from, last int64) []int64 {
		var out []int64
		for _, ev := range events {
			if ev.GetEventId() < from {
				continue
			}
			if last > 0 && ev.GetEventId() > last {
				break
			}
			out = append(out, ev.GetEventId())
		}
		return out
	}
	for _, c := range []struct {
		ids        []int64
		from, last int64
	}{
		{[]int64{1, 2, 3, 4, 5}, 1, 5},
		{[]int64{1, 2, 3, 4, 5}, 3, 4},
		{[]int64{1, 2, 3, 4, 5}, 3, 0},
		{[]int64{1, 2, 3, 4, 5}, 6, 0},
		{[]int64{1, 2, 3, 4, 5}, 0, 0},
		{[]int64{3, 1, 4, 2, 5}, 2, 5},
		{[]int64{5, 6, 2, 7, 9}, 5, 8},
		{nil, 1, 1},
	} {
		got := window(evs(c.ids...), c.from, c.last)
		var ids []int64
		for _, ev := range got {
			ids = append(ids, ev.GetEventId())
		}
		if want := filter(evs(c.ids...), c.from, c.last); !slices.Equal(ids, want) {
			t.Errorf("window(%v, %d, %d) = %v, want %v", c.ids, c.from, c.last, ids, want)
		}
		if slices.IsSorted(c.ids) && len(got) > 0 && cap(got) != len(got) {
			t.Errorf("window(%v, %d, %d) has room to append into the task's events", c.ids, c.from, c.last)
		}
	}
}
