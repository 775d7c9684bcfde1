// `npx tsx bench/live-writes.ts [--sockets 3000] [--rounds 20]`: the gateway's CPU per write for
// the keep-alive ping and a fan-out's `next` frame, each done two ways on the same sockets,
// alternating round by round (user and system µs per socket from process.cpuUsage):
//   ping: ws' `socket.ping()` (a frame built per socket, written through cork and writev) against
//         the two bytes of an empty ping frame written straight to the TCP socket (ws.ts);
//   frame: a `next` frame per socket assembled with Buffer#copy against TypedArray#set
//          (shared-subscriptions.ts `nextFrame`; with random subscription ids every delivery builds one).
// The sockets' other ends are in a child process that reads and discards (one buffer, net's onread),
// so the server process pays its own side only (on loopback that includes the receiving TCP).
import { fork } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';

const { values } = parseArgs({
  options: { sockets: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '20' }, child: { type: 'string' } },
});

if (values.child) {
  // The far ends: connect, upgrade, then read and discard everything.
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const count = Number(values.sockets);
  let open = 0;
  for (let i = 0; i < count; i += 1) {
    const socket = net.connect({ port: Number(values.child), host: '127.0.0.1', onread: { buffer, callback: () => true } });
    socket.on('connect', () => {
      socket.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      if (++open === count) setTimeout(() => process.send!('open'), 500);
    });
  }
} else {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  const count = Number(values.sockets);
  const child = fork(
    new URL(import.meta.url).pathname,
    ['--child', String((wss.address() as AddressInfo).port), '--sockets', String(count)],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  await new Promise((resolve) => child.once('message', resolve));
  while (wss.clients.size < count) await new Promise((resolve) => setTimeout(resolve, 50));
  const sockets = [...wss.clients] as WebSocket[];
  const raws = sockets.map((s) => (s as unknown as { _socket: net.Socket })._socket);
  const PING = Buffer.from([0x89, 0x00]);
  const head = Buffer.from('{"id":"0b6c1f0e-5b7e-4c55-9a59-1d1f3c0de7a1","type":"next","payload":');
  const tail = Buffer.from(
    `${JSON.stringify({ data: { storiesPublished: { eventId: '123', article: { slug: 'x'.repeat(40), headline: 'y'.repeat(80), publishedAt: new Date().toISOString(), section: { name: 'World' } } } } })}}`,
  );
  const build = (useSet: boolean) => {
    const length = head.length + tail.length;
    const frame = Buffer.allocUnsafe(4 + length);
    frame[0] = 0x81;
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
    if (useSet) {
      frame.set(head, 4);
      frame.set(tail, 4 + head.length);
    } else {
      head.copy(frame, 4);
      tail.copy(frame, 4 + head.length);
    }
    return frame;
  };
  const ways: Record<string, () => void> = {
    'ping: ws socket.ping()': () => {
      for (const s of sockets) s.ping();
    },
    'ping: raw 2-byte frame': () => {
      for (const r of raws) r.write(PING);
    },
    'frame: Buffer#copy, written': () => {
      for (const r of raws) r.write(build(false));
    },
    'frame: TypedArray#set, written': () => {
      for (const r of raws) r.write(build(true));
    },
  };
  const totals = new Map<string, { user: number; system: number; n: number }>();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const [name, run] of Object.entries(ways)) {
      await settle();
      const before = process.cpuUsage();
      run();
      const used = process.cpuUsage(before);
      const t = totals.get(name) ?? { user: 0, system: 0, n: 0 };
      if (round > 1)
        totals.set(name, { user: t.user + used.user, system: t.system + used.system, n: t.n + sockets.length }); // 2 warm-up rounds
      else totals.set(name, t);
    }
  }
  // Only the build, no socket: what the copy itself costs.
  for (const useSet of [false, true]) {
    const before = process.cpuUsage();
    for (let i = 0; i < 1_000_000; i += 1) build(useSet);
    const used = process.cpuUsage(before);
    console.log(
      `build only, ${useSet ? 'TypedArray#set' : 'Buffer#copy'}: ${((used.user + used.system) / 1_000_000).toFixed(3)} µs per frame`,
    );
  }
  for (const [name, t] of totals)
    console.log(`${name}: user ${(t.user / t.n).toFixed(2)} µs, system ${(t.system / t.n).toFixed(2)} µs per socket (${t.n} writes)`);
  child.kill();
  for (const s of sockets) s.terminate();
  wss.close();
}
