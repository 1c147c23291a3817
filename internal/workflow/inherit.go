package workflow

import (
	"maps"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
)

// inherited is what a run continued as new takes from this one when its
// command leaves it unset, as sdk-core fills it in
// (augment_continue_as_new_with_current_values): the memo and retry policy
// the run started with, and its search attributes as the workflow has
// upserted them. The server fills in the rest (workflow type, task queue,
// run and task timeouts); headers are not inherited.
type inherited struct {
	memo   *commonpb.Memo
	retry  *commonpb.RetryPolicy
	search map[string]*commonpb.Payload // the start's, then the workflow's upserts; shared until changed
}

func (h *inherited) start(a *historypb.WorkflowExecutionStartedEventAttributes) {
	h.memo, h.retry, h.search = a.GetMemo(), a.GetRetryPolicy(), a.GetSearchAttributes().GetIndexedFields()
}

// upserted records search attributes the workflow upserted (not the
// sidecar's own TemporalChangeVersion, as sdk-core keeps only lang's).
func (h *inherited) upserted(fields map[string]*commonpb.Payload) {
	if len(fields) == 0 {
		return
	}
	search := make(map[string]*commonpb.Payload, len(h.search)+len(fields))
	maps.Copy(search, h.search)
	maps.Copy(search, fields)
	h.search = search
}

// fill completes a continue-as-new command from the run.
func (h *inherited) fill(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) {
	if len(a.GetMemo().GetFields()) == 0 && len(h.memo.GetFields()) > 0 {
		a.Memo = h.memo
	}
	if a.GetRetryPolicy() == nil {
		a.RetryPolicy = h.retry
	}
	if a.GetSearchAttributes() == nil && len(h.search) > 0 {
		a.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: h.search}
	}
}
