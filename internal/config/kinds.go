package config

import (
	"fmt"
	"slices"
	"time"
)

// Per-kind tuning, as Temporal's SDK Worker has it: a poller behaviour for
// each polled task kind (workflow_task_poller_behavior and its siblings)
// and a slot supplier for each kind (the composite tuner). The global
// --poller-behavior, --poller-autoscaling-* and --tuner stay the default of
// every kind; a per-kind option overrides its global one for that kind.

// pollerKind is a task kind with its own poller behaviour.
type pollerKind struct {
	name  string // flag prefix, e.g. "activity-task"
	title string // in help, e.g. "activity task"
	max   string // its simple-maximum option
	field func(w *Worker) *PollerKind
}

var pollerKinds = []pollerKind{
	{"workflow-task", "workflow task", "max-workflow-task-pollers", func(w *Worker) *PollerKind { return &w.WorkflowTaskPollers }},
	{"activity-task", "activity task", "max-activity-task-pollers", func(w *Worker) *PollerKind { return &w.ActivityTaskPollers }},
	{"nexus-task", "Nexus task", "max-nexus-task-pollers", func(w *Worker) *PollerKind { return &w.NexusTaskPollers }},
}

// slotKind is a task kind with its own slot supplier.
type slotKind struct {
	name  string // flag prefix, e.g. "local-activity"
	title string
	max   string // its max-concurrent-* option: the fixed size or resource-based maximum
	field func(w *Worker) *SlotKind
}

var slotKinds = []slotKind{
	{"workflow-task", "workflow task", "max-concurrent-workflow-tasks", func(w *Worker) *SlotKind { return &w.WorkflowTaskSlots }},
	{"activity-task", "activity task", "max-concurrent-activities", func(w *Worker) *SlotKind { return &w.ActivityTaskSlots }},
	{"local-activity", "local activity", "max-concurrent-local-activities", func(w *Worker) *SlotKind { return &w.LocalActivitySlots }},
	{"nexus-task", "Nexus task", "max-concurrent-nexus-tasks", func(w *Worker) *SlotKind { return &w.NexusTaskSlots }},
}

// kindOptions are the per-kind options, placed in --help after the global
// ones they override.
func kindOptions() []option {
	var out []option
	for _, k := range pollerKinds {
		out = append(out,
			option{group: groupWorker, name: k.name + "-poller-behavior", arg: "behavior", parent: "poller-behavior",
				help:  fmt.Sprintf("the %s pollers' behaviour, overriding --poller-behavior for them: simple-maximum keeps --%s polls open, autoscaling moves between the %s-poller-autoscaling-* bounds", k.title, k.max, k.name),
				field: func(c *Config) any { return &k.field(&c.Worker).Behavior },
				rule:  oneOf("simple-maximum", "autoscaling")},
			option{group: groupWorker, name: k.name + "-poller-autoscaling-minimum", parent: "poller-autoscaling-minimum",
				help:  fmt.Sprintf("autoscaling: fewest concurrent %s polls", k.title),
				field: func(c *Config) any { return &k.field(&c.Worker).AutoscalingMinimum },
				rule:  atLeast(1)},
			option{group: groupWorker, name: k.name + "-poller-autoscaling-initial", parent: "poller-autoscaling-initial",
				help:  fmt.Sprintf("autoscaling: concurrent %s polls at start", k.title),
				field: func(c *Config) any { return &k.field(&c.Worker).AutoscalingInitial },
				rule:  atLeast(1)},
			option{group: groupWorker, name: k.name + "-poller-autoscaling-maximum", parent: "poller-autoscaling-maximum",
				help:  fmt.Sprintf("autoscaling: most concurrent %s polls", k.title),
				field: func(c *Config) any { return &k.field(&c.Worker).AutoscalingMaximum },
				rule:  atLeast(1)},
		)
	}
	for _, k := range slotKinds {
		out = append(out,
			option{group: groupWorker, name: k.name + "-slot-supplier", arg: "kind", parent: "tuner",
				help:  fmt.Sprintf("the %s slot supplier, overriding --tuner for them: fixed gives --%s slots, resource-based grows up to that many while memory and CPU stay under the --tuner-target-* (shared by every resource-based kind)", k.title, k.max),
				field: func(c *Config) any { return &k.field(&c.Worker).Supplier },
				rule:  oneOf("fixed", "resource-based")},
			option{group: groupWorker, name: k.name + "-slots-minimum",
				help:  fmt.Sprintf("resource-based %s slots: how many are granted whatever memory and CPU say", k.title),
				field: func(c *Config) any { return &k.field(&c.Worker).Minimum },
				rule:  atLeast(0)},
			option{group: groupWorker, name: k.name + "-slots-ramp-throttle",
				help:  fmt.Sprintf("resource-based %s slots: least time between two slots granted beyond the minimum, so usage can show each task's cost", k.title),
				field: func(c *Config) any { return &k.field(&c.Worker).RampThrottle },
				rule:  nonNegativeDuration},
		)
	}
	return out
}

var nonNegativeDuration = rule{want: "a duration >= 0, such as 50ms", ok: func(v any) bool { return v.(time.Duration) >= 0 }}

func init() {
	// After --poller-autoscaling-maximum, the last global tuning option.
	i := index("poller-autoscaling-maximum")
	if i < 0 {
		panic("config: no poller-autoscaling-maximum option")
	}
	options = slices.Insert(options, i+1, kindOptions()...)
}

// inherit copies into each per-kind option the user left unset (set
// reports which were set) the value of its global option.
func inherit(c *Config, set func(name string) bool) {
	for i := range options {
		o := &options[i]
		if o.parent == "" || set(o.name) {
			continue
		}
		switch dst := o.field(c).(type) {
		case *string:
			*dst = *lookup(o.parent).field(c).(*string)
		case *int:
			*dst = *lookup(o.parent).field(c).(*int)
		default:
			panic(fmt.Sprintf("config: option %s inherits a %T", o.name, dst))
		}
	}
}

// validateKinds checks what ties per-kind options to others.
func (c Config) validateKinds(ref func(name string) string, add func(format string, args ...any)) {
	w := c.Worker
	for _, k := range pollerKinds {
		p := *k.field(&w)
		global := PollerKind{Behavior: p.Behavior, AutoscalingMinimum: w.PollerAutoscalingMinimum,
			AutoscalingInitial: w.PollerAutoscalingInitial, AutoscalingMaximum: w.PollerAutoscalingMaximum}
		if p == global {
			continue // the global check reports bounds this kind took from it
		}
		if p.AutoscalingMinimum > p.AutoscalingInitial || p.AutoscalingInitial > p.AutoscalingMaximum {
			add("%s poller autoscaling bounds must satisfy %s (%d) <= %s (%d) <= %s (%d)", k.title,
				ref(k.name+"-poller-autoscaling-minimum"), p.AutoscalingMinimum,
				ref(k.name+"-poller-autoscaling-initial"), p.AutoscalingInitial,
				ref(k.name+"-poller-autoscaling-maximum"), p.AutoscalingMaximum)
		}
	}
	for _, k := range slotKinds {
		s := *k.field(&w)
		if s.Supplier != "resource-based" {
			continue
		}
		if maximum := value(lookup(k.max).field(&c)).(int); s.Minimum > maximum {
			add("%s (%d) must not exceed %s (%d), the most %s slots the resource-based supplier grants",
				ref(k.name+"-slots-minimum"), s.Minimum, ref(k.max), maximum, k.title)
		}
	}
}
