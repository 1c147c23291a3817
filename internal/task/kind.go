// Package task names the kinds of work a Temporal worker does. Slots, bridge
// credits and pollers are all counted per kind.
package task

// Kind is a kind of task.
type Kind int

// The kinds of task.
const (
	Workflow      Kind = iota // workflow tasks, delivered to apps as activations
	Activity                  // activity tasks polled from the server
	LocalActivity             // local activities scheduled by workflows
	Nexus                     // Nexus tasks
	NumKinds                  // the number of kinds, for arrays indexed by Kind
)

var names = [NumKinds]string{"workflow", "activity", "local_activity", "nexus"}

// String returns the kind's name as metrics and logs use it.
func (k Kind) String() string {
	if k < 0 || k >= NumKinds {
		return "unknown"
	}
	return names[k]
}

// WorkerType is the worker_type label Temporal's SDK metrics use for the kind.
func (k Kind) WorkerType() string {
	return [NumKinds]string{"WorkflowWorker", "ActivityWorker", "LocalActivityWorker", "NexusWorker"}[k]
}
