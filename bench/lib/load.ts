// Load with autocannon (programmatic API): the shape's requests (JSON POSTs to /graphql, or GETs of
// a persisted operation) over loopback, rotating through its variable sets, for a fixed duration. Every response body is checked for a
// GraphQL `errors` member: a 200 with errors counts as an error too.
import autocannon from 'autocannon';
import { requestInit, type BenchRequest } from './shapes.js';

export type LoadResult = {
  rps: number;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** 2xx responses whose body holds `"errors":[` (GraphQL errors). */
  graphqlErrors: number;
  firstErrorBody?: string;
  durationS: number;
  bytesPerResponse: number;
};

export async function runLoad(options: {
  url: string;
  requests: BenchRequest[];
  connections: number;
  durationS: number;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  let graphqlErrors = 0;
  let firstErrorBody: string | undefined;
  const onResponse = (status: number, body: string) => {
    if (status >= 200 && status < 300 && body.includes('"errors":[')) {
      graphqlErrors += 1;
      firstErrorBody ??= body.slice(0, 2000);
    } else if ((status < 200 || status >= 300) && firstErrorBody === undefined) {
      firstErrorBody = `HTTP ${status}: ${body.slice(0, 2000)}`;
    }
  };
  const result = await autocannon({
    url: target.origin,
    connections: options.connections,
    duration: options.durationS,
    // Generous, so an overloaded server (the baseline) shows as slow, not as failing.
    timeout: 30,
    requests: options.requests.map((request) => {
      const { path, init } = requestInit(request);
      return { method: request.method, path, headers: init.headers, body: init.body as string | undefined, onResponse };
    }),
  });
  const completed = (result.latency as { totalCount?: number }).totalCount ?? result.requests.total;
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    graphqlErrors,
    firstErrorBody,
    durationS: result.duration,
    bytesPerResponse: completed ? result.throughput.total / completed : 0,
  };
}
