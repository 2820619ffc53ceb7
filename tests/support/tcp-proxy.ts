import net from 'node:net';

/**
 * A TCP proxy for tests (node:net) between one client process and one server, e.g. an engine and
 * the shared MongoDB-wire server, that can hold what the client sends: `pause()` keeps every byte
 * from the client in the proxy (the server's answers still flow); `pause(pattern)` holds a connection
 * only from its first chunk containing `pattern` on, so other requests, on pooled connections or new
 * ones with their handshakes, still flow and cannot stand in the way of the one a test waits for;
 * `resume()` forwards what was held, in order, and goes on. Bytes held for a client that has gone meanwhile are still forwarded on
 * resume, as a network would deliver them late. `held(pattern)` resolves once bytes containing
 * `pattern` are being held, so a test knows a request is on its way without sleeping.
 * The shared server itself is never paused: only this proxy's connections are.
 */
export class TcpProxy {
  /** false: forwarding; true: holding every connection; a Buffer: holding each connection from a chunk containing it. */
  private paused: boolean | Buffer = false;
  private readonly links = new Set<Link>();
  private readonly watchers = new Set<{ pattern: Buffer; resolve: () => void }>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards each connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** `url` (a mongodb:// or redis:// URL on one host) with this proxy's address instead of the server's. */
  static targetOf(url: string): { host: string; port: number } {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port) };
  }

  /** `url` pointed at this proxy. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /**
   * From now on, what clients send is held in the proxy: everything, or with `pattern`, each
   * connection from its first chunk containing it.
   */
  pause(pattern?: Buffer): void {
    this.paused = pattern ?? true;
  }

  /** Forwards everything held, in order, and forwards as it comes from now on. */
  resume(): void {
    this.paused = false;
    for (const link of this.links) link.flush();
  }

  /** Resolves when bytes containing `pattern` are held (already, or once they arrive), or rejects after `timeoutMs`. */
  held(pattern: Buffer, timeoutMs = 30_000): Promise<void> {
    if ([...this.links].some((l) => l.holds(pattern))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const watcher = {
        pattern,
        resolve: () => (clearTimeout(timer), this.watchers.delete(watcher), resolve()),
      };
      const timer = setTimeout(
        () => (this.watchers.delete(watcher), reject(new Error(`the proxy held no bytes matching the pattern within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.watchers.add(watcher);
    });
  }

  async close(): Promise<void> {
    for (const link of this.links) link.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    const link = new Link(
      client,
      net.connect(target),
      () => this.paused,
      () => this.checkWatchers(link),
    );
    this.links.add(link);
    link.onDone(() => this.links.delete(link));
  }

  private checkWatchers(link: Link): void {
    for (const w of this.watchers) if (link.holds(w.pattern)) w.resolve();
  }
}

/** One proxied connection: client → upstream may be held; upstream → client always flows. */
class Link {
  private held: Buffer[] = [];
  private clientEnded = false;
  private readonly done: (() => void)[] = [];

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    private readonly paused: () => boolean | Buffer,
    private readonly onHeld: () => void,
  ) {
    client.on('data', (chunk: Buffer) => {
      if (this.held.length === 0 && !Link.holdsChunk(paused(), chunk)) return void upstream.write(chunk);
      this.held.push(chunk);
      onHeld();
    });
    // A client that went away: what it sent still reaches the server (on resume, if held), then EOF.
    client.on('end', () => ((this.clientEnded = true), this.flushIfRunning()));
    client.on('close', () => ((this.clientEnded = true), this.flushIfRunning()));
    upstream.on('data', (chunk: Buffer) => void (client.destroyed ? undefined : client.write(chunk)));
    upstream.on('close', () => (client.destroy(), this.done.forEach((f) => f())));
    for (const s of [client, upstream]) s.on('error', () => undefined);
  }

  private static holdsChunk(paused: boolean | Buffer, chunk: Buffer): boolean {
    return typeof paused === 'boolean' ? paused : chunk.includes(paused);
  }

  holds(pattern: Buffer): boolean {
    return Buffer.concat(this.held).includes(pattern);
  }

  flush(): void {
    if (this.held.length > 0) this.upstream.write(Buffer.concat(this.held.splice(0)));
    if (this.clientEnded) this.upstream.end();
  }

  onDone(f: () => void): void {
    this.done.push(f);
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** On the client's end: forward it now unless this connection is held (all paused, or it holds bytes). */
  private flushIfRunning(): void {
    const paused = this.paused();
    if (paused === false || (paused !== true && this.held.length === 0)) this.flush();
  }
}

/** The bytes of a MongoDB wire `insert` command into `collection` (BSON: the string element `insert`). */
export function mongoInsertCommand(collection: string): Buffer {
  const name = Buffer.from(`${collection}\0`, 'utf8');
  const length = Buffer.alloc(4);
  length.writeInt32LE(name.length);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from('insert\0', 'utf8'), length, name]);
}
