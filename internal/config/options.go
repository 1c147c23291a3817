package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Groups, in the order --help shows them.
const (
	groupFrontend  = "Frontend"
	groupWorker    = "Worker"
	groupBridge    = "Bridge"
	groupTelemetry = "Telemetry"
)

var groups = []string{groupFrontend, groupWorker, groupBridge, groupTelemetry}

// An option is one setting: a flag, its environment variable twin, its help
// and the rule its value obeys.
type option struct {
	group string
	name  string   // flag name, without dashes
	env   []string // environment variables, first one shown; nil derives SIDECAR_<NAME>
	arg   string   // placeholder in --help; empty derives one from the type
	help  string
	def   string // --help default when the real one is computed at run time
	// parent, if set, is the option whose value this one takes when the
	// user leaves it unset (a per-kind option and its global default).
	parent string
	// field points into c. It is *string, *bool, *int, *float64 or
	// *time.Duration, and that type decides how text is parsed.
	field func(c *Config) any
	rule  rule
}

// A rule constrains an option's value. want completes "must be ...", and
// is shown both when the text does not parse and when ok rejects it, so a
// user sees one description of what is accepted.
type rule struct {
	want string
	ok   func(v any) bool // nil accepts every value of the field's type
}

// options is the single declaration of every setting. Frontend options use
// the names of Temporal's environment configuration (go.temporal.io/sdk/
// contrib/envconfig) and the temporal CLI, so a shell already set up for
// the CLI works unchanged.
var options = []option{
	// Frontend.
	{group: groupFrontend, name: "config-file", env: []string{"TEMPORAL_CONFIG_FILE"}, arg: "path",
		def:   "~/.config/temporalio/temporal.toml",
		help:  "Temporal env-config file (TOML) of connection profiles, as the temporal CLI uses; the default may be absent ($XDG_CONFIG_HOME moves it), a named one must exist; --config-file= reads none",
		field: func(c *Config) any { return &c.Frontend.ConfigFile }},
	{group: groupFrontend, name: "profile", env: []string{"TEMPORAL_PROFILE"}, arg: "name",
		help:  "profile of --config-file to use; naming one that is not there is an error",
		field: func(c *Config) any { return &c.Frontend.Profile },
		rule:  rule{want: "a non-empty name", ok: nonEmpty}},
	{group: groupFrontend, name: "address", env: []string{"TEMPORAL_ADDRESS"}, arg: "host:port",
		help:  "Temporal frontend to connect to",
		field: func(c *Config) any { return &c.Frontend.Address },
		rule:  rule{want: "host:port or a gRPC target such as dns:///host:port", ok: validTarget}},
	{group: groupFrontend, name: "namespace", env: []string{"TEMPORAL_NAMESPACE"}, arg: "name",
		help:  "Temporal namespace to poll",
		field: func(c *Config) any { return &c.Frontend.Namespace },
		rule:  rule{want: "a non-empty name", ok: nonEmpty}},
	{group: groupFrontend, name: "api-key", env: []string{"TEMPORAL_API_KEY"}, arg: "key",
		help:  "API key sent as a bearer token; turns TLS on unless --tls=false; prefer the env var, flags show in ps",
		field: func(c *Config) any { return &c.Frontend.APIKey }},
	{group: groupFrontend, name: "tls", env: []string{"TEMPORAL_TLS"},
		help:  "connect with TLS; on by default when any --tls-* option, an API key or the profile's tls table is set",
		field: func(c *Config) any { return &c.Frontend.TLS.Enabled }},
	{group: groupFrontend, name: "tls-ca-path", env: []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_CA_PATH"}, arg: "path",
		help:  "PEM file of CAs that sign the server certificate, instead of the system pool",
		field: func(c *Config) any { return &c.Frontend.TLS.CAPath }},
	{group: groupFrontend, name: "tls-cert-path", env: []string{"TEMPORAL_TLS_CLIENT_CERT_PATH"}, arg: "path",
		help:  "PEM client certificate for mTLS; needs --tls-key-path",
		field: func(c *Config) any { return &c.Frontend.TLS.CertPath }},
	{group: groupFrontend, name: "tls-key-path", env: []string{"TEMPORAL_TLS_CLIENT_KEY_PATH"}, arg: "path",
		help:  "PEM private key of --tls-cert-path",
		field: func(c *Config) any { return &c.Frontend.TLS.KeyPath }},
	{group: groupFrontend, name: "tls-ca-data", env: []string{"TEMPORAL_TLS_SERVER_CA_CERT_DATA"}, arg: "pem",
		help:  "the CAs of --tls-ca-path given as PEM text rather than a file; excludes --tls-ca-path; prefer the env var",
		field: func(c *Config) any { return &c.Frontend.TLS.CAData }},
	{group: groupFrontend, name: "tls-cert-data", env: []string{"TEMPORAL_TLS_CLIENT_CERT_DATA"}, arg: "pem",
		help:  "the client certificate of --tls-cert-path given as PEM text; excludes --tls-cert-path; needs --tls-key-data",
		field: func(c *Config) any { return &c.Frontend.TLS.CertData }},
	{group: groupFrontend, name: "tls-key-data", env: []string{"TEMPORAL_TLS_CLIENT_KEY_DATA"}, arg: "pem",
		help:  "the private key of --tls-cert-data as PEM text; excludes --tls-key-path; prefer the env var, flags show in ps",
		field: func(c *Config) any { return &c.Frontend.TLS.KeyData }},
	{group: groupFrontend, name: "tls-server-name", env: []string{"TEMPORAL_TLS_SERVER_NAME"}, arg: "name",
		help:  "name to verify the server certificate against, instead of the address host",
		field: func(c *Config) any { return &c.Frontend.TLS.ServerName }},
	{group: groupFrontend, name: "tls-disable-host-verification", env: []string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"},
		help:  "accept any server certificate (insecure; for testing only)",
		field: func(c *Config) any { return &c.Frontend.TLS.DisableHostVerification }},
	{group: groupFrontend, name: "connect-timeout",
		help:  "how long to wait for the frontend at start-up before giving up",
		field: func(c *Config) any { return &c.Frontend.ConnectTimeout },
		rule:  positiveDuration},
	{group: groupFrontend, name: "blob-size-limit", arg: "bytes",
		help:  "the server's limit on one payload blob (its limit.blobSize.error); the client service refuses larger requests before sending them",
		field: func(c *Config) any { return &c.Frontend.BlobSizeLimit },
		rule:  atLeast(1)},

	// Worker.
	{group: groupWorker, name: "task-queue", arg: "name",
		help:  "the one task queue to serve, and the queue of apps that register none; unset, the sidecar serves every queue its apps register that --task-queues allows",
		field: func(c *Config) any { return &c.Worker.TaskQueue }},
	{group: groupWorker, name: "task-queues", arg: "patterns",
		help:  "comma-separated task queues apps may register when --task-queue is unset, as names or patterns (* matches any run of characters, ? one, [a-z] a class); empty allows every queue of the namespace",
		field: func(c *Config) any { return &c.Worker.TaskQueues },
		rule:  rule{want: "comma-separated names or patterns such as orders,payments-*", ok: func(v any) bool { return validPatterns(v.(string)) }}},
	{group: groupWorker, name: "max-task-queues",
		help:  "task queues served at once; an app registering one more is refused",
		field: func(c *Config) any { return &c.Worker.MaxTaskQueues },
		rule:  atLeast(1)},
	{group: groupWorker, name: "task-queue-idle-timeout",
		help:  "how long a task queue keeps polling after its last app left, so an app restarting does not churn pollers; then its pollers stop and the server is told (ShutdownWorker)",
		field: func(c *Config) any { return &c.Worker.TaskQueueIdleTimeout },
		rule:  rule{want: "a duration >= 0, such as 1m", ok: func(v any) bool { return v.(time.Duration) >= 0 }}},
	{group: groupWorker, name: "task-handback-grace",
		help:  "how long tasks already taken for a task queue wait for an app after its last app left, so a restarting app finds them; then workflow tasks are failed and activities failed as worker process lost, so the server retries them at once elsewhere; capped at --task-queue-idle-timeout, after which the queue stops",
		field: func(c *Config) any { return &c.Worker.TaskHandbackGrace },
		rule:  rule{want: "a duration >= 0, such as 5s", ok: func(v any) bool { return v.(time.Duration) >= 0 }}},
	{group: groupWorker, name: "max-missed-deadlines",
		help:  "closes the session of an app that lets this many workflow activations in a row pass their deadline (80% of the workflow task timeout); 0 never closes one. An app holding an activation past its deadline gets no new work either way",
		field: func(c *Config) any { return &c.Worker.MaxMissedDeadlines },
		rule:  atLeast(0)},
	{group: groupWorker, name: "identity", arg: "name", def: "<pid>@<hostname>",
		help:  "worker identity shown in the Temporal UI",
		field: func(c *Config) any { return &c.Worker.Identity },
		rule:  rule{want: "a non-empty name", ok: nonEmpty}},
	{group: groupWorker, name: "build-id", arg: "id",
		help:  "build ID of the application code behind this sidecar, reported in every poll and task response (recorded in workflow task history) even without --use-versioning",
		field: func(c *Config) any { return &c.Worker.BuildID }},
	{group: groupWorker, name: "deployment-name", arg: "name",
		help:  "worker deployment this sidecar's version belongs to, reported with --build-id",
		field: func(c *Config) any { return &c.Worker.DeploymentName }},
	{group: groupWorker, name: "use-versioning",
		help:  "poll as worker deployment version --deployment-name/--build-id: the server sends only tasks routed to that version, and each workflow task completion carries the run's versioning behavior",
		field: func(c *Config) any { return &c.Worker.UseVersioning }},
	{group: groupWorker, name: "default-versioning-behavior", arg: "behavior",
		help:  "versioning behavior of workflow types registered without one: unspecified, pinned or auto-upgrade; with unspecified, a versioned sidecar refuses an app registering such a type",
		field: func(c *Config) any { return &c.Worker.DefaultVersioningBehavior },
		rule:  oneOf("unspecified", "pinned", "auto-upgrade")},
	{group: groupWorker, name: "max-cached-workflows",
		help:  "workflow runs kept in the sticky cache, shared by every task queue served; 0 turns sticky execution off",
		field: func(c *Config) any { return &c.Worker.MaxCachedWorkflows },
		rule:  atLeast(0)},
	{group: groupWorker, name: "max-concurrent-workflow-tasks",
		help:  "workflow tasks in flight at once, per task queue",
		field: func(c *Config) any { return &c.Worker.MaxConcurrentWorkflowTasks },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-concurrent-activities",
		help:  "activity tasks in flight at once, per task queue",
		field: func(c *Config) any { return &c.Worker.MaxConcurrentActivities },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-concurrent-local-activities",
		help:  "local activities in flight at once, per task queue",
		field: func(c *Config) any { return &c.Worker.MaxConcurrentLocalActivities },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-concurrent-nexus-tasks",
		help:  "Nexus tasks in flight at once, per task queue",
		field: func(c *Config) any { return &c.Worker.MaxConcurrentNexusTasks },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-workflow-task-pollers",
		help:  "concurrent workflow task polls per task queue, sticky and normal together",
		field: func(c *Config) any { return &c.Worker.MaxWorkflowTaskPollers },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-activity-task-pollers",
		help:  "concurrent activity task polls per task queue",
		field: func(c *Config) any { return &c.Worker.MaxActivityTaskPollers },
		rule:  atLeast(1)},
	{group: groupWorker, name: "max-nexus-task-pollers",
		help:  "concurrent Nexus task polls per task queue",
		field: func(c *Config) any { return &c.Worker.MaxNexusTaskPollers },
		rule:  atLeast(1)},
	{group: groupWorker, name: "tuner", arg: "kind",
		help:  "every kind's slot supplier unless its --*-slot-supplier says otherwise: fixed gives each kind its max-concurrent-* slots; resource-based grows slots up to those maximums while memory and CPU stay under their targets",
		field: func(c *Config) any { return &c.Worker.Tuner },
		rule:  oneOf("fixed", "resource-based")},
	{group: groupWorker, name: "tuner-target-memory",
		help:  "resource-based tuner: share of memory (the container's limit, or the machine's) to stay under",
		field: func(c *Config) any { return &c.Worker.TunerTargetMemory },
		rule:  fraction},
	{group: groupWorker, name: "tuner-target-cpu",
		help:  "resource-based tuner: share of CPU to stay under",
		field: func(c *Config) any { return &c.Worker.TunerTargetCPU },
		rule:  fraction},
	{group: groupWorker, name: "poller-behavior", arg: "behavior",
		help:  "every kind's poller behaviour unless its --*-task-poller-behavior says otherwise: simple-maximum keeps max-*-task-pollers polls open; autoscaling follows the server's scaling decisions between the poller-autoscaling-* bounds",
		field: func(c *Config) any { return &c.Worker.PollerBehavior },
		rule:  oneOf("simple-maximum", "autoscaling")},
	{group: groupWorker, name: "poller-autoscaling-minimum",
		help:  "autoscaling: fewest concurrent polls per task kind, unless the kind's own bound is set",
		field: func(c *Config) any { return &c.Worker.PollerAutoscalingMinimum },
		rule:  atLeast(1)},
	{group: groupWorker, name: "poller-autoscaling-initial",
		help:  "autoscaling: concurrent polls per task kind at start, unless the kind's own bound is set",
		field: func(c *Config) any { return &c.Worker.PollerAutoscalingInitial },
		rule:  atLeast(1)},
	{group: groupWorker, name: "poller-autoscaling-maximum",
		help:  "autoscaling: most concurrent polls per task kind, unless the kind's own bound is set",
		field: func(c *Config) any { return &c.Worker.PollerAutoscalingMaximum },
		rule:  atLeast(1)},
	{group: groupWorker, name: "nonsticky-to-sticky-poll-ratio",
		help:  "share of workflow pollers kept on the normal queue while sticky execution is on",
		field: func(c *Config) any { return &c.Worker.NonstickyToStickyPollRatio },
		rule:  fraction},
	{group: groupWorker, name: "sticky-schedule-to-start-timeout",
		help:  "how long a sticky task waits for this worker before going to the normal queue",
		field: func(c *Config) any { return &c.Worker.StickyScheduleToStartTimeout },
		rule:  positiveDuration},
	{group: groupWorker, name: "default-heartbeat-throttle-interval",
		help:  "heartbeat throttle for activities without a heartbeat timeout",
		field: func(c *Config) any { return &c.Worker.DefaultHeartbeatThrottleInterval },
		rule:  positiveDuration},
	{group: groupWorker, name: "max-heartbeat-throttle-interval",
		help:  "longest heartbeat throttle, whatever the heartbeat timeout",
		field: func(c *Config) any { return &c.Worker.MaxHeartbeatThrottleInterval },
		rule:  positiveDuration},
	{group: groupWorker, name: "activities-per-second",
		help:  "activity tasks this worker starts per second; 0 means unlimited",
		field: func(c *Config) any { return &c.Worker.ActivitiesPerSecond },
		rule:  nonNegative},
	{group: groupWorker, name: "task-queue-activities-per-second",
		help:  "activity tasks per second on the whole task queue, set on the server; 0 means unlimited",
		field: func(c *Config) any { return &c.Worker.TaskQueueActivitiesPerSecond },
		rule:  nonNegative},
	{group: groupWorker, name: "no-remote-activities",
		help:  "poll no activity tasks; local activities still run",
		field: func(c *Config) any { return &c.Worker.NoRemoteActivities }},
	{group: groupWorker, name: "eager-activities",
		help:  "ask the server to hand activities scheduled by this worker straight back to it",
		field: func(c *Config) any { return &c.Worker.EagerActivities }},
	{group: groupWorker, name: "graceful-shutdown-timeout",
		help:  "how long tasks in flight may finish after a shutdown signal",
		field: func(c *Config) any { return &c.Worker.GracefulShutdownTimeout },
		rule:  rule{want: "a duration >= 0, such as 30s", ok: func(v any) bool { return v.(time.Duration) >= 0 }}},

	// Bridge.
	{group: groupBridge, name: "bridge-listen", arg: "address",
		help:  "where applications connect: unix:/path, unix:///path or host:port; beyond loopback needs a token or TLS",
		field: func(c *Config) any { return &c.Bridge.Listen },
		rule:  rule{want: "unix:/path, unix:///path or host:port", ok: func(v any) bool { return validListen(v.(string)) }}},
	{group: groupBridge, name: "bridge-max-message-size", arg: "bytes",
		help:  "largest message an application may send on the bridge; larger ones end the call with RESOURCE_EXHAUSTED before they are read. The default is the Temporal frontend's own gRPC limit, since a completion becomes one request to it; raise it for ReplayHistory of larger histories",
		field: func(c *Config) any { return &c.Bridge.MaxMessageSize },
		rule:  atLeast(64 << 10)},
	{group: groupBridge, name: "bridge-token", arg: "token",
		help:  "shared secret every application must present; prefer the env var, flags show in ps",
		field: func(c *Config) any { return &c.Bridge.Token }},
	{group: groupBridge, name: "bridge-tls-cert-path", arg: "path",
		help:  "PEM server certificate; serves the bridge over TLS; needs --bridge-tls-key-path",
		field: func(c *Config) any { return &c.Bridge.TLS.CertPath }},
	{group: groupBridge, name: "bridge-tls-key-path", arg: "path",
		help:  "PEM private key of --bridge-tls-cert-path",
		field: func(c *Config) any { return &c.Bridge.TLS.KeyPath }},
	{group: groupBridge, name: "bridge-tls-client-ca-path", arg: "path",
		help:  "PEM CAs that sign application certificates; requires them (mTLS)",
		field: func(c *Config) any { return &c.Bridge.TLS.ClientCAPath }},
	{group: groupBridge, name: "workflow-service-proxy",
		help:  "also serve Temporal's WorkflowService (and OperatorService's search-attribute calls) on the bridge, for the temporal CLI and SDK clients: calls are forwarded with the sidecar's credentials, confined to its namespace, so whoever reaches the bridge gets that access",
		field: func(c *Config) any { return &c.Bridge.WorkflowServiceProxy }},
	{group: groupBridge, name: "workflow-service-proxy-unconfined",
		help:  "with --workflow-service-proxy, also forward calls for other namespaces and calls confined to none (Nexus endpoints, ListNamespaces, cluster-wide operator calls) with the sidecar's credentials: for development and test setups whose apps may act on the whole cluster",
		field: func(c *Config) any { return &c.Bridge.ProxyUnconfined }},

	// Telemetry.
	{group: groupTelemetry, name: "http-listen", arg: "host:port",
		help:  "HTTP address for /metrics and health checks; empty turns it off",
		field: func(c *Config) any { return &c.Telemetry.Listen },
		rule: rule{want: "host:port, or empty to turn it off", ok: func(v any) bool {
			return v.(string) == "" || validHostPort(v.(string))
		}}},
	{group: groupTelemetry, name: "log-level", arg: "level",
		help:  "debug, info, warn or error",
		field: func(c *Config) any { return &c.Telemetry.LogLevel },
		rule:  oneOf("debug", "info", "warn", "error")},
	{group: groupTelemetry, name: "log-format", arg: "format",
		help:  "text or json",
		field: func(c *Config) any { return &c.Telemetry.LogFormat },
		rule:  oneOf("text", "json")},
	{group: groupTelemetry, name: "metrics-duration-unit", arg: "unit",
		help:  "unit of the duration histograms on /metrics (temporal_*_latency): milliseconds, as the core SDKs' Prometheus exporter records them by default, or seconds (their use_seconds_for_durations)",
		field: func(c *Config) any { return &c.Telemetry.MetricsDurationUnit },
		rule:  oneOf("milliseconds", "seconds")},
}

func atLeast(n int) rule {
	return rule{want: fmt.Sprintf("an integer >= %d", n), ok: func(v any) bool { return v.(int) >= n }}
}

// fraction accepts a share in (0, 1].
var fraction = rule{want: "a number in (0, 1]", ok: func(v any) bool {
	f := v.(float64)
	return f > 0 && f <= 1
}}

func oneOf(vals ...string) rule {
	want := "one of " + strings.Join(vals, ", ")
	return rule{want: want, ok: func(v any) bool { return slices.Contains(vals, v.(string)) }}
}

var (
	positiveDuration = rule{want: "a duration > 0, such as 10s or 1m30s", ok: func(v any) bool { return v.(time.Duration) > 0 }}
	nonNegative      = rule{want: "a number >= 0", ok: func(v any) bool { return v.(float64) >= 0 }}
)

func nonEmpty(v any) bool { return v.(string) != "" }

// validTarget accepts host:port, which is what people type, and any URI
// style gRPC target, which grpc.NewClient resolves itself.
func validTarget(v any) bool {
	s := v.(string)
	if i := strings.Index(s, ":/"); i > 0 {
		return len(s) > i+2
	}
	return validHostPort(s)
}

// envs lists the environment variables of o, the one --help shows first.
func (o *option) envs() []string {
	if o.env != nil {
		return o.env
	}
	return []string{"SIDECAR_" + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))}
}

// isBool reports whether the flag may be given without a value.
func (o *option) isBool() bool {
	_, ok := o.field(&Config{}).(*bool)
	return ok
}

// ref names o the way every message does: "--flag (ENV)".
func (o *option) ref(env string) string { return "--" + o.name + " (" + env + ")" }

// want is what the option's value must be, for error messages.
func (o *option) want() string {
	if o.rule.want != "" {
		return o.rule.want
	}
	switch o.field(&Config{}).(type) {
	case *bool:
		return "true or false"
	case *int:
		return "an integer"
	case *float64:
		return "a number"
	case *time.Duration:
		return "a duration such as 10s or 1m30s"
	}
	return "a string"
}

// set parses s into o's field of c and applies o's rule. The error names
// the flag and env, the environment variable the value came from or would
// have come from, so the user knows where to fix it.
func (o *option) set(c *Config, s, env string) error {
	p := o.field(c)
	var err error
	switch p := p.(type) {
	case *string:
		*p = s
	case *bool:
		*p, err = strconv.ParseBool(s)
	case *int:
		*p, err = strconv.Atoi(s)
	case *float64:
		*p, err = strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
			err = strconv.ErrRange
		}
	case *time.Duration:
		*p, err = time.ParseDuration(s)
	default:
		panic(fmt.Sprintf("config: option %s has unsupported type %T", o.name, p))
	}
	if err != nil {
		return o.invalid(s, env)
	}
	return o.check(c, s, env)
}

// check applies o's rule to the value already in c; s is how to quote it.
func (o *option) check(c *Config, s, env string) error {
	if o.rule.ok != nil && !o.rule.ok(value(o.field(c))) {
		return o.invalid(s, env)
	}
	return nil
}

func (o *option) invalid(s, env string) error {
	return fmt.Errorf("invalid value %q for %s: must be %s", s, o.ref(env), o.want())
}

// value dereferences one of the field pointer types.
func value(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *bool:
		return *p
	case *int:
		return *p
	case *float64:
		return *p
	case *time.Duration:
		return *p
	}
	panic(fmt.Sprintf("config: unsupported field type %T", p))
}

// format renders a field's value as a user would type it.
func format(p any) string {
	switch v := value(p).(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Duration:
		return v.String()
	}
	return ""
}

// index is the position of the named option in options.
func index(name string) int {
	return slices.IndexFunc(options, func(o option) bool { return o.name == name })
}

func lookup(name string) *option {
	for i := range options {
		if options[i].name == name {
			return &options[i]
		}
	}
	return nil
}

// Ref names an option as every message in the sidecar does,
// "--address (TEMPORAL_ADDRESS)", so errors raised elsewhere, such as a
// failed dial, tell the user exactly which setting to change. It panics on
// an unknown name, which is a programming error.
func Ref(name string) string {
	o := lookup(name)
	if o == nil {
		panic("config: unknown option " + name)
	}
	return o.ref(o.envs()[0])
}
