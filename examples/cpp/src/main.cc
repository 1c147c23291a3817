// activity_worker: a C++ app on the Temporal worker sidecar. It serves
//
//   cpp.upper(text) -> text in upper case (ASCII)
//   cpp.word_count(text) -> the number of words
//
// and the client kit's conventional types (docs/PROTOCOL.md, "The client
// kit"): kit.echo, kit.fail, kit.heartbeat, kit.wait_cancel, kit.sleep.
//
//   TEMPORAL_SIDECAR=unix:///tmp/temporal-sidecar.sock TASK_QUEUE=orders ./activity_worker
//
// KIT_ACTIVITY_CAPACITY (default 8) sets how many activities run at once.
// SIGTERM or SIGINT drains: running activities finish, then it exits 0.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "worker.h"

using namespace sidecar_worker;
using std::chrono::milliseconds;

static std::string env(const char* k, const std::string& def) {
  const char* v = std::getenv(k);
  return v && *v ? v : def;
}

static const pb::Payload& arg(ActivityContext& ctx, int i) {
  if (i >= ctx.start().input_size())
    throw ActivityError("argument " + std::to_string(i) + " is missing", "BadArgument", true);
  return ctx.start().input(i);
}

int main() {
  Options o;
  o.target = env("TEMPORAL_SIDECAR", o.target);
  o.task_queue = env("TASK_QUEUE", "");
  o.capacity = std::stoul(env("KIT_ACTIVITY_CAPACITY", "8"));
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  o.identity = std::to_string(getpid()) + "@" + host;
  Worker w(o);

  w.register_activity("cpp.upper", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    std::string s = parse_json_string(arg(ctx, 0).data());
    for (auto& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    return json_payload(json_string(s));
  });
  w.register_activity("cpp.word_count", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    std::istringstream in(parse_json_string(arg(ctx, 0).data()));
    std::string word;
    int n = 0;
    while (in >> word) n++;
    return json_payload(std::to_string(n));
  });

  // The kit's contract.
  w.register_activity("kit.echo", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    if (ctx.start().input_size() == 0) return std::nullopt;
    return ctx.start().input(0);  // untouched: bytes and metadata
  });
  w.register_activity("kit.fail", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    std::string message = parse_json_string(arg(ctx, 0).data());
    std::string type = parse_json_string(arg(ctx, 1).data());
    bool non_retryable = arg(ctx, 2).data() == "true";
    std::vector<pb::Payload> details(ctx.start().input().begin() + 3, ctx.start().input().end());
    throw ActivityError(message, type, non_retryable, details);
  });
  w.register_activity("kit.heartbeat", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    if (ctx.start().attempt() > 1) {
      if (ctx.start().heartbeat_details_size() == 0) return std::nullopt;
      return ctx.start().heartbeat_details(0);
    }
    int n = std::stoi(arg(ctx, 0).data());
    for (int i = 1; i <= n; i++) {
      ctx.heartbeat({json_payload(std::to_string(i))});
      ctx.sleep_for(milliseconds(50));
    }
    throw ActivityError("kit.heartbeat: the first attempt fails so the retry sees its heartbeat details");
  });
  w.register_activity("kit.wait_cancel", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    for (int i = 0; i < 250; i++) {
      ctx.heartbeat();  // a cancellation reaches the sidecar on a heartbeat
      ctx.sleep_for(milliseconds(100));
    }
    throw ActivityError("kit.wait_cancel: no cancellation within 25s", "", true);
  });
  w.register_activity("kit.sleep", [](ActivityContext& ctx) -> std::optional<pb::Payload> {
    ctx.sleep_for(milliseconds(std::stoi(arg(ctx, 0).data())));
    return std::nullopt;
  });

  // Signals go to one thread that asks the worker to drain.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::thread([&w, sigs] {
    int sig;
    sigwait(&sigs, &sig);
    std::cout << "cpp-worker: signal " << sig << ", draining" << std::endl;
    w.shutdown();
  }).detach();

  return w.run();
}
