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
