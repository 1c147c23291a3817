package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Parse builds a Config from defaults, a Temporal env-config profile, the
// environment and command-line flags, in rising order of precedence: a flag
// beats its environment variable, which beats the profile, which beats the
// default. An empty environment variable, or an empty string in the
// profile, counts as unset. getenv is os.Getenv in production and a map
// lookup in tests.
//
// Every problem found is reported, joined, each naming where to fix it: the
// flag and environment variable, or the profile's file, key and line. On -h
// or --help Parse returns flag.ErrHelp and the caller prints Usage.
//
// Parse cannot list the environment, so it applies no TEMPORAL_GRPC_META_*
// variables; ParseEnviron does.
func Parse(args []string, getenv func(string) string) (Config, error) {
	return parse(args, getenv, nil)
}

// ParseEnviron is Parse reading the environment from environ, as
// os.Environ returns it ("KEY=value" strings), which lets it apply the
// TEMPORAL_GRPC_META_* variables as well.
func ParseEnviron(args []string, environ []string) (Config, error) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return parse(args, func(k string) string { return m[k] }, environ)
}

func parse(args []string, getenv func(string) string, environ []string) (Config, error) {
	c := Default()

	fs := flag.NewFlagSet("sidecar", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	raw := make([]rawFlag, len(options))
	for i := range options {
		raw[i].bool = options[i].isBool()
		fs.Var(&raw[i], options[i].name, options[i].help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, flag.ErrHelp
		}
		return Config{}, fmt.Errorf("%v (see --help)", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: the sidecar takes only flags (see --help)", fs.Arg(0))
	}

	// user returns the text the user gave option i by flag or environment
	// variable, and the variable to name in messages: the one that
	// supplied the value, or the primary one when a flag did.
	user := func(i int) (s, env string, ok bool) {
		o := &options[i]
		if raw[i].set {
			return raw[i].s, o.envs()[0], true
		}
		for _, e := range o.envs() {
			if v := getenv(e); v != "" {
				return v, e, true
			}
		}
		return "", o.envs()[0], false
	}

	var errs []error

	// The profile layer sits between the defaults and the environment.
	req := profileRequest{name: c.Frontend.Profile, getenv: getenv}
	req.file, req.fileEnv, req.fileSet = user(index("config-file"))
	if s, env, ok := user(index("profile")); ok {
		req.name, req.nameEnv, req.nameSet = s, env, s != ""
	} else {
		req.nameEnv = env
	}
	prof, err := loadProfile(req)
	if err != nil {
		errs = append(errs, err)
	}

	// src records, for each option set by the user or the profile, what to
	// name in messages: an environment variable or a place in the profile.
	src := make(map[string]string)
	for i := range options {
		o := &options[i]
		s, env, ok := user(i)
		if !ok {
			if v, found := prof.values[o.name]; found {
				s, env, ok = v.text, v.where, true
			}
		}
		if !ok {
			continue
		}
		src[o.name] = env
		if err := o.set(&c, s, env); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, refuseUnsupported(getenv)...)
	meta, err := grpcMeta(prof.meta, environ)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	c.Frontend.ConfigFile = prof.file
	c.Frontend.GRPCMeta = meta
	inherit(&c, func(name string) bool { _, ok := src[name]; return ok })

	// TLS follows from the other TLS settings unless set explicitly, as in
	// Temporal's env-config: any --tls-* option or an API key turns it on.
	if _, ok := src["tls"]; !ok {
		t := c.Frontend.TLS
		c.Frontend.TLS.Enabled = c.Frontend.APIKey != "" || t.CAPath != "" || t.CertPath != "" ||
			t.KeyPath != "" || t.CAData != "" || t.CertData != "" || t.KeyData != "" ||
			t.ServerName != "" || t.DisableHostVerification
	}

	envOf := func(name string) string {
		if env, ok := src[name]; ok {
			return env
		}
		return primaryEnv(name)
	}
	if err := c.validate(envOf); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks c against every option's rule and the rules that tie
// options together. Parse already does this; Validate is for a Config
// built in code.
func (c Config) Validate() error { return c.validate(primaryEnv) }

func primaryEnv(name string) string { return lookup(name).envs()[0] }

// validate names each option with the environment variable envOf returns.
func (c Config) validate(envOf func(name string) string) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	ref := func(name string) string { return lookup(name).ref(envOf(name)) }

	for i := range options {
		o := &options[i]
		if err := o.check(&c, format(o.field(&c)), envOf(o.name)); err != nil {
			errs = append(errs, err)
		}
	}

	// needs reports that option a is set without option b.
	needs := func(a, b string) { add("%s needs %s", ref(a), ref(b)) }
	if c.Bridge.ProxyUnconfined && !c.Bridge.WorkflowServiceProxy {
		needs("workflow-service-proxy-unconfined", "workflow-service-proxy")
	}

	f := c.Frontend.TLS
	// A file or PEM text, never both, as env-config has it; and the
	// certificate and key come the same way.
	for _, p := range [][2]string{{"tls-ca-path", "tls-ca-data"}, {"tls-cert-path", "tls-cert-data"}, {"tls-key-path", "tls-key-data"}} {
		if value(lookup(p[0]).field(&c)) != "" && value(lookup(p[1]).field(&c)) != "" {
			add("%s and %s exclude each other: give the PEM as a file or as text, not both", ref(p[0]), ref(p[1]))
		}
	}
	if f.CertPath != "" && f.KeyPath == "" && f.KeyData == "" {
		needs("tls-cert-path", "tls-key-path")
	}
	if f.KeyPath != "" && f.CertPath == "" && f.CertData == "" {
		needs("tls-key-path", "tls-cert-path")
	}
	if f.CertData != "" && f.KeyData == "" && f.KeyPath == "" {
		needs("tls-cert-data", "tls-key-data")
	}
	if f.KeyData != "" && f.CertData == "" && f.CertPath == "" {
		needs("tls-key-data", "tls-cert-data")
	}
	if (f.CertData != "" && f.KeyPath != "" && f.CertPath == "" && f.KeyData == "") || (f.CertPath != "" && f.KeyData != "" && f.CertData == "" && f.KeyPath == "") {
		add("%s and %s come together, as do %s and %s: give the client certificate and its key both as files or both as text",
			ref("tls-cert-path"), ref("tls-key-path"), ref("tls-cert-data"), ref("tls-key-data"))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Frontend.GRPCMeta)) {
		if err := checkMeta(k, c.Frontend.GRPCMeta[k]); err != nil {
			add("Frontend.GRPCMeta: %v", err)
		}
	}
	if !f.Enabled {
		for _, o := range []struct {
			name string
			set  bool
		}{
			{"tls-ca-path", f.CAPath != ""},
			{"tls-cert-path", f.CertPath != ""},
			{"tls-key-path", f.KeyPath != ""},
			{"tls-ca-data", f.CAData != ""},
			{"tls-cert-data", f.CertData != ""},
			{"tls-key-data", f.KeyData != ""},
			{"tls-server-name", f.ServerName != ""},
			{"tls-disable-host-verification", f.DisableHostVerification},
		} {
			if o.set {
				add("%s needs TLS, but %s is false", ref(o.name), ref("tls"))
			}
		}
	}

	w := c.Worker
	if w.TaskQueue != "" && w.TaskQueues != "" {
		add("%s and %s exclude each other: set %s to serve one queue, or %s to allow several",
			ref("task-queue"), ref("task-queues"), ref("task-queue"), ref("task-queues"))
	}
	if w.DefaultHeartbeatThrottleInterval > w.MaxHeartbeatThrottleInterval {
		add("%s (%v) must not exceed %s (%v)",
			ref("default-heartbeat-throttle-interval"), w.DefaultHeartbeatThrottleInterval,
			ref("max-heartbeat-throttle-interval"), w.MaxHeartbeatThrottleInterval)
	}
	if w.PollerAutoscalingMinimum > w.PollerAutoscalingInitial || w.PollerAutoscalingInitial > w.PollerAutoscalingMaximum {
		add("poller autoscaling bounds must satisfy %s (%d) <= %s (%d) <= %s (%d)",
			ref("poller-autoscaling-minimum"), w.PollerAutoscalingMinimum,
			ref("poller-autoscaling-initial"), w.PollerAutoscalingInitial,
			ref("poller-autoscaling-maximum"), w.PollerAutoscalingMaximum)
	}
	c.validateKinds(ref, add)
	if w.UseVersioning {
		if w.DeploymentName == "" {
			needs("use-versioning", "deployment-name")
		}
		if w.BuildID == "" {
			needs("use-versioning", "build-id")
		}
	}
	if w.DefaultVersioningBehavior != "unspecified" && !w.UseVersioning {
		add("%s %q needs %s", ref("default-versioning-behavior"), w.DefaultVersioningBehavior, ref("use-versioning"))
	}

	b := c.Bridge
	if b.TLS.CertPath != "" && b.TLS.KeyPath == "" {
		needs("bridge-tls-cert-path", "bridge-tls-key-path")
	}
	if b.TLS.KeyPath != "" && b.TLS.CertPath == "" {
		needs("bridge-tls-key-path", "bridge-tls-cert-path")
	}
	if b.TLS.ClientCAPath != "" && b.TLS.CertPath == "" {
		add("%s needs %s: client certificates are only checked over TLS",
			ref("bridge-tls-client-ca-path"), ref("bridge-tls-cert-path"))
	}
	// The bridge hands out work and accepts results for the whole task
	// queue, so exposing it beyond this host must be a deliberate choice.
	if validListen(b.Listen) && !b.private() && b.Token == "" && !b.TLS.Enabled() {
		add("%s %q can be reached from other hosts; set %s or %s, or listen on a unix socket or loopback address",
			ref("bridge-listen"), b.Listen, ref("bridge-token"), ref("bridge-tls-cert-path"))
	}
	return errors.Join(errs...)
}

// rawFlag holds a flag's text until Parse knows whether the flag or the
// environment wins, so both go through the same parsing and messages.
type rawFlag struct {
	s    string
	set  bool
	bool bool
}

func (f *rawFlag) String() string   { return f.s }
func (f *rawFlag) IsBoolFlag() bool { return f.bool }
func (f *rawFlag) Set(s string) error {
	f.s, f.set = s, true
	return nil
}

// Usage writes --help: options by group, each with its environment
// variable and default.
func Usage(w io.Writer) {
	def := Default()
	var b strings.Builder
	b.WriteString(`Usage: sidecar [flags]

Runs a Temporal worker and serves its tasks to applications over a local
gRPC bridge. Every flag has an environment variable twin, shown in
parentheses. A flag beats its environment variable, which beats the
Temporal env-config profile (--config-file, --profile), which beats the
default.
`)
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		for i := range options {
			o := &options[i]
			if o.group != g {
				continue
			}
			b.WriteString("  --" + o.name)
			if arg := o.placeholder(); arg != "" {
				b.WriteString(" " + arg)
			}
			b.WriteString(" (" + strings.Join(o.envs(), " or "))
			if d := o.defaultText(def); d != "" && d != "false" {
				b.WriteString(", default " + d)
			}
			b.WriteString(")\n      " + o.help + "\n")
		}
	}
	io.WriteString(w, b.String())
}

// defaultText is o's default as a user would type it, or as --help
// describes it when it is computed at run time.
func (o *option) defaultText(def Config) string {
	if o.def != "" {
		return o.def
	}
	if o.parent != "" {
		return "--" + o.parent
	}
	return format(o.field(&def))
}

// A Doc describes one option for generated documentation.
type Doc struct {
	Group   string   // the --help section
	Flag    string   // without dashes
	Arg     string   // the value's placeholder; empty for booleans
	Env     []string // environment variables, in the order they are read
	Default string   // as typed; empty when there is none
	Help    string
}

// Docs describes every option in --help order, from the same table that
// parses them, so documentation generated from it cannot drift.
func Docs() []Doc {
	def := Default()
	var docs []Doc
	for _, g := range groups {
		for i := range options {
			o := &options[i]
			if o.group != g {
				continue
			}
			docs = append(docs, Doc{Group: g, Flag: o.name, Arg: o.placeholder(), Env: o.envs(),
				Default: o.defaultText(def), Help: o.help})
		}
	}
	return docs
}

// placeholder names the kind of value o takes; booleans take none.
func (o *option) placeholder() string {
	if o.arg != "" {
		return o.arg
	}
	switch o.field(&Config{}).(type) {
	case *int:
		return "n"
	case *float64:
		return "number"
	case *time.Duration:
		return "duration"
	}
	return ""
}
