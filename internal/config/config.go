// Package config holds the sidecar's options: their defaults, how flags and
// environment variables set them, and the rules a usable configuration obeys.
//
// Every option is declared once, in the table in options.go. That one entry
// gives the flag, its environment variable, its line in --help and its
// validation, so the four can never drift apart.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// Config is everything the sidecar needs to run.
type Config struct {
	Frontend  Frontend
	Worker    Worker
	Bridge    Bridge
	Telemetry Telemetry
}

// Frontend is how to reach and authenticate to the Temporal frontend.
type Frontend struct {
	// ConfigFile is the Temporal env-config file (TOML) the profile was read
	// from. Before Parse it is what the user named, empty for the default
	// location; after Parse it is the file actually read, empty if none.
	ConfigFile string
	// Profile is the profile of ConfigFile whose settings fill in what
	// flags and environment variables leave unset.
	Profile string

	Address   string // host:port, or any gRPC target such as dns:///host:port
	Namespace string
	// APIKey is sent as "authorization: Bearer <key>". Parse turns TLS on
	// when a key is set unless TLS was explicitly disabled, as Temporal's
	// env-config does, so a key never crosses the network in the clear by
	// accident; a dev server without TLS needs --tls=false.
	APIKey         string
	TLS            TLS
	ConnectTimeout time.Duration // bounds the initial dial and checks
	// GRPCMeta are extra gRPC headers sent on every call to the frontend:
	// the profile's grpc_meta table, then TEMPORAL_GRPC_META_<NAME>
	// variables (the name lowercased, _ turned into -), as Temporal's
	// env-config applies them. Keys are normalized; nil when there are none.
	GRPCMeta map[string]string
	// BlobSizeLimit is the server's limit on one payload blob in bytes
	// (dynamic config limit.blobSize.error), which the client service
	// checks before sending; the sidecar cannot ask the server for it.
	BlobSizeLimit int
}

// TLS is the client side of the connection to the frontend.
type TLS struct {
	// Enabled is the final decision. Parse sets it when any other TLS option
	// or an API key is present, or the profile has a tls table, unless
	// --tls=false (or the profile's tls.disabled) said otherwise.
	Enabled  bool
	CAPath   string // server CA; empty means the system pool
	CertPath string // client certificate for mTLS
	KeyPath  string // its private key
	// CAData, CertData and KeyData are the same as PEM text, as env-config's
	// *_DATA variables and *_data keys give them; each excludes its path.
	CAData                  string
	CertData                string
	KeyData                 string
	ServerName              string // overrides the name checked against the certificate
	DisableHostVerification bool
}

// Worker is what the sidecar polls and how much work it takes on.
type Worker struct {
	// TaskQueue, when set, is the only queue served. Otherwise apps may
	// register any queue TaskQueues allows, up to MaxTaskQueues at once; a
	// queue stops TaskQueueIdleTimeout after its last app left.
	TaskQueue            string
	TaskQueues           string // comma-separated patterns; see Patterns
	MaxTaskQueues        int
	TaskQueueIdleTimeout time.Duration
	// TaskHandbackGrace is how long tasks taken for a queue wait for an
	// app once its last app left, before they are handed back to the
	// server; capped at TaskQueueIdleTimeout (HandbackGrace).
	TaskHandbackGrace time.Duration
	// MaxMissedDeadlines closes an app session that misses this many
	// activation deadlines in a row; 0 never does.
	MaxMissedDeadlines int
	Identity           string // reported to the server in polls and responses
	BuildID            string

	// Worker deployment versioning.
	DeploymentName            string
	UseVersioning             bool
	DefaultVersioningBehavior string // unspecified, pinned or auto-upgrade

	MaxCachedWorkflows           int // sticky cache size; 0 disables sticky execution
	MaxConcurrentWorkflowTasks   int
	MaxConcurrentActivities      int
	MaxConcurrentLocalActivities int
	MaxConcurrentNexusTasks      int

	// Poller maximums ("simple maximum" poller behaviour).
	MaxWorkflowTaskPollers int
	MaxActivityTaskPollers int
	MaxNexusTaskPollers    int
	// Tuner is "fixed" or "resource-based" (TunerTarget* then apply): the
	// slot supplier of every kind that does not name its own below.
	Tuner             string
	TunerTargetMemory float64
	TunerTargetCPU    float64
	// PollerBehavior is "simple-maximum" (the Max*TaskPollers above) or
	// "autoscaling" (between the PollerAutoscaling* bounds): the behaviour
	// of every kind that does not name its own below.
	PollerBehavior           string
	PollerAutoscalingMinimum int
	PollerAutoscalingInitial int
	PollerAutoscalingMaximum int

	// Per task kind, as Temporal's SDK Worker takes them: a poller
	// behaviour per polled kind and a slot supplier per kind (the
	// composite tuner). Parse fills each field the user left unset from
	// the setting above it (PollerBehavior, PollerAutoscaling*, Tuner); a
	// Config built in code sets them itself (Default does).
	WorkflowTaskPollers PollerKind
	ActivityTaskPollers PollerKind
	NexusTaskPollers    PollerKind
	WorkflowTaskSlots   SlotKind
	ActivityTaskSlots   SlotKind
	LocalActivitySlots  SlotKind
	NexusTaskSlots      SlotKind
	// NonstickyToStickyPollRatio is the share of workflow pollers kept on the
	// normal queue while a sticky queue is in use.
	NonstickyToStickyPollRatio   float64
	StickyScheduleToStartTimeout time.Duration

	// Heartbeats are throttled to 80% of the heartbeat timeout, capped by
	// Max; Default applies when the activity has no heartbeat timeout.
	DefaultHeartbeatThrottleInterval time.Duration
	MaxHeartbeatThrottleInterval     time.Duration

	ActivitiesPerSecond          float64 // per worker; 0 means unlimited
	TaskQueueActivitiesPerSecond float64 // enforced by the server across workers; 0 means unlimited
	NoRemoteActivities           bool    // poll no activity tasks; local activities still run
	EagerActivities              bool

	GracefulShutdownTimeout time.Duration
}

// PollerKind is one task kind's poller behaviour.
type PollerKind struct {
	Behavior string // simple-maximum (the kind's Max*TaskPollers) or autoscaling
	// Autoscaling bounds.
	AutoscalingMinimum, AutoscalingInitial, AutoscalingMaximum int
}

// SlotKind is one task kind's slot supplier. Its maximum is the kind's
// MaxConcurrent* setting: the number of slots when fixed, the most the
// resource-based supplier grants.
type SlotKind struct {
	Supplier string // fixed or resource-based
	// Resource-based: slots granted whatever memory and CPU say, and the
	// least time between two grants beyond them.
	Minimum      int
	RampThrottle time.Duration
}

// HandbackGrace is TaskHandbackGrace capped at TaskQueueIdleTimeout: a
// queue's tasks are handed back by the time its pollers stop.
func (w Worker) HandbackGrace() time.Duration {
	return min(w.TaskHandbackGrace, w.TaskQueueIdleTimeout)
}

// Bridge is where applications connect.
type Bridge struct {
	// Listen is unix:/path, unix:///path or host:port. See Endpoint.
	Listen string
	// Token, when set, must be presented by every application.
	Token string
	TLS   BridgeTLS
	// WorkflowServiceProxy serves Temporal's WorkflowService on the bridge
	// too (internal/proxy). Off by default: it gives whoever reaches the
	// bridge everything the sidecar's credentials allow in its namespace.
	WorkflowServiceProxy bool
	// ProxyUnconfined lets the proxy forward calls for other namespaces
	// and calls confined to none (Nexus endpoints): for dev and test setups.
	ProxyUnconfined bool
	// MaxMessageSize bounds one message an application sends, in bytes.
	MaxMessageSize int
}

// BridgeTLS is the server side of the bridge. ClientCAPath turns on mTLS.
type BridgeTLS struct {
	CertPath     string
	KeyPath      string
	ClientCAPath string
}

// Enabled reports whether the bridge serves TLS.
func (t BridgeTLS) Enabled() bool { return t.CertPath != "" }

// Telemetry is the HTTP endpoint for metrics and health, and logging.
type Telemetry struct {
	Listen    string // host:port; empty disables the endpoint
	LogLevel  string // debug, info, warn or error
	LogFormat string // text or json
	// MetricsDurationUnit is the unit of duration histograms: milliseconds
	// (the core SDKs' default) or seconds.
	MetricsDurationUnit string
}

// Level is LogLevel as a slog.Level. Validate guarantees it is known.
func (t Telemetry) Level() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(t.LogLevel))
	return l
}

// Default returns the configuration the sidecar runs with when nothing is
// set: it serves whatever task queues its apps register.
func Default() Config {
	return Config{
		Frontend: Frontend{
			Profile:        "default",
			Address:        "127.0.0.1:7233",
			Namespace:      "default",
			ConnectTimeout: 10 * time.Second,
			BlobSizeLimit:  2 << 20, // the server's default
		},
		Worker: Worker{
			Identity:                         defaultIdentity(),
			DefaultVersioningBehavior:        "unspecified",
			MaxTaskQueues:                    100,
			TaskQueueIdleTimeout:             time.Minute,
			TaskHandbackGrace:                5 * time.Second,
			MaxMissedDeadlines:               3,
			MaxCachedWorkflows:               1000,
			MaxConcurrentWorkflowTasks:       200,
			MaxConcurrentActivities:          200,
			MaxConcurrentLocalActivities:     200,
			MaxConcurrentNexusTasks:          200,
			MaxWorkflowTaskPollers:           5,
			MaxActivityTaskPollers:           5,
			Tuner:                            "fixed",
			TunerTargetMemory:                0.8,
			TunerTargetCPU:                   0.9,
			PollerBehavior:                   "simple-maximum",
			PollerAutoscalingMinimum:         1,
			PollerAutoscalingInitial:         5,
			PollerAutoscalingMaximum:         100,
			MaxNexusTaskPollers:              5,
			WorkflowTaskPollers:              defaultPollers,
			ActivityTaskPollers:              defaultPollers,
			NexusTaskPollers:                 defaultPollers,
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
		Bridge: Bridge{
			Listen: "unix:///tmp/temporal-sidecar.sock",
			// The frontend's gRPC receive limit (gRPC's default of 4 MiB):
			// what an app sends becomes one request to it.
			MaxMessageSize: 4 << 20,
		},
		Telemetry: Telemetry{
			Listen:              "127.0.0.1:9090",
			LogLevel:            "info",
			LogFormat:           "text",
			MetricsDurationUnit: "milliseconds",
		},
	}
}

// defaultPollers is every kind's poller behaviour by default: the global
// settings' defaults.
var defaultPollers = PollerKind{Behavior: "simple-maximum", AutoscalingMinimum: 1, AutoscalingInitial: 5, AutoscalingMaximum: 100}

// defaultIdentity follows the SDKs' "<pid>@<hostname>" so the sidecar is
// recognisable in the UI next to native workers.
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%d@%s", os.Getpid(), host)
}

// Endpoint splits Listen into the network and address net.Listen takes:
// ("unix", "/path") or ("tcp", "host:port").
func (b Bridge) Endpoint() (network, address string) {
	if p, ok := strings.CutPrefix(b.Listen, "unix:"); ok {
		// unix:///abs/path is the URI form of /abs/path.
		return "unix", strings.TrimPrefix(p, "//")
	}
	return "tcp", b.Listen
}

// validListen accepts the forms Endpoint understands.
func validListen(s string) bool {
	if p, ok := strings.CutPrefix(s, "unix:"); ok {
		if strings.HasPrefix(p, "//") {
			// unix://host/path names an authority, which unix sockets lack.
			return strings.HasPrefix(p, "///") && len(p) > 3
		}
		return p != ""
	}
	return validHostPort(s)
}

func validHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// private reports whether the bridge can only be reached from this host:
// a unix socket or a loopback address. A host name other than localhost
// counts as public, since what it resolves to can change.
func (b Bridge) private() bool {
	network, addr := b.Endpoint()
	if network == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Patterns are the task queue patterns of TaskQueues (path.Match syntax),
// or nil when every queue is allowed.
func (w Worker) Patterns() []string {
	var out []string
	for p := range strings.SplitSeq(w.TaskQueues, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validPatterns accepts comma-separated path.Match patterns.
func validPatterns(s string) bool {
	for _, p := range (Worker{TaskQueues: s}).Patterns() {
		if _, err := path.Match(p, ""); err != nil {
			return false
		}
	}
	return true
}
