/** @module The logger shape code is handed (pino's fits); code that gets none logs nothing. */

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** pino's: a logger whose every line carries the bindings. Optional, so any four-method logger still fits. */
  child?: (bindings: Record<string, unknown>) => Logger;
}

const ignore: LogMethod = () => undefined;
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** A logger that adds `bindings` to every line (pino's own child when it has one). */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (logger === silentLogger) return logger;
  if (typeof logger.child === "function") return logger.child(bindings);
  const bind =
    (method: LogMethod): LogMethod =>
    (fields, message) =>
      method.call(logger, { ...bindings, ...fields }, message);
  return { debug: bind(logger.debug), info: bind(logger.info), warn: bind(logger.warn), error: bind(logger.error) };
}
