import type { TSchema, Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import type { FhirReceipt, TransactionReceipt } from './intake/fhir-intake.ts';
import type { IntakeResult } from './intake/hl7-answers.ts';
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
  /**
   * W3C Trace Context headers (`traceparent`, and `tracestate` when there is one) of this send's
   * span: an HTTP destination adds them to its request, so the peer's own trace joins the message's.
   * Empty or absent when tracing is off.
   */
  traceHeaders?: Readonly<Record<string, string>>;
  /** Tells this send's span the peer's HTTP status (an attribute of the span, nothing else); HTTP destinations call it once answered. */
  traceStatus?(status: number): void;
}

export interface DeliveryResult {
  /** A short, PHI-free summary of the peer's answer, e.g. `201 doc=JE-000123`. */
  responseSummary: string;
  /** The peer's own id for what it created, when it says. */
  peerDocumentId?: string;
  /**
   * The peer's answer as data (a JSON object), for flow steps: its fields become the step's
   * `outputs`, read by later steps. It may carry PHI (a looked-up patient, an encounter): the engine
   * stores it like message content (sealed, under the data policy) and never logs it. Absent when the
   * peer's answer holds no data a step can use.
   */
  output?: Record<string, unknown>;
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
 * `<QUEUE_PREFIX>:destination:{<channelId>.<destinationId>}:<name>`. Redis is not the store: its keys may be
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

/** The answers intake gives sources, named here so that sources import the contract alone. */
export type { FhirReceipt, IntakeResult, TransactionReceipt };

/**
 * Where a source hands what it received: intake (engine/intake/: hl7-intake.ts, fhir-intake.ts). Each
 * method stores durably before it resolves with an answer to give the sender, and never throws for
 * bad input: every outcome is an answer (an ACK, a receipt). Sources depend on this, not on the
 * intake classes.
 */
export interface Intake {
  /**
   * One HL7v2 frame (a message or a batch) and its ACK, encoded in the message's charset.
   * `defaultCharset` applies when MSH-18 is empty (default UNICODE UTF-8). `trace`: the frame's
   * span (SourceTracing.receive), parent of each message's intake span. Synchronous only in the
   * ACK-only benchmark mode (nothing stored).
   */
  hl7(
    channel: ChannelDefinition,
    bytes: Uint8Array,
    opts?: { defaultCharset?: string; trace?: ReceiptTrace },
  ): IntakeResult | Promise<IntakeResult>;
  /** One FHIR resource, already validated by the source. `dedupeId` makes a retry return the first outcome. */
  fhir(
    channel: ChannelDefinition,
    resource: Record<string, unknown>,
    opts: { dedupeId?: string; client: string; trace?: ReceiptTrace },
  ): Promise<FhirReceipt>;
  /** The entries of a FHIR transaction Bundle, all or nothing (see FhirIntake.submitTransaction). */
  fhirTransaction(
    channel: ChannelDefinition,
    entries: readonly { index: number; resource: Record<string, unknown> }[],
    opts: { key: string; contentHash: string; client: string; trace?: ReceiptTrace },
  ): Promise<TransactionReceipt>;
}

/**
 * The root span of one unit a source received (an MLLP frame, a FHIR request), made by
 * SourceTracing.receive and handed to intake, whose spans are its children. The source ends it
 * once it has answered. It holds ids and codes only.
 */
export interface ReceiptTrace {
  /** Ends the span with the answer given: an HL7 ACK code, or an HTTP status. Later calls do nothing. */
  end(answer: { ackCode?: string; httpStatus?: number }): void;
}

/**
 * How sources open traces (the engine's OpenTelemetry set-up, engine/ops/tracing/): one trace per
 * received unit. While tracing is off every handle is a shared no-op.
 */
export interface SourceTracing {
  /**
   * Opens the root span of a unit received on `channelId`: `mllp` (a frame) or `fhir` (a request).
   * `startTime`: when it arrived (performance.now()), if before now. `headers`: the W3C Trace Context
   * headers the sender sent, whose trace the span continues (FHIR clients); invalid ones are ignored.
   */
  receive(o: {
    kind: 'mllp' | 'fhir';
    channelId: string;
    startTime?: number;
    headers?: { traceparent?: unknown; tracestate?: unknown };
  }): ReceiptTrace;
}

/** What a running source reports once it takes messages. */
export interface SourceStarted {
  /** The TCP port it listens on, when it has a listener of its own (MLLP); none for HTTP-served sources. */
  port?: number;
  /** The path it is served at on the engine's HTTP server (FHIR: `/fhir/<channelId>`). */
  httpPath?: string;
}

/**
 * One channel's source, made by its kind's `create`. The channel runtime calls `start` once,
 * `pause`/`resume` when an operator pauses the channel (senders are told to come back: the listener
 * closes, or HTTP answers 503), and `close` on undeploy or shutdown. `pause` and `close` finish
 * answers in flight within `graceMs`; `close` returns one promise for every caller.
 */
export interface SourceConnector {
  /** Takes messages from now on. CONFIG_INVALID when its settings cannot be used (unreadable TLS files). */
  start(): Promise<SourceStarted>;
  pause(graceMs: number): Promise<void>;
  resume(): Promise<SourceStarted>;
  close(graceMs: number): Promise<void>;
}

/** What every channel source of a kind shares in one engine process. */
export interface SourceDeps {
  intake: Intake;
  log: Logger;
  /** The engine's settings: defaults some sources take from the environment (MLLP_MAX_CONNECTIONS…). */
  config: EngineConfig;
  /** The deployment's Redis, for state shared by its processes (SMART access tokens); never PHI. */
  redis: Redis;
  /** The engine's HTTP server, not yet listening: routes of HTTP-served sources are registered on it. */
  http: FastifyInstance;
  /** Opens the trace of each unit received (SourceTracing); no-ops while tracing is off. */
  tracing: SourceTracing;
}

/** A source kind started in one engine process: makes its channels' sources; closed at engine shutdown, after HTTP. */
export interface SourceKind<C = Record<string, unknown>> {
  create(channel: ChannelDefinition, config: C): SourceConnector;
  close(): Promise<void>;
}

/**
 * A source's declaration, like a destination's: its settings (the channel's `source` object less
 * `kind`) as a TypeBox schema with defaults, the secret fields (dotted paths; a path naming an array
 * covers each element), examples, and `start`, called once per engine process that runs sources,
 * before its channels deploy (routes shared by every channel of the kind are registered there).
 */
export interface SourceDefinition<S extends TSchema = TSchema> {
  kind: string;
  title: string;
  config: S;
  secrets: readonly string[];
  examples: readonly Static<S>[];
  start(deps: SourceDeps): Promise<SourceKind<Static<S>>>;
}

export function defineSource<S extends TSchema>(def: SourceDefinition<S>): SourceDefinition<S> {
  return def;
}

/**
 * The connectors an engine can run: one explicit list, handed to the engine by the wiring file
 * (wiring.ts), so the engine never imports connectors/. Docs and console forms come from it.
 */
export class ConnectorRegistry {
  constructor(
    readonly sources: readonly SourceDefinition[],
    readonly destinations: readonly DestinationDefinition[],
  ) {}

  source(kind: string): SourceDefinition | undefined {
    return this.sources.find((s) => s.kind === kind);
  }

  destination(kind: string): DestinationDefinition | undefined {
    return this.destinations.find((d) => d.kind === kind);
  }
}
