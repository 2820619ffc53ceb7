import winston from 'winston';

/**
 * Logging. Contract: callers pass ids (messageId, channelId, destinationId, error codes) and never
 * message content or patient fields. `redact()` is a last line of defence for keys that must never
 * be written even by mistake, in either format, and for the credentials of a service URL in any
 * text field (a driver's error naming its connection string, say).
 */
export type Logger = winston.Logger;

/**
 * `json`: one JSON object a line, for machines (containers, systemd, log shippers). `pretty`: one readable line, for a person at a
 * terminal.
 */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const FORBIDDEN_KEYS = new Set(['raw', 'content', 'payload', 'event', 'canonical', 'body', 'patient', 'mrn', 'name']);

/** `scheme://user:password@` in a text: the credentials of a service URL (REDIS_URL, MONGODB_URL, …). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

/** `text` with the user and password of every URL in it replaced by `[redacted]`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1[redacted]@');
}

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (FORBIDDEN_KEYS.has(key)) info[key] = '[redacted]';
    else if (typeof info[key] === 'string') info[key] = redactUrlCredentials(info[key]);
  }
  return info;
});

/**
 * The format of the engine's log (LOG_FORMAT): `json` or `pretty` when set; otherwise `pretty` when
 * the log goes to a terminal (`isTTY`: standard error, where the log is written) and `json` when it
 * does not. A value that is neither is left to loadConfig, which stops the start naming LOG_FORMAT.
 */
export function chooseLogFormat(env: { LOG_FORMAT?: string | undefined }, isTTY: boolean): LogFormat {
  const set = env.LOG_FORMAT;
  if (set === 'json' || set === 'pretty') return set;
  return isTTY ? 'pretty' : 'json';
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
/** A field's value: quoted when it has spaces, so `key=value` pairs stay apart. */
const value = (v: unknown) => (typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : text(v));

/** `12:00:01 info  [engine] engine started role=all mllp={"ehr-mllp":2575}`: the fields after the message as key=value. */
const prettyLine = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...fields } = info;
  // `level` may carry colour codes; pad by the level's own name so messages line up.
  const padded = level + ' '.repeat(Math.max(0, 5 - String(info[Symbol.for('level')] ?? level).length));
  const pairs = Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`);
  return [text(timestamp), padded, component ? `[${text(component)}]` : '', text(message), ...pairs].filter((s) => s !== '').join(' ');
});

function formatOf(format: LogFormat, colors: boolean): winston.Logform.Format {
  switch (format) {
    case 'json':
      return winston.format.combine(redact(), winston.format.timestamp(), winston.format.json());
    case 'pretty':
      return winston.format.combine(
        redact(),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        ...(colors ? [winston.format.colorize({ level: true })] : []),
        prettyLine,
      );
    default:
      return format satisfies never;
  }
}

/**
 * A logger on standard error, or on `stream` (tests that read every line the engine wrote). The
 * format is `options.format`, else JSON on a stream, else chooseLogFormat(process.env, whether
 * standard error is a terminal). Colours only on a terminal, and never with NO_COLOR set.
 */
export function createLogger(
  options: { level?: string; component?: string; stream?: NodeJS.WritableStream; format?: LogFormat } = {},
): Logger {
  const stderrIsTTY = process.stderr.isTTY === true;
  const format = options.format ?? (options.stream ? 'json' : chooseLogFormat(process.env, stderrIsTTY));
  const colors = !options.stream && stderrIsTTY && !process.env.NO_COLOR;
  return winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    defaultMeta: options.component ? { component: options.component } : {},
    format: formatOf(format, colors),
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }),
    ],
  });
}

/** A logger that writes nothing, for library callers and unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
