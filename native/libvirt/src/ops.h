// Tandem's own codes that cross the JS/C++ boundary (libvirt's numbers come from its headers).
// Written once here: scripts/gen-codes.mjs compiles this header and writes ../ops.gen.ts from it,
// and test/codes.test.ts fails when that file no longer matches. Keep the form the generator
// reads: `enum class Name : int {`, then one `kMember = value,` per line, then `};`.
#pragma once

namespace tlv {

// Connection.networkOp(name, op): what to do to the named network.
enum class NetworkOp : int {
  kCreate = 0,
  kDestroy = 1,
  kUndefine = 2,
  kAutostartOn = 3,
  kAutostartOff = 4,
};

// Connection.storagePoolOp(name, op, flags): what to do to the named pool. kDelete removes the
// pool's storage (e.g. its directory); flags go to build/create/refresh/delete.
enum class StoragePoolOp : int {
  kCreate = 0,
  kBuild = 1,
  kDestroy = 2,
  kUndefine = 3,
  kRefresh = 4,
  kDelete = 5,
  kAutostartOn = 6,
  kAutostartOff = 7,
};

// The console stream's callback (type, payload): what happened on the stream.
enum class StreamEvent : int {
  kData = 0,    // payload: a Buffer with bytes from the guest
  kEnd = 1,     // the guest side closed (end of stream)
  kError = 2,   // payload: the LibvirtError that ended the stream
  kClosed = 3,  // last event: the stream is closed (after kEnd/kError, or by us)
};

}  // namespace tlv
