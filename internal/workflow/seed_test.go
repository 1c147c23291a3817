package workflow

import "testing"

// The expected seeds are what sdk-core gives the same run ids; the first
// was read back from a workflow run by Temporal's Python SDK 1.35.0
// (random.Random(seed).getrandbits(64) in the workflow matched).
func TestSeedMatchesSDKCore(t *testing.T) {
	for _, tt := range []struct {
		runID string
		want  uint64
	}{
		{"01a21243-4060-7d42-8e5d-f2e64b53bd6b", 5170864380030450670},
		{"recorded-run", 10287398423648074635},
		{"a", 8186225505942432243},
		{"", 3476900567878811119},
	} {
		if got := seed(tt.runID); got != tt.want {
			t.Errorf("seed(%q) = %d, want %d (sdk-core's)", tt.runID, got, tt.want)
		}
	}
}
