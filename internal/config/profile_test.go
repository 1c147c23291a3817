package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// writeFile writes content to dir/rel, creating directories, and returns
// the path.
func writeFile(t *testing.T, dir, rel, content string) string {
	t.Helper()
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const twoProfiles = `
[profile.default]
address = "default.example:7233"
namespace = "default-ns"

[profile.prod]
address = "prod.example:7233"
namespace = "prod-ns"
`

func TestProfilePrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "temporal.toml", twoProfiles)
	other := writeFile(t, dir, "other.toml", `[profile.default]
address = "other.example:7233"
`)
	home := t.TempDir()
	writeFile(t, home, ".config/temporalio/temporal.toml", `[profile.default]
address = "home.example:7233"
`)
	xdg := t.TempDir()
	writeFile(t, xdg, "temporalio/temporal.toml", `[profile.default]
address = "xdg.example:7233"
`)
	noFile := t.TempDir()
	bad := writeFile(t, dir, "bad.toml", `[profile.default]
address = "nope"
`)

	tests := []struct {
		name     string
		args     []string
		env      func(string) string
		address  string
		file     string // Frontend.ConfigFile after Parse
		fromFile string // namespace
	}{
		{"default when there is no profile file", nil, env(), "127.0.0.1:7233", "", "default"},
		{"profile beats default", nil, env("TEMPORAL_CONFIG_FILE", file), "default.example:7233", file, "default-ns"},
		{"env beats profile", nil, env("TEMPORAL_CONFIG_FILE", file, "TEMPORAL_ADDRESS", "env:1"), "env:1", file, "default-ns"},
		{"flag beats env and profile", []string{"--address=flag:1"}, env("TEMPORAL_CONFIG_FILE", file, "TEMPORAL_ADDRESS", "env:1"), "flag:1", file, "default-ns"},
		{"empty env counts as unset, so the profile applies", nil, env("TEMPORAL_CONFIG_FILE", file, "TEMPORAL_ADDRESS", ""), "default.example:7233", file, "default-ns"},
		{"TEMPORAL_PROFILE picks the profile", nil, env("TEMPORAL_CONFIG_FILE", file, "TEMPORAL_PROFILE", "prod"), "prod.example:7233", file, "prod-ns"},
		{"--profile beats TEMPORAL_PROFILE", []string{"--profile=default"}, env("TEMPORAL_CONFIG_FILE", file, "TEMPORAL_PROFILE", "prod"), "default.example:7233", file, "default-ns"},
		{"--config-file beats TEMPORAL_CONFIG_FILE", []string{"--config-file=" + other}, env("TEMPORAL_CONFIG_FILE", file), "other.example:7233", other, "default"},
		{"default file under $HOME/.config is read", nil, env("HOME", home), "home.example:7233", filepath.Join(home, ".config/temporalio/temporal.toml"), "default"},
		{"$XDG_CONFIG_HOME moves the default file", nil, env("HOME", home, "XDG_CONFIG_HOME", xdg), "xdg.example:7233", filepath.Join(xdg, "temporalio/temporal.toml"), "default"},
		{"relative $XDG_CONFIG_HOME is ignored", nil, env("HOME", home, "XDG_CONFIG_HOME", "rel"), "home.example:7233", filepath.Join(home, ".config/temporalio/temporal.toml"), "default"},
		{"a missing default file is no profile", nil, env("HOME", noFile), "127.0.0.1:7233", "", "default"},
		{"--config-file= reads no file, not even the default", []string{"--config-file="}, env("HOME", home), "127.0.0.1:7233", "", "default"},
		{"a file without the default profile is fine", nil, env("TEMPORAL_CONFIG_FILE", writeFile(t, dir, "prod-only.toml", "[profile.prod]\naddress = \"p:1\"\n")), "127.0.0.1:7233", filepath.Join(dir, "prod-only.toml"), "default"},
		{"an empty file is fine", nil, env("TEMPORAL_CONFIG_FILE", writeFile(t, dir, "empty.toml", "")), "127.0.0.1:7233", filepath.Join(dir, "empty.toml"), "default"},
		{"flag beats an invalid profile value", []string{"--address=flag:1"}, env("TEMPORAL_CONFIG_FILE", bad), "flag:1", bad, "default"},
		{"env beats an invalid profile value", nil, env("TEMPORAL_CONFIG_FILE", bad, "TEMPORAL_ADDRESS", "env:1"), "env:1", bad, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(append(tt.args, "--task-queue=q"), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.Address != tt.address || c.Frontend.Namespace != tt.fromFile || c.Frontend.ConfigFile != tt.file {
				t.Errorf("address, namespace, file = %q, %q, %q; want %q, %q, %q",
					c.Frontend.Address, c.Frontend.Namespace, c.Frontend.ConfigFile, tt.address, tt.fromFile, tt.file)
			}
		})
	}
}

func TestProfileSetsEveryFrontendKey(t *testing.T) {
	file := writeFile(t, t.TempDir(), "temporal.toml", `
[profile.cloud]
address = "us-east-1.aws.api.temporal.io:7233"
namespace = "orders.a2b3c"
api_key = "k3y"

[profile.cloud.tls]
server_ca_cert_path = "/ca.pem"
client_cert_path = "/c.pem"
client_key_path = "/k.pem"
server_name = "frontend.internal"
disable_host_verification = true

[profile.cloud.grpc_meta]
X_Tenant = "t1"
x-region = "eu"
`)
	c, err := Parse([]string{"--task-queue=q", "--config-file", file, "--profile", "cloud"}, env())
	if err != nil {
		t.Fatal(err)
	}
	want := Frontend{
		ConfigFile: file, Profile: "cloud",
		Address: "us-east-1.aws.api.temporal.io:7233", Namespace: "orders.a2b3c", APIKey: "k3y",
		TLS: TLS{Enabled: true, CAPath: "/ca.pem", CertPath: "/c.pem", KeyPath: "/k.pem",
			ServerName: "frontend.internal", DisableHostVerification: true},
		ConnectTimeout: Default().Frontend.ConnectTimeout, BlobSizeLimit: Default().Frontend.BlobSizeLimit,
		GRPCMeta: map[string]string{"x-tenant": "t1", "x-region": "eu"},
	}
	if !reflect.DeepEqual(c.Frontend, want) {
		t.Errorf("Frontend:\n got %+v\nwant %+v", c.Frontend, want)
	}
}

func TestProfileKeysInAnySyntaxAreRead(t *testing.T) {
	tests := []struct{ name, toml string }{
		{"dotted keys at the top", `profile.default.address = "a.example:1"
profile.default.tls.server_name = "sn"`},
		{"inline tables", `profile = { default = { address = "a.example:1", tls = { server_name = "sn" } } }`},
		{"quoted keys", `["profile"."default"]
"address" = 'a.example:1'
[profile.default."tls"]
server_name = """sn"""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "t.toml", tt.toml)
			c, err := Parse([]string{"--task-queue=q"}, env("TEMPORAL_CONFIG_FILE", file))
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.Address != "a.example:1" || c.Frontend.TLS.ServerName != "sn" || !c.Frontend.TLS.Enabled {
				t.Errorf("Frontend = %+v", c.Frontend)
			}
		})
	}
}

func TestProfileTLSFollowsEnvConfig(t *testing.T) {
	tests := []struct {
		name    string
		toml    string
		args    []string
		env     []string
		enabled bool
	}{
		{"no tls table and no API key: off", "address = \"a:1\"", nil, nil, false},
		{"API key turns it on", "api_key = \"k\"", nil, nil, true},
		{"an empty tls table turns it on", "[profile.default.tls]", nil, nil, true},
		{"tls.disabled keeps it off despite an API key", "api_key = \"k\"\n[profile.default.tls]\ndisabled = true", nil, nil, false},
		{"tls.disabled = false turns it on", "[profile.default.tls]\ndisabled = false", nil, nil, true},
		{"TEMPORAL_TLS=false beats the tls table", "[profile.default.tls]", nil, []string{"TEMPORAL_TLS", "false"}, false},
		{"--tls beats tls.disabled", "[profile.default.tls]\ndisabled = true", []string{"--tls"}, nil, true},
		{"env API key with the profile's tls.disabled stays off", "[profile.default.tls]\ndisabled = true", nil, []string{"TEMPORAL_API_KEY", "k"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "t.toml", "[profile.default]\n"+tt.toml+"\n")
			c, err := Parse(append(tt.args, "--task-queue=q"), env(append([]string{"TEMPORAL_CONFIG_FILE", file}, tt.env...)...))
			if err != nil {
				t.Fatal(err)
			}
			if c.Frontend.TLS.Enabled != tt.enabled {
				t.Errorf("TLS.Enabled = %v, want %v", c.Frontend.TLS.Enabled, tt.enabled)
			}
		})
	}
}

// TestProfileErrorsNameFileKeyAndLine pins the message for each way a
// profile file or its selection can be wrong. $F is the file's path.
func TestProfileErrorsNameFileKeyAndLine(t *testing.T) {
	tests := []struct {
		name string
		toml string // written to $F unless "-" (no file)
		args []string
		env  []string
		want string
	}{
		{"named file missing", "-", []string{"--config-file=$F"}, nil,
			`cannot read --config-file (TEMPORAL_CONFIG_FILE) "$F": no such file or directory`},
		{"file named by env missing", "-", nil, []string{"TEMPORAL_CONFIG_FILE", "$F"},
			`cannot read --config-file (TEMPORAL_CONFIG_FILE) "$F": no such file or directory`},
		{"named file is a directory", "dir", []string{"--config-file=$F"}, nil,
			`cannot read --config-file (TEMPORAL_CONFIG_FILE) "$F": is a directory`},
		{"named file is not TOML", "[profile.default]\naddress = \"a:1\"\nnamespace = \"ns\n", []string{"--config-file=$F"}, nil,
			`--config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 3, column 16: basic strings cannot have new lines`},
		{"unterminated table header", "[profile.default\n", []string{"--config-file=$F"}, nil,
			`--config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 1, column 17: expected character ]`},
		{"duplicate key", "[profile.default]\naddress = \"a:1\"\naddress = \"b:1\"\n", []string{"--config-file=$F"}, nil,
			`--config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 3: key address is already defined`},
		{"table defined twice", "[profile.default]\naddress = \"a:1\"\n\n[profile.default]\n", []string{"--config-file=$F"}, nil,
			`--config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 4: table default already exists`},
		{"value extended into a table", "[profile.default]\ntls = \"on\"\n[profile.default.tls]\n", []string{"--config-file=$F"}, nil,
			`--config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 3: key tls should be a table, not a value`},
		{"default file is not TOML", "home:[profile.default\n", nil, nil,
			`the default --config-file (TEMPORAL_CONFIG_FILE) "$F" is not valid TOML: line 1, column 17: expected character ]`},
		{"named profile is not in the file", "[profile.default]\n[profile.staging]\n", []string{"--config-file=$F", "--profile=prod"}, nil,
			`cannot use --profile (TEMPORAL_PROFILE) "prod": --config-file (TEMPORAL_CONFIG_FILE) "$F" has no such profile, only default, staging`},
		{"profile named by env is not in a file without profiles", "", nil, []string{"TEMPORAL_CONFIG_FILE", "$F", "TEMPORAL_PROFILE", "prod"},
			`cannot use --profile (TEMPORAL_PROFILE) "prod": --config-file (TEMPORAL_CONFIG_FILE) "$F" has no such profile, no profiles`},
		{"named profile without a default file", "home:-", []string{"--profile=prod"}, nil,
			`cannot use --profile (TEMPORAL_PROFILE) "prod": the default --config-file (TEMPORAL_CONFIG_FILE) "$F" does not exist; name the file with --config-file`},
		{"named profile with no file at all", "-", []string{"--profile=prod", "--config-file="}, nil,
			`cannot use --profile (TEMPORAL_PROFILE) "prod": --config-file (TEMPORAL_CONFIG_FILE) is empty, so no file is read`},
		{"named profile without $HOME", "-", nil, []string{"TEMPORAL_PROFILE", "prod"},
			`cannot use --profile (TEMPORAL_PROFILE) "prod": there is no default --config-file (TEMPORAL_CONFIG_FILE) as neither $XDG_CONFIG_HOME nor $HOME is set; name the file with --config-file`},
		{"empty profile flag", "-", []string{"--profile="}, nil,
			`invalid value "" for --profile (TEMPORAL_PROFILE): must be a non-empty name`},
		{"invalid value names the key and line", "[profile.default]\n\naddress = \"localhost\"\n", []string{"--config-file=$F"}, nil,
			`invalid value "localhost" for --address (address of profile "default", $F line 3): must be host:port or a gRPC target such as dns:///host:port`},
		{"invalid value in a selected profile", "[profile.a]\n[profile.b]\nnamespace = \"ok\"\naddress = \":x\"\n", []string{"--config-file=$F", "--profile=b"}, nil,
			`invalid value ":x" for --address (address of profile "b", $F line 4): must be host:port or a gRPC target such as dns:///host:port`},
		{"string where a boolean belongs", "[profile.default.tls]\ndisable_host_verification = \"yes\"\n", []string{"--config-file=$F"}, nil,
			`tls.disable_host_verification of profile "default", $F line 2: must be true or false, not a string`},
		{"number where a string belongs", "[profile.default]\naddress = 7233\n", []string{"--config-file=$F"}, nil,
			`address of profile "default", $F line 2: must be a string, not an integer`},
		{"tls.disabled not a boolean", "[profile.default.tls]\ndisabled = 1\n", []string{"--config-file=$F"}, nil,
			`tls.disabled of profile "default", $F line 2: must be true or false, not an integer`},
		{"misspelt key", "[profile.default]\nadress = \"a:1\"\n", []string{"--config-file=$F"}, nil,
			`adress of profile "default", $F line 2: unknown key; a profile has address, namespace, api_key, tls, codec, grpc_meta and sidecar`},
		{"misspelt tls key", "[profile.default.tls]\nca_path = \"/ca.pem\"\n", []string{"--config-file=$F"}, nil,
			`tls.ca_path of profile "default", $F line 2: unknown key; a tls table has disabled, server_ca_cert_path, server_ca_cert_data, client_cert_path, client_cert_data, client_key_path, client_key_data, server_name and disable_host_verification`},
		{"CA as a path and as data", "[profile.default]\ntls = { server_ca_cert_data = \"-----BEGIN\", server_ca_cert_path = \"/ca.pem\" }\n", []string{"--config-file=$F"}, nil,
			`--tls-ca-path (tls.server_ca_cert_path of profile "default", $F line 2) and --tls-ca-data (tls.server_ca_cert_data of profile "default", $F line 2) exclude each other: give the PEM as a file or as text, not both`},
		{"profile data and env path", "[profile.default.tls]\n\nclient_cert_data = \"x\"\nclient_key_data = \"y\"\n", []string{"--config-file=$F"}, []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "/c.pem"},
			`--tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-cert-data (tls.client_cert_data of profile "default", $F line 3) exclude each other: give the PEM as a file or as text, not both`},
		{"codec", "[profile.default.codec]\nendpoint = \"https://codec.example\"\n", []string{"--config-file=$F"}, nil,
			`codec of profile "default", $F line 1: the sidecar applies no remote codec: payloads pass through it as the apps encode them (Temporal's SDKs leave the codec off for workers too); give the apps' data converter the codec instead; remove it or use another profile`},
		{"gRPC metadata not a string", "[profile.default.grpc_meta]\nx-tenant = 1\n", []string{"--config-file=$F"}, nil,
			`grpc_meta.x-tenant of profile "default", $F line 2: must be a string, not an integer`},
		{"gRPC metadata reserved name", "[profile.default.grpc_meta]\n\ngrpc-timeout = \"1s\"\n", []string{"--config-file=$F"}, nil,
			`grpc_meta.grpc-timeout of profile "default", $F line 3: gRPC header "grpc-timeout": names starting with grpc- are reserved by gRPC`},
		{"gRPC metadata bad name", "[profile.default.grpc_meta]\n\"x tenant\" = \"t\"\n", []string{"--config-file=$F"}, nil,
			`grpc_meta.x tenant of profile "default", $F line 2: gRPC header "x tenant": a name takes only letters, digits, '-', '_' and '.'`},
		{"gRPC metadata not a table", "[profile.default]\ngrpc_meta = \"x\"\n", []string{"--config-file=$F"}, nil,
			`grpc_meta of profile "default", $F line 2: must be a table such as [profile.default.grpc_meta], not a string`},
		{"sidecar table unknown key", "[profile.default.sidecar]\nactivity_slot_supplier = \"fixed\"\n", []string{"--config-file=$F"}, nil,
			`sidecar.activity_slot_supplier of profile "default", $F line 2: unknown key; the sidecar table takes the Worker options of --help, named with _ for -, such as activity_task_slot_supplier`},
		{"sidecar table takes no frontend option", "[profile.default.sidecar]\naddress = \"a:1\"\n", []string{"--config-file=$F"}, nil,
			`sidecar.address of profile "default", $F line 2: unknown key; the sidecar table takes the Worker options of --help, named with _ for -, such as activity_task_slot_supplier`},
		{"sidecar table wrong type", "[profile.default.sidecar]\nmax_concurrent_activities = \"5\"\n", []string{"--config-file=$F"}, nil,
			`sidecar.max_concurrent_activities of profile "default", $F line 2: must be an integer, not a string`},
		{"sidecar table invalid value", "[profile.default.sidecar]\nactivity_task_slot_supplier = \"magic\"\n", []string{"--config-file=$F"}, nil,
			`invalid value "magic" for --activity-task-slot-supplier (sidecar.activity_task_slot_supplier of profile "default", $F line 2): must be one of fixed, resource-based`},
		{"sidecar table bound out of order", "[profile.default.sidecar]\nactivity_task_poller_autoscaling_minimum = 9\n", []string{"--config-file=$F"}, nil,
			`activity task poller autoscaling bounds must satisfy --activity-task-poller-autoscaling-minimum (sidecar.activity_task_poller_autoscaling_minimum of profile "default", $F line 2) (9) <= --activity-task-poller-autoscaling-initial (SIDECAR_ACTIVITY_TASK_POLLER_AUTOSCALING_INITIAL) (5) <= --activity-task-poller-autoscaling-maximum (SIDECAR_ACTIVITY_TASK_POLLER_AUTOSCALING_MAXIMUM) (100)`},
		{"tls not a table", "[profile.default]\ntls = true\n", []string{"--config-file=$F"}, nil,
			`tls of profile "default", $F line 2: must be a table such as [profile.default.tls], not a boolean`},
		{"profile not a table", "[profile]\ndefault = \"prod\"\n", []string{"--config-file=$F"}, nil,
			`profile "default" in $F line 2 must be a table such as [profile.default], not a string`},
		{"profiles not a table", "profile = [1, 2]\n", []string{"--config-file=$F"}, nil,
			`profile in $F line 1 must be a table of profiles such as [profile.default], not an array`},
		{"client certificate without key names the profile", "[profile.default.tls]\nclient_cert_path = \"/c.pem\"\n", []string{"--config-file=$F"}, nil,
			`--tls-cert-path (tls.client_cert_path of profile "default", $F line 2) needs --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH)`},
		{"TLS option with the profile's TLS disabled", "[profile.default.tls]\ndisabled = true\nserver_name = \"x\"\n", []string{"--config-file=$F"}, nil,
			`--tls-server-name (tls.server_name of profile "default", $F line 3) needs TLS, but --tls (tls.disabled of profile "default", $F line 2) is false`},
		{"every problem at once", "[profile.default]\naddress = 1\nnamespace = 2\n", []string{"--config-file=$F", "--log-level=loud"}, nil,
			`address of profile "default", $F line 2: must be a string, not an integer` + "\n" +
				`namespace of profile "default", $F line 3: must be a string, not an integer` + "\n" +
				`invalid value "loud" for --log-level (SIDECAR_LOG_LEVEL): must be one of debug, info, warn, error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "temporal.toml")
			kv := tt.env
			content := tt.toml
			if c, ok := strings.CutPrefix(content, "home:"); ok {
				content = c
				file = filepath.Join(dir, ".config", "temporalio", "temporal.toml")
				kv = append(kv, "HOME", dir)
			}
			switch content {
			case "-":
			case "dir":
				if err := os.Mkdir(file, 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				writeFile(t, filepath.Dir(file), filepath.Base(file), content)
			}
			expand := func(s string) string { return strings.ReplaceAll(s, "$F", file) }
			args := []string{"--task-queue=q"}
			for _, a := range tt.args {
				args = append(args, expand(a))
			}
			for i := range kv {
				kv[i] = expand(kv[i])
			}
			_, err := Parse(args, env(kv...))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if want := expand(tt.want); err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
		})
	}
}

func TestDefaultConfigFileFollowsUserConfigDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the layout checked here is the Linux one")
	}
	tests := []struct {
		name string
		env  func(string) string
		want string
	}{
		{"under $HOME/.config", env("HOME", "/home/u"), "/home/u/.config/temporalio/temporal.toml"},
		{"$XDG_CONFIG_HOME wins", env("HOME", "/home/u", "XDG_CONFIG_HOME", "/xdg"), "/xdg/temporalio/temporal.toml"},
		{"no home, no default", env(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultConfigFile(tt.env); got != tt.want {
				t.Errorf("defaultConfigFile = %q, want %q", got, tt.want)
			}
		})
	}
}
