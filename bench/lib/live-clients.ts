// One client process of `npm run bench:live`: opens its share of the subscribers from its own
// loopback source address and records when each story reached each of them. The parent forks
// several, so no one process holds all the sockets (EMFILE) or parses all the messages.
//
// The graphql-transport-ws protocol is spoken over a plain TCP socket (`raw`, the default) or
// `ws`, never graphql-ws' client: the receipt time is taken before anything else runs on the
// message. The client processes share one core with PostgreSQL, and with `ws` they spent more CPU
// per message than the gateway (about 24 µs: a Readable stream per socket, ws' Receiver, a Buffer
// per read), so the last subscribers of a story read it late: the bench measured the clients.
// The raw client reads each socket into one buffer per process (net's `onread`, no stream),
// parses the WebSocket frames itself (text, ping answered with pong, close), and still parses
// every message as JSON and checks it is the story's `next`.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';

export type ClientsJob = {
  url: string;
  count: number;
  localAddress: string;
  query: string;
  /** Connections opened at once. */
  batch: number;
  client: 'raw' | 'ws';
};

export type ClientsReport = {
  type: 'report';
  connected: number;
  errors: number;
  /** Closed by the server before the end. */
  closed: number;
  firstError?: string;
  /** Receipt times (epoch ms) per story slug, one per subscriber that got it. */
  receipts: Record<string, number[]>;
  /** Each story's event id (from its first message), to line it up with the gateway's trace. */
  eventIds: Record<string, string>;
  /** This process's CPU (user + system, ms) every 50 ms while subscribed: [epoch ms, cpu ms]. */
  cpu: [number, number][];
};

export type ClientsMessage = { type: 'connected'; connected: number; errors: number; firstError?: string } | ClientsReport;

const send = (message: ClientsMessage) => process.send!(message);

let job: ClientsJob | undefined;
const sockets: { terminate(): void }[] = [];
const receipts: Record<string, number[]> = {};
const eventIds: Record<string, string> = {};
const cpu: [number, number][] = [];
let sampler: NodeJS.Timeout | undefined;
let connected = 0;
let errors = 0;
let closed = 0;
let firstError: string | undefined;
let ending = false;

const fail = (message: string) => {
  errors += 1;
  firstError ??= message;
};

/** One message: its receipt time was taken when it was read. */
function received(at: number, text: string, subscribe: () => void, done: () => void) {
  const message = JSON.parse(text) as { type: string; payload?: any };
  if (message.type === 'next') {
    const story = message.payload?.data?.storiesPublished;
    const slug = story?.article?.slug as string | undefined;
    if (slug) {
      const seen = (receipts[slug] ??= []);
      if (!seen.length) eventIds[slug] = story.eventId;
      seen.push(at);
    } else fail(`next without a story: ${text.slice(0, 300)}`);
  } else if (message.type === 'connection_ack') {
    connected += 1;
    subscribe();
    done();
  } else if (message.type === 'error') {
    fail(`subscription error: ${JSON.stringify(message.payload).slice(0, 300)}`);
  }
}

/** Every raw socket of this process reads into this buffer; a partial frame is copied out. */
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A masked client frame (RFC 6455 5.3). */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + length);
  out[0] = 0x80 | opcode;
  if (header === 2) out[1] = 0x80 | length;
  else if (header === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, header);
  for (let i = 0; i < length; i += 1) out[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

function openRaw(j: ClientsJob): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(j.url);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    let upgraded = false;
    let closeFrame = false;
    let pending: Buffer | undefined; // bytes of an incomplete frame or response head
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const sendText = (text: string) => socket.write(frame(0x1, Buffer.from(text)));
    // A random id per subscription, as graphql-ws' own client names them (nothing shared by id).
    const subscribe = () => sendText(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: j.query } }));
    /** Consumes whole frames from data[start, end); returns where the first incomplete one starts. */
    const frames = (at: number, data: Buffer, start: number, end: number): number => {
      let i = start;
      while (end - i >= 2) {
        const opcode = data[i]! & 0x0f;
        if ((data[i]! & 0x80) === 0 || opcode === 0 || data[i + 1]! & 0x80) {
          fail('a fragmented or masked frame from the server');
          socket.destroy();
          return end;
        }
        let length = data[i + 1]! & 0x7f;
        let header = 2;
        if (length === 126) {
          if (end - i < 4) break;
          length = data.readUInt16BE(i + 2);
          header = 4;
        } else if (length === 127) {
          if (end - i < 10) break;
          length = Number(data.readBigUInt64BE(i + 2));
          header = 10;
        }
        if (end - i < header + length) break;
        const from = i + header;
        i = from + length;
        if (opcode === 0x1) received(at, data.toString('utf8', from, i), subscribe, done);
        else if (opcode === 0x9) socket.write(frame(0xa, Buffer.from(data.subarray(from, i))));
        else if (opcode === 0x8) {
          closeFrame = true;
          if (!ending) {
            closed += 1;
            fail(`closed by the server: ${length >= 2 ? data.readUInt16BE(from) : ''} ${data.toString('utf8', from + 2, i)}`);
          }
          socket.destroy();
          done();
          return end;
        }
      }
      return i;
    };
    const onRead = (nread: number, buffer: Uint8Array): boolean => {
      const at = Date.now();
      let data = buffer as Buffer;
      let end = nread;
      if (pending) {
        data = Buffer.concat([pending, data.subarray(0, nread)]);
        end = data.length;
        pending = undefined;
      }
      let start = 0;
      if (!upgraded) {
        const headEnd = data.indexOf('\r\n\r\n', 0, 'latin1');
        if (headEnd < 0 || headEnd >= end) {
          pending = Buffer.from(data.subarray(0, end));
          return true;
        }
        const head = data.toString('latin1', 0, headEnd);
        if (!head.startsWith('HTTP/1.1 101') || /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1] !== accept) {
          fail(`upgrade refused: ${head.split('\r\n')[0]}`);
          socket.destroy();
          done();
          return true;
        }
        upgraded = true;
        start = headEnd + 4;
        sendText('{"type":"connection_init","payload":{}}');
      }
      const rest = frames(at, data, start, end);
      if (rest < end) pending = Buffer.from(data.subarray(rest, end));
      return true;
    };
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      localAddress: j.localAddress,
      noDelay: true,
      onread: { buffer: readBuffer, callback: onRead },
    });
    sockets.push({ terminate: () => socket.destroy() });
    socket.on('connect', () =>
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
      ),
    );
    socket.on('error', (error) => {
      fail(`socket error: ${error.message}`);
      done();
    });
    socket.on('close', () => {
      if (!ending && upgraded && !closeFrame) {
        closed += 1;
        fail('closed by the server without a close frame');
      }
      done();
    });
  });
}

function open(j: ClientsJob): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(j.url, 'graphql-transport-ws', { localAddress: j.localAddress, perMessageDeflate: false });
    sockets.push(socket);
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    socket.on('open', () => socket.send('{"type":"connection_init","payload":{}}'));
    socket.on('message', (data: Buffer) => {
      const at = Date.now();
      received(
        at,
        data.toString('utf8'),
        () => socket.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: j.query } })),
        done,
      );
    });
    socket.on('error', (error) => {
      fail(`socket error: ${error.message}`);
      done();
    });
    socket.on('close', (code, reason) => {
      if (!ending) {
        closed += 1;
        fail(`closed by the server: ${code} ${reason.toString()}`);
      }
      done();
    });
  });
}

process.on('message', async (message: { type: 'start'; job: ClientsJob } | { type: 'finish' }) => {
  if (message.type === 'start') {
    job = message.job;
    for (let i = 0; i < job.count; i += job.batch) {
      const opening: Promise<void>[] = [];
      for (let k = i; k < Math.min(job.count, i + job.batch); k += 1) opening.push(job.client === 'raw' ? openRaw(job) : open(job));
      await Promise.all(opening);
    }
    send({ type: 'connected', connected, errors, firstError });
    const sample = () => {
      const { user, system } = process.cpuUsage();
      cpu.push([Date.now(), (user + system) / 1000]);
    };
    sample();
    sampler = setInterval(sample, 50);
  } else {
    ending = true;
    clearInterval(sampler);
    for (const socket of sockets) socket.terminate();
    // The parent stops this process once it has the report (megabytes of receipt times): exiting
    // here could end the process before the parent has read all of it.
    send({ type: 'report', connected, errors, closed, firstError, receipts, eventIds, cpu });
  }
});
process.on('disconnect', () => process.exit(0));
