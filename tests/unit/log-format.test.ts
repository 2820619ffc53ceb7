import test from 'ava';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../engine/config/config.ts';
import { chooseLogFormat, createLogger, type LogFormat } from '../../engine/log.ts';

test('LOG_FORMAT unset: pretty on a terminal, JSON lines anywhere else (containers, systemd, pipes)', (t) => {
  t.is(chooseLogFormat({}, true), 'pretty');
  t.is(chooseLogFormat({}, false), 'json');
  t.is(chooseLogFormat({ LOG_FORMAT: '' }, false), 'json');
});

test('LOG_FORMAT set wins over the terminal, both ways', (t) => {
  t.is(chooseLogFormat({ LOG_FORMAT: 'json' }, true), 'json');
  t.is(chooseLogFormat({ LOG_FORMAT: 'pretty' }, false), 'pretty');
});

test('a LOG_FORMAT that is neither stops the start naming the variable', (t) => {
  const env = { REDIS_URL: 'redis://127.0.0.1:9', MONGODB_URL: 'mongodb://127.0.0.1:9/' };
  t.is(loadConfig({ ...env, LOG_FORMAT: 'pretty' }).LOG_FORMAT, 'pretty');
  t.throws(() => loadConfig({ ...env, LOG_FORMAT: 'xml' }), { message: /LOG_FORMAT/ });
});

/** The one line `format` writes for an "engine started" entry carrying a field that must never be logged. */
async function lineIn(format: LogFormat): Promise<string> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const log = createLogger({ component: 'engine', stream, format });
  log.info('engine started', { role: 'all', mllp: { 'ehr-mllp': 2575 }, raw: 'MSH|^~\\&|EPIC PID|1||55501^^^GENHOSP^MR||DOE^JOHN' });
  await new Promise((resolve) => setImmediate(resolve));
  return Buffer.concat(chunks).toString('utf8').trim();
}

test(
  'on a terminal a log line is readable text, not JSON; elsewhere it is one JSON object; neither ' + 'carries a redacted field',
  async (t) => {
    const pretty = await lineIn(chooseLogFormat({}, true));
    t.throws(() => JSON.parse(pretty) as unknown, { instanceOf: SyntaxError }, pretty);
    t.regex(pretty, /^\d\d:\d\d:\d\d info +\[engine\] engine started role=all mllp=\{"ehr-mllp":2575\} raw=\[redacted\]$/);

    const json = await lineIn(chooseLogFormat({}, false));
    t.like(JSON.parse(json), {
      level: 'info',
      message: 'engine started',
      component: 'engine',
      role: 'all',
      mllp: { 'ehr-mllp': 2575 },
      raw: '[redacted]',
    });
    for (const line of [pretty, json]) t.false(line.includes('DOE') || line.includes('55501'), line);
  },
);
