// Byte-level helpers for sdk-core's messages as @temporalio/worker hands them over.
//
// The SDK passes every completion and heartbeat to its native worker length-delimited
// (protobufjs encodeDelimited), while the sidecar takes plain encoded messages; and the
// adapter needs only one field of each (a run id or a task token), so it reads that
// field instead of decoding whole completions.

/** Reads a base-128 varint at `pos`; returns [value, next position]. */
function readVarint(b: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new RangeError("truncated varint");
    const byte = b[pos++]!;
    // Past 2^53 a length or tag is garbage anyway; multiplication keeps it exact below.
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 63) throw new RangeError("varint too long");
  }
}

/** The message inside a length-delimited encoding, without copying. */
export function undelimit(b: Uint8Array): Buffer {
  const [len, start] = readVarint(b, 0);
  if (start + len !== b.length) {
    throw new RangeError(`length-delimited message says ${len} bytes, has ${b.length - start}`);
  }
  return Buffer.from(b.buffer, b.byteOffset + start, len);
}

/**
 * The bytes of the first length-delimited field `field` at the top level of an encoded
 * message, or undefined when it is absent.
 */
export function readBytesField(b: Uint8Array, field: number): Buffer | undefined {
  let pos = 0;
  while (pos < b.length) {
    const [tag, p] = readVarint(b, pos);
    pos = p;
    const wire = tag & 7;
    const num = Math.floor(tag / 8);
    switch (wire) {
      case 0:
        pos = readVarint(b, pos)[1];
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const [len, start] = readVarint(b, pos);
        if (num === field) return Buffer.from(b.buffer, b.byteOffset + start, len);
        pos = start + len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
  return undefined;
}

/** A completion's run id (coresdk WorkflowActivationCompletion.run_id, field 1). */
export function runIdOf(completion: Uint8Array): string {
  return readBytesField(completion, 1)?.toString("utf8") ?? "";
}

/**
 * A task token (field 1 of coresdk ActivityTaskCompletion, ActivityHeartbeat and
 * NexusTaskCompletion), base64 as the SDK keys tasks.
 */
export function taskTokenOf(msg: Uint8Array): string {
  return readBytesField(msg, 1)?.toString("base64") ?? "";
}
