import net from 'node:net';
import test from 'ava';
import type { ChannelDefinition } from '../../engine/channel.ts';
import type { SourceDefinition } from '../../engine/connector.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, TEST_ENCRYPTION, type TestEngine } from '../support/harness.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { mongoInsertCommand, TcpProxy } from '../support/tcp-proxy.ts';
import { checkDeclaration } from './declaration.ts';

/** What a source's answer says, read in the language of its edge (an ACK, an HTTP status and OperationOutcome). */
export interface SourceAnswer {
  accepted: boolean;
  /** The reason given to the sender, for refusals. */
  reason: string;
}

/** One sender speaking the source's protocol to a running engine, over a real socket. */
export interface SourceClient {
  /** Sends a valid message whose control id (MSH-10, resource id) is `id`. */
  sendValid(id: string): Promise<SourceAnswer>;
  /** Sends input the source must refuse (a message that does not parse, a resource that is not FHIR). */
  sendInvalid(): Promise<SourceAnswer>;
  close(): Promise<void>;
}

/** What a source's test file gives the shared suite: its declaration, a channel using it, and a client. */
export interface SourceHarness {
  definition: SourceDefinition;
  /** A channel whose source is of this kind, on a free port, delivering to `erpUrl`. */
  channel(erpUrl: string): ChannelDefinition;
  client(sb: TestEngine, channel: ChannelDefinition): Promise<SourceClient>;
  /** The TCP port the source takes messages on (its own listener, or the HTTP server's). */
  port(sb: TestEngine, channel: ChannelDefinition): number;
}

async function engineFor(t: import('ava').ExecutionContext, h: SourceHarness, mongoUrl?: string) {
  const erp = await startErpSimulator();
  const channel = h.channel(erp.url);
  const sb = await startTestEngine({
    channels: [channel],
    security: TEST_ENCRYPTION,
    ...(mongoUrl ? { mongoUrl, config: { STORE_TIMEOUT_MS: 30_000 } } : {}),
  });
  const client = await h.client(sb, channel);
  t.teardown(async () => (await client.close(), await sb.close(), await erp.close()));
  return { sb, channel, client };
}

/** How many messages the engine's store holds with control id (MSH-10, resource id) `id`. */
async function storedWith(sb: TestEngine, id: string): Promise<number> {
  return (await sb.engine.store!.messages.list({ controlId: id, limit: 10 })).length;
}

/** Whether something can listen on `port` on the loopback (the source has released it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

/**
 * The source connector contract, as every source kind passes it against a running engine on real
 * services: a declared config whose examples validate and whose secrets are its fields; a valid
 * message accepted and stored by the time the answer arrives; bad input refused with a reason in
 * the edge's language; no answer while the durable write is held; a resend answered as the first,
 * stored once; close releases the port.
 */
export function sourceConformance(h: SourceHarness): void {
  const name = h.definition.kind;

  test(`${name} source conformance: config schema, examples and secrets are declared`, (t) => checkDeclaration(t, h.definition));

  test(`${name} source conformance: a valid message is accepted, and stored when the answer arrives`, async (t) => {
    const { sb, client } = await engineFor(t, h);
    const answer = await client.sendValid('CONF1');
    t.true(answer.accepted, answer.reason);
    t.is(await storedWith(sb, 'CONF1'), 1);
  });

  test(`${name} source conformance: bad input is refused with a reason for the sender`, async (t) => {
    const { client } = await engineFor(t, h);
    const answer = await client.sendInvalid();
    t.false(answer.accepted);
    t.true(answer.reason.length > 0);
  });

  test(`${name} source conformance: no answer while the durable write is held`, async (t) => {
    const proxy = await TcpProxy.start(TcpProxy.targetOf(sharedMongoUrl()));
    t.teardown(() => (proxy.resume(), proxy.close()));
    const { client } = await engineFor(t, h, proxy.via(sharedMongoUrl()));
    proxy.pause(mongoInsertCommand('messages'));
    let answered = false;
    const answer = client.sendValid('CONF2').finally(() => (answered = true));
    await proxy.held(mongoInsertCommand('messages'));
    await new Promise((r) => setTimeout(r, 500));
    t.false(answered, 'answered before the message was stored');
    proxy.resume();
    t.true((await answer).accepted);
  });

  test(`${name} source conformance: a resend is answered as the first and stored once`, async (t) => {
    const { sb, client } = await engineFor(t, h);
    const first = await client.sendValid('CONF3');
    const again = await client.sendValid('CONF3');
    t.deepEqual(again, first);
    t.true(first.accepted);
    t.is(await storedWith(sb, 'CONF3'), 1);
  });

  test(`${name} source conformance: closing the engine releases the port`, async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const channel = h.channel(erp.url);
    const sb = await startTestEngine({ channels: [channel], security: TEST_ENCRYPTION });
    const port = h.port(sb, channel);
    t.false(await portFree(port), 'the source listens');
    await sb.close();
    t.true(await portFree(port));
  });
}
