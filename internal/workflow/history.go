package workflow

import (
	"context"
	"fmt"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// history returns the events of a task from the first one the run needs to
// the task's started event: what the task carried, the pages it pointed to,
// and, when from is before what it carried (a sticky task with nothing
// cached), the whole history fetched again. Events past the started event
// are dropped: they belong to the next task.
func (e *Engine) history(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, from int64) ([]*historypb.HistoryEvent, error) {
	events := t.GetHistory().GetEvents()
	token := t.GetNextPageToken()
	if len(events) == 0 || events[0].GetEventId() > from {
		carried := events
		events, token = nil, nil
		if err := e.page(ctx, t.GetWorkflowExecution(), &events, nil, true); err != nil {
			return nil, err
		}
		// A speculative task's own events (an update on an idle run) are
		// not stored on the server: only the task carries them.
		for _, ev := range carried {
			if len(events) == 0 || ev.GetEventId() > events[len(events)-1].GetEventId() {
				events = append(events, ev)
			}
		}
	} else if len(token) > 0 {
		if err := e.page(ctx, t.GetWorkflowExecution(), &events, token, false); err != nil {
			return nil, err
		}
	}
	last := t.GetStartedEventId()
	out := window(events, from, last)
	if len(out) == 0 || out[0].GetEventId() != from {
		return nil, fmt.Errorf("history of run %s does not start at event %d", t.GetWorkflowExecution().GetRunId(), from)
	}
	if last > 0 && out[len(out)-1].GetEventId() != last {
		return nil, fmt.Errorf("history of run %s ends at event %d, before the task's started event %d",
			t.GetWorkflowExecution().GetRunId(), out[len(out)-1].GetEventId(), last)
	}
	return out, nil
}

// page follows next_page_token through GetWorkflowExecutionHistory. With
// fromStart it fetches from the first page.
func (e *Engine) page(ctx context.Context, exec *commonpb.WorkflowExecution, events *[]*historypb.HistoryEvent, token []byte, fromStart bool) error {
	for fromStart || len(token) > 0 {
		fromStart = false
		resp, err := e.opts.Service.GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace:              e.opts.Namespace,
			Execution:              exec,
			NextPageToken:          token,
			HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
		})
		if err != nil {
			return fmt.Errorf("fetching history of run %s: %w", exec.GetRunId(), err)
		}
		*events = append(*events, resp.GetHistory().GetEvents()...)
		token = resp.GetNextPageToken()
	}
	return nil
}

// window is the events from event from on, up to event last (unless 0):
// a subslice when they are in order, as the server sends them (no copy per
// task), else a copy.
func window(events []*historypb.HistoryEvent, from, last int64) []*historypb.HistoryEvent {
	i := 0
	for i < len(events) && events[i].GetEventId() < from {
		i++
	}
	j := i
	for j < len(events) {
		id := events[j].GetEventId()
		if last > 0 && id > last {
			break
		}
		if id < from { // out of order: filter
			out := slices.Clone(events[i:j])
			for _, ev := range events[j:] {
				if ev.GetEventId() < from {
					continue
				}
				if last > 0 && ev.GetEventId() > last {
					break
				}
				out = append(out, ev)
			}
			return out
		}
		j++
	}
	return events[i:j:j]
}
