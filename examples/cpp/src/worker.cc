#include "worker.h"

#include <grpcpp/grpcpp.h>

#include <deque>
#include <iostream>
#include <random>
#include <thread>

namespace sidecar_worker {

// ------------------------------------------------------------ thread pool

class ThreadPool {
 public:
  explicit ThreadPool(unsigned n) {
    for (unsigned i = 0; i < n; i++) threads_.emplace_back([this] { loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void submit(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> l(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool done_ = false;
};

// ------------------------------------------------------------ session

// Session is one Connect stream. The reader runs on run()'s thread; pool
// threads write completions and heartbeats under write_mu_ (a gRPC sync
// stream allows one reader and one writer at a time).
class Session {
 public:
  bool write(const pb::ConnectRequest& m) {
    std::lock_guard<std::mutex> l(write_mu_);
    if (closed_) return false;
    return stream->Write(m);
  }
  void writes_done() {
    std::lock_guard<std::mutex> l(write_mu_);
    if (!closed_) stream->WritesDone();
    closed_ = true;
  }
  // After the stream ended: later writes are dropped (the sidecar has
  // already failed the session's activities for retry).
  void close() {
    std::lock_guard<std::mutex> l(write_mu_);
    closed_ = true;
  }

  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<pb::ConnectRequest, pb::ConnectResponse>> stream;
  std::atomic<bool> registered{false}, drain_sent{false};
  std::mutex running_mu;
  std::map<std::string, std::shared_ptr<ActivityContext>> running;

 private:
  std::mutex write_mu_;
  bool closed_ = false;
};

void ActivityContext::heartbeat(const std::vector<pb::Payload>& details) {
  pb::ConnectRequest m;
  auto* h = m.mutable_activity_heartbeat();
  h->set_task_token(token_);
  for (const auto& d : details) *h->add_details() = d;
  session_->write(m);
}

void ActivityContext::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> l(mu_);
  if (cv_.wait_for(l, d, [this] { return cancelled_.load(); })) throw Cancelled();
}

void ActivityContext::cancel(pb::ActivityCancelReason) {
  {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

// ------------------------------------------------------------ worker

static pb::ActivityExecutionResult run_activity(const Activity& fn, ActivityContext& ctx) {
  pb::ActivityExecutionResult r;
  try {
    auto out = fn(ctx);
    if (ctx.cancelled()) throw Cancelled();  // cancelled at the finish line: report it honestly
    auto* c = r.mutable_completed();
    if (out) *c->mutable_result() = *out;
  } catch (const Cancelled&) {
    auto* f = r.mutable_cancelled()->mutable_failure();
    f->set_message("activity cancelled");
    f->set_source("sidecar-cpp-worker");
    f->mutable_canceled_failure_info();
  } catch (const ActivityError& e) {
    auto* f = r.mutable_failed()->mutable_failure();
    f->set_message(e.what());
    f->set_source("sidecar-cpp-worker");
    auto* info = f->mutable_application_failure_info();
    info->set_type(e.type);
    info->set_non_retryable(e.non_retryable);
    if (!e.details.empty()) {
      for (const auto& d : e.details) *info->mutable_details()->add_payloads() = d;
    }
  } catch (const std::exception& e) {
    auto* f = r.mutable_failed()->mutable_failure();
    f->set_message(e.what());
    f->set_source("sidecar-cpp-worker");
    f->mutable_application_failure_info()->set_type("std::exception");
  }
  return r;
}

void Worker::shutdown() {
  stopping_ = true;
  std::lock_guard<std::mutex> l(session_mu_);
  if (session_ && session_->registered && !session_->drain_sent.exchange(true)) {
    pb::ConnectRequest m;
    m.mutable_drain();
    session_->write(m);
  } else if (session_ && !session_->registered) {
    session_->ctx.TryCancel();  // still connecting: nothing to drain
  }
}

int Worker::run() {
  auto channel = grpc::CreateChannel(opts_.target, grpc::InsecureChannelCredentials());
  std::shared_ptr<pb::BridgeService::Stub> stub = pb::BridgeService::NewStub(channel);
  std::mt19937 rng(std::random_device{}());
  double backoff = 0.1;
  while (!stopping_) {
    int rc = serve(stub);
    if (rc >= 0) return rc;  // drained after shutdown(), or refused for good
    if (stopping_) break;
    std::uniform_real_distribution<double> jitter(backoff / 2, backoff);
    double d = jitter(rng);
    std::cerr << "cpp-worker: session ended; reconnecting in " << d << "s" << std::endl;
    for (double waited = 0; waited < d && !stopping_; waited += 0.05)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, 5.0);
    if (rc == -2) backoff = 0.1;  // the session had registered: start over
  }
  return 0;
}

// serve runs one session. It returns 0 after a drain the worker asked for,
// 1 when the sidecar refused the registration for good, -2 when a
// registered session ended (reconnect), -1 when connecting failed.
int Worker::serve(const std::shared_ptr<pb::BridgeService::Stub>& stub) {
  auto s = std::make_shared<Session>();
  s->stream = stub->Connect(&s->ctx);
  {
    std::lock_guard<std::mutex> l(session_mu_);
    session_ = s;
  }
  pb::ConnectRequest reg;
  auto* r = reg.mutable_register_();
  r->set_protocol_version(1);
  r->set_identity(opts_.identity);
  r->set_sdk_name("sidecar-cpp-worker");
  r->set_sdk_version("0.1.0");
  r->set_task_queue(opts_.task_queue);
  for (const auto& [name, fn] : activities_) r->add_activities()->set_name(name);
  r->mutable_capacity()->set_activities(opts_.capacity);
  ThreadPool pool(opts_.capacity);
  bool shutting_down = false;
  if (s->write(reg)) {
    pb::ConnectResponse m;
    while (s->stream->Read(&m)) {
      switch (m.message_case()) {
        case pb::ConnectResponse::kRegistered:
          s->registered = true;
          std::cout << "cpp-worker: registered on task queue " << m.registered().task_queue() << ", session "
                    << m.registered().session_id() << std::endl;
          if (stopping_) shutdown();  // a stop that came while connecting
          break;
        case pb::ConnectResponse::kActivityTask: {
          const auto& t = m.activity_task();
          if (t.has_cancel()) {
            std::lock_guard<std::mutex> l(s->running_mu);
            auto it = s->running.find(t.task_token());
            if (it != s->running.end()) it->second->cancel(t.cancel().reason());
            break;
          }
          auto ctx = std::make_shared<ActivityContext>(s, t.task_token(), t.start());
          {
            std::lock_guard<std::mutex> l(s->running_mu);
            s->running[t.task_token()] = ctx;
          }
          auto it = activities_.find(t.start().activity_type());
          pool.submit([s, ctx, fn = it == activities_.end() ? Activity() : it->second] {
            pb::ConnectRequest out;
            auto* c = out.mutable_activity_completion();
            c->set_task_token(ctx->task_token());
            if (fn) {
              *c->mutable_result() = run_activity(fn, *ctx);
            } else {
              auto* f = c->mutable_result()->mutable_failed()->mutable_failure();
              f->set_message("activity type " + ctx->start().activity_type() + " is not registered");
              f->mutable_application_failure_info()->set_non_retryable(true);
            }
            {
              std::lock_guard<std::mutex> l(s->running_mu);
              s->running.erase(ctx->task_token());
            }
            s->write(out);
          });
          break;
        }
        case pb::ConnectResponse::kShutdown:
          shutting_down = true;
          std::cout << "cpp-worker: the sidecar is shutting down" << std::endl;
          break;
        case pb::ConnectResponse::kDrained:
          // After our Drain, or after the sidecar's shutdown notice: nothing
          // is outstanding. Close our side; the sidecar's exit waits for it.
          s->writes_done();
          break;
        case pb::ConnectResponse::kCompletionError:
          std::cerr << "cpp-worker: completion error: " << m.completion_error().message() << std::endl;
          break;
        case pb::ConnectResponse::kWorkerError:
          std::cerr << "cpp-worker: worker error: " << m.worker_error().message() << std::endl;
          break;
        default:
          break;
      }
    }
  }
  s->close();
  {
    // The session is gone: its activities were failed for retry by the
    // sidecar; stop them so the pool frees up.
    std::lock_guard<std::mutex> l(s->running_mu);
    for (auto& [token, ctx] : s->running) ctx->cancel(pb::ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN);
  }
  grpc::Status st = s->stream->Finish();
  {
    std::lock_guard<std::mutex> l(session_mu_);
    session_.reset();
  }
  bool registered = s->registered;
  if (!st.ok()) {
    std::cerr << "cpp-worker: session ended: " << st.error_code() << " " << st.error_message() << std::endl;
    if (!registered && (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                        st.error_code() == grpc::StatusCode::FAILED_PRECONDITION))
      return 1;  // the registration is wrong; retrying will not help
  }
  if (stopping_ && (s->drain_sent || !registered)) return 0;
  (void)shutting_down;
  return registered ? -2 : -1;
}

// ------------------------------------------------------------ JSON payloads

pb::Payload json_payload(const std::string& json) {
  pb::Payload p;
  (*p.mutable_metadata())["encoding"] = "json/plain";
  p.set_data(json);
  return p;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

static void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string parse_json_string(const std::string& json) {
  size_t i = json.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || json[i] != '"') throw ActivityError("expected a JSON string, got " + json, "BadArgument", true);
  std::string out;
  for (i++; i < json.size(); i++) {
    char c = json[i];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= json.size()) break;
    switch (json[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u':
        if (i + 4 < json.size()) {
          append_utf8(out, std::stoul(json.substr(i + 1, 4), nullptr, 16));  // surrogate pairs: not needed here
          i += 4;
        }
        break;
      default: out += json[i];
    }
  }
  throw ActivityError("unterminated JSON string: " + json, "BadArgument", true);
}

}  // namespace sidecar_worker
