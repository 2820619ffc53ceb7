import winston from 'winston';

/**
 * Structured JSON-line logging. Contract: callers pass ids (messageId, channelId, destinationId,
 * error codes) and never message content or patient fields. `redact()` is a last line of defence
 * for keys that must never be written even by mistake.
 */
export type Logger = winston.Logger;

const FORBIDDEN_KEYS = new Set(['raw', 'content', 'payload', 'event', 'canonical', 'body', 'patient', 'mrn', 'name']);

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (FORBIDDEN_KEYS.has(key)) info[key] = '[redacted]';
  }
  return info;
});

/** JSON lines on standard error; or to `stream` (tests that read every line the engine wrote). */
export function createLogger(options: { level?: string; component?: string; stream?: NodeJS.WritableStream } = {}): Logger {
  return winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    defaultMeta: options.component ? { component: options.component } : {},
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that writes nothing, for library callers and unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
