// A TCP proxy to a local server (PostgreSQL, Redis) that a test can cut, stall or freeze and then
// restore: the faults a gateway meets when its database dies, its network drops, or its process
// stops answering.
import net, { type AddressInfo } from 'node:net';

type Held = { to: net.Socket; chunk: Buffer | 'end' };

export class TcpProxy {
  private server = net.createServer((client) => this.accept(client));
  private sockets = new Set<net.Socket>();
  private mode: 'pass' | 'stall' | 'freeze' = 'pass';
  /** Bytes (and closes) that arrived while frozen, in order; delivered on restore. */
  private held: Held[] = [];
  /** Freeze the moment a client sends bytes matching this (e.g. one statement of a transaction). */
  private freezeOn: RegExp | undefined;
  port = 0;
  constructor(private readonly target: number) {}

  async start() {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  private track(socket: net.Socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
  private accept(client: net.Socket) {
    this.track(client);
    if (this.mode === 'stall') return; // accepted, never answered: a partition, not a refusal
    const upstream = net.connect(this.target, '127.0.0.1');
    this.track(upstream);
    this.forward(client, upstream, true);
    this.forward(upstream, client, false);
  }
  /** Copies `from` to `to`; while frozen, holds what arrives (a close included) instead. */
  private forward(from: net.Socket, to: net.Socket, fromClient: boolean) {
    from.on('data', (chunk: Buffer) => {
      if (fromClient && this.freezeOn?.test(chunk.toString('latin1'))) {
        this.freezeOn = undefined;
        this.mode = 'freeze';
      }
      if (this.mode === 'freeze') this.held.push({ to, chunk });
      else to.write(chunk);
    });
    from.on('close', () => {
      if (this.mode === 'freeze') this.held.push({ to, chunk: 'end' });
      else to.destroy();
    });
  }
  private dropAll() {
    for (const socket of this.sockets) socket.destroy();
  }
  /** The server is gone: open connections die, new ones are refused. */
  async cut() {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.dropAll();
    });
  }
  /** The network is gone: open connections die, new ones hang. */
  stall() {
    this.mode = 'stall';
    this.dropAll();
  }
  /**
   * The server stops answering (SIGSTOP) or its packets stop arriving: connections stay open and
   * new ones are accepted, but nothing is passed on in either direction until restore().
   */
  freeze() {
    this.mode = 'freeze';
  }
  /** Freezes as the first client bytes matching `pattern` arrive; they are held, not delivered. */
  freezeWhen(pattern: RegExp) {
    this.freezeOn = pattern;
  }
  /** Service again: after a freeze, what was held is delivered first, as a resumed server would read it. */
  async restore() {
    const wasFrozen = this.mode === 'freeze';
    this.mode = 'pass';
    this.freezeOn = undefined;
    if (wasFrozen) {
      for (const { to, chunk } of this.held.splice(0)) {
        if (chunk === 'end') to.end();
        else if (!to.destroyed) to.write(chunk);
      }
    } else {
      this.dropAll(); // stalled connections
    }
    if (!this.server.listening) await this.start();
  }
  async close() {
    this.held = [];
    this.dropAll();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
