// Argument checks shared by Tandem's N-API addons (each binding.gyp puts ../common on the
// include path). A wrong type throws TypeError with the caller's usage string, a number out of
// range a RangeError: a JS exception, never a crash or a syscall with a garbage value.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace tandem {

// True when d is an integer in [lo, hi]: false for NaN, ±Infinity and fractions.
inline bool IsIntegerIn(double d, double lo, double hi) { return d >= lo && d <= hi && std::floor(d) == d; }

// info[i] as a string without NUL bytes (a C API would silently cut it there).
inline std::string StringArg(const Napi::CallbackInfo& info, size_t i, const std::string& usage) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), usage);
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), usage);
  return s;
}

// info[i] as a file descriptor: an integer in 0..INT32_MAX.
inline int FdArg(const Napi::CallbackInfo& info, size_t i, const std::string& usage) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!IsIntegerIn(v, 0, INT32_MAX)) throw Napi::RangeError::New(info.Env(), "fd must be a non-negative integer");
  return static_cast<int>(v);
}

// info[i] as an unsigned 32-bit integer; `name` says which argument in the RangeError.
inline uint32_t U32Arg(const Napi::CallbackInfo& info, size_t i, const std::string& usage, const std::string& name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!IsIntegerIn(v, 0, UINT32_MAX))
    throw Napi::RangeError::New(info.Env(), name + " must be an integer in 0..4294967295");
  return static_cast<uint32_t>(v);
}

}  // namespace tandem
