package kubernetes

import (
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The KEDA example (keda/scaledobject.yaml, outside the kustomization since
// it needs KEDA's CRDs) scales the Deployment on its own task queue, through
// the same frontend, namespace and API key Secret as the sidecar.
func TestKedaScalesTheWorkerOnItsQueuesBacklog(t *testing.T) {
	m := load(t)
	b, err := os.ReadFile("keda/scaledobject.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			SecretTargetRef []struct{ Parameter, Name, Key string } `json:"secretTargetRef"`
			ScaleTargetRef  struct{ Name string }                   `json:"scaleTargetRef"`
			MinReplicaCount *int                                    `json:"minReplicaCount"`
			MaxReplicaCount int                                     `json:"maxReplicaCount"`
			PollingInterval int                                     `json:"pollingInterval"`
			CooldownPeriod  int                                     `json:"cooldownPeriod"`
			Triggers        []struct {
				Type              string                `json:"type"`
				AuthenticationRef struct{ Name string } `json:"authenticationRef"`
				Metadata          map[string]string     `json:"metadata"`
			} `json:"triggers"`
		} `json:"spec"`
	}
	docs := map[string]doc{}
	for _, d := range docSeparator.Split(string(b), -1) {
		if strings.TrimSpace(stripComments(d)) == "" {
			continue
		}
		var x doc
		if err := yaml.UnmarshalStrict([]byte(d), &x); err != nil {
			t.Fatal(err)
		}
		if x.APIVersion != "keda.sh/v1alpha1" {
			t.Errorf("%s has apiVersion %q", x.Kind, x.APIVersion)
		}
		docs[x.Kind] = x
	}
	so, auth := docs["ScaledObject"], docs["TriggerAuthentication"]
	if so.Spec.ScaleTargetRef.Name != m.deployment.Name {
		t.Errorf("ScaledObject scales %q, the Deployment is %q", so.Spec.ScaleTargetRef.Name, m.deployment.Name)
	}
	if len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "temporal" {
		t.Fatalf("triggers = %+v, want one of type temporal", so.Spec.Triggers)
	}
	tr := so.Spec.Triggers[0]
	for key, env := range map[string]string{"endpoint": "TEMPORAL_ADDRESS", "namespace": "TEMPORAL_NAMESPACE", "taskQueue": "SIDECAR_TASK_QUEUE"} {
		if got, want := tr.Metadata[key], m.configMap.Data[env]; got != want {
			t.Errorf("trigger %s = %q, the sidecar's %s = %q", key, got, env, want)
		}
	}
	if tr.Metadata["targetQueueSize"] == "" {
		t.Error("no targetQueueSize")
	}
	if tr.AuthenticationRef.Name != auth.Metadata.Name {
		t.Errorf("trigger authenticates with %q, the TriggerAuthentication is %q", tr.AuthenticationRef.Name, auth.Metadata.Name)
	}
	// The API key: the Secret the sidecar reads TEMPORAL_API_KEY from.
	var secret, key string
	for _, c := range m.deployment.Spec.Template.Spec.InitContainers {
		for _, e := range c.Env {
			if e.Name == "TEMPORAL_API_KEY" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				secret, key = e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
			}
		}
	}
	if len(auth.Spec.SecretTargetRef) != 1 || auth.Spec.SecretTargetRef[0].Parameter != "apiKey" ||
		auth.Spec.SecretTargetRef[0].Name != secret || auth.Spec.SecretTargetRef[0].Key != key || secret == "" {
		t.Errorf("TriggerAuthentication %+v, want apiKey from the sidecar's Secret %s/%s", auth.Spec.SecretTargetRef, secret, key)
	}
	if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 1 || so.Spec.MaxReplicaCount < *so.Spec.MinReplicaCount {
		t.Errorf("replicas %v..%d, want at least one pod", so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount)
	}
	drain, err := time.ParseDuration(m.configMap.Data["SIDECAR_GRACEFUL_SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(so.Spec.CooldownPeriod)*time.Second <= drain {
		t.Errorf("cooldownPeriod %ds is not longer than the sidecar's drain %v", so.Spec.CooldownPeriod, drain)
	}
}
