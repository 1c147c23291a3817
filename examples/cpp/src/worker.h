// A minimal activity worker for the Temporal worker sidecar's bridge
// protocol (sidecar.bridge.v1), on gRPC C++ and protobuf alone: it
// registers activity types, runs them on a thread pool, heartbeats, honours
// cancellation, reconnects when its session ends, and drains on shutdown.
// See docs/PROTOCOL.md for the protocol it speaks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sidecar/bridge/v1/bridge.grpc.pb.h"

namespace sidecar_worker {

namespace pb = ::sidecar::bridge::v1;

class Session;

// An application failure an activity throws: how Temporal sees the error.
struct ActivityError : std::runtime_error {
  ActivityError(const std::string& message, std::string type = "", bool non_retryable = false,
                std::vector<pb::Payload> details = {})
      : std::runtime_error(message), type(std::move(type)), non_retryable(non_retryable),
        details(std::move(details)) {}
  std::string type;
  bool non_retryable;
  std::vector<pb::Payload> details;
};

// Thrown by ActivityContext when the activity was cancelled; the worker
// answers the task as cancelled.
struct Cancelled : std::exception {
  const char* what() const noexcept override { return "activity cancelled"; }
};

// What a running activity sees: its start, heartbeats and cancellation.
class ActivityContext {
 public:
  ActivityContext(std::shared_ptr<Session> session, std::string token, pb::StartActivity start)
      : session_(std::move(session)), token_(std::move(token)), start_(std::move(start)) {}

  const pb::StartActivity& start() const { return start_; }
  const std::string& task_token() const { return token_; }

  // Records progress; the sidecar throttles heartbeats and keeps the latest
  // details. Heartbeating is also how a cancellation reaches the activity.
  void heartbeat(const std::vector<pb::Payload>& details = {});

  bool cancelled() const { return cancelled_.load(); }
  // Waits up to d; throws Cancelled if the activity is cancelled meanwhile.
  void sleep_for(std::chrono::milliseconds d);

  void cancel(pb::ActivityCancelReason reason);

 private:
  std::shared_ptr<Session> session_;
  std::string token_;
  pb::StartActivity start_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

// An activity: returns the result payload (or none), throws ActivityError
// to fail, Cancelled to report cancellation.
using Activity = std::function<std::optional<pb::Payload>(ActivityContext&)>;

struct Options {
  std::string target = "unix:///tmp/temporal-sidecar.sock";  // the sidecar's bridge
  std::string task_queue;
  std::string identity;
  unsigned capacity = 8;  // activities at once: the thread pool's size
};

class Worker {
 public:
  explicit Worker(Options opts) : opts_(std::move(opts)) {}
  void register_activity(const std::string& name, Activity fn) { activities_[name] = std::move(fn); }

  // Runs until shutdown() and the drain that follows; reconnects when a
  // session ends. Returns 0 after a clean drain.
  int run();
  // Asks the worker to drain: no new tasks, running ones finish, then run()
  // returns. Safe from any thread.
  void shutdown();

 private:
  int serve(const std::shared_ptr<pb::BridgeService::Stub>& stub);
  Options opts_;
  std::map<std::string, Activity> activities_;
  std::atomic<bool> stopping_{false};
  std::mutex session_mu_;
  std::shared_ptr<Session> session_;
};

// Payload helpers for JSON ("json/plain") payloads.
pb::Payload json_payload(const std::string& json);
std::string json_string(const std::string& s);  // a JSON string literal
// Parses a JSON string literal (the payload's data); throws on anything else.
std::string parse_json_string(const std::string& json);

}  // namespace sidecar_worker
