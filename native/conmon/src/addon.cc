// Entry point of the tandem_conmon addon: what Node cannot do for the container driver.
#include <napi.h>

#include "fd_stream.h"
#include "unix_fd.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tandem::FdStream::Init(env, exports);
  tandem::InitUnixFd(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(tandem_conmon, Init)
