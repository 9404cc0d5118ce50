// In-process event bus: services publish what changed; the realtime layer fans it out.
import { EventEmitter } from "node:events";
import type { Guest } from "../contract/guest";
import type { Task } from "../contract/task";

export interface BusEvents {
  "guest:upsert": [Guest];
  "guest:removed": [{ id: string }];
  "task:update": [Task];
}

export class Bus {
  private readonly emitter = new EventEmitter();
  constructor() {
    // Every connected socket does not subscribe here (rooms do the fan-out), so a handful of
    // listeners is normal; lift the default warning threshold only modestly.
    this.emitter.setMaxListeners(50);
  }
  emit<K extends keyof BusEvents>(event: K, ...args: BusEvents[K]): void {
    this.emitter.emit(event, ...args);
  }
  on<K extends keyof BusEvents>(event: K, listener: (...args: BusEvents[K]) => void): () => void {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...a: unknown[]) => void);
  }
}
