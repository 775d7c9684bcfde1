// One client process of `npm run bench:live`: opens its share of the subscribers from its own
// loopback source address and records when each story reached each of them. The parent forks
// several, so no one process holds all the sockets (EMFILE) or parses all the messages.
//
// The graphql-transport-ws protocol is spoken over plain `ws` rather than graphql-ws' client:
// the receipt time is taken before anything else runs on the message, and the client's own
// per-message work (one JSON.parse) stays far below the gateway's, so it does not show in the
// latency measured.
import WebSocket from 'ws';

export type ClientsJob = {
  url: string;
  count: number;
  localAddress: string;
  query: string;
  /** Connections opened at once. */
  batch: number;
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
const sockets: WebSocket[] = [];
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
      const message = JSON.parse(data.toString('utf8')) as { type: string; payload?: any };
      if (message.type === 'next') {
        const story = message.payload?.data?.storiesPublished;
        const slug = story?.article?.slug as string | undefined;
        if (slug) {
          const seen = (receipts[slug] ??= []);
          if (!seen.length) eventIds[slug] = story.eventId;
          seen.push(at);
        } else fail(`next without a story: ${data.toString('utf8').slice(0, 300)}`);
      } else if (message.type === 'connection_ack') {
        connected += 1;
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: j.query } }));
        done();
      } else if (message.type === 'error') {
        fail(`subscription error: ${JSON.stringify(message.payload).slice(0, 300)}`);
      }
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
      for (let k = i; k < Math.min(job.count, i + job.batch); k += 1) opening.push(open(job));
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
