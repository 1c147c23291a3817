// Package kubernetes holds the example manifests; its test checks them.
//
// No schema checker runs offline (kubeconform downloads its schemas), so
// every document is decoded strictly into the Kubernetes API's own Go
// types: an unknown or misplaced field, a wrong type or a duplicate key
// fails the test as a schema check would. ServiceMonitor and Kustomization
// are not core types; they are decoded strictly into the part of their
// schema used here.
package kubernetes

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/temporal-sidecar/sidecar/internal/config"
)

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor
// these manifests use.
type serviceMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// manifests is every document in this directory, decoded.
type manifests struct {
	files          []string // YAML files other than kustomization.yaml
	kustomization  kustomization
	deployment     appsv1.Deployment
	configMap      corev1.ConfigMap
	service        corev1.Service
	serviceMonitor serviceMonitor
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func load(t *testing.T) *manifests {
	t.Helper()
	paths, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := &manifests{}
	seen := map[string]string{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if path != "kustomization.yaml" {
			m.files = append(m.files, path)
		}
		for i, doc := range docSeparator.Split(string(b), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s document %d: %v", path, i+1, err)
			}
			var into any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				into = &m.deployment
			case "v1 ConfigMap":
				into = &m.configMap
			case "v1 Service":
				into = &m.service
			case "monitoring.coreos.com/v1 ServiceMonitor":
				into = &m.serviceMonitor
			case "kustomize.config.k8s.io/v1beta1 Kustomization":
				into = &m.kustomization
			default:
				t.Fatalf("%s document %d: unexpected %s %s", path, i+1, head.APIVersion, head.Kind)
			}
			if other, dup := seen[head.Kind]; dup {
				t.Fatalf("%s document %d: a second %s (the first is in %s)", path, i+1, head.Kind, other)
			}
			seen[head.Kind] = path
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("%s document %d (%s): %v", path, i+1, head.Kind, err)
			}
		}
	}
	for _, kind := range []string{"Kustomization", "Deployment", "ConfigMap", "Service", "ServiceMonitor"} {
		if _, ok := seen[kind]; !ok {
			t.Fatalf("no %s in %v", kind, paths)
		}
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// sidecar and app are the two containers of the pod.
func (m *manifests) sidecar(t *testing.T) *corev1.Container {
	t.Helper()
	spec := &m.deployment.Spec.Template.Spec
	if len(spec.InitContainers) != 1 {
		t.Fatalf("%d init containers, want the sidecar alone", len(spec.InitContainers))
	}
	return &spec.InitContainers[0]
}

func (m *manifests) app(t *testing.T) *corev1.Container {
	t.Helper()
	spec := &m.deployment.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want the app alone", len(spec.Containers))
	}
	return &spec.Containers[0]
}

// sidecarConfig parses the ConfigMap as the sidecar would see it, with an
// API key standing in for the Secret.
func (m *manifests) sidecarConfig(t *testing.T) config.Config {
	t.Helper()
	env := map[string]string{"TEMPORAL_API_KEY": "from-the-secret"}
	for k, v := range m.configMap.Data {
		env[k] = v
	}
	c, err := config.Parse(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the ConfigMap is not a valid sidecar configuration:\n%v", err)
	}
	return c
}

// TestEveryDocumentMatchesItsSchema decodes every document strictly; the
// other tests start the same way, so a schema error fails them all.
func TestEveryDocumentMatchesItsSchema(t *testing.T) { load(t) }

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := load(t)
	got := slices.Sorted(slices.Values(m.kustomization.Resources))
	if !slices.Equal(got, m.files) {
		t.Errorf("kustomization resources %v, want every manifest %v", got, m.files)
	}
}

func TestSidecarIsANativeSidecar(t *testing.T) {
	m := load(t)
	s := m.sidecar(t)
	if s.RestartPolicy == nil || *s.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("init container %s has restartPolicy %v, want Always (a native sidecar)", s.Name, s.RestartPolicy)
	}
	if !strings.HasPrefix(s.Image, "temporal-sidecar:") {
		t.Errorf("sidecar image %q is not the one `docker build -t temporal-sidecar .` makes", s.Image)
	}
	if a := m.app(t); a.RestartPolicy != nil {
		t.Errorf("app container sets restartPolicy %v; only init containers may", *a.RestartPolicy)
	}
}

func TestConfigMapIsAValidSidecarConfiguration(t *testing.T) {
	m := load(t)
	known := map[string]bool{}
	for _, d := range config.Docs() {
		for _, e := range d.Env {
			known[e] = true
		}
	}
	for k := range m.configMap.Data {
		if !known[k] {
			t.Errorf("ConfigMap key %s is not an environment variable the sidecar reads", k)
		}
		if k == "TEMPORAL_API_KEY" || k == "SIDECAR_BRIDGE_TOKEN" {
			t.Errorf("ConfigMap holds the secret %s; it belongs in a Secret", k)
		}
	}
	m.sidecarConfig(t)
	s := m.sidecar(t)
	if len(s.EnvFrom) != 1 || s.EnvFrom[0].ConfigMapRef == nil || s.EnvFrom[0].ConfigMapRef.Name != m.configMap.Name {
		t.Errorf("the sidecar does not take its environment from ConfigMap %s: %+v", m.configMap.Name, s.EnvFrom)
	}
}

func TestSocketVolumeIsSharedByBothContainers(t *testing.T) {
	m := load(t)
	c := m.sidecarConfig(t)
	network, socket := c.Bridge.Endpoint()
	if network != "unix" {
		t.Fatalf("the bridge listens on %s %s, want a unix socket in the shared volume", network, socket)
	}
	dir := filepath.Dir(socket)
	if dir != "/var/run/temporal-sidecar" {
		t.Errorf("socket directory %s, want /var/run/temporal-sidecar, the image's VOLUME", dir)
	}
	volumeAt := func(ct *corev1.Container) string {
		for _, vm := range ct.VolumeMounts {
			if vm.MountPath == dir {
				if vm.ReadOnly {
					t.Errorf("%s mounts %s read-only; connecting to a socket needs write access", ct.Name, dir)
				}
				return vm.Name
			}
		}
		t.Errorf("%s does not mount %s", ct.Name, dir)
		return ""
	}
	sv, av := volumeAt(m.sidecar(t)), volumeAt(m.app(t))
	if sv != av {
		t.Errorf("sidecar mounts volume %q at %s, app mounts %q", sv, dir, av)
	}
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.Name == sv && v.EmptyDir == nil {
			t.Errorf("volume %s is not an emptyDir", v.Name)
		}
	}
	if !slices.Contains(m.app(t).Command, c.Bridge.Listen) {
		t.Errorf("the app's command %q does not connect to %s", m.app(t).Command, c.Bridge.Listen)
	}
}

func TestProbesPointAtTheSidecarHTTPPort(t *testing.T) {
	m := load(t)
	c := m.sidecarConfig(t)
	host, port, err := net.SplitHostPort(c.Telemetry.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("SIDECAR_HTTP_LISTEN host %q: the kubelet cannot reach a loopback address", host)
	}
	s := m.sidecar(t)
	portOf := func(p intstr.IntOrString) string {
		if p.Type == intstr.Int {
			return strconv.Itoa(p.IntValue())
		}
		for _, cp := range s.Ports {
			if cp.Name == p.StrVal {
				return strconv.Itoa(int(cp.ContainerPort))
			}
		}
		return "unknown port " + p.StrVal
	}
	for _, tt := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startup", s.StartupProbe, "/healthz"},
		{"liveness", s.LivenessProbe, "/healthz"},
		{"readiness", s.ReadinessProbe, "/readyz"},
	} {
		if tt.probe == nil || tt.probe.HTTPGet == nil {
			t.Errorf("the sidecar has no HTTP %s probe", tt.name)
			continue
		}
		if got := tt.probe.HTTPGet; got.Path != tt.path || portOf(got.Port) != port {
			t.Errorf("%s probe GET %s on port %s, want %s on %s", tt.name, got.Path, portOf(got.Port), tt.path, port)
		}
	}
	if p := s.StartupProbe; p != nil {
		budget := time.Duration(p.PeriodSeconds*p.FailureThreshold) * time.Second
		if budget <= c.Frontend.ConnectTimeout {
			t.Errorf("the startup probe gives up after %v, before the sidecar's own connect timeout %v", budget, c.Frontend.ConnectTimeout)
		}
	}
	if a := m.app(t); a.LivenessProbe != nil && a.LivenessProbe.HTTPGet != nil && portOf(a.LivenessProbe.HTTPGet.Port) == port {
		t.Error("the app probes the sidecar's port")
	}
}

func TestAPIKeyComesFromASecretForTheSidecarOnly(t *testing.T) {
	m := load(t)
	var ref *corev1.SecretKeySelector
	for _, e := range m.sidecar(t).Env {
		if e.Name == "TEMPORAL_API_KEY" && e.ValueFrom != nil {
			ref = e.ValueFrom.SecretKeyRef
		}
	}
	if ref == nil || ref.Name == "" || ref.Key == "" {
		t.Fatal("the sidecar has no TEMPORAL_API_KEY from a secretKeyRef")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "kubectl create secret generic " + ref.Name + " --from-literal=" + ref.Key + "="; !bytes.Contains(readme, []byte(want)) {
		t.Errorf("README.md does not show how to create the secret: %q", want)
	}
	// Applications never hold Temporal credentials (DESIGN.md).
	a := m.app(t)
	if len(a.EnvFrom) > 0 {
		t.Errorf("the app takes environment from %+v", a.EnvFrom)
	}
	for _, e := range a.Env {
		if strings.HasPrefix(e.Name, "TEMPORAL_") || e.ValueFrom != nil {
			t.Errorf("the app gets %s", e.Name)
		}
	}
}

func TestContainersAreUnprivilegedAndShareOneNonRootUser(t *testing.T) {
	m := load(t)
	pod := m.deployment.Spec.Template.Spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	// The image's USER, which the pod's uid must match.
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	user := regexp.MustCompile(`(?m)^USER (\d+)`).FindSubmatch(b)
	if user == nil {
		t.Fatal("the Dockerfile has no numeric USER")
	}
	imageUID, _ := strconv.ParseInt(string(user[1]), 10, 64)

	uids := map[string]int64{}
	for _, c := range []*corev1.Container{m.sidecar(t), m.app(t)} {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s is privileged", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s does not set allowPrivilegeEscalation: false", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s does not drop all capabilities: %+v", c.Name, sc.Capabilities)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s has a writable root filesystem", c.Name)
		}
		nonRoot := pod.RunAsNonRoot
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			t.Errorf("%s does not run with runAsNonRoot: true", c.Name)
		}
		uid := pod.RunAsUser
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if uid == nil {
			t.Errorf("%s sets no runAsUser", c.Name)
			continue
		}
		uids[c.Name] = *uid
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				t.Errorf("%s requests no %s", c.Name, res)
			}
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			t.Errorf("%s has no memory limit", c.Name)
		}
	}
	// The bridge socket is mode 0600: only its owner can connect.
	if len(uids) == 2 && (uids["temporal-sidecar"] != uids["app"] || uids["app"] != imageUID) {
		t.Errorf("uids %v: both containers must run as the image's user %d to share the 0600 socket", uids, imageUID)
	}
	if pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("the pod does not use the RuntimeDefault seccomp profile")
	}
	if spec := m.deployment.Spec.Template.Spec; spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Error("the pod shares a host namespace")
	}
}

func TestGracePeriodCoversTheSidecarsDrain(t *testing.T) {
	m := load(t)
	c := m.sidecarConfig(t)
	grace := time.Duration(30) * time.Second // the Kubernetes default
	if g := m.deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace <= c.Worker.GracefulShutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds is %v, not more than the sidecar's graceful shutdown timeout %v", grace, c.Worker.GracefulShutdownTimeout)
	}
}

func TestSelectorsAndPortsLineUp(t *testing.T) {
	m := load(t)
	d := m.deployment
	podLabels := d.Spec.Template.Labels
	matches := func(selector, labels map[string]string) bool {
		if len(selector) == 0 {
			return false
		}
		for k, v := range selector {
			if labels[k] != v {
				return false
			}
		}
		return true
	}
	if d.Spec.Selector == nil || !matches(d.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("Deployment selector %v does not match its pod labels %v", d.Spec.Selector, podLabels)
	}
	if !matches(m.service.Spec.Selector, podLabels) {
		t.Errorf("Service selector %v does not match the pod labels %v", m.service.Spec.Selector, podLabels)
	}
	if !matches(m.serviceMonitor.Spec.Selector.MatchLabels, m.service.Labels) {
		t.Errorf("ServiceMonitor selector %v does not match the Service labels %v", m.serviceMonitor.Spec.Selector.MatchLabels, m.service.Labels)
	}
	if len(m.service.Spec.Ports) != 1 || len(m.serviceMonitor.Spec.Endpoints) != 1 {
		t.Fatalf("want one Service port and one ServiceMonitor endpoint, got %d and %d", len(m.service.Spec.Ports), len(m.serviceMonitor.Spec.Endpoints))
	}
	sp, ep := m.service.Spec.Ports[0], m.serviceMonitor.Spec.Endpoints[0]
	if ep.Port != sp.Name || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor scrapes port %q path %q, want the Service's %q and /metrics", ep.Port, ep.Path, sp.Name)
	}
	s := m.sidecar(t)
	if sp.TargetPort.Type != intstr.String || len(s.Ports) != 1 || sp.TargetPort.StrVal != s.Ports[0].Name {
		t.Errorf("Service targets %v, want the sidecar's named port %v", sp.TargetPort.String(), s.Ports)
	}
	_, port, _ := net.SplitHostPort(m.sidecarConfig(t).Telemetry.Listen)
	if len(s.Ports) == 1 && strconv.Itoa(int(s.Ports[0].ContainerPort)) != port {
		t.Errorf("the sidecar declares port %d, but SIDECAR_HTTP_LISTEN listens on %s", s.Ports[0].ContainerPort, port)
	}
}
