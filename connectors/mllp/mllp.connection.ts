import type net from 'node:net';
import { MllpFramer, frame, type FramerEvent } from './mllp.framer.ts';
import { buildAck, decodeBytes, encodeText, readHeader, type Hl7Header } from '../../hl7v2/index.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import type { Intake, IntakeResult, SourceTracing } from '../../engine/connector.ts';
import type { Logger } from '../../engine/log.ts';
import { ErrorCatalog } from '../../engine/errors.ts';
import { engineMetrics } from '../../engine/metrics/engine-metrics.ts';
import { addressClass, type ConnectionLimits } from './mllp.connection-limits.ts';

export interface MllpConnectionContext {
  channel: ChannelDefinition;
  intake: Intake;
  /** Opens each frame's trace, from its arrival to its ACK. */
  tracing: SourceTracing;
  /** Charset of a message whose MSH-18 is empty. */
  defaultCharset: string;
  log: Logger;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  frameTimeoutMs: number;
  /** The listener's shared counters (the buffer budget). */
  limits: ConnectionLimits;
  /** Registers an answer in flight, so the listener's close can wait for it. */
  track(work: Promise<void>): void;
}

/** Frames waiting on one connection before the socket is paused (back-pressure on a sender that pipelines). */
const MAX_PENDING_FRAMES = 32;

/**
 * One accepted MLLP connection. Frames are handed to intake one at a time and answered in order;
 * an answer is written only after intake has decided it (AA only after the durable store write).
 * The connection is closed:
 * - after an AR, when a frame grows past `maxFrameBytes`;
 * - unanswered, at the first non-blank byte outside a frame (blank CR, LF, space, tab between
 *   frames are allowed): not MLLP, such as an HTTP request a web page made a browser send, whose
 *   framed body must never be taken as HL7. One warning names the kind (HTTP or not), the byte
 *   count and the address class, never content;
 * - unanswered, when a frame is not complete `frameTimeoutMs` after its start block (a slow or
 *   stalled sender holding memory), or when its bytes would take the listener past its buffer cap;
 * - when idle for `idleTimeoutMs` with no frame under way and no answer owed.
 */
export class MllpConnection {
  private readonly framer: MllpFramer;
  /** Frames waiting for intake, each with the time it was received (performance.now(), for the ACK latency). */
  private readonly pending: { bytes: Buffer; at: number }[] = [];
  private pendingBytes = 0;
  private held = 0;
  /** An answer is owed: intake has a frame of this connection (the idle timer must not close it). */
  private busy = false;
  private drained: Promise<void> = Promise.resolve();
  private frameTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: MllpConnectionContext,
  ) {
    this.framer = new MllpFramer(ctx.maxFrameBytes);
    socket.setNoDelay(true);
    socket.setTimeout(ctx.idleTimeoutMs);
    // A listener for every timeout (setTimeout's own callback is called once): not idle while an
    // answer is owed (intake waiting on the store); the ACK's write starts the idle time again.
    socket.on('timeout', () => {
      if (this.busy) return;
      ctx.log.info('MLLP connection idle; closing', { channelId: ctx.channel.id });
      socket.end();
    });
    socket.on('close', () => (this.clearFrameTimer(), this.hold(0)));
    socket.on('error', (err) => ctx.log.debug('MLLP socket error', { channelId: ctx.channel.id, error: err.name }));
    socket.on('data', (data: Buffer) => this.onData(data));
  }

  private onData(data: Buffer): void {
    for (const event of this.framer.push(data)) {
      if (!this.onEvent(event)) return;
    }
    if (!this.hold(this.pendingBytes + this.framer.bufferedBytes)) return this.drop();
    this.watchFrame();
    if (this.pending.length >= MAX_PENDING_FRAMES) this.socket.pause();
    if (!this.busy && this.pending.length > 0) this.startDrain();
  }

  /** Handles one framer event; false when the connection is being closed and the rest must be ignored. */
  private onEvent(event: FramerEvent): boolean {
    const { channel, log } = this.ctx;
    switch (event.kind) {
      case 'frame':
        this.clearFrameTimer();
        this.pending.push({ bytes: event.bytes, at: performance.now() });
        this.pendingBytes += event.bytes.length;
        return true;
      case 'too-large':
        this.refuseTooLarge(event.head);
        return false;
      case 'junk':
        log.warn(
          event.http
            ? 'HTTP request on an MLLP port; connection closed unanswered'
            : 'bytes outside an MLLP frame; connection closed unanswered',
          { channelId: channel.id, bytes: event.bytes, remoteAddressClass: addressClass(this.socket.remoteAddress) },
        );
        this.drop();
        return false;
      default:
        return event satisfies never;
    }
  }

  /** Answers what came before in order, then refuses the oversized frame with an AR and hangs up. */
  private refuseTooLarge(head: Buffer): void {
    this.clearFrameTimer();
    this.dropPending();
    this.socket.pause();
    this.ctx.track(
      (async () => {
        await this.drained;
        this.socket.write(frame(tooLargeAck(head, this.ctx.maxFrameBytes)));
        this.socket.end();
      })(),
    );
  }

  /** Closes at once; frames not yet handed to intake are dropped unanswered (the sender resends). */
  private drop(): void {
    this.dropPending();
    this.socket.destroy();
  }

  private dropPending(): void {
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.hold(0);
  }

  /** Moves this connection's share of the listener's buffer budget; false when over the cap. */
  private hold(bytes: number): boolean {
    if (!this.ctx.limits.hold(this.held, bytes)) return false;
    this.held = bytes;
    return true;
  }

  /** Starts the frame deadline when a frame is under way and none runs (a completed frame cleared it). */
  private watchFrame(): void {
    if (!this.framer.inFrame || this.frameTimer) return;
    this.frameTimer = setTimeout(() => this.frameExpired(), this.ctx.frameTimeoutMs);
    this.frameTimer.unref();
  }

  private frameExpired(): void {
    this.frameTimer = undefined;
    // Reading is paused by our own back-pressure: the sender is not the slow one.
    if (this.socket.isPaused() && !this.socket.destroyed) return this.watchFrame();
    this.ctx.log.warn('MLLP frame not completed in time; connection closed unanswered', {
      channelId: this.ctx.channel.id,
      frameTimeoutMs: this.ctx.frameTimeoutMs,
      bufferedBytes: this.framer.bufferedBytes,
    });
    this.drop();
  }

  private clearFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private failed(err: unknown): void {
    // Intake answers every outcome; reaching here is a bug. No ACK: the sender will resend.
    this.ctx.log.error('intake failed unexpectedly; closing the connection', {
      channelId: this.ctx.channel.id,
      error: (err as Error).name,
    });
    this.drop();
  }

  /** Starts answering pending frames (drain); `drained` settles when they are answered. */
  private startDrain(): void {
    this.busy = true;
    this.drained = this.drain();
    this.ctx.track(this.drained);
  }

  /** Answers pending frames in order, each once intake has decided it; never rejects. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.socket.destroyed) {
        const { bytes, at } = this.pending.shift()!;
        this.pendingBytes -= bytes.length;
        this.hold(this.pendingBytes + this.framer.bufferedBytes);
        if (this.socket.isPaused() && this.pending.length < MAX_PENDING_FRAMES / 2) this.socket.resume();
        const { channel, defaultCharset } = this.ctx;
        const trace = this.ctx.tracing.receive({ kind: 'mllp', channelId: channel.id, startTime: at });
        const result = await this.ctx.intake.hl7(channel, bytes, { defaultCharset, trace });
        this.write(result, at);
        trace.end({ ackCode: result.code });
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.busy = false;
    }
  }

  /** Writes an ACK, and counts the time since its frame was received (`at`) by channel and ACK code. */
  private write(result: IntakeResult, at: number): void {
    if (this.socket.destroyed) return;
    this.socket.write(frame(result.ack));
    engineMetrics.ackLatency.observe([this.ctx.channel.id, result.code], (performance.now() - at) / 1000);
  }
}

/** AR for an oversized frame, answering the message's own control id when its header can be read. */
function tooLargeAck(head: Buffer, maxFrameBytes: number): Uint8Array {
  const { text, charset } = decodeBytes(head);
  let header: Hl7Header | undefined;
  try {
    header = readHeader(text);
  } catch {
    header = undefined;
  }
  const reason = `${ErrorCatalog.MLLP_FRAME_TOO_LARGE.text} (${maxFrameBytes} bytes)`;
  const ack = buildAck({
    ...(header ? { header } : {}),
    code: 'AR',
    controlId: `F${Date.now().toString(36).toUpperCase()}`,
    text: reason,
    hl7ErrorCode: ErrorCatalog.MLLP_FRAME_TOO_LARGE.hl7ErrorCode,
  });
  return encodeText(ack, charset);
}
