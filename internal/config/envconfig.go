package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What of Temporal's environment configuration (the TEMPORAL_* variables
// and profile keys the temporal CLI and the SDKs share) is not an option in
// the table: extra gRPC headers, which come as a family of variables, and
// the settings the sidecar recognises but cannot apply, which it refuses
// rather than ignore.

// grpcMetaPrefix starts the variables whose rest names a gRPC header.
const grpcMetaPrefix = "TEMPORAL_GRPC_META_"

// unsupportedEnv are env-config variables the sidecar recognises but does
// not apply, with why and what to do instead.
var unsupportedEnv = []struct{ name, why string }{
	{"TEMPORAL_CODEC_ENDPOINT", "the sidecar applies no remote codec: payloads pass through it as the apps encode them (Temporal's SDKs leave the codec off for workers too); give the apps' data converter the codec instead"},
	{"TEMPORAL_CODEC_AUTH", "the sidecar applies no remote codec (see TEMPORAL_CODEC_ENDPOINT)"},
}

// refuseUnsupported reports each unsupported variable that is set.
func refuseUnsupported(getenv func(string) string) []error {
	var errs []error
	for _, u := range unsupportedEnv {
		if getenv(u.name) != "" {
			errs = append(errs, fmt.Errorf("%s is set, but %s; unset it for the sidecar", u.name, u.why))
		}
	}
	return errs
}

// normalizeMetaKey turns a variable's suffix or a grpc_meta key into a
// header name, as env-config does: lower case, underscores as hyphens.
func normalizeMetaKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "-")) }

// metaValue is a header's value and where it came from, for messages.
type metaValue struct{ value, where string }

// grpcMeta lays the TEMPORAL_GRPC_META_* variables of environ over the
// profile's grpc_meta: a variable sets its header, an empty one removes
// it, as env-config has it. Two variables that name the same header with
// different values are an error. Every header is checked against gRPC's
// rules for metadata.
func grpcMeta(profile map[string]metaValue, environ []string) (map[string]string, error) {
	all := maps.Clone(profile)
	if all == nil {
		all = map[string]metaValue{}
	}
	var errs []error
	fromEnv := map[string]string{} // header -> variable
	for _, kv := range slices.Sorted(slices.Values(environ)) {
		name, v, _ := strings.Cut(kv, "=")
		suffix, ok := strings.CutPrefix(name, grpcMetaPrefix)
		if !ok {
			continue
		}
		key := normalizeMetaKey(suffix)
		if prev, ok := fromEnv[key]; ok && all[key].value != v {
			errs = append(errs, fmt.Errorf("%s and %s both set gRPC header %q, to different values; keep one", prev, name, key))
			continue
		}
		fromEnv[key] = name
		if v == "" {
			delete(all, key)
			continue
		}
		all[key] = metaValue{value: v, where: name}
	}
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if err := checkMeta(k, all[k].value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", all[k].where, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(all) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(all))
	for k, v := range all {
		out[k] = v.value
	}
	return out, nil
}

// checkMeta applies gRPC's rules to one header: a name of lower-case
// letters, digits, '-', '_' and '.', not starting with "grpc-" (reserved);
// a value of printable ASCII unless the name ends in "-bin".
func checkMeta(k, v string) error {
	if k == "" {
		return fmt.Errorf("gRPC header name is empty")
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("gRPC header %q: a name takes only letters, digits, '-', '_' and '.'", k)
		}
	}
	if strings.HasPrefix(k, "grpc-") {
		return fmt.Errorf("gRPC header %q: names starting with grpc- are reserved by gRPC", k)
	}
	if strings.HasSuffix(k, "-bin") {
		return nil
	}
	for _, r := range v {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("gRPC header %q: a value takes only printable ASCII (name it *-bin for binary)", k)
		}
	}
	return nil
}
