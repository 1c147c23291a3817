package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Temporal's environment configuration (go.temporal.io/sdk/contrib/envconfig,
// shared by the temporal CLI and the SDKs) keeps named connection profiles
// in one TOML file:
//
//	[profile.prod]
//	address = "us-east-1.aws.api.temporal.io:7233"
//	namespace = "orders.a2b3c"
//	api_key = "..."
//
//	[profile.prod.tls]
//	server_ca_cert_path = "/etc/temporal/ca.pem"
//
// Parse reads the one profile in use and lays its settings between the
// defaults and the environment. Every value keeps where it came from, so a
// message about it names the file, the key and the line.

// profileKeys maps a profile's keys to options. The tls table itself maps
// to "tls": its presence turns TLS on, as in envconfig, unless it says
// disabled = true.
var profileKeys = map[string]string{
	"address":                       "address",
	"namespace":                     "namespace",
	"api_key":                       "api-key",
	"tls.server_ca_cert_path":       "tls-ca-path",
	"tls.client_cert_path":          "tls-cert-path",
	"tls.client_key_path":           "tls-key-path",
	"tls.server_name":               "tls-server-name",
	"tls.disable_host_verification": "tls-disable-host-verification",
	"tls.server_ca_cert_data":       "tls-ca-data",
	"tls.client_cert_data":          "tls-cert-data",
	"tls.client_key_data":           "tls-key-data",
}

// sidecarTable is the profile's table of the sidecar's own worker options,
// which env-config does not have: [profile.<name>.sidecar], its keys the
// Worker options' flag names with '_' for '-', such as
// activity_task_slot_supplier = "resource-based". Temporal's readers ignore
// a table they do not know unless asked to be strict.
const sidecarTable = "sidecar"

// profileValue is an option's text from a profile and where it came from,
// which messages show in place of an environment variable.
type profileValue struct {
	text, where string
}

// profileLayer is what a profile contributes: option name to value.
type profileLayer struct {
	file   string // the file read; empty when none was
	values map[string]profileValue
	meta   map[string]metaValue // grpc_meta, keys normalized
}

// profileRequest is what the user asked for. A name or file is set when a
// flag or environment variable gave it; env is the variable to name in
// messages about it.
type profileRequest struct {
	file, fileEnv string
	fileSet       bool
	name, nameEnv string
	nameSet       bool
	getenv        func(string) string
}

// loadProfile reads the profile r asks for. A default file that does not
// exist is no profile at all; a named file must exist and parse, and a
// named profile must be in it.
func loadProfile(r profileRequest) (profileLayer, error) {
	fileRef := lookup("config-file").ref(r.fileEnv)
	nameRef := lookup("profile").ref(r.nameEnv)
	path := r.file
	if !r.fileSet {
		path = defaultConfigFile(r.getenv)
		if path == "" {
			if r.nameSet {
				return profileLayer{}, fmt.Errorf("cannot use %s %q: there is no default %s as neither $XDG_CONFIG_HOME nor $HOME is set; name the file with --config-file",
					nameRef, r.name, fileRef)
			}
			return profileLayer{}, nil
		}
		fileRef = "the default " + fileRef
	}
	if path == "" { // --config-file= asks for no file
		if r.nameSet {
			return profileLayer{}, fmt.Errorf("cannot use %s %q: %s is empty, so no file is read", nameRef, r.name, fileRef)
		}
		return profileLayer{}, nil
	}

	data, err := os.ReadFile(path)
	if err != nil {
		if !r.fileSet && errors.Is(err, fs.ErrNotExist) {
			if r.nameSet {
				return profileLayer{}, fmt.Errorf("cannot use %s %q: %s %q does not exist; name the file with --config-file",
					nameRef, r.name, fileRef, path)
			}
			return profileLayer{}, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return profileLayer{}, fmt.Errorf("cannot read %s %q: %v", fileRef, path, err)
	}
	doc, err := parseTOML(data)
	if err != nil {
		return profileLayer{}, fmt.Errorf("%s %q is not valid TOML: %v", fileRef, path, err)
	}
	p := profileParser{doc: doc, file: path, name: r.name, values: map[string]profileValue{}}
	at := func(keys ...string) string {
		if line := doc.line(keys...); line > 0 {
			return fmt.Sprintf("%s line %d", path, line)
		}
		return path
	}

	profiles, ok := doc.data["profile"]
	if !ok {
		profiles = map[string]any{}
	}
	table, ok := profiles.(map[string]any)
	if !ok {
		return profileLayer{}, fmt.Errorf("profile in %s must be a table of profiles such as [profile.default], not %s", at("profile"), tomlType(profiles))
	}
	prof, ok := table[r.name]
	if !ok {
		if !r.nameSet {
			return profileLayer{file: path}, nil
		}
		have := "no profiles"
		if len(table) > 0 {
			have = "only " + strings.Join(sortedKeys(table), ", ")
		}
		return profileLayer{}, fmt.Errorf("cannot use %s %q: %s %q has no such profile, %s", nameRef, r.name, fileRef, path, have)
	}
	if err := p.profile(prof); err != nil {
		return profileLayer{}, err
	}
	return profileLayer{file: path, values: p.values, meta: p.meta}, nil
}

// profileParser turns one profile's table into option values.
type profileParser struct {
	doc    *tomlDoc
	file   string
	name   string
	values map[string]profileValue
	meta   map[string]metaValue
}

// where describes key of the profile for messages:
// `tls.server_name of profile "prod", /x/temporal.toml line 7`.
func (p *profileParser) where(key string) string {
	s := fmt.Sprintf("%s of profile %q, %s", key, p.name, p.file)
	if line := p.doc.line(append([]string{"profile", p.name}, strings.Split(key, ".")...)...); line > 0 {
		s += " line " + strconv.Itoa(line)
	}
	return s
}

func (p *profileParser) profile(v any) error {
	prof, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("profile %q in %s must be a table such as [profile.%s], not %s", p.name, p.whereFile(), p.name, tomlType(v))
	}
	var errs []error
	for _, k := range sortedKeys(prof) {
		v := prof[k]
		switch k {
		case "address", "namespace", "api_key":
			errs = append(errs, p.set(k, v))
		case "tls":
			errs = append(errs, p.tls(v))
		case "codec":
			// Recognised but not applied, so refused rather than ignored.
			if m, ok := v.(map[string]any); !ok || len(m) > 0 {
				errs = append(errs, fmt.Errorf("%s: %s; remove it or use another profile", p.where(k), unsupportedEnv[0].why))
			}
		case "grpc_meta":
			errs = append(errs, p.grpcMeta(v))
		case sidecarTable:
			errs = append(errs, p.sidecar(v))
		default:
			errs = append(errs, fmt.Errorf("%s: unknown key; a profile has address, namespace, api_key, tls, codec, grpc_meta and sidecar", p.where(k)))
		}
	}
	return errors.Join(errs...)
}

func (p *profileParser) tls(v any) error {
	t, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: must be a table such as [profile.%s.tls], not %s", p.where("tls"), p.name, tomlType(v))
	}
	var errs []error
	// A tls table turns TLS on unless it says otherwise.
	p.values["tls"] = profileValue{text: "true", where: p.where("tls")}
	for _, k := range sortedKeys(t) {
		key := "tls." + k
		switch _, known := profileKeys[key]; {
		case known:
			errs = append(errs, p.set(key, t[k]))
		case k == "disabled":
			b, ok := t[k].(bool)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: must be true or false, not %s", p.where(key), tomlType(t[k])))
				continue
			}
			p.values["tls"] = profileValue{text: strconv.FormatBool(!b), where: p.where(key)}
		default:
			errs = append(errs, fmt.Errorf("%s: unknown key; a tls table has disabled, server_ca_cert_path, server_ca_cert_data, client_cert_path, client_cert_data, client_key_path, client_key_data, server_name and disable_host_verification", p.where(key)))
		}
	}
	return errors.Join(errs...)
}

// grpcMeta reads the grpc_meta table: header names to string values.
func (p *profileParser) grpcMeta(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: must be a table such as [profile.%s.grpc_meta], not %s", p.where("grpc_meta"), p.name, tomlType(v))
	}
	var errs []error
	p.meta = map[string]metaValue{}
	for _, k := range sortedKeys(m) {
		key := "grpc_meta." + k
		s, ok := m[k].(string)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: must be a string, not %s", p.where(key), tomlType(m[k])))
			continue
		}
		p.meta[normalizeMetaKey(k)] = metaValue{value: s, where: p.where(key)}
	}
	return errors.Join(errs...)
}

// sidecar reads the sidecar table: the Worker options by flag name.
func (p *profileParser) sidecar(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: must be a table such as [profile.%s.%s], not %s", p.where(sidecarTable), p.name, sidecarTable, tomlType(v))
	}
	var errs []error
	for _, k := range sortedKeys(m) {
		key := sidecarTable + "." + k
		o := lookup(strings.ReplaceAll(k, "_", "-"))
		if o == nil || o.group != groupWorker || strings.Contains(k, "-") {
			errs = append(errs, fmt.Errorf("%s: unknown key; the %s table takes the Worker options of --help, named with _ for -, such as activity_task_slot_supplier", p.where(key), sidecarTable))
			continue
		}
		errs = append(errs, p.setOption(o, key, m[k]))
	}
	return errors.Join(errs...)
}

// set records key's value for its option. The value must have the TOML
// type of the option; an empty string counts as unset, as an empty
// environment variable does.
func (p *profileParser) set(key string, v any) error {
	return p.setOption(lookup(profileKeys[key]), key, v)
}

// setOption records key's value for option o: a TOML boolean for a
// boolean, an integer for an integer, a float or integer for a number, and
// a string otherwise (a duration such as "50ms").
func (p *profileParser) setOption(o *option, key string, v any) error {
	var text string
	switch o.field(&Config{}).(type) {
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%s: must be true or false, not %s", p.where(key), tomlType(v))
		}
		text = strconv.FormatBool(b)
	case *int:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%s: must be an integer, not %s", p.where(key), tomlType(v))
		}
		text = strconv.FormatInt(n, 10)
	case *float64:
		switch n := v.(type) {
		case float64:
			text = strconv.FormatFloat(n, 'g', -1, 64)
		case int64:
			text = strconv.FormatInt(n, 10)
		default:
			return fmt.Errorf("%s: must be a number, not %s", p.where(key), tomlType(v))
		}
	default:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: must be a string, not %s", p.where(key), tomlType(v))
		}
		if s == "" {
			return nil
		}
		text = s
	}
	p.values[o.name] = profileValue{text: text, where: p.where(key)}
	return nil
}

func (p *profileParser) whereFile() string {
	if line := p.doc.line("profile", p.name); line > 0 {
		return fmt.Sprintf("%s line %d", p.file, line)
	}
	return p.file
}

// tomlType names v's TOML type for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case map[string]any:
		return "a table"
	case []any:
		return "an array"
	}
	return "a date or time"
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// defaultConfigFile is where envconfig looks when no file is named:
// temporalio/temporal.toml under os.UserConfigDir, worked out from getenv
// so tests control it. Empty when there is no such directory.
func defaultConfigFile(getenv func(string) string) string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = getenv("AppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			dir = filepath.Join(h, "Library", "Application Support")
		}
	case "plan9":
		if h := getenv("home"); h != "" {
			dir = filepath.Join(h, "lib")
		}
	default:
		dir = getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(dir) {
			dir = ""
			if h := getenv("HOME"); h != "" {
				dir = filepath.Join(h, ".config")
			}
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "temporalio", "temporal.toml")
}

// tomlDoc is a parsed TOML document and the line each key was set on.
type tomlDoc struct {
	data  map[string]any
	lines map[string]int // key path, parts joined by "\x00"
	// defined marks paths given a value (true) or opened by a [table]
	// header (false), to find the line of a redefinition, which the
	// decoder reports without one.
	defined  map[string]bool
	conflict int
}

// line is where the key path was set or its table opened; 0 if unknown.
func (d *tomlDoc) line(keys ...string) int {
	return d.lines[strings.Join(keys, "\x00")]
}

// parseTOML decodes b and walks its syntax to learn the line of every key,
// which the decoded map does not keep. Errors carry a line when known.
func parseTOML(b []byte) (*tomlDoc, error) {
	d := &tomlDoc{lines: map[string]int{}, defined: map[string]bool{}}
	var p unstable.Parser
	p.Reset(b)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = d.record(&p, nil, e.Key(), true, false)
		case unstable.ArrayTable:
			// Each [[element]] starts afresh: forget what the last one defined.
			table = d.record(&p, nil, e.Key(), false, false)
			under := strings.Join(table, "\x00") + "\x00"
			for k := range d.defined {
				if strings.HasPrefix(k, under) {
					delete(d.defined, k)
				}
			}
		case unstable.KeyValue:
			d.keyValue(&p, table, e)
		}
	}
	if err := toml.Unmarshal(b, &d.data); err != nil {
		msg := strings.TrimPrefix(err.Error(), "toml: ")
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("line %d, column %d: %s", row, col, msg)
		}
		if d.conflict > 0 {
			return nil, fmt.Errorf("line %d: %s", d.conflict, msg)
		}
		return nil, errors.New(msg)
	}
	return d, nil
}

// keyValue records the lines of a key-value and, for an inline table, of
// the keys inside it.
func (d *tomlDoc) keyValue(p *unstable.Parser, table []string, kv *unstable.Node) {
	inline := kv.Value().Kind == unstable.InlineTable
	path := d.record(p, table, kv.Key(), true, !inline)
	if inline {
		it := kv.Value().Children()
		for it.Next() {
			d.keyValue(p, path, it.Node())
		}
	}
}

// record notes the line of a (dotted) key under prefix, and of each table
// its dots open that has no line yet, and returns the full path. define
// says the key itself is defined here (a value, an inline or [table]);
// value says it holds a value, which nothing may later extend.
func (d *tomlDoc) record(p *unstable.Parser, prefix []string, key unstable.Iterator, define, value bool) []string {
	path := slices.Clone(prefix)
	for key.Next() {
		n := key.Node()
		line := p.Shape(n.Raw).Start.Line
		path = append(path, string(n.Data))
		k := strings.Join(path, "\x00")
		isValue, seen := d.defined[k]
		if key.IsLast() {
			if define && seen && d.conflict == 0 {
				d.conflict = line
			}
			if define {
				d.defined[k] = value
			}
			d.lines[k] = line
			continue
		}
		if isValue && d.conflict == 0 {
			d.conflict = line
		}
		if _, ok := d.lines[k]; !ok {
			d.lines[k] = line
		}
	}
	return path
}
