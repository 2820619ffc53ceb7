import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { SwitchboardError } from '../../engine/errors.ts';

/** The worker module next to this one: `.ts` when run from source (tsx), `.js` when built. */
const WORKER = fileURLToPath(new URL(`./fhir.validate.worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * The worker threads' Node options: from source, only tsx's loader (`--import tsx`), which they need
 * to load the `.ts` worker; built, none. Never the main thread's other options: a benchmark's
 * `--import` probes (bench/engine/*-probe.ts) measure the main thread's loop and, inherited, stopped
 * every thread from starting (ERR_UNKNOWN_FILE_EXTENSION: tsx's hooks do not reach a worker's later
 * `--import`s), and so the engine under `npm run bench`.
 */
const WORKER_EXEC_ARGV = WORKER.endsWith('.ts') ? ['--import', 'tsx'] : [];

/** Validations waiting for a thread, per thread, before the pool answers busy (each holds a body of up to a channel's limit). */
const QUEUE_PER_THREAD = 16;

/** What a validation came to: the issues (empty: valid), or `busy` when the queue is full. */
export type PoolVerdict = { kind: 'validated'; issues: OperationOutcomeIssue[] } | { kind: 'busy' };

/**
 * FHIR R4 validation (validator.ts, @medplum/core) off the event loop (issue 20, finding 6): a
 * piscina pool of `threads` worker threads (config FHIR_VALIDATION_THREADS, default 2), each
 * loading the R4 definitions once as it starts, so a large resource being validated delays no
 * other request and no MLLP ACK. The routes hand over the body's JSON text (copied once; the parsed
 * resource stays on the event loop for intake). At most 16 validations per thread wait; past that
 * `validate` answers `busy` (the routes send 503 with Retry-After) instead of holding more bodies.
 *
 * Lifecycle: `start()` (guarded, once) validates a small resource so a worker that cannot load
 * @medplum/core fails the engine's start, not the first request; `close()` (one stored promise)
 * lets running validations finish and stops the threads. The engine closes the pool right after
 * its HTTP server (which drains the requests awaiting a verdict): see Engine.doStart.
 */
export class FhirValidatorPool {
  private readonly pool: Piscina<string, OperationOutcomeIssue[]>;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: WORKER,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      maxQueue: threads * QUEUE_PER_THREAD,
      ...(WORKER_EXEC_ARGV ? { execArgv: WORKER_EXEC_ARGV } : {}),
    });
  }

  start(): Promise<void> {
    this.starting ??= this.pool.run(JSON.stringify({ resourceType: 'Basic', code: { text: 'start' } })).then((issues) => {
      if (issues.length > 0) throw new SwitchboardError('INTERNAL', 'the FHIR validation worker refused a valid resource');
    });
    return this.starting;
  }

  /** Validates a FHIR JSON text (already parsed once by the caller, within the JSON limits) in a worker. */
  async validate(text: string): Promise<PoolVerdict> {
    if (this.closing || this.pool.queueSize >= this.pool.options.maxQueue) return { kind: 'busy' };
    return { kind: 'validated', issues: await this.pool.run(text) };
  }

  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }
}
