// GENERATED — DO NOT EDIT. Regenerate with: node native/libvirt/scripts/gen-codes.mjs
// Tandem's own codes between index.ts and the addon, from src/ops.h (the header the addon is
// built with).

/** Connection.networkOp(name, op): what to do to the named network. */
export const NetworkOp = {
  CREATE: 0,
  DESTROY: 1,
  UNDEFINE: 2,
  AUTOSTART_ON: 3,
  AUTOSTART_OFF: 4,
} as const;

/** Connection.storagePoolOp(name, op, flags): what to do to the named pool. kDelete removes the pool's storage (e.g. its directory); flags go to build/create/refresh/delete. */
export const StoragePoolOp = {
  CREATE: 0,
  BUILD: 1,
  DESTROY: 2,
  UNDEFINE: 3,
  REFRESH: 4,
  DELETE: 5,
  AUTOSTART_ON: 6,
  AUTOSTART_OFF: 7,
} as const;

/** The console stream's callback (type, payload): what happened on the stream. */
export const StreamEvent = {
  DATA: 0,
  END: 1,
  ERROR: 2,
  CLOSED: 3,
} as const;
