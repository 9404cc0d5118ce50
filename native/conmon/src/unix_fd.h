// Unix-socket helpers Node lacks: SOCK_SEQPACKET connect, SCM_RIGHTS receive, pty resize.
#pragma once
#include <napi.h>

namespace tandem {
void InitUnixFd(Napi::Env env, Napi::Object exports);
}
