// The contract: the only server module the browser may import.
export * from "./auth";
export * from "./errors";
export * from "./events";
export * from "./guest";
export * from "./guest-extras";
export * from "./guest-nics";
export * from "./host";
export * from "./image";
export * from "./metrics";
export * from "./network";
export * from "./storage";
export * from "./forwards";
export * from "./responses";
export * from "./result";
export * from "./states";
export * from "./task";
