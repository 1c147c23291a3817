package coreconv

import (
	"slices"
	"testing"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activityresult"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activitytask"
	corenexus "github.com/temporal-sidecar/sidecar/gen/go/coresdk/nexus"
	wfact "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowactivation"
	wfcmd "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowcommands"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// refusedCommands are the core commands the sidecar refuses, with the
// reason every app sees. Anything else core can send must convert.
var refusedCommands = map[string]string{}

// TestEveryCoreVariantIsMappedOrRefused walks sdk-core's own descriptors: a
// variant added to core (a newer temporalio) fails here until it has a
// conversion case or a refusal.
func TestEveryCoreVariantIsMappedOrRefused(t *testing.T) {
	tests := []struct {
		oneof   protoreflect.OneofDescriptor
		covered []string
	}{
		{oneofOf(&wfact.WorkflowActivationJob{}, "variant"), keys(jobCases())},
		{oneofOf(&wfcmd.WorkflowCommand{}, "variant"), append(keys(commandCases()), keysOf(refusedCommands)...)},
		{oneofOf(&activitytask.ActivityTask{}, "variant"), keys(activityTaskCases())},
		{oneofOf(&activityresult.ActivityExecutionResult{}, "status"), keys(activityResultCases())},
		// ActivityResolution is recoded whole inside resolve_activity: one case per status.
		{oneofOf(&activityresult.ActivityResolution{}, "status"), keys(resolutionCases())},
		{oneofOf(&corenexus.NexusTask{}, "variant"), keys(nexusTaskCases())},
		{oneofOf(&corenexus.NexusTaskCompletion{}, "status"), keys(nexusCompletionCases())},
	}
	for _, tt := range tests {
		t.Run(string(tt.oneof.FullName()), func(t *testing.T) {
			fields := tt.oneof.Fields()
			for i := range fields.Len() {
				name := string(fields.Get(i).Name())
				if !slices.Contains(tt.covered, name) {
					t.Errorf("core's %s.%s has no conversion case and is not refused: map it in coreconv and add a case, or refuse it by name",
						tt.oneof.FullName(), name)
				}
			}
			for _, name := range tt.covered {
				if fields.ByName(protoreflect.Name(name)) == nil {
					t.Errorf("case %q names no variant of core's %s", name, tt.oneof.FullName())
				}
			}
		})
	}
}

// notFilled are core fields the sidecar does not provide, with why. Every
// other field of these messages must be set from a fully set bridge message.
var notFilled = map[protoreflect.FullName]string{
	// The engine does not track the SDK version recorded in history; temporalio does not read it.
	"coresdk.workflow_activation.WorkflowActivation.last_sdk_version": "not tracked",
}

// TestEveryCoreFieldIsFilled converts fully set bridge messages and checks
// that core's side has every field of its descriptor set.
func TestEveryCoreFieldIsFilled(t *testing.T) {
	act, err := Activation(fullActivation())
	if err != nil {
		t.Fatal(err)
	}
	init := act.GetJobs()[0].GetInitializeWorkflow()
	task, err := ActivityTask(fullActivityTask())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []proto.Message{act, init, task.GetStart()} {
		r := m.ProtoReflect()
		fields := r.Descriptor().Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			if _, ok := notFilled[f.FullName()]; ok {
				continue
			}
			if !r.Has(f) {
				t.Errorf("%s is not filled from the bridge message: map it, or list it in notFilled with why", f.FullName())
			}
		}
	}
}

func oneofOf(m proto.Message, name string) protoreflect.OneofDescriptor {
	return m.ProtoReflect().Descriptor().Oneofs().ByName(protoreflect.Name(name))
}

func keys[T any](cases []named[T]) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.name
	}
	return out
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// named is a conversion case, named after core's variant it covers.
type named[T any] struct {
	name string
	c    T
}
