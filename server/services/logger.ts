// The logging surface services need (pino's, narrowed so tests can pass a stand-in).
export interface Logger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
  debug(o: object, m?: string): void;
}
