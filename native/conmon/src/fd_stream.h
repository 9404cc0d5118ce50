// FdStream: a non-blocking fd (socket or pty master) polled on Node's own libuv loop.
#pragma once
#include <napi.h>
#include <uv.h>

#include <deque>
#include <string>

namespace tandem {

class FdStream : public Napi::ObjectWrap<FdStream> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit FdStream(const Napi::CallbackInfo& info);
  ~FdStream() override;

 private:
  struct PollHandle {
    uv_poll_t poll;
    FdStream* owner;  // nulled when the JS object goes away first
    int fd;
  };

  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Pending(const Napi::CallbackInfo& info);
  void Pause(const Napi::CallbackInfo& info);
  void Resume(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void HandleReadable();
  void HandleWritable();
  void UpdatePoll();
  void Finish(const std::string& error);
  void Teardown();
  void Deliver(Napi::FunctionReference& cb, std::initializer_list<napi_value> args);

  Napi::Env env_;
  PollHandle* handle_ = nullptr;
  int fd_ = -1;
  bool seqpacket_ = false;
  bool isSocket_ = false;
  bool paused_ = false;
  bool finished_ = false;
  size_t maxMessage_ = 4096;
  size_t pendingBytes_ = 0;
  std::deque<std::string> queue_;
  Napi::FunctionReference onData_;
  Napi::FunctionReference onEnd_;
};

}  // namespace tandem
