package proxy

import (
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestLastStringReadsOnlyTheTopLevelField(t *testing.T) {
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	start := marshal(&workflowservice.StartWorkflowExecutionRequest{Namespace: "ns", WorkflowId: "w", Identity: "me"})
	twice := protowire.AppendString(protowire.AppendTag(append([]byte(nil), start...), 1, protowire.BytesType), "later")
	for _, tc := range []struct {
		name    string
		b       []byte
		want    string
		wantErr bool
	}{
		{name: "the field", b: start, want: "ns"},
		{name: "absent", b: marshal(&workflowservice.StartWorkflowExecutionRequest{WorkflowId: "w"}), want: ""},
		{name: "empty message", b: nil, want: ""},
		{name: "repeated: the last wins, as protobuf decodes it", b: twice, want: "later"},
		{name: "truncated", b: start[:len(start)-1], wantErr: true},
		{name: "a bad tag", b: []byte{0xff}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lastString(tc.b, 1)
			if (err != nil) != tc.wantErr || string(got) != tc.want {
				t.Errorf("lastString = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestFrameCarriesBytesUnchanged(t *testing.T) {
	in := []byte{0x0a, 0x02, 'n', 's', 0x12, 0x01, 'w', 0xf8, 0x01, 0x07} // includes an unknown field
	f := new(frame)
	if err := proto.Unmarshal(in, f); err != nil {
		t.Fatal(err)
	}
	out, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(in) || proto.Size(f) != len(in) {
		t.Errorf("frame gave %x (size %d), want %x", out, proto.Size(f), in)
	}
}
