// Smoke tests for the generated sidecar.bridge.v1 TypeScript stubs.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as grpc from "@grpc/grpc-js";

import { bridgev1, google, sidecar } from "../index.js";

test("round-trips a ConnectRequest through the binary encoding", () => {
  const msg = bridgev1.ConnectRequest.fromPartial({
    message: {
      $case: "register",
      value: {
        protocolVersion: 1,
        identity: "1234@host-a",
        sdkName: "temporal-sidecar-typescript",
        taskQueue: "tq",
        workflows: [{ name: "Greet", signals: ["s"] }],
        capacity: { workflowActivations: 10, activities: 5 },
      },
    },
  });
  const decoded = bridgev1.ConnectRequest.decode(bridgev1.ConnectRequest.encode(msg).finish());
  assert.deepEqual(decoded, msg);
  assert.equal(decoded.message?.$case, "register");
  if (decoded.message?.$case === "register") {
    assert.equal(decoded.message.value.workflows[0]?.signals[0], "s");
  }
});

test("round-trips messages that use types from other files", () => {
  const req = bridgev1.StartWorkflowRequest.fromPartial({
    options: {
      workflowId: "wf-1",
      workflowType: "Greet",
      args: [{ metadata: { encoding: Buffer.from("json/plain") }, data: Buffer.from('"world"') }],
      executionTimeout: { seconds: 60n, nanos: 0 },
    },
  });
  const decoded = bridgev1.StartWorkflowRequest.decode(bridgev1.StartWorkflowRequest.encode(req).finish());
  assert.deepEqual(decoded, req);
  assert.equal(decoded.options?.executionTimeout?.seconds, 60n);
  assert.equal(Buffer.from(decoded.options!.args[0]!.data).toString(), '"world"');

  // int64 fields are bigint (forceLong=bigint) and survive values beyond 2^53.
  const big = 2n ** 60n + 1n;
  const desc = bridgev1.DescribeWorkflowResponse.decode(
    bridgev1.DescribeWorkflowResponse.encode({ ...bridgev1.DescribeWorkflowResponse.fromPartial({}), historyLength: big }).finish(),
  );
  assert.equal(desc.historyLength, big);

  // JSON mapping.
  const json = google.protobuf.Duration.toJSON({ seconds: 3n, nanos: 500_000_000 });
  assert.deepEqual(google.protobuf.Duration.fromJSON(json), { seconds: 3n, nanos: 500_000_000 });
});

test("exposes the gRPC service definitions", () => {
  assert.equal(sidecar.bridge.v1.BridgeServiceService.connect.path, "/sidecar.bridge.v1.BridgeService/Connect");
  assert.equal(sidecar.bridge.v1.BridgeServiceService.connect.requestStream, true);
  assert.equal(sidecar.bridge.v1.BridgeServiceService.connect.responseStream, true);
  assert.equal(bridgev1.ClientServiceService.startWorkflow.path, "/sidecar.bridge.v1.ClientService/StartWorkflow");
});

test("bidi stream over a loopback grpc-js server", async () => {
  const server = new grpc.Server();
  const impl: bridgev1.BridgeServiceServer = {
    connect(call) {
      call.on("data", (req: bridgev1.ConnectRequest) => {
        if (req.message?.$case === "register") {
          call.write({
            message: {
              $case: "registered",
              value: bridgev1.Registered.fromPartial({ protocolVersion: 1, sessionId: "s-1", taskQueue: req.message.value.taskQueue }),
            },
          });
        } else if (req.message?.$case === "drain") {
          call.write({ message: { $case: "drained", value: {} } });
          call.end();
        }
      });
    },
  };
  server.addService(bridgev1.BridgeServiceService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new bridgev1.BridgeServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = client.connect();
    const received: bridgev1.ConnectResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (res: bridgev1.ConnectResponse) => {
        received.push(res);
        if (res.message?.$case === "registered") {
          call.write({ message: { $case: "drain", value: {} } });
        }
      });
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.write({ message: { $case: "register", value: bridgev1.Register.fromPartial({ protocolVersion: 1, taskQueue: "tq" }) } });
    await done;
    call.end();
    assert.deepEqual(
      received.map((r) => r.message?.$case),
      ["registered", "drained"],
    );
    const first = received[0]?.message;
    assert.ok(first?.$case === "registered");
    assert.equal(first.value.sessionId, "s-1");
    assert.equal(first.value.taskQueue, "tq");
  } finally {
    client.close();
    server.forceShutdown();
  }
});
