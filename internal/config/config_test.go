package config

import (
	"errors"
	"flag"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// env is a getenv backed by a map.
func env(kv ...string) func(string) string {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaultsAreDocumentedValues(t *testing.T) {
	c, err := Parse([]string{"--task-queue", "q"}, env())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Frontend: Frontend{
			Profile:        "default",
			Address:        "127.0.0.1:7233",
			Namespace:      "default",
			ConnectTimeout: 10 * time.Second,
			BlobSizeLimit:  2 << 20,
		},
		Worker: Worker{
			MaxTaskQueues:                    100,
			TaskQueueIdleTimeout:             time.Minute,
			TaskHandbackGrace:                5 * time.Second,
			MaxMissedDeadlines:               3,
			TaskQueue:                        "q",
			Identity:                         defaultIdentity(),
			DefaultVersioningBehavior:        "unspecified",
			MaxCachedWorkflows:               1000,
			MaxConcurrentWorkflowTasks:       200,
			MaxConcurrentActivities:          200,
			MaxConcurrentLocalActivities:     200,
			MaxConcurrentNexusTasks:          200,
			MaxWorkflowTaskPollers:           5,
			MaxActivityTaskPollers:           5,
			MaxNexusTaskPollers:              5,
			Tuner:                            "fixed",
			TunerTargetMemory:                0.8,
			TunerTargetCPU:                   0.9,
			PollerBehavior:                   "simple-maximum",
			PollerAutoscalingMinimum:         1,
			PollerAutoscalingInitial:         5,
			PollerAutoscalingMaximum:         100,
			WorkflowTaskPollers:              PollerKind{Behavior: "simple-maximum", AutoscalingMinimum: 1, AutoscalingInitial: 5, AutoscalingMaximum: 100},
			ActivityTaskPollers:              PollerKind{Behavior: "simple-maximum", AutoscalingMinimum: 1, AutoscalingInitial: 5, AutoscalingMaximum: 100},
			NexusTaskPollers:                 PollerKind{Behavior: "simple-maximum", AutoscalingMinimum: 1, AutoscalingInitial: 5, AutoscalingMaximum: 100},
			WorkflowTaskSlots:                SlotKind{Supplier: "fixed", Minimum: 1},
			ActivityTaskSlots:                SlotKind{Supplier: "fixed", Minimum: 1, RampThrottle: 50 * time.Millisecond},
			LocalActivitySlots:               SlotKind{Supplier: "fixed", Minimum: 1, RampThrottle: 50 * time.Millisecond},
			NexusTaskSlots:                   SlotKind{Supplier: "fixed", Minimum: 1},
			NonstickyToStickyPollRatio:       0.2,
			StickyScheduleToStartTimeout:     10 * time.Second,
			DefaultHeartbeatThrottleInterval: 30 * time.Second,
			MaxHeartbeatThrottleInterval:     60 * time.Second,
			EagerActivities:                  true,
			GracefulShutdownTimeout:          30 * time.Second,
		},
		Bridge:    Bridge{Listen: "unix:///tmp/temporal-sidecar.sock", MaxMessageSize: 4 << 20},
		Telemetry: Telemetry{Listen: "127.0.0.1:9090", LogLevel: "info", LogFormat: "text", MetricsDurationUnit: "milliseconds"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Parse defaults:\n got %+v\nwant %+v", c, want)
	}
	if !strings.Contains(c.Worker.Identity, "@") {
		t.Errorf("identity %q is not <pid>@<hostname>", c.Worker.Identity)
	}
}

// twins lists every option with its environment variable and a valid
// value that differs from the default. It pins the names users rely on.
var twins = []struct{ flag, env, value string }{
	{"config-file", "TEMPORAL_CONFIG_FILE", "testdata/temporal.toml"},
	{"profile", "TEMPORAL_PROFILE", "prod"},
	{"address", "TEMPORAL_ADDRESS", "temporal.example:7233"},
	{"namespace", "TEMPORAL_NAMESPACE", "prod"},
	{"api-key", "TEMPORAL_API_KEY", "secret"},
	{"tls", "TEMPORAL_TLS", "true"},
	{"tls-ca-path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/ca.pem"},
	{"tls-cert-path", "TEMPORAL_TLS_CLIENT_CERT_PATH", "/c.pem"},
	{"tls-key-path", "TEMPORAL_TLS_CLIENT_KEY_PATH", "/k.pem"},
	{"tls-ca-data", "TEMPORAL_TLS_SERVER_CA_CERT_DATA", "-----BEGIN CERTIFICATE-----"},
	{"tls-cert-data", "TEMPORAL_TLS_CLIENT_CERT_DATA", "-----BEGIN CERTIFICATE-----"},
	{"tls-key-data", "TEMPORAL_TLS_CLIENT_KEY_DATA", "-----BEGIN PRIVATE KEY-----"},
	{"tls-server-name", "TEMPORAL_TLS_SERVER_NAME", "frontend.internal"},
	{"tls-disable-host-verification", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "true"},
	{"connect-timeout", "SIDECAR_CONNECT_TIMEOUT", "3s"},
	{"blob-size-limit", "SIDECAR_BLOB_SIZE_LIMIT", "4194304"},
	{"task-queue", "SIDECAR_TASK_QUEUE", "orders"},
	{"task-queues", "SIDECAR_TASK_QUEUES", "orders,payments-*"},
	{"max-task-queues", "SIDECAR_MAX_TASK_QUEUES", "7"},
	{"task-queue-idle-timeout", "SIDECAR_TASK_QUEUE_IDLE_TIMEOUT", "5s"},
	{"task-handback-grace", "SIDECAR_TASK_HANDBACK_GRACE", "2s"},
	{"max-missed-deadlines", "SIDECAR_MAX_MISSED_DEADLINES", "0"},
	{"identity", "SIDECAR_IDENTITY", "me"},
	{"build-id", "SIDECAR_BUILD_ID", "b1"},
	{"deployment-name", "SIDECAR_DEPLOYMENT_NAME", "d"},
	{"use-versioning", "SIDECAR_USE_VERSIONING", "true"},
	{"default-versioning-behavior", "SIDECAR_DEFAULT_VERSIONING_BEHAVIOR", "pinned"},
	{"max-cached-workflows", "SIDECAR_MAX_CACHED_WORKFLOWS", "0"},
	{"max-concurrent-workflow-tasks", "SIDECAR_MAX_CONCURRENT_WORKFLOW_TASKS", "7"},
	{"max-concurrent-activities", "SIDECAR_MAX_CONCURRENT_ACTIVITIES", "8"},
	{"max-concurrent-local-activities", "SIDECAR_MAX_CONCURRENT_LOCAL_ACTIVITIES", "9"},
	{"max-concurrent-nexus-tasks", "SIDECAR_MAX_CONCURRENT_NEXUS_TASKS", "10"},
	{"max-workflow-task-pollers", "SIDECAR_MAX_WORKFLOW_TASK_POLLERS", "2"},
	{"max-activity-task-pollers", "SIDECAR_MAX_ACTIVITY_TASK_POLLERS", "3"},
	{"max-nexus-task-pollers", "SIDECAR_MAX_NEXUS_TASK_POLLERS", "4"},
	{"tuner", "SIDECAR_TUNER", "resource-based"},
	{"tuner-target-memory", "SIDECAR_TUNER_TARGET_MEMORY", "0.5"},
	{"tuner-target-cpu", "SIDECAR_TUNER_TARGET_CPU", "0.75"},
	{"poller-behavior", "SIDECAR_POLLER_BEHAVIOR", "autoscaling"},
	{"poller-autoscaling-minimum", "SIDECAR_POLLER_AUTOSCALING_MINIMUM", "2"},
	{"poller-autoscaling-initial", "SIDECAR_POLLER_AUTOSCALING_INITIAL", "6"},
	{"poller-autoscaling-maximum", "SIDECAR_POLLER_AUTOSCALING_MAXIMUM", "50"},
	{"workflow-task-poller-behavior", "SIDECAR_WORKFLOW_TASK_POLLER_BEHAVIOR", "autoscaling"},
	{"workflow-task-poller-autoscaling-minimum", "SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_MINIMUM", "2"},
	{"workflow-task-poller-autoscaling-initial", "SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_INITIAL", "7"},
	{"workflow-task-poller-autoscaling-maximum", "SIDECAR_WORKFLOW_TASK_POLLER_AUTOSCALING_MAXIMUM", "20"},
	{"activity-task-poller-behavior", "SIDECAR_ACTIVITY_TASK_POLLER_BEHAVIOR", "autoscaling"},
	{"activity-task-poller-autoscaling-minimum", "SIDECAR_ACTIVITY_TASK_POLLER_AUTOSCALING_MINIMUM", "3"},
	{"activity-task-poller-autoscaling-initial", "SIDECAR_ACTIVITY_TASK_POLLER_AUTOSCALING_INITIAL", "8"},
	{"activity-task-poller-autoscaling-maximum", "SIDECAR_ACTIVITY_TASK_POLLER_AUTOSCALING_MAXIMUM", "30"},
	{"nexus-task-poller-behavior", "SIDECAR_NEXUS_TASK_POLLER_BEHAVIOR", "autoscaling"},
	{"nexus-task-poller-autoscaling-minimum", "SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_MINIMUM", "4"},
	{"nexus-task-poller-autoscaling-initial", "SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_INITIAL", "9"},
	{"nexus-task-poller-autoscaling-maximum", "SIDECAR_NEXUS_TASK_POLLER_AUTOSCALING_MAXIMUM", "40"},
	{"workflow-task-slot-supplier", "SIDECAR_WORKFLOW_TASK_SLOT_SUPPLIER", "resource-based"},
	{"workflow-task-slots-minimum", "SIDECAR_WORKFLOW_TASK_SLOTS_MINIMUM", "5"},
	{"workflow-task-slots-ramp-throttle", "SIDECAR_WORKFLOW_TASK_SLOTS_RAMP_THROTTLE", "10ms"},
	{"activity-task-slot-supplier", "SIDECAR_ACTIVITY_TASK_SLOT_SUPPLIER", "resource-based"},
	{"activity-task-slots-minimum", "SIDECAR_ACTIVITY_TASK_SLOTS_MINIMUM", "2"},
	{"activity-task-slots-ramp-throttle", "SIDECAR_ACTIVITY_TASK_SLOTS_RAMP_THROTTLE", "0s"},
	{"local-activity-slot-supplier", "SIDECAR_LOCAL_ACTIVITY_SLOT_SUPPLIER", "resource-based"},
	{"local-activity-slots-minimum", "SIDECAR_LOCAL_ACTIVITY_SLOTS_MINIMUM", "0"},
	{"local-activity-slots-ramp-throttle", "SIDECAR_LOCAL_ACTIVITY_SLOTS_RAMP_THROTTLE", "1s"},
	{"nexus-task-slot-supplier", "SIDECAR_NEXUS_TASK_SLOT_SUPPLIER", "resource-based"},
	{"nexus-task-slots-minimum", "SIDECAR_NEXUS_TASK_SLOTS_MINIMUM", "3"},
	{"nexus-task-slots-ramp-throttle", "SIDECAR_NEXUS_TASK_SLOTS_RAMP_THROTTLE", "100ms"},
	{"nonsticky-to-sticky-poll-ratio", "SIDECAR_NONSTICKY_TO_STICKY_POLL_RATIO", "1"},
	{"sticky-schedule-to-start-timeout", "SIDECAR_STICKY_SCHEDULE_TO_START_TIMEOUT", "5s"},
	{"default-heartbeat-throttle-interval", "SIDECAR_DEFAULT_HEARTBEAT_THROTTLE_INTERVAL", "1s"},
	{"max-heartbeat-throttle-interval", "SIDECAR_MAX_HEARTBEAT_THROTTLE_INTERVAL", "2m0s"},
	{"activities-per-second", "SIDECAR_ACTIVITIES_PER_SECOND", "2.5"},
	{"task-queue-activities-per-second", "SIDECAR_TASK_QUEUE_ACTIVITIES_PER_SECOND", "100"},
	{"no-remote-activities", "SIDECAR_NO_REMOTE_ACTIVITIES", "true"},
	{"eager-activities", "SIDECAR_EAGER_ACTIVITIES", "false"},
	{"graceful-shutdown-timeout", "SIDECAR_GRACEFUL_SHUTDOWN_TIMEOUT", "0s"},
	{"bridge-listen", "SIDECAR_BRIDGE_LISTEN", "127.0.0.1:7000"},
	{"bridge-max-message-size", "SIDECAR_BRIDGE_MAX_MESSAGE_SIZE", "1048576"},
	{"bridge-token", "SIDECAR_BRIDGE_TOKEN", "tok"},
	{"bridge-tls-cert-path", "SIDECAR_BRIDGE_TLS_CERT_PATH", "/b.pem"},
	{"bridge-tls-key-path", "SIDECAR_BRIDGE_TLS_KEY_PATH", "/bk.pem"},
	{"bridge-tls-client-ca-path", "SIDECAR_BRIDGE_TLS_CLIENT_CA_PATH", "/bca.pem"},
	{"workflow-service-proxy", "SIDECAR_WORKFLOW_SERVICE_PROXY", "true"},
	{"workflow-service-proxy-unconfined", "SIDECAR_WORKFLOW_SERVICE_PROXY_UNCONFINED", "true"},
	{"http-listen", "SIDECAR_HTTP_LISTEN", "0.0.0.0:9999"},
	{"log-level", "SIDECAR_LOG_LEVEL", "debug"},
	{"log-format", "SIDECAR_LOG_FORMAT", "json"},
	{"metrics-duration-unit", "SIDECAR_METRICS_DURATION_UNIT", "seconds"},
}

// companions makes a twin's value valid on its own: options that need
// another one get it here.
var companions = map[string][]string{
	"profile":                           {"--config-file=testdata/temporal.toml"},
	"tls-cert-path":                     {"--tls-key-path=/k.pem"},
	"tls-key-path":                      {"--tls-cert-path=/c.pem"},
	"tls-cert-data":                     {"--tls-key-data=k"},
	"tls-key-data":                      {"--tls-cert-data=c"},
	"use-versioning":                    {"--deployment-name=d", "--build-id=b"},
	"default-versioning-behavior":       {"--use-versioning", "--deployment-name=d", "--build-id=b"},
	"bridge-tls-cert-path":              {"--bridge-tls-key-path=/bk.pem"},
	"workflow-service-proxy-unconfined": {"--workflow-service-proxy"},
	"bridge-tls-key-path":               {"--bridge-tls-cert-path=/b.pem"},
	"bridge-tls-client-ca-path":         {"--bridge-tls-cert-path=/b.pem", "--bridge-tls-key-path=/bk.pem"},
}

func TestEveryOptionHasATwinEntry(t *testing.T) {
	if len(twins) != len(options) {
		t.Fatalf("twins has %d entries, options has %d", len(twins), len(options))
	}
	for i, tw := range twins {
		o := options[i]
		if o.name != tw.flag || o.envs()[0] != tw.env {
			t.Errorf("option %d is --%s (%s), want --%s (%s)", i, o.name, o.envs()[0], tw.flag, tw.env)
		}
	}
}

func TestEnvTwinSetsOption(t *testing.T) {
	for _, tw := range twins {
		t.Run(tw.env, func(t *testing.T) {
			args := companions[tw.flag]
			c, err := Parse(args, env(tw.env, tw.value))
			if err != nil {
				t.Fatal(err)
			}
			if got := format(lookup(tw.flag).field(&c)); got != tw.value {
				t.Errorf("%s=%s gave %s = %q", tw.env, tw.value, tw.flag, got)
			}
		})
	}
}

func TestFlagSetsOption(t *testing.T) {
	for _, tw := range twins {
		t.Run(tw.flag, func(t *testing.T) {
			args := append([]string{"--" + tw.flag + "=" + tw.value}, companions[tw.flag]...)
			c, err := Parse(args, env())
			if err != nil {
				t.Fatal(err)
			}
			if got := format(lookup(tw.flag).field(&c)); got != tw.value {
				t.Errorf("--%s=%s gave %q", tw.flag, tw.value, got)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string // Frontend.Address
	}{
		{"default when nothing is set", nil, env(), "127.0.0.1:7233"},
		{"env beats default", nil, env("TEMPORAL_ADDRESS", "env:1"), "env:1"},
		{"flag beats env", []string{"--address=flag:1"}, env("TEMPORAL_ADDRESS", "env:1"), "flag:1"},
		{"single-dash flag beats env", []string{"-address", "flag:1"}, env("TEMPORAL_ADDRESS", "env:1"), "flag:1"},
		{"flag beats invalid env", []string{"--address=flag:1"}, env("TEMPORAL_ADDRESS", "nope"), "flag:1"},
		{"empty env counts as unset", nil, env("TEMPORAL_ADDRESS", ""), "127.0.0.1:7233"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(append(tt.args, "--task-queue=q"), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.Address != tt.want {
				t.Errorf("address = %q, want %q", c.Frontend.Address, tt.want)
			}
		})
	}
}

func TestCLICAPathNameIsAnAlias(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		want string
	}{
		{"CLI name alone", env("TEMPORAL_TLS_CA_PATH", "/cli.pem"), "/cli.pem"},
		{"env-config name beats CLI name", env("TEMPORAL_TLS_CA_PATH", "/cli.pem", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/ec.pem"), "/ec.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]string{"--task-queue=q"}, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.TLS.CAPath != tt.want {
				t.Errorf("CAPath = %q, want %q", c.Frontend.TLS.CAPath, tt.want)
			}
		})
	}
}

func TestTLSFollowsOtherSettingsUnlessExplicit(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want bool
	}{
		{"off by default", nil, env(), false},
		{"API key turns it on", nil, env("TEMPORAL_API_KEY", "k"), true},
		{"CA path turns it on", []string{"--tls-ca-path=/ca.pem"}, env(), true},
		{"client cert turns it on", []string{"--tls-cert-path=/c", "--tls-key-path=/k"}, env(), true},
		{"server name turns it on", []string{"--tls-server-name=x"}, env(), true},
		{"disabled host verification turns it on", []string{"--tls-disable-host-verification"}, env(), true},
		{"API key with TLS explicitly off stays off", []string{"--api-key=k", "--tls=false"}, env(), false},
		{"API key with TEMPORAL_TLS=0 stays off", nil, env("TEMPORAL_API_KEY", "k", "TEMPORAL_TLS", "0"), false},
		{"explicit on without anything else", []string{"--tls"}, env(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(append(tt.args, "--task-queue=q"), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.TLS.Enabled != tt.want {
				t.Errorf("TLS.Enabled = %v, want %v", c.Frontend.TLS.Enabled, tt.want)
			}
		})
	}
}

func TestErrorsNameFlagAndEnv(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"non-integer flag", []string{"--max-cached-workflows=abc"}, env(),
			`invalid value "abc" for --max-cached-workflows (SIDECAR_MAX_CACHED_WORKFLOWS): must be an integer >= 0`},
		{"non-integer env", nil, env("SIDECAR_MAX_CACHED_WORKFLOWS", "abc"),
			`invalid value "abc" for --max-cached-workflows (SIDECAR_MAX_CACHED_WORKFLOWS): must be an integer >= 0`},
		{"negative cache size", []string{"--max-cached-workflows=-1"}, env(),
			`invalid value "-1" for --max-cached-workflows (SIDECAR_MAX_CACHED_WORKFLOWS): must be an integer >= 0`},
		{"unknown tuner", []string{"--tuner=magic"}, env(),
			`invalid value "magic" for --tuner (SIDECAR_TUNER): must be one of fixed, resource-based`},
		{"memory target over one", []string{"--tuner-target-memory=1.5"}, env(),
			`invalid value "1.5" for --tuner-target-memory (SIDECAR_TUNER_TARGET_MEMORY): must be a number in (0, 1]`},
		{"cpu target zero", nil, env("SIDECAR_TUNER_TARGET_CPU", "0"),
			`invalid value "0" for --tuner-target-cpu (SIDECAR_TUNER_TARGET_CPU): must be a number in (0, 1]`},
		{"unknown poller behavior", []string{"--poller-behavior=eager"}, env(),
			`invalid value "eager" for --poller-behavior (SIDECAR_POLLER_BEHAVIOR): must be one of simple-maximum, autoscaling`},
		{"autoscaling bounds out of order", []string{"--poller-autoscaling-minimum=10", "--poller-autoscaling-initial=5"}, env(),
			"poller autoscaling bounds must satisfy --poller-autoscaling-minimum (SIDECAR_POLLER_AUTOSCALING_MINIMUM) (10) <= --poller-autoscaling-initial (SIDECAR_POLLER_AUTOSCALING_INITIAL) (5) <= --poller-autoscaling-maximum (SIDECAR_POLLER_AUTOSCALING_MAXIMUM) (100)"},
		{"zero workflow task slots", []string{"--max-concurrent-workflow-tasks=0"}, env(),
			`invalid value "0" for --max-concurrent-workflow-tasks (SIDECAR_MAX_CONCURRENT_WORKFLOW_TASKS): must be an integer >= 1`},
		{"zero activity slots", []string{"--max-concurrent-activities=0"}, env(),
			`invalid value "0" for --max-concurrent-activities (SIDECAR_MAX_CONCURRENT_ACTIVITIES): must be an integer >= 1`},
		{"zero local activity slots", nil, env("SIDECAR_MAX_CONCURRENT_LOCAL_ACTIVITIES", "0"),
			`invalid value "0" for --max-concurrent-local-activities (SIDECAR_MAX_CONCURRENT_LOCAL_ACTIVITIES): must be an integer >= 1`},
		{"zero nexus slots", []string{"--max-concurrent-nexus-tasks=0"}, env(),
			`invalid value "0" for --max-concurrent-nexus-tasks (SIDECAR_MAX_CONCURRENT_NEXUS_TASKS): must be an integer >= 1`},
		{"task queue and patterns together", []string{"--task-queues=orders-*"}, env(),
			"--task-queue (SIDECAR_TASK_QUEUE) and --task-queues (SIDECAR_TASK_QUEUES) exclude each other: set --task-queue (SIDECAR_TASK_QUEUE) to serve one queue, or --task-queues (SIDECAR_TASK_QUEUES) to allow several"},
		{"malformed queue pattern", nil, env("SIDECAR_TASK_QUEUES", "orders,[a-"),
			`invalid value "orders,[a-" for --task-queues (SIDECAR_TASK_QUEUES): must be comma-separated names or patterns such as orders,payments-*`},
		{"zero queues", []string{"--max-task-queues=0"}, env(),
			`invalid value "0" for --max-task-queues (SIDECAR_MAX_TASK_QUEUES): must be an integer >= 1`},
		{"negative idle timeout", []string{"--task-queue-idle-timeout=-1s"}, env(),
			`invalid value "-1s" for --task-queue-idle-timeout (SIDECAR_TASK_QUEUE_IDLE_TIMEOUT): must be a duration >= 0, such as 1m`},
		{"tiny bridge messages", []string{"--bridge-max-message-size=100"}, env(),
			`invalid value "100" for --bridge-max-message-size (SIDECAR_BRIDGE_MAX_MESSAGE_SIZE): must be an integer >= 65536`},
		{"zero pollers", []string{"--max-activity-task-pollers=0"}, env(),
			`invalid value "0" for --max-activity-task-pollers (SIDECAR_MAX_ACTIVITY_TASK_POLLERS): must be an integer >= 1`},
		{"poll ratio zero", []string{"--nonsticky-to-sticky-poll-ratio=0"}, env(),
			`invalid value "0" for --nonsticky-to-sticky-poll-ratio (SIDECAR_NONSTICKY_TO_STICKY_POLL_RATIO): must be a number in (0, 1]`},
		{"poll ratio above one", []string{"--nonsticky-to-sticky-poll-ratio=1.5"}, env(),
			`invalid value "1.5" for --nonsticky-to-sticky-poll-ratio (SIDECAR_NONSTICKY_TO_STICKY_POLL_RATIO): must be a number in (0, 1]`},
		{"poll ratio not a number", []string{"--nonsticky-to-sticky-poll-ratio=NaN"}, env(),
			`invalid value "NaN" for --nonsticky-to-sticky-poll-ratio (SIDECAR_NONSTICKY_TO_STICKY_POLL_RATIO): must be a number in (0, 1]`},
		{"duration without unit", []string{"--connect-timeout=10"}, env(),
			`invalid value "10" for --connect-timeout (SIDECAR_CONNECT_TIMEOUT): must be a duration > 0, such as 10s or 1m30s`},
		{"zero sticky timeout", []string{"--sticky-schedule-to-start-timeout=0s"}, env(),
			`invalid value "0s" for --sticky-schedule-to-start-timeout (SIDECAR_STICKY_SCHEDULE_TO_START_TIMEOUT): must be a duration > 0, such as 10s or 1m30s`},
		{"negative shutdown timeout", []string{"--graceful-shutdown-timeout=-1s"}, env(),
			`invalid value "-1s" for --graceful-shutdown-timeout (SIDECAR_GRACEFUL_SHUTDOWN_TIMEOUT): must be a duration >= 0, such as 30s`},
		{"negative rate", []string{"--activities-per-second=-1"}, env(),
			`invalid value "-1" for --activities-per-second (SIDECAR_ACTIVITIES_PER_SECOND): must be a number >= 0`},
		{"negative task queue rate", nil, env("SIDECAR_TASK_QUEUE_ACTIVITIES_PER_SECOND", "-0.5"),
			`invalid value "-0.5" for --task-queue-activities-per-second (SIDECAR_TASK_QUEUE_ACTIVITIES_PER_SECOND): must be a number >= 0`},
		{"bad boolean env", nil, env("TEMPORAL_TLS", "yes"),
			`invalid value "yes" for --tls (TEMPORAL_TLS): must be true or false`},
		{"bad boolean flag", []string{"--eager-activities=maybe"}, env(),
			`invalid value "maybe" for --eager-activities (SIDECAR_EAGER_ACTIVITIES): must be true or false`},
		{"unknown log level", []string{"--log-level=verbose"}, env(),
			`invalid value "verbose" for --log-level (SIDECAR_LOG_LEVEL): must be one of debug, info, warn, error`},
		{"unknown log format", nil, env("SIDECAR_LOG_FORMAT", "xml"),
			`invalid value "xml" for --log-format (SIDECAR_LOG_FORMAT): must be one of text, json`},
		{"unknown metrics duration unit", nil, env("SIDECAR_METRICS_DURATION_UNIT", "ms"),
			`invalid value "ms" for --metrics-duration-unit (SIDECAR_METRICS_DURATION_UNIT): must be one of milliseconds, seconds`},
		{"unknown versioning behavior", []string{"--default-versioning-behavior=sticky"}, env(),
			`invalid value "sticky" for --default-versioning-behavior (SIDECAR_DEFAULT_VERSIONING_BEHAVIOR): must be one of unspecified, pinned, auto-upgrade`},
		{"address without port", nil, env("TEMPORAL_ADDRESS", "localhost"),
			`invalid value "localhost" for --address (TEMPORAL_ADDRESS): must be host:port or a gRPC target such as dns:///host:port`},
		{"empty namespace", []string{"--namespace="}, env(),
			`invalid value "" for --namespace (TEMPORAL_NAMESPACE): must be a non-empty name`},
		{"empty identity", []string{"--identity="}, env(),
			`invalid value "" for --identity (SIDECAR_IDENTITY): must be a non-empty name`},
		{"bad metrics address", []string{"--http-listen=9090"}, env(),
			`invalid value "9090" for --http-listen (SIDECAR_HTTP_LISTEN): must be host:port, or empty to turn it off`},
		{"unix socket without path", []string{"--bridge-listen=unix:"}, env(),
			`invalid value "unix:" for --bridge-listen (SIDECAR_BRIDGE_LISTEN): must be unix:/path, unix:///path or host:port`},
		{"unix socket with authority", []string{"--bridge-listen=unix://host/sock"}, env(),
			`invalid value "unix://host/sock" for --bridge-listen (SIDECAR_BRIDGE_LISTEN): must be unix:/path, unix:///path or host:port`},
		{"bridge address without port", nil, env("SIDECAR_BRIDGE_LISTEN", "localhost"),
			`invalid value "localhost" for --bridge-listen (SIDECAR_BRIDGE_LISTEN): must be unix:/path, unix:///path or host:port`},
		{"bridge on all interfaces without protection", []string{"--bridge-listen=0.0.0.0:7000"}, env(),
			`--bridge-listen (SIDECAR_BRIDGE_LISTEN) "0.0.0.0:7000" can be reached from other hosts; set --bridge-token (SIDECAR_BRIDGE_TOKEN) or --bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH), or listen on a unix socket or loopback address`},
		{"bridge on empty host without protection", []string{"--bridge-listen=:7000"}, env(),
			`--bridge-listen (SIDECAR_BRIDGE_LISTEN) ":7000" can be reached from other hosts; set --bridge-token (SIDECAR_BRIDGE_TOKEN) or --bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH), or listen on a unix socket or loopback address`},
		{"bridge on a host name without protection", nil, env("SIDECAR_BRIDGE_LISTEN", "sidecar.internal:7000"),
			`--bridge-listen (SIDECAR_BRIDGE_LISTEN) "sidecar.internal:7000" can be reached from other hosts; set --bridge-token (SIDECAR_BRIDGE_TOKEN) or --bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH), or listen on a unix socket or loopback address`},
		{"frontend client cert without key", []string{"--tls-cert-path=/c.pem"}, env(),
			`--tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) needs --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH)`},
		{"frontend client key without cert", nil, env("TEMPORAL_TLS_CLIENT_KEY_PATH", "/k.pem"),
			`--tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH) needs --tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH)`},
		{"TLS option with TLS off", []string{"--tls=false", "--tls-server-name=x"}, env(),
			`--tls-server-name (TEMPORAL_TLS_SERVER_NAME) needs TLS, but --tls (TEMPORAL_TLS) is false`},
		{"TLS option with TLS off names the env var used", nil, env("TEMPORAL_TLS", "false", "TEMPORAL_TLS_CA_PATH", "/ca.pem"),
			`--tls-ca-path (TEMPORAL_TLS_CA_PATH) needs TLS, but --tls (TEMPORAL_TLS) is false`},
		{"unconfined proxy without the proxy", []string{"--workflow-service-proxy-unconfined"}, env(),
			`--workflow-service-proxy-unconfined (SIDECAR_WORKFLOW_SERVICE_PROXY_UNCONFINED) needs --workflow-service-proxy (SIDECAR_WORKFLOW_SERVICE_PROXY)`},
		{"bridge cert without key", []string{"--bridge-tls-cert-path=/b.pem"}, env(),
			`--bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH) needs --bridge-tls-key-path (SIDECAR_BRIDGE_TLS_KEY_PATH)`},
		{"bridge key without cert", []string{"--bridge-tls-key-path=/k.pem"}, env(),
			`--bridge-tls-key-path (SIDECAR_BRIDGE_TLS_KEY_PATH) needs --bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH)`},
		{"bridge client CA without TLS", []string{"--bridge-tls-client-ca-path=/ca.pem"}, env(),
			`--bridge-tls-client-ca-path (SIDECAR_BRIDGE_TLS_CLIENT_CA_PATH) needs --bridge-tls-cert-path (SIDECAR_BRIDGE_TLS_CERT_PATH): client certificates are only checked over TLS`},
		{"default heartbeat throttle above max", []string{"--default-heartbeat-throttle-interval=90s"}, env(),
			`--default-heartbeat-throttle-interval (SIDECAR_DEFAULT_HEARTBEAT_THROTTLE_INTERVAL) (1m30s) must not exceed --max-heartbeat-throttle-interval (SIDECAR_MAX_HEARTBEAT_THROTTLE_INTERVAL) (1m0s)`},
		{"versioning without deployment or build", []string{"--use-versioning"}, env(),
			"--use-versioning (SIDECAR_USE_VERSIONING) needs --deployment-name (SIDECAR_DEPLOYMENT_NAME)\n" +
				"--use-versioning (SIDECAR_USE_VERSIONING) needs --build-id (SIDECAR_BUILD_ID)"},
		{"versioning behavior without versioning", []string{"--default-versioning-behavior=pinned"}, env(),
			`--default-versioning-behavior (SIDECAR_DEFAULT_VERSIONING_BEHAVIOR) "pinned" needs --use-versioning (SIDECAR_USE_VERSIONING)`},
		{"every invalid value is reported at once", []string{"--max-concurrent-activities=0", "--log-level=loud"}, env(),
			`invalid value "0" for --max-concurrent-activities (SIDECAR_MAX_CONCURRENT_ACTIVITIES): must be an integer >= 1` + "\n" +
				`invalid value "loud" for --log-level (SIDECAR_LOG_LEVEL): must be one of debug, info, warn, error`},
		{"unknown flag", []string{"--nope"}, env(),
			`flag provided but not defined: -nope (see --help)`},
		{"positional argument", []string{"run"}, env(),
			`unexpected argument "run": the sidecar takes only flags (see --help)`},
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

func TestTaskQueuePatterns(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"orders", []string{"orders"}},
		{" orders , payments-* ,,", []string{"orders", "payments-*"}},
	}
	for _, tt := range tests {
		c, err := Parse([]string{"--task-queues=" + tt.value}, env())
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Worker.Patterns(); !slices.Equal(got, tt.want) {
			t.Errorf("--task-queues=%q: Patterns() = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestNoTaskQueueServesWhatAppsRegister(t *testing.T) {
	c, err := Parse(nil, env())
	if err != nil {
		t.Fatalf("Parse with no task queue: %v", err)
	}
	if c.Worker.TaskQueue != "" || c.Worker.Patterns() != nil {
		t.Errorf("task queue %q, patterns %q: want none", c.Worker.TaskQueue, c.Worker.Patterns())
	}
}

func TestBridgeExposureIsAllowedWhenProtectedOrLocal(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unix socket", []string{"--bridge-listen=unix:/run/s.sock"}},
		{"relative unix socket", []string{"--bridge-listen=unix:s.sock"}},
		{"IPv4 loopback", []string{"--bridge-listen=127.0.0.1:7000"}},
		{"other IPv4 loopback", []string{"--bridge-listen=127.0.0.2:7000"}},
		{"IPv6 loopback", []string{"--bridge-listen=[::1]:7000"}},
		{"localhost", []string{"--bridge-listen=localhost:7000"}},
		{"public with token", []string{"--bridge-listen=0.0.0.0:7000", "--bridge-token=t"}},
		{"public with TLS", []string{"--bridge-listen=0.0.0.0:7000", "--bridge-tls-cert-path=/c", "--bridge-tls-key-path=/k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(append(tt.args, "--task-queue=q"), env()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestBridgeEndpoint(t *testing.T) {
	tests := []struct{ listen, network, addr string }{
		{"unix:///tmp/s.sock", "unix", "/tmp/s.sock"},
		{"unix:/tmp/s.sock", "unix", "/tmp/s.sock"},
		{"unix:s.sock", "unix", "s.sock"},
		{"127.0.0.1:7000", "tcp", "127.0.0.1:7000"},
		{"[::1]:0", "tcp", "[::1]:0"},
	}
	for _, tt := range tests {
		n, a := Bridge{Listen: tt.listen}.Endpoint()
		if n != tt.network || a != tt.addr {
			t.Errorf("Endpoint(%q) = %q, %q; want %q, %q", tt.listen, n, a, tt.network, tt.addr)
		}
	}
}

func TestHelpFlagReturnsErrHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		if _, err := Parse([]string{arg}, env()); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("Parse(%s) error = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestHelpGroupsOptionsWithEnvAndDefault(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	help := b.String()

	// Groups appear in order, and each option under its own group.
	last := -1
	for _, g := range groups {
		i := strings.Index(help, "\n"+g+":\n")
		if i < 0 || i < last {
			t.Fatalf("group %s missing or out of order in:\n%s", g, help)
		}
		last = i
	}
	for _, o := range options {
		line := "  --" + o.name + " "
		i := strings.Index(help, line)
		if i < 0 {
			t.Errorf("--%s missing from help", o.name)
			continue
		}
		group := help[:i]
		group = group[strings.LastIndex(group, "\n\n")+2:]
		if !strings.HasPrefix(group, o.group+":\n") {
			t.Errorf("--%s is not under %s", o.name, o.group)
		}
	}

	for _, want := range []string{
		"  --config-file path (TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml)\n",
		"  --profile name (TEMPORAL_PROFILE, default default)\n",
		"  --address host:port (TEMPORAL_ADDRESS, default 127.0.0.1:7233)\n",
		"  --tls-ca-path path (TEMPORAL_TLS_SERVER_CA_CERT_PATH or TEMPORAL_TLS_CA_PATH)\n",
		"  --tls (TEMPORAL_TLS)\n",
		"  --task-queue name (SIDECAR_TASK_QUEUE)\n",
		"  --task-queues patterns (SIDECAR_TASK_QUEUES)\n",
		"  --max-task-queues n (SIDECAR_MAX_TASK_QUEUES, default 100)\n",
		"  --task-queue-idle-timeout duration (SIDECAR_TASK_QUEUE_IDLE_TIMEOUT, default 1m0s)\n",
		"  --identity name (SIDECAR_IDENTITY, default <pid>@<hostname>)\n",
		"  --max-cached-workflows n (SIDECAR_MAX_CACHED_WORKFLOWS, default 1000)\n",
		"  --nonsticky-to-sticky-poll-ratio number (SIDECAR_NONSTICKY_TO_STICKY_POLL_RATIO, default 0.2)\n",
		"  --graceful-shutdown-timeout duration (SIDECAR_GRACEFUL_SHUTDOWN_TIMEOUT, default 30s)\n",
		"  --eager-activities (SIDECAR_EAGER_ACTIVITIES, default true)\n",
		"  --bridge-listen address (SIDECAR_BRIDGE_LISTEN, default unix:///tmp/temporal-sidecar.sock)\n",
		"  --log-level level (SIDECAR_LOG_LEVEL, default info)\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestValidateChecksConfigBuiltInCode(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(Default()) = %v", err)
	}
	c.Worker.MaxConcurrentActivities = 0
	want := `invalid value "0" for --max-concurrent-activities (SIDECAR_MAX_CONCURRENT_ACTIVITIES): must be an integer >= 1`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %s", err, want)
	}
}

func TestRefNamesFlagAndEnv(t *testing.T) {
	if got := Ref("address"); got != "--address (TEMPORAL_ADDRESS)" {
		t.Errorf("Ref(address) = %q", got)
	}
	if got := Ref("task-queue"); got != "--task-queue (SIDECAR_TASK_QUEUE)" {
		t.Errorf("Ref(task-queue) = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Ref of an unknown option did not panic")
		}
	}()
	Ref("no-such-option")
}

func TestLogLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
	}{{"debug", "DEBUG"}, {"info", "INFO"}, {"warn", "WARN"}, {"error", "ERROR"}} {
		if got := (Telemetry{LogLevel: tt.in}).Level().String(); got != tt.want {
			t.Errorf("Level(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
