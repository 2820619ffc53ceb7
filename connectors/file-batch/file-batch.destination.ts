import { open, mkdir, readFile, rename, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { defineDestination, type ConnectionTestResult, type DeliveryContext, type DeliveryPayload, type DeliveryResult, type DestinationConnector } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';

export const FileBatchConfig = Type.Object({
  directory: Type.String({ minLength: 1, description: 'Where finished batch files appear (and the spool, in .spool/)' }),
  format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')], { default: 'ndjson' }),
  /** CSV columns: dotted paths into the event (`amount.value`); NDJSON writes whole events. */
  columns: Type.Array(Type.String(), { default: ['code', 'quantity', 'amount.value', 'amount.currency', 'serviceDate', 'costCenter', 'glAccount', 'encounter.visitNumber'] }),
  /** Close a batch at this many lines… */
  maxLines: Type.Integer({ minimum: 1, default: 1000 }),
  /** …or when its first line is this old (checked on each send and every few seconds). */
  maxAgeMs: Type.Integer({ minimum: 100, default: 60_000 }),
  /** The amount field summed into the control total. */
  amountField: Type.String({ default: 'amount.value' }),
  filePrefix: Type.String({ default: 'journal', pattern: '^[A-Za-z0-9_-]+$' }),
});
export type FileBatchConfig = Static<typeof FileBatchConfig>;

/**
 * Finance batch files: each event becomes one journal line. `send` returns only once the line is
 * fsynced in the spool (so an acknowledged delivery survives a crash); a batch is released when it
 * reaches `maxLines` or `maxAgeMs`: written under a temporary name, fsynced, then renamed, with a
 * trailer holding the line count and the control total of `amountField`. Lines are de-duplicated by
 * idempotency key (the spool and a key journal remember them), so the connector is idempotent.
 */
export const fileBatchDestination = defineDestination({
  kind: 'file-batch',
  title: 'Finance batch files (CSV or NDJSON)',
  config: FileBatchConfig,
  secrets: [],
  idempotent: true,
  models: ['ChargeEvent', 'SupplyConsumptionEvent', 'EncounterEvent', 'WorkforceEvent'],
  examples: [{ directory: '/var/spool/switchboard/gl', format: 'csv', columns: ['code', 'quantity', 'amount.value', 'costCenter'], maxLines: 500, maxAgeMs: 300_000, amountField: 'amount.value', filePrefix: 'gl' }],
  create: (config) => new FileBatchDestination(config),
});

interface SpoolLine {
  key: string;
  model: string;
  event: Record<string, unknown>;
}

class FileBatchDestination implements DestinationConnector {
  private readonly spoolDir: string;
  private spool: FileHandle | undefined;
  private lines: SpoolLine[] = [];
  private openedAt = 0;
  private seen = new Set<string>();
  private keysFile: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private connected: Promise<void> | undefined;

  constructor(private readonly config: FileBatchConfig) {
    this.spoolDir = path.join(config.directory, '.spool');
  }

  /** Opens the spool and the key journal, taking back lines a previous run spooled but did not release. */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      try {
        await mkdir(this.spoolDir, { recursive: true });
        const keys = await readFile(path.join(this.spoolDir, 'keys'), 'utf8').catch(() => '');
        this.seen = new Set(keys.split('\n').filter(Boolean));
        const current = await readFile(path.join(this.spoolDir, 'current.ndjson'), 'utf8').catch(() => '');
        this.lines = current.split('\n').filter(Boolean).flatMap((l) => {
          try {
            return [JSON.parse(l) as SpoolLine];
          } catch {
            return []; // a torn last line was never acknowledged
          }
        });
        for (const l of this.lines) this.seen.add(l.key);
        this.openedAt = Date.now();
        this.spool = await open(path.join(this.spoolDir, 'current.ndjson'), 'a');
        this.keysFile = await open(path.join(this.spoolDir, 'keys'), 'a');
        this.timer = setInterval(() => void this.serial(() => this.releaseIfDue()).catch(() => undefined), Math.min(this.config.maxAgeMs, 5000));
        this.timer.unref();
      } catch (err) {
        this.connected = undefined;
        throw new SwitchboardError('PEER_NOT_CONNECTED', `cannot open the batch directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
      }
    })();
    return this.connected;
  }

  send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    return this.serial(async () => {
      if (!this.spool) throw new SwitchboardError('PEER_NOT_CONNECTED', 'connect() was not called');
      if (this.seen.has(ctx.idempotencyKey)) return { responseSummary: 'already spooled' };
      const line: SpoolLine = { key: ctx.idempotencyKey, model: payload.model, event: payload.event };
      try {
        await this.spool.appendFile(`${JSON.stringify(line)}\n`);
        await this.spool.sync();
      } catch (err) {
        throw new SwitchboardError('PEER_UNAVAILABLE', `cannot write the spool (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
      }
      if (this.lines.length === 0) this.openedAt = Date.now();
      this.lines.push(line);
      this.seen.add(line.key);
      await this.releaseIfDue();
      return { responseSummary: `spooled (${this.lines.length} in the open batch)` };
    });
  }

  async test(): Promise<ConnectionTestResult> {
    try {
      await mkdir(this.config.directory, { recursive: true });
      await readdir(this.config.directory);
      return { ok: true, detail: 'the batch directory is writable' };
    } catch (err) {
      return { ok: false, detail: `the batch directory is not usable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }

  /** Closes the files; spooled lines stay in the spool and are released after the next connect. Safe to call twice. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.serial(async () => {
      await this.spool?.close().catch(() => undefined);
      await this.keysFile?.close().catch(() => undefined);
      this.spool = undefined;
      this.keysFile = undefined;
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async releaseIfDue(): Promise<void> {
    if (this.lines.length === 0) return;
    if (this.lines.length < this.config.maxLines && Date.now() - this.openedAt < this.config.maxAgeMs) return;
    const batch = this.lines;
    const name = `${this.config.filePrefix}-${new Date().toISOString().replace(/[-:.]/g, '')}-${batch.length}.${this.config.format}`;
    const tmp = path.join(this.spoolDir, `${name}.tmp`);
    const file = await open(tmp, 'w');
    await file.writeFile(render(batch, this.config));
    await file.sync();
    await file.close();
    await rename(tmp, path.join(this.config.directory, name));
    await this.keysFile!.appendFile(batch.map((l) => `${l.key}\n`).join(''));
    await this.keysFile!.sync();
    await this.spool!.truncate(0);
    await this.spool!.sync();
    this.lines = [];
  }
}

const at = (event: Record<string, unknown>, dotted: string): unknown => dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), event);

/** The file's text: one line per event and a trailer with the count and the control total. */
export function render(lines: readonly SpoolLine[], config: Pick<FileBatchConfig, 'format' | 'columns' | 'amountField'>): string {
  const total = lines.reduce((sum, l) => sum + (Number(at(l.event, config.amountField)) || 0), 0);
  const control = { lines: lines.length, controlTotal: Math.round(total * 100) / 100 };
  if (config.format === 'ndjson') {
    return `${lines.map((l) => JSON.stringify({ idempotencyKey: l.key, model: l.model, ...l.event })).join('\n')}\n${JSON.stringify({ trailer: control })}\n`;
  }
  const csv = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const header = ['idempotencyKey', 'model', ...config.columns].join(',');
  const rows = lines.map((l) => [l.key, l.model, ...config.columns.map((c) => at(l.event, c))].map(csv).join(','));
  return `${[header, ...rows, `TRAILER,${control.lines},${control.controlTotal}`].join('\r\n')}\r\n`;
}
