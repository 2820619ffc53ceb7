import type { TSchema, Static } from '@sinclair/typebox';
import type { Logger } from './log.ts';
import type { CanonicalModelName } from '../transforms/canonical/index.ts';

/**
 * The destination connector contract (see DEVELOPERS.md, "Declare, then implement").
 *
 * The delivery worker calls `connect` once before the first `send` (and again after a
 * `not-connected` failure), `send` once per attempt, and `close` at shutdown. Every failure is
 * thrown as a `SwitchboardError` whose code classifies it (transient, ambiguous, permanent,
 * not-connected); the worker's retry policy reads only that classification.
 */
export interface DestinationConnector {
  connect(signal: AbortSignal): Promise<void>;
  send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult>;
  close(): Promise<void>;
  /** The console's "test connection": reaches the peer without sending data. */
  test?(): Promise<ConnectionTestResult>;
}

/** What a destination receives: one canonical event, already filtered by the destination's data policy. */
export interface DeliveryPayload {
  /** Canonical model name and version, e.g. `EncounterEvent` / `1`. */
  model: string;
  modelVersion: number;
  event: Record<string, unknown>;
}

export interface DeliveryContext {
  /** `<messageId>:<destinationId>[:<eventIndex>]`; the same on every attempt and on replay. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  log: Logger;
}

export interface DeliveryResult {
  /** A short, PHI-free summary of the peer's answer, e.g. `201 doc=JE-000123`. */
  responseSummary: string;
  /** The peer's own id for what it created, when it says. */
  peerDocumentId?: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  detail: string;
}

export interface ConnectorDeps {
  log: Logger;
  /**
   * State shared by every engine process of the deployment (one Redis and QUEUE_PREFIX), in this
   * destination's own key space: for limits that must hold across scale-out, such as erp-rest's
   * rate limit. The engine gives it to every destination it runs; it is absent when a connector is
   * made outside an engine (unit tests, tools), where such state can only be per process.
   */
  shared?: SharedScripts;
}

/**
 * Atomic Lua scripts on the deployment's Redis, confined to one destination's keys:
 * `<QUEUE_PREFIX>:destination:{<destinationId>}:<name>`. Redis is not the store: its keys may be
 * lost (flushed) at any time, and their names and values must hold no PHI.
 */
export interface SharedScripts {
  /**
   * Runs `lua` with KEYS = `names` (in this destination's key space) and ARGV = `args`, and gives
   * its reply. Throws QUEUE_UNAVAILABLE (transient) when Redis does not answer.
   */
  run(lua: string, names: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** A connector's declaration: config schema (TypeBox gives the type, JSON Schema and validation), secrets, factory. */
export interface DestinationDefinition<S extends TSchema = TSchema> {
  kind: string;
  title: string;
  config: S;
  /** Config fields that hold secrets: never logged, never returned by the API. */
  secrets: readonly string[];
  /** Whether the peer de-duplicates by idempotency key, so ambiguous failures may be retried. */
  idempotent: boolean;
  /**
   * The canonical models it can send (every one its mapping handles; another would fail each
   * delivery for good). Channel validation refuses a destination naming any other model, at
   * `/destinations/<i>/models/<j>`, before the channel is saved, imported or deployed.
   */
  models: readonly CanonicalModelName[];
  examples: readonly Static<S>[];
  create(config: Static<S>, deps: ConnectorDeps): DestinationConnector;
}

export function defineDestination<S extends TSchema>(def: DestinationDefinition<S>): DestinationDefinition<S> {
  return def;
}
