import net from 'node:net';
import type { Logger } from '../../engine/log.ts';

/**
 * What one MLLP listener may hold at once (issue 20, finding 5). Each is a per-channel source
 * setting (MllpSourceConfig in mllp.source.ts) whose default comes from the engine's environment
 * (engine/config/config.ts: MLLP_MAX_CONNECTIONS, MLLP_MAX_CONNECTIONS_PER_ADDRESS,
 * MLLP_MAX_BUFFERED_BYTES, MLLP_FRAME_TIMEOUT_MS).
 */
export interface MllpListenerLimits {
  /** Open connections (TLS handshakes under way included); one more is closed at once. Default 1,000. */
  maxConnections: number;
  /** Open connections from one remote address; one more from it is closed at once. Default 100. */
  maxConnectionsPerAddress: number;
  /**
   * Bytes held for all connections together: unfinished frames and complete frames waiting for
   * intake. The connection whose read would take the total past it is closed, unanswered (what it
   * sent was not acknowledged, so the sender sends it again). Default 256 MiB.
   */
  maxBufferedBytes: number;
  /**
   * Time from a frame's start block to its end block; past it the connection is closed unanswered.
   * Shorter than the idle timeout, which applies between frames. Default 30 s.
   */
  frameTimeoutMs: number;
}

/** How a remote address is named in the log: its kind, never the address itself. */
export const AddressClass = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  public: 'public',
  unknown: 'unknown',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

const privateRanges = new net.BlockList();
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4');
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4');
privateRanges.addSubnet('100.64.0.0', 10, 'ipv4');
privateRanges.addSubnet('fc00::', 7, 'ipv6');
const loopbackRanges = new net.BlockList();
loopbackRanges.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackRanges.addAddress('::1', 'ipv6');
const linkLocalRanges = new net.BlockList();
linkLocalRanges.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocalRanges.addSubnet('fe80::', 10, 'ipv6');

/** The class of a remote address (`::ffff:` IPv4-mapped addresses as IPv4). */
export function addressClass(address: string | undefined): AddressClass {
  if (!address) return AddressClass.unknown;
  const v4 = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : undefined;
  const [ip, family] = v4 ? [v4, 'ipv4' as const] : [address, net.isIPv6(address) ? ('ipv6' as const) : ('ipv4' as const)];
  if (!net.isIP(ip)) return AddressClass.unknown;
  if (loopbackRanges.check(ip, family)) return AddressClass.loopback;
  if (linkLocalRanges.check(ip, family)) return AddressClass.linkLocal;
  return privateRanges.check(ip, family) ? AddressClass.private : AddressClass.public;
}

/**
 * Counts one listener's connections and buffered bytes. The listener calls `admit` for every raw
 * TCP connection as it is accepted (before TLS), and `hold` whenever what a connection holds
 * changes. A refusal is logged once while the listener (or the address) stays at its cap, with
 * counts and the address class, so a flood of connections does not flood the log.
 */
export class ConnectionLimits {
  private open = 0;
  private readonly perAddress = new Map<string, number>();
  private buffered = 0;
  private warnedFull = false;
  private readonly warnedAddresses = new Set<string>();
  private warnedBuffer = false;

  constructor(
    private readonly limits: MllpListenerLimits,
    private readonly log: Logger,
    private readonly channelId: string,
  ) {}

  /** Counts `socket` until it closes; destroys it and answers false when a cap is reached. */
  admit(socket: net.Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    const remoteAddressClass = addressClass(socket.remoteAddress);
    if (this.open >= this.limits.maxConnections) {
      if (!this.warnedFull)
        this.log.warn('MLLP listener at its connection cap; new connections closed', {
          channelId: this.channelId,
          maxConnections: this.limits.maxConnections,
          remoteAddressClass,
        });
      this.warnedFull = true;
      socket.destroy();
      return false;
    }
    if (fromAddress >= this.limits.maxConnectionsPerAddress) {
      if (!this.warnedAddresses.has(address))
        this.log.warn('MLLP address at its connection cap; new connections from it closed', {
          channelId: this.channelId,
          maxConnectionsPerAddress: this.limits.maxConnectionsPerAddress,
          remoteAddressClass,
        });
      this.warnedAddresses.add(address);
      socket.destroy();
      return false;
    }
    this.open++;
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => this.release(address));
    return true;
  }

  private release(address: string): void {
    this.open--;
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(address, left);
    else this.perAddress.delete(address);
    if (this.open < this.limits.maxConnections) this.warnedFull = false;
    if (left < this.limits.maxConnectionsPerAddress) this.warnedAddresses.delete(address);
  }

  /**
   * Moves a connection's share of the buffer budget from `before` to `after` bytes. Answers false,
   * leaving the share at `before`, when `after` would take the listener past maxBufferedBytes: the
   * caller then closes the connection and returns its share with `hold(before, 0)`.
   */
  hold(before: number, after: number): boolean {
    if (after > before && this.buffered - before + after > this.limits.maxBufferedBytes) {
      if (!this.warnedBuffer)
        this.log.warn('MLLP listener at its buffered-bytes cap; the connection that would pass it is closed', {
          channelId: this.channelId,
          maxBufferedBytes: this.limits.maxBufferedBytes,
          bufferedBytes: this.buffered,
        });
      this.warnedBuffer = true;
      return false;
    }
    this.buffered += after - before;
    if (this.buffered <= this.limits.maxBufferedBytes / 2) this.warnedBuffer = false;
    return true;
  }
}
