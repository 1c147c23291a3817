package workflow

import (
	"encoding/binary"
	"math/bits"
)

// seed derives a run's random seed from its run id exactly as sdk-core
// (the engine of Temporal's Python, TypeScript, .NET and Ruby SDKs) does:
// SipHash-1-3 with zero keys over the id hashed as Rust hashes a str (its
// bytes, then 0xff). Workflow code draws from a generator seeded with it
// (workflow.random(), workflow.uuid4(), the default id of a child
// workflow), so a history recorded by one of those SDKs must replay here
// with the same seed, and one recorded here must replay there.
func seed(runID string) uint64 {
	return sipHash13(append([]byte(runID), 0xff))
}

// sipHash13 is SipHash-1-3 (one compression round, three finalization
// rounds) with the key (0, 0).
func sipHash13(msg []byte) uint64 {
	v0 := uint64(0x736f6d6570736575)
	v1 := uint64(0x646f72616e646f6d)
	v2 := uint64(0x6c7967656e657261)
	v3 := uint64(0x7465646279746573)
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		round()
		v0 ^= m
		msg = msg[8:]
	}
	last := uint64(n) << 56
	for i, b := range msg {
		last |= uint64(b) << (8 * i)
	}
	v3 ^= last
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
