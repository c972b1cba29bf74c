/** @module The logger shape code is handed (pino's fits); code that gets none logs nothing. */

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** pino's: a logger whose every line carries the bindings. Optional, so any four-method logger still fits. */
  child?: (bindings: Record<string, unknown>) => Logger;
  /** pino's: whether lines at this level are written at all. */
  isLevelEnabled?: (level: string) => boolean;
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

/**
 * childLogger made on the first line actually written: a request's logger
 * is handed to every call, but at the usual levels most calls write
 * nothing, and a pino child per call was measurable on the hot path.
 */
export function lazyChildLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (logger === silentLogger) return logger;
  let child: Logger | undefined;
  const method =
    (level: "debug" | "info" | "warn" | "error"): LogMethod =>
    (fields, message) => {
      if (logger.isLevelEnabled?.(level) === false) return;
      child ??= childLogger(logger, bindings);
      child[level](fields, message);
    };
  return { debug: method("debug"), info: method("info"), warn: method("warn"), error: method("error"), child: (more) => childLogger(logger, { ...bindings, ...more }) };
}
