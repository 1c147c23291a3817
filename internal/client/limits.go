package client

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-sidecar/sidecar/internal/config"
)

// A blob is one group of payloads the server measures against its blob
// size limit (limit.blobSize.error), such as a call's arguments. field
// names it in the bridge request; m is its converted Temporal message,
// whose encoded size is what the server measures.
type blob struct {
	field string
	m     proto.Message
}

// checkBlobs refuses a request with a blob over the server's limit before
// sending it. The server would refuse it too, but as InvalidArgument with
// no size, and a signal over the limit can instead terminate the workflow;
// the app should hear which field is too big, by how much, and what the
// limit is.
func (s *Service) checkBlobs(req proto.Message, blobs ...blob) error {
	for _, b := range blobs {
		if n := proto.Size(b.m); n > s.blobLimit {
			return status.Errorf(codes.ResourceExhausted,
				"%s.%s is %d bytes, over the server's blob size limit of %d bytes (the sidecar's %s): store large values outside Temporal and pass a reference",
				req.ProtoReflect().Descriptor().Name(), b.field, n, s.blobLimit, config.Ref("blob-size-limit"))
		}
	}
	return nil
}
