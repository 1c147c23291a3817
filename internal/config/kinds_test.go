package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPerKindSettingsDefaultToTheGlobalOnes(t *testing.T) {
	c, err := Parse([]string{"--task-queue=q", "--tuner=resource-based", "--poller-behavior=autoscaling",
		"--poller-autoscaling-minimum=2", "--poller-autoscaling-initial=3", "--poller-autoscaling-maximum=4"}, env())
	if err != nil {
		t.Fatal(err)
	}
	w := c.Worker
	want := PollerKind{Behavior: "autoscaling", AutoscalingMinimum: 2, AutoscalingInitial: 3, AutoscalingMaximum: 4}
	for name, got := range map[string]PollerKind{"workflow": w.WorkflowTaskPollers, "activity": w.ActivityTaskPollers, "nexus": w.NexusTaskPollers} {
		if got != want {
			t.Errorf("%s pollers = %+v, want %+v", name, got, want)
		}
	}
	for name, got := range map[string]SlotKind{"workflow": w.WorkflowTaskSlots, "activity": w.ActivityTaskSlots,
		"local activity": w.LocalActivitySlots, "nexus": w.NexusTaskSlots} {
		if got.Supplier != "resource-based" {
			t.Errorf("%s slot supplier = %q, want resource-based", name, got.Supplier)
		}
	}
}

func TestPerKindSettingsOverrideTheGlobalOnes(t *testing.T) {
	c, err := Parse([]string{"--task-queue=q",
		"--tuner=resource-based", "--workflow-task-slot-supplier=fixed",
		"--activity-task-slots-minimum=3", "--activity-task-slots-ramp-throttle=0s",
		"--poller-behavior=autoscaling", "--workflow-task-poller-behavior=simple-maximum",
		"--activity-task-poller-autoscaling-maximum=7"},
		env("SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_INITIAL", "2"))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Worker
	if got, want := w.WorkflowTaskPollers, (PollerKind{"simple-maximum", 1, 5, 100}); got != want {
		t.Errorf("workflow pollers = %+v, want %+v", got, want)
	}
	if got, want := w.ActivityTaskPollers, (PollerKind{"autoscaling", 1, 5, 7}); got != want {
		t.Errorf("activity pollers = %+v, want %+v", got, want)
	}
	if got, want := w.NexusTaskPollers, (PollerKind{"autoscaling", 1, 2, 100}); got != want {
		t.Errorf("nexus pollers = %+v, want %+v", got, want)
	}
	if got, want := w.WorkflowTaskSlots, (SlotKind{"fixed", 1, 0}); got != want {
		t.Errorf("workflow slots = %+v, want %+v", got, want)
	}
	if got, want := w.ActivityTaskSlots, (SlotKind{"resource-based", 3, 0}); got != want {
		t.Errorf("activity slots = %+v, want %+v", got, want)
	}
	if got, want := w.LocalActivitySlots, (SlotKind{"resource-based", 1, 50 * time.Millisecond}); got != want {
		t.Errorf("local activity slots = %+v, want %+v", got, want)
	}
}

func TestProfileSidecarTableSetsWorkerOptions(t *testing.T) {
	file := writeFile(t, t.TempDir(), "temporal.toml", `
[profile.default]
address = "a.example:7233"

[profile.default.sidecar]
tuner_target_memory = 1
activity_task_slot_supplier = "resource-based"
activity_task_slots_ramp_throttle = "20ms"
max_concurrent_activities = 50
workflow_task_poller_behavior = "autoscaling"
eager_activities = false
`)
	c, err := Parse([]string{"--task-queue=q", "--config-file", file}, env("SIDECAR_MAX_CONCURRENT_ACTIVITIES", "60"))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Worker
	if w.ActivityTaskSlots != (SlotKind{"resource-based", 1, 20 * time.Millisecond}) || w.WorkflowTaskSlots.Supplier != "fixed" {
		t.Errorf("slots: activity %+v, workflow %+v", w.ActivityTaskSlots, w.WorkflowTaskSlots)
	}
	if w.WorkflowTaskPollers.Behavior != "autoscaling" || w.ActivityTaskPollers.Behavior != "simple-maximum" {
		t.Errorf("pollers: workflow %+v, activity %+v", w.WorkflowTaskPollers, w.ActivityTaskPollers)
	}
	if w.TunerTargetMemory != 1 || w.EagerActivities {
		t.Errorf("target memory %v, eager %v", w.TunerTargetMemory, w.EagerActivities)
	}
	if w.MaxConcurrentActivities != 60 {
		t.Errorf("max concurrent activities = %d, want the environment's 60 over the profile's 50", w.MaxConcurrentActivities)
	}
}

func TestPerKindErrorsNameTheFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"unknown per-kind poller behavior", []string{"--activity-task-poller-behavior=eager"}, env(),
			`invalid value "eager" for --activity-task-poller-behavior (SIDECAR_ACTIVITY_TASK_POLLER_BEHAVIOR): must be one of simple-maximum, autoscaling`},
		{"unknown per-kind poller behavior from env", nil, env("SIDECAR_NEXUS_TASK_POLLER_BEHAVIOR", "max"),
			`invalid value "max" for --nexus-task-poller-behavior (SIDECAR_NEXUS_TASK_POLLER_BEHAVIOR): must be one of simple-maximum, autoscaling`},
		{"zero per-kind poller bound", []string{"--workflow-task-poller-autoscaling-minimum=0"}, env(),
			`invalid value "0" for --workflow-task-poller-autoscaling-minimum (SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_MINIMUM): must be an integer >= 1`},
		{"per-kind bounds out of order", []string{"--workflow-task-poller-autoscaling-initial=200"}, env(),
			"workflow task poller autoscaling bounds must satisfy --workflow-task-poller-autoscaling-minimum (SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_MINIMUM) (1) <= --workflow-task-poller-autoscaling-initial (SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_INITIAL) (200) <= --workflow-task-poller-autoscaling-maximum (SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_MAXIMUM) (100)"},
		{"per-kind maximum below the global minimum", []string{"--poller-autoscaling-minimum=3", "--poller-autoscaling-initial=3", "--nexus-task-poller-autoscaling-maximum=2"}, env(),
			"Nexus task poller autoscaling bounds must satisfy --nexus-task-poller-autoscaling-minimum (SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_MINIMUM) (3) <= --nexus-task-poller-autoscaling-initial (SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_INITIAL) (3) <= --nexus-task-poller-autoscaling-maximum (SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_MAXIMUM) (2)"},
		{"global bounds out of order are reported once", []string{"--poller-autoscaling-minimum=10", "--poller-autoscaling-initial=5"}, env(),
			"poller autoscaling bounds must satisfy --poller-autoscaling-minimum (SIDECAR_POLLER_AUTOSCALING_MINIMUM) (10) <= --poller-autoscaling-initial (SIDECAR_POLLER_AUTOSCALING_INITIAL) (5) <= --poller-autoscaling-maximum (SIDECAR_POLLER_AUTOSCALING_MAXIMUM) (100)"},
		{"unknown slot supplier", []string{"--local-activity-slot-supplier=custom"}, env(),
			`invalid value "custom" for --local-activity-slot-supplier (SIDECAR_LOCAL_ACTIVITY_SLOT_SUPPLIER): must be one of fixed, resource-based`},
		{"negative slots minimum", nil, env("SIDECAR_WORKFLOW_TASK_SLOTS_MINIMUM", "-1"),
			`invalid value "-1" for --workflow-task-slots-minimum (SIDECAR_WORKFLOW_TASK_SLOTS_MINIMUM): must be an integer >= 0`},
		{"negative ramp throttle", []string{"--activity-task-slots-ramp-throttle=-5ms"}, env(),
			`invalid value "-5ms" for --activity-task-slots-ramp-throttle (SIDECAR_ACTIVITY_TASK_SLOTS_RAMP_THROTTLE): must be a duration >= 0, such as 50ms`},
		{"ramp throttle not a duration", []string{"--nexus-task-slots-ramp-throttle=50"}, env(),
			`invalid value "50" for --nexus-task-slots-ramp-throttle (SIDECAR_NEXUS_TASK_SLOTS_RAMP_THROTTLE): must be a duration >= 0, such as 50ms`},
		{"resource-based minimum over the maximum", []string{"--activity-task-slot-supplier=resource-based", "--activity-task-slots-minimum=20", "--max-concurrent-activities=10"}, env(),
			"--activity-task-slots-minimum (SIDECAR_ACTIVITY_TASK_SLOTS_MINIMUM) (20) must not exceed --max-concurrent-activities (SIDECAR_MAX_CONCURRENT_ACTIVITIES) (10), the most activity task slots the resource-based supplier grants"},
		{"resource-based through --tuner, minimum over the maximum", []string{"--tuner=resource-based", "--max-concurrent-workflow-tasks=2"}, env("SIDECAR_WORKFLOW_TASK_SLOTS_MINIMUM", "3"),
			"--workflow-task-slots-minimum (SIDECAR_WORKFLOW_TASK_SLOTS_MINIMUM) (3) must not exceed --max-concurrent-workflow-tasks (SIDECAR_MAX_CONCURRENT_WORKFLOW_TASKS) (2), the most workflow task slots the resource-based supplier grants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(append([]string{"--task-queue=q"}, tt.args...), tt.env)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// A minimum above the maximum only matters for a resource-based supplier.
func TestFixedSlotsIgnoreTheResourceBasedMinimum(t *testing.T) {
	if _, err := Parse([]string{"--task-queue=q", "--max-concurrent-activities=2", "--activity-task-slots-minimum=5"}, env()); err != nil {
		t.Fatal(err)
	}
}

func TestInlineTLSAndGRPCMetaFromTheEnvironment(t *testing.T) {
	file := writeFile(t, t.TempDir(), "temporal.toml", `
[profile.default.grpc_meta]
x-tenant = "from-profile"
x-removed = "from-profile"
x-kept = "k"
`)
	c, err := ParseEnviron([]string{"--task-queue=q", "--config-file", file}, []string{
		"HOME=/nowhere",
		"TEMPORAL_TLS_SERVER_CA_CERT_DATA=CA PEM",
		"TEMPORAL_TLS_CLIENT_CERT_DATA=CERT PEM",
		"TEMPORAL_TLS_CLIENT_KEY_DATA=KEY PEM",
		"TEMPORAL_GRPC_META_X_TENANT=from-env",
		"TEMPORAL_GRPC_META_X_REMOVED=",
		"TEMPORAL_GRPC_META_Some_Header=v=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	tls := c.Frontend.TLS
	if !tls.Enabled || tls.CAData != "CA PEM" || tls.CertData != "CERT PEM" || tls.KeyData != "KEY PEM" {
		t.Errorf("TLS = %+v, want it on with the three PEM texts", tls)
	}
	want := map[string]string{"x-tenant": "from-env", "x-kept": "k", "some-header": "v=1"}
	if !reflect.DeepEqual(c.Frontend.GRPCMeta, want) {
		t.Errorf("GRPCMeta = %v, want %v", c.Frontend.GRPCMeta, want)
	}
}

func TestEnvConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"CA path and data", nil, []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH=/ca.pem", "TEMPORAL_TLS_SERVER_CA_CERT_DATA=pem"},
			"--tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH) and --tls-ca-data (TEMPORAL_TLS_SERVER_CA_CERT_DATA) exclude each other: give the PEM as a file or as text, not both"},
		{"client key path and data", []string{"--tls-key-path=/k.pem", "--tls-cert-data=c"}, []string{"TEMPORAL_TLS_CLIENT_KEY_DATA=pem"},
			"--tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH) and --tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA) exclude each other: give the PEM as a file or as text, not both"},
		{"certificate data without a key", nil, []string{"TEMPORAL_TLS_CLIENT_CERT_DATA=pem"},
			"--tls-cert-data (TEMPORAL_TLS_CLIENT_CERT_DATA) needs --tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA)"},
		{"key data without a certificate", []string{"--tls-key-data=k"}, nil,
			"--tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA) needs --tls-cert-data (TEMPORAL_TLS_CLIENT_CERT_DATA)"},
		{"certificate data with a key file", nil, []string{"TEMPORAL_TLS_CLIENT_CERT_DATA=pem", "TEMPORAL_TLS_CLIENT_KEY_PATH=/k.pem"},
			"--tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH) come together, as do --tls-cert-data (TEMPORAL_TLS_CLIENT_CERT_DATA) and --tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA): give the client certificate and its key both as files or both as text"},
		{"data with TLS off", []string{"--tls=false"}, []string{"TEMPORAL_TLS_SERVER_CA_CERT_DATA=pem"},
			"--tls-ca-data (TEMPORAL_TLS_SERVER_CA_CERT_DATA) needs TLS, but --tls (TEMPORAL_TLS) is false"},
		{"codec endpoint", nil, []string{"TEMPORAL_CODEC_ENDPOINT=https://codec.example"},
			"TEMPORAL_CODEC_ENDPOINT is set, but the sidecar applies no remote codec: payloads pass through it as the apps encode them (Temporal's SDKs leave the codec off for workers too); give the apps' data converter the codec instead; unset it for the sidecar"},
		{"codec auth", nil, []string{"TEMPORAL_CODEC_AUTH=Bearer x"},
			"TEMPORAL_CODEC_AUTH is set, but the sidecar applies no remote codec (see TEMPORAL_CODEC_ENDPOINT); unset it for the sidecar"},
		{"reserved header", nil, []string{"TEMPORAL_GRPC_META_GRPC_TIMEOUT=1S"},
			`TEMPORAL_GRPC_META_GRPC_TIMEOUT: gRPC header "grpc-timeout": names starting with grpc- are reserved by gRPC`},
		{"header name with a space", nil, []string{"TEMPORAL_GRPC_META_X TENANT=t"},
			`TEMPORAL_GRPC_META_X TENANT: gRPC header "x tenant": a name takes only letters, digits, '-', '_' and '.'`},
		{"empty header name", nil, []string{"TEMPORAL_GRPC_META_=t"},
			`TEMPORAL_GRPC_META_: gRPC header name is empty`},
		{"header value not printable", nil, []string{"TEMPORAL_GRPC_META_X_TENANT=caf\u00e9"},
			`TEMPORAL_GRPC_META_X_TENANT: gRPC header "x-tenant": a value takes only printable ASCII (name it *-bin for binary)`},
		{"two variables for one header", nil, []string{"TEMPORAL_GRPC_META_X_TENANT=a", "TEMPORAL_GRPC_META_x_tenant=b"},
			`TEMPORAL_GRPC_META_X_TENANT and TEMPORAL_GRPC_META_x_tenant both set gRPC header "x-tenant", to different values; keep one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnviron(append([]string{"--task-queue=q", "--config-file="}, tt.args...), tt.environ)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// A binary header's value is not checked, and every name in --help has
// the variable that sets it.
func TestBinaryHeaderTakesAnyValue(t *testing.T) {
	c, err := ParseEnviron([]string{"--task-queue=q", "--config-file="}, []string{"TEMPORAL_GRPC_META_TRACE_BIN=\x01\x02"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Frontend.GRPCMeta["trace-bin"] != "\x01\x02" {
		t.Errorf("GRPCMeta = %q", c.Frontend.GRPCMeta)
	}
	var b strings.Builder
	Usage(&b)
	if !strings.Contains(b.String(), "  --activity-task-slot-supplier kind (SIDECAR_ACTIVITY_TASK_SLOT_SUPPLIER, default --tuner)\n") {
		t.Errorf("help does not show the per-kind default")
	}
}
