package coreconv

import (
	"testing"
	"time"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activityresult"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activitytask"
	corenexus "github.com/temporal-sidecar/sidecar/gen/go/coresdk/nexus"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// fullActivityTask is a local activity start with every field set.
func fullActivityTask() *bridgev1.ActivityTask {
	return &bridgev1.ActivityTask{TaskToken: []byte("tok"), Variant: &bridgev1.ActivityTask_Start{Start: &bridgev1.StartActivity{
		WorkflowNamespace: "default", WorkflowType: "Greeting", WorkflowExecution: &bridgev1.WorkflowExecution{WorkflowId: "wf-1", RunId: "run-1"},
		ActivityId: "1", ActivityType: "say_hello", Headers: map[string]*bridgev1.Payload{"h": bp("v")}, Input: []*bridgev1.Payload{bp("Ada")},
		HeartbeatDetails: []*bridgev1.Payload{bp("50%")}, ScheduledTime: at, CurrentAttemptScheduledTime: at, StartedTime: at, Attempt: 2,
		ScheduleToCloseTimeout: sec, StartToCloseTimeout: sec, HeartbeatTimeout: sec, RetryPolicy: &bridgev1.RetryPolicy{MaximumAttempts: 3},
		IsLocal: true, Priority: &bridgev1.Priority{PriorityKey: 1}, TaskQueue: "tq",
	}}}
}

type activityTaskCase struct {
	in   *bridgev1.ActivityTask
	want *activitytask.ActivityTask
}

func activityTaskCases() []named[activityTaskCase] {
	return []named[activityTaskCase]{
		{"start", activityTaskCase{fullActivityTask(), &activitytask.ActivityTask{TaskToken: []byte("tok"), Variant: &activitytask.ActivityTask_Start{Start: &activitytask.Start{
			WorkflowNamespace: "default", WorkflowType: "Greeting", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf-1", RunId: "run-1"},
			ActivityId: "1", ActivityType: "say_hello", HeaderFields: map[string]*commonpb.Payload{"h": cp("v")}, Input: []*commonpb.Payload{cp("Ada")},
			HeartbeatDetails: []*commonpb.Payload{cp("50%")}, ScheduledTime: at, CurrentAttemptScheduledTime: at, StartedTime: at, Attempt: 2,
			ScheduleToCloseTimeout: sec, StartToCloseTimeout: sec, HeartbeatTimeout: sec, RetryPolicy: &commonpb.RetryPolicy{MaximumAttempts: 3},
			IsLocal: true, Priority: &commonpb.Priority{PriorityKey: 1}, RunId: "run-1",
		}}}}},
		{"cancel", activityTaskCase{
			&bridgev1.ActivityTask{TaskToken: []byte("tok"), Variant: &bridgev1.ActivityTask_Cancel{Cancel: &bridgev1.CancelActivity{
				Reason: bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET, Message: "paused and reset by an operator",
				Details: &bridgev1.ActivityCancellationDetails{IsPaused: true, IsReset: true}}}},
			&activitytask.ActivityTask{TaskToken: []byte("tok"), Variant: &activitytask.ActivityTask_Cancel{Cancel: &activitytask.Cancel{
				Reason: activitytask.ActivityCancelReason_RESET, Details: &activitytask.ActivityCancellationDetails{IsPaused: true, IsReset: true}}}},
		}},
	}
}

func TestActivityTasksBecomeCoreTasks(t *testing.T) {
	for _, tt := range activityTaskCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ActivityTask(tt.c.in)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.c.want, got)
		})
	}
}

func TestActivityCancelReasonsKeepTheirMeaning(t *testing.T) {
	tests := []struct {
		in   bridgev1.ActivityCancelReason
		want activitytask.ActivityCancelReason
		flag func(*activitytask.ActivityCancellationDetails) bool
	}{
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_NOT_FOUND, activitytask.ActivityCancelReason_NOT_FOUND, (*activitytask.ActivityCancellationDetails).GetIsNotFound},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_CANCELLED, activitytask.ActivityCancelReason_CANCELLED, (*activitytask.ActivityCancellationDetails).GetIsCancelled},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT, activitytask.ActivityCancelReason_TIMED_OUT, (*activitytask.ActivityCancellationDetails).GetIsTimedOut},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN, activitytask.ActivityCancelReason_WORKER_SHUTDOWN, (*activitytask.ActivityCancellationDetails).GetIsWorkerShutdown},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED, activitytask.ActivityCancelReason_PAUSED, (*activitytask.ActivityCancellationDetails).GetIsPaused},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET, activitytask.ActivityCancelReason_RESET, (*activitytask.ActivityCancellationDetails).GetIsReset},
		{bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_UNSPECIFIED, activitytask.ActivityCancelReason_CANCELLED, (*activitytask.ActivityCancellationDetails).GetIsCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			got := cancel(&bridgev1.CancelActivity{Reason: tt.in})
			if got.GetReason() != tt.want || !tt.flag(got.GetDetails()) {
				t.Errorf("cancel(%s) = %v, want reason %s with its flag set", tt.in, got, tt.want)
			}
		})
	}
	// Every flag of the bridge's details reaches core, whatever the reason.
	all := &bridgev1.ActivityCancellationDetails{IsNotFound: true, IsCancelled: true, IsPaused: true, IsTimedOut: true, IsWorkerShutdown: true, IsReset: true}
	diff(t, &activitytask.Cancel{Reason: activitytask.ActivityCancelReason_CANCELLED, Details: &activitytask.ActivityCancellationDetails{
		IsNotFound: true, IsCancelled: true, IsPaused: true, IsTimedOut: true, IsWorkerShutdown: true, IsReset: true}},
		cancel(&bridgev1.CancelActivity{Reason: bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_CANCELLED, Details: all}))
}

type activityResultCase struct {
	in   *activityresult.ActivityExecutionResult
	want *bridgev1.ActivityExecutionResult
}

func activityResultCases() []named[activityResultCase] {
	return []named[activityResultCase]{
		{"completed", activityResultCase{
			&activityresult.ActivityExecutionResult{Status: &activityresult.ActivityExecutionResult_Completed{Completed: &activityresult.Success{Result: cp("Hello, Ada")}}},
			&bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{Completed: &bridgev1.ActivityExecutionCompleted{Result: bp("Hello, Ada")}}},
		}},
		{"failed", activityResultCase{
			&activityresult.ActivityExecutionResult{Status: &activityresult.ActivityExecutionResult_Failed{Failed: &activityresult.Failure{
				Failure: cfail("no"), Cause: activityresult.ActivityTaskFailedCause_ACTIVITY_TASK_FAILED_CAUSE_ACTIVITY_WORKER_UNHANDLED_FAILURE}}},
			&bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Failed{Failed: &bridgev1.ActivityExecutionFailed{Failure: bfail("no")}}},
		}},
		{"cancelled", activityResultCase{
			&activityresult.ActivityExecutionResult{Status: &activityresult.ActivityExecutionResult_Cancelled{Cancelled: &activityresult.Cancellation{Failure: cfail("stop")}}},
			&bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Cancelled{Cancelled: &bridgev1.ActivityExecutionCancelled{Failure: bfail("stop")}}},
		}},
		{"will_complete_async", activityResultCase{
			&activityresult.ActivityExecutionResult{Status: &activityresult.ActivityExecutionResult_WillCompleteAsync{WillCompleteAsync: &activityresult.WillCompleteAsync{}}},
			&bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_WillCompleteAsync{WillCompleteAsync: &bridgev1.WillCompleteAsync{}}},
		}},
	}
}

func TestActivityCompletionsBecomeBridgeCompletions(t *testing.T) {
	for _, tt := range activityResultCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := proto.Marshal(&coresdk.ActivityTaskCompletion{TaskToken: []byte("tok"), Result: tt.c.in})
			req, err := Codec{}.Decode(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreActivityCompletion{CoreActivityCompletion: b}})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, &bridgev1.ActivityTaskCompletion{TaskToken: []byte("tok"), Result: tt.c.want}, req.GetActivityCompletion())
		})
	}
}

func TestActivityHeartbeatKeepsItsDetails(t *testing.T) {
	b, _ := proto.Marshal(&coresdk.ActivityHeartbeat{TaskToken: []byte("tok"), Details: []*commonpb.Payload{cp("50%")}})
	req, err := Codec{}.Decode(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreActivityHeartbeat{CoreActivityHeartbeat: b}})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &bridgev1.ActivityHeartbeat{TaskToken: []byte("tok"), Details: []*bridgev1.Payload{bp("50%")}}, req.GetActivityHeartbeat())
}

type nexusTaskCase struct {
	in   *bridgev1.NexusTask
	want *corenexus.NexusTask
}

func nexusTaskCases() []named[nexusTaskCase] {
	header := map[string]string{"request-timeout": "10s"}
	return []named[nexusTaskCase]{
		{"task", nexusTaskCase{
			&bridgev1.NexusTask{TaskToken: []byte("ntok"), Headers: header, ScheduledTime: at, Deadline: at, Endpoint: "ep",
				Variant: &bridgev1.NexusTask_StartOperation{StartOperation: &bridgev1.StartNexusOperation{Service: "svc", Operation: "op",
					RequestId: "req-1", Callback: "http://cb", CallbackHeader: map[string]string{"k": "v"}, Payload: bp("in"),
					Links: []*bridgev1.NexusLink{{Url: "temporal:///x", Type: "temporal.api.common.v1.Link.WorkflowEvent"}}}}},
			&corenexus.NexusTask{RequestDeadline: at, Endpoint: "ep", Variant: &corenexus.NexusTask_Task{Task: &workflowservice.PollNexusTaskQueueResponse{
				TaskToken: []byte("ntok"), Request: &nexuspb.Request{Header: header, ScheduledTime: at, Endpoint: "ep",
					Variant: &nexuspb.Request_StartOperation{StartOperation: &nexuspb.StartOperationRequest{Service: "svc", Operation: "op",
						RequestId: "req-1", Callback: "http://cb", CallbackHeader: map[string]string{"k": "v"}, Payload: cp("in"),
						Links: []*nexuspb.Link{{Url: "temporal:///x", Type: "temporal.api.common.v1.Link.WorkflowEvent"}}}}}}}},
		}},
		{"cancel_task", nexusTaskCase{
			&bridgev1.NexusTask{TaskToken: []byte("ntok"), Variant: &bridgev1.NexusTask_CancelTask{CancelTask: &bridgev1.CancelNexusTask{Reason: "the request's deadline passed"}}},
			&corenexus.NexusTask{Variant: &corenexus.NexusTask_CancelTask{CancelTask: &corenexus.CancelNexusTask{TaskToken: []byte("ntok"), Reason: corenexus.NexusTaskCancelReason_TIMED_OUT}}},
		}},
	}
}

func TestNexusTasksBecomeCoreTasks(t *testing.T) {
	for _, tt := range nexusTaskCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NexusTask(tt.c.in)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.c.want, got)
		})
	}
	t.Run("cancel_operation", func(t *testing.T) {
		got, err := NexusTask(&bridgev1.NexusTask{TaskToken: []byte("ntok"), Variant: &bridgev1.NexusTask_CancelOperation{CancelOperation: &bridgev1.CancelNexusOperation{
			Service: "svc", Operation: "op", OperationToken: "otok", WorkflowId: "wf"}}})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, &nexuspb.CancelOperationRequest{Service: "svc", Operation: "op", OperationToken: "otok"}, got.GetTask().GetRequest().GetCancelOperation())
	})
}

type nexusCompletionCase struct {
	in   *corenexus.NexusTaskCompletion
	want *bridgev1.NexusTaskCompletion // nil: nothing to forward
}

func nexusCompletionCases() []named[nexusCompletionCase] {
	embedded := &nexuspb.Failure{Message: "bad", Metadata: map[string]string{"type": "temporal.api.failure.v1.Failure"},
		Details: []byte(`{"applicationFailureInfo":{"type":"ValueError","nonRetryable":true},"source":"PythonSDK"}`)}
	return []named[nexusCompletionCase]{
		{"completed", nexusCompletionCase{
			&corenexus.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &corenexus.NexusTaskCompletion_Completed{Completed: &nexuspb.Response{
				Variant: &nexuspb.Response_StartOperation{StartOperation: &nexuspb.StartOperationResponse{Variant: &nexuspb.StartOperationResponse_OperationError{
					OperationError: &nexuspb.UnsuccessfulOperationError{OperationState: "failed", Failure: embedded}}}}}}},
			&bridgev1.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{
				Failure: bfail("bad")}}},
		}},
		{"error", nexusCompletionCase{
			&corenexus.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &corenexus.NexusTaskCompletion_Error{Error: &nexuspb.HandlerError{
				ErrorType: "BAD_REQUEST", Failure: &nexuspb.Failure{Message: "no such input"}, RetryBehavior: enumspb.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE}}},
			&bridgev1.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{
				ErrorType: "BAD_REQUEST", Failure: &bridgev1.Failure{Message: "no such input"}, RetryBehavior: bridgev1.NexusHandlerErrorRetryBehavior_NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE}}},
		}},
		{"ack_cancel", nexusCompletionCase{
			&corenexus.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &corenexus.NexusTaskCompletion_AckCancel{AckCancel: true}}, nil,
		}},
		{"failure", nexusCompletionCase{
			&corenexus.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &corenexus.NexusTaskCompletion_Failure{Failure: &failurepb.Failure{Message: "down",
				FailureInfo: &failurepb.Failure_NexusHandlerFailureInfo{NexusHandlerFailureInfo: &failurepb.NexusHandlerFailureInfo{Type: "UNAVAILABLE"}}}}},
			&bridgev1.NexusTaskCompletion{TaskToken: []byte("ntok"), Status: &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{
				ErrorType: "UNAVAILABLE", Failure: &bridgev1.Failure{Message: "down", FailureInfo: &bridgev1.Failure_NexusHandlerFailureInfo{
					NexusHandlerFailureInfo: &bridgev1.NexusHandlerFailureInfo{Type: "UNAVAILABLE"}}}}}},
		}},
	}
}

func TestNexusCompletionsBecomeBridgeCompletions(t *testing.T) {
	for _, tt := range nexusCompletionCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := proto.Marshal(tt.c.in)
			req, err := Codec{}.Decode(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreNexusCompletion{CoreNexusCompletion: b}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.c.want == nil {
				if req != nil {
					t.Fatalf("Decode = %v, want nothing to forward", req)
				}
				return
			}
			diff(t, tt.c.want, req.GetNexusCompletion())
		})
	}
}

func TestNexusStartResponsesKeepResultsAndLinks(t *testing.T) {
	link := []*nexuspb.Link{{Url: "temporal:///w", Type: "t"}}
	tests := []struct {
		name string
		in   *nexuspb.Response
		want *bridgev1.NexusTaskCompletion
	}{
		{"sync", &nexuspb.Response{Variant: &nexuspb.Response_StartOperation{StartOperation: &nexuspb.StartOperationResponse{
			Variant: &nexuspb.StartOperationResponse_SyncSuccess{SyncSuccess: &nexuspb.StartOperationResponse_Sync{Payload: cp("r"), Links: link}}}}},
			&bridgev1.NexusTaskCompletion{Status: &bridgev1.NexusTaskCompletion_SyncResult{SyncResult: bp("r")}, Links: []*bridgev1.NexusLink{{Url: "temporal:///w", Type: "t"}}}},
		{"async", &nexuspb.Response{Variant: &nexuspb.Response_StartOperation{StartOperation: &nexuspb.StartOperationResponse{
			Variant: &nexuspb.StartOperationResponse_AsyncSuccess{AsyncSuccess: &nexuspb.StartOperationResponse_Async{OperationToken: "otok", Links: link}}}}},
			&bridgev1.NexusTaskCompletion{Status: &bridgev1.NexusTaskCompletion_AsyncStarted{AsyncStarted: &bridgev1.AsyncNexusOperationStarted{OperationToken: "otok"}},
				Links: []*bridgev1.NexusLink{{Url: "temporal:///w", Type: "t"}}}},
		{"cancelled as a Temporal failure", &nexuspb.Response{Variant: &nexuspb.Response_StartOperation{StartOperation: &nexuspb.StartOperationResponse{
			Variant: &nexuspb.StartOperationResponse_Failure{Failure: &failurepb.Failure{Message: "gone",
				FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}}}}}},
			&bridgev1.NexusTaskCompletion{Status: &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{Cancelled: true,
				Failure: &bridgev1.Failure{Message: "gone", FailureInfo: &bridgev1.Failure_CanceledFailureInfo{CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}}}}},
		{"cancel accepted", &nexuspb.Response{Variant: &nexuspb.Response_CancelOperation{CancelOperation: &nexuspb.CancelOperationResponse{}}},
			&bridgev1.NexusTaskCompletion{Status: &bridgev1.NexusTaskCompletion_CancelAccepted{CancelAccepted: &bridgev1.NexusCancelAccepted{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &bridgev1.NexusTaskCompletion{}
			if err := nexusResponse(tt.in, got); err != nil {
				t.Fatal(err)
			}
			diff(t, tt.want, got)
		})
	}
}

func TestLocalActivityStartCarriesBothCloseTimeoutsAsSdkCoreDoes(t *testing.T) {
	minute := durationpb.New(time.Minute)
	tests := []struct {
		name                 string
		startToClose         *durationpb.Duration
		scheduleToClose      *durationpb.Duration
		wantStart, wantSched time.Duration
	}{
		{"start-to-close only: no schedule-to-close is zero", minute, nil, time.Minute, 0},
		{"schedule-to-close only: it bounds each attempt too", nil, minute, time.Minute, time.Minute},
		{"both: kept", durationpb.New(time.Second), minute, time.Second, time.Minute},
		{"start-to-close over the schedule-to-close: capped by it", durationpb.New(time.Hour), minute, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ActivityTask(&bridgev1.ActivityTask{TaskToken: []byte("t"), Variant: &bridgev1.ActivityTask_Start{Start: &bridgev1.StartActivity{
				IsLocal: true, StartToCloseTimeout: tt.startToClose, ScheduleToCloseTimeout: tt.scheduleToClose}}})
			if err != nil {
				t.Fatal(err)
			}
			st := got.GetStart()
			if st.GetStartToCloseTimeout() == nil || st.GetScheduleToCloseTimeout() == nil ||
				st.GetStartToCloseTimeout().AsDuration() != tt.wantStart || st.GetScheduleToCloseTimeout().AsDuration() != tt.wantSched {
				t.Errorf("start-to-close %v, schedule-to-close %v; want %v and %v",
					st.GetStartToCloseTimeout(), st.GetScheduleToCloseTimeout(), tt.wantStart, tt.wantSched)
			}
		})
	}
}
