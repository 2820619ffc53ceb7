import { getEventListeners } from 'node:events';
import test from 'ava';
import type { DestinationConnector, DestinationDefinition } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { checkDeclaration } from './declaration.ts';

/** What a connector's test file gives the shared suite: its declaration and a real peer. */
export interface ConformanceHarness {
  definition: DestinationDefinition;
  /** A connector against a running peer, and what that peer holds (idempotency keys). */
  up(): Promise<{ connector: DestinationConnector; received(): Promise<string[]>; close(): Promise<void> }>;
  /** A connector whose peer cannot be reached. */
  down(): Promise<DestinationConnector>;
}

const payload = {
  model: 'ChargeEvent',
  modelVersion: 1,
  event: { code: '27447', quantity: 1, amount: { value: 4250, currency: 'USD' }, costCenter: 'COSTCTR-4410' },
};
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });

/**
 * The destination connector contract, as tests every connector passes against its real peer:
 * a declared config whose examples validate and whose secrets are its own fields; connect, send and
 * the peer holds the event; an idempotent connector delivers a repeated key once; an unreachable
 * peer gives a classified SwitchboardError; sends leave nothing on the worker's signal; close()
 * may be called twice.
 */
export function destinationConformance(h: ConformanceHarness): void {
  const name = h.definition.kind;

  test(`${name} conformance: config schema, examples and secrets are declared`, (t) => checkDeclaration(t, h.definition));

  test(`${name} conformance: connect, send, and the peer holds the event`, async (t) => {
    const peer = await h.up();
    t.teardown(() => peer.close());
    await peer.connector.connect(new AbortController().signal);
    const result = await peer.connector.send(payload, ctx('conf-1:dest'));
    t.is(typeof result.responseSummary, 'string');
    t.true((await peer.received()).includes('conf-1:dest'));
  });

  // A connector that declares itself not idempotent has nothing to show here (the engine does not
  // retry its ambiguous failures), so the test is registered only for those that claim it.
  if (h.definition.idempotent)
    test(`${name} conformance: an idempotent connector delivers a repeated key once`, async (t) => {
      const peer = await h.up();
      t.teardown(() => peer.close());
      await peer.connector.connect(new AbortController().signal);
      await peer.connector.send(payload, ctx('conf-2:dest'));
      await peer.connector.send(payload, ctx('conf-2:dest'));
      t.is((await peer.received()).filter((k) => k === 'conf-2:dest').length, 1);
    });

  test(`${name} conformance: an unreachable peer gives a classified failure`, async (t) => {
    const connector = await h.down();
    const err = await Promise.resolve()
      .then(() => connector.connect(new AbortController().signal))
      .then(() => connector.send(payload, ctx('conf-3:dest')))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    t.true(err instanceof SwitchboardError, String(err));
    t.true(['not-connected', 'transient', 'ambiguous'].includes((err as SwitchboardError).failureClass));
    if (connector.test) t.false((await connector.test()).ok);
    await connector.close();
  });

  test(`${name} conformance: sends leave nothing on the worker's signal, which lives as long as the process`, async (t) => {
    const peer = await h.up();
    t.teardown(() => peer.close());
    const worker = new AbortController();
    await peer.connector.connect(worker.signal);
    for (let i = 0; i < 20; i++) await peer.connector.send(payload, { ...ctx(`conf-4-${i}:dest`), signal: worker.signal });
    t.is(getEventListeners(worker.signal, 'abort').length, 0, 'no abort listener left behind');
    // Signals made from it by AbortSignal.any stay in this set for good on Node 20 (nodejs/node#55351).
    const dependants = Object.getOwnPropertySymbols(worker.signal).find((s) => s.description === 'kDependantSignals');
    t.is(
      (dependants ? (worker.signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants]?.size : undefined) ?? 0,
      0,
      'no dependant signal left behind',
    );
  });

  test(`${name} conformance: close() may be called twice`, async (t) => {
    const peer = await h.up();
    await peer.connector.connect(new AbortController().signal);
    await peer.connector.close();
    await t.notThrowsAsync(peer.connector.close());
    await peer.close();
  });
}
