import { mkdir, readdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import {
  defineDestination,
  type ConnectionTestResult,
  type DeliveryContext,
  type DeliveryPayload,
  type DeliveryResult,
  type DestinationConnector,
} from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { ProcessSpool, SpoolLostError, type SpoolLine } from './process-spool.ts';
import { ReleaseJournal } from './release-journal.ts';

export const FileBatchConfig = Type.Object({
  directory: Type.String({ minLength: 1, description: 'Where finished batch files appear (and the spool, in .spool/)' }),
  format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')], { default: 'ndjson' }),
  /** CSV columns: dotted paths into the event (`amount.value`); NDJSON writes whole events. */
  columns: Type.Array(Type.String(), {
    default: ['code', 'quantity', 'amount.value', 'amount.currency', 'serviceDate', 'costCenter', 'glAccount', 'encounter.visitNumber'],
  }),
  /** Close a batch at this many lines… */
  maxLines: Type.Integer({ minimum: 1, default: 1000 }),
  /** …or when its first line is this old (checked on each send and every few seconds). */
  maxAgeMs: Type.Integer({ minimum: 100, default: 60_000 }),
  /** The amount field summed into the control total. */
  amountField: Type.String({ default: 'amount.value' }),
  filePrefix: Type.String({ default: 'journal', pattern: '^[A-Za-z0-9_-]+$' }),
  /** A spool whose process has not refreshed its lock for this long is taken over by another process (its owner died). */
  orphanAfterMs: Type.Integer({ minimum: 2000, default: 30_000 }),
});
export type FileBatchConfig = Static<typeof FileBatchConfig>;

/**
 * Finance batch files: each event becomes one journal line. `send` returns only once the line is
 * fsynced in the spool (so an acknowledged delivery survives a crash); a batch is released when it
 * reaches `maxLines` or `maxAgeMs`: written under a temporary name, fsynced, recorded, then renamed,
 * with a trailer holding the line count and the control total of `amountField`.
 *
 * Several engine processes may write one directory (scale-out); the spool is per process:
 * - `.spool/spool-<host>-<pid>-<random>.ndjson`: the lines this process spooled and has not released,
 *   appended only by it, under a lock (`<file>.lock`) it refreshes while alive (see ProcessSpool);
 * - `.spool/released.ndjson`: one line per released batch with its idempotency keys, shared and
 *   appended under `.spool/released.ndjson.lock` (see ReleaseJournal); `.spool/<file>.tmp` is a batch
 *   being released;
 * - `.spool/adopting-<random>.ndjson`: a dead process's spool being taken over.
 * A process that dies leaves its spool; once its lock is `orphanAfterMs` old (at once after a clean
 * close) a live or restarted process takes the lines into its own spool (checked at connect and
 * every few seconds), and finishes or discards a release the crash cut short. A key is never
 * written twice: `send` skips keys already spooled here or released, and each release leaves out
 * keys the journal already holds, so the connector is idempotent across processes and crashes.
 */
export const fileBatchDestination = defineDestination({
  kind: 'file-batch',
  title: 'Finance batch files (CSV or NDJSON)',
  config: FileBatchConfig,
  secrets: [],
  idempotent: true,
  models: ['ChargeEvent', 'SupplyConsumptionEvent', 'EncounterEvent', 'WorkforceEvent'],
  examples: [
    {
      directory: '/var/spool/switchboard/gl',
      format: 'csv',
      columns: ['code', 'quantity', 'amount.value', 'costCenter'],
      maxLines: 500,
      maxAgeMs: 300_000,
      amountField: 'amount.value',
      filePrefix: 'gl',
      orphanAfterMs: 30_000,
    },
  ],
  create: (config) => new FileBatchDestination(config),
});

class FileBatchDestination implements DestinationConnector {
  private readonly spoolDir: string;
  private spool: ProcessSpool | undefined;
  private journal: ReleaseJournal | undefined;
  private lines: SpoolLine[] = [];
  private readonly spooled = new Set<string>();
  private openedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private connected: Promise<void> | undefined;

  constructor(private readonly config: FileBatchConfig) {
    this.spoolDir = path.join(config.directory, '.spool');
  }

  /** Opens this process's spool and takes over the lines of processes that died (see above). */
  connect(): Promise<void> {
    this.connected ??= this.serial(() => this.open()).catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  private async open(): Promise<void> {
    try {
      await mkdir(this.spoolDir, { recursive: true });
      const journal = new ReleaseJournal(this.spoolDir, this.config.directory, this.config.orphanAfterMs);
      await journal.open();
      const spool = new ProcessSpool(this.spoolDir, this.config.orphanAfterMs);
      await spool.open();
      [this.journal, this.spool, this.lines, this.openedAt] = [journal, spool, [], Date.now()];
      this.spooled.clear();
      await this.adopt();
      this.timer ??= setInterval(() => void this.serial(() => this.tick()).catch(() => undefined), Math.min(this.config.maxAgeMs, 5000));
      this.timer.unref();
    } catch (err) {
      await this.spool?.close();
      this.spool = undefined;
      throw new SwitchboardError(
        'PEER_NOT_CONNECTED',
        `cannot open the batch directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
  }

  send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    return this.serial(async () => {
      if (!this.connected) throw new SwitchboardError('PEER_NOT_CONNECTED', 'connect() was not called');
      if (!this.spool) await this.open(); // the last spool was taken over
      const spool = this.spool!;
      if (this.spooled.has(ctx.idempotencyKey) || this.journal!.has(ctx.idempotencyKey)) return { responseSummary: 'already spooled' };
      const line: SpoolLine = { key: ctx.idempotencyKey, model: payload.model, event: payload.event };
      try {
        await spool.append([line]);
      } catch (err) {
        if (err instanceof SpoolLostError) {
          // Another process took our spool while our lock was stale: its lines are theirs now; start a new spool.
          await spool.close();
          this.spool = undefined;
          throw new SwitchboardError('PEER_UNAVAILABLE', 'the spool was taken over by another process', { cause: err });
        }
        throw new SwitchboardError('PEER_UNAVAILABLE', `cannot write the spool (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
          cause: err,
        });
      }
      this.keep([line]);
      // The line is durable in the spool from here: a release that fails now (the journal's lock
      // busy, a full disk) is tried again by the timer, and this delivery is done all the same.
      await this.releaseIfDue().catch((err: unknown) =>
        ctx.log.warn('batch release failed; the timer tries again', { code: (err as NodeJS.ErrnoException).code ?? (err as Error).name }),
      );
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

  /** Closes the spool and gives up its lock: a running process (or the next one) takes its lines over. Safe to call twice. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.serial(async () => {
      await this.spool?.close();
      this.spool = undefined;
      this.journal = undefined;
      this.connected = undefined;
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private keep(lines: readonly SpoolLine[]): void {
    if (lines.length === 0) return;
    if (this.lines.length === 0) this.openedAt = Date.now();
    this.lines.push(...lines);
    for (const l of lines) this.spooled.add(l.key);
  }

  /** Finishes releases cut short by a crash, then takes over dead processes' spools. */
  private async adopt(): Promise<void> {
    await this.journal!.recover();
    this.keep(await this.spool!.adoptOrphans((key) => this.spooled.has(key) || this.journal!.has(key)));
  }

  private async tick(): Promise<void> {
    if (!this.spool) return;
    await this.releaseIfDue();
    await this.adopt();
    await this.releaseIfDue();
  }

  private async releaseIfDue(): Promise<void> {
    if (this.lines.length === 0) return;
    if (this.lines.length < this.config.maxLines && Date.now() - this.openedAt < this.config.maxAgeMs) return;
    const stamp = `${this.config.filePrefix}-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    await this.journal!.release(
      this.lines,
      (count) => `${stamp}-${count}.${this.config.format}`,
      (lines) => render(lines, this.config),
    );
    await this.spool!.truncate();
    this.lines = [];
    this.spooled.clear();
  }
}

const at = (event: Record<string, unknown>, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), event);

/** The file's text: one line per event and a trailer with the count and the control total. */
export function render(lines: readonly SpoolLine[], config: Pick<FileBatchConfig, 'format' | 'columns' | 'amountField'>): string {
  const total = lines.reduce((sum, l) => sum + (Number(at(l.event, config.amountField)) || 0), 0);
  const control = { lines: lines.length, controlTotal: Math.round(total * 100) / 100 };
  if (config.format === 'ndjson') {
    const events = lines.map((l) => JSON.stringify({ idempotencyKey: l.key, model: l.model, ...l.event }));
    return `${events.join('\n')}\n${JSON.stringify({ trailer: control })}\n`;
  }
  const csv = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const header = ['idempotencyKey', 'model', ...config.columns].join(',');
  const rows = lines.map((l) => [l.key, l.model, ...config.columns.map((c) => at(l.event, c))].map(csv).join(','));
  return `${[header, ...rows, `TRAILER,${control.lines},${control.controlTotal}`].join('\r\n')}\r\n`;
}
