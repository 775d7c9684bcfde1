// What one client may hold of the gateway, whichever door it comes through: the size of an
// operation's variables (HTTP POST and GET, persisted operations, each graphql-ws `subscribe`),
// open WebSockets and SSE streams per client, and how long a request may take to arrive. A list
// written in the document is held to the same length as one in the variables. The document
// itself is limited by graphql-armor (http-policy.ts); a body by MAX_BODY_BYTES, which also
// bounds each WebSocket message (ws closes the socket with 1009 past it).
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { GraphQLError, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

export type ResourceConfig = Config['resources'];

/** The client a connection counts against: its address (the front door's `addressOf`, which applies TRUST_PROXY). */
export type ClientOf = (req: IncomingMessage) => string | undefined;

const peerAddress: ClientOf = (req) => req.socket?.remoteAddress;

export type ResourceLimits = {
  /** The error (without HTTP status) to answer an operation's variables with, or undefined when they are within the limits. */
  checkVariables(variables: unknown): GraphQLError | undefined;
  /**
   * Yoga's plugin: variables on HTTP (POST, GET, persisted operations), the SSE stream cap, and
   * `Connection: close` on any response sent before its request's body was read in full.
   */
  plugin: Plugin;
  /** A WebSocket upgrade within the client's cap takes a place, held until its TCP socket closes. */
  admitWebSocket(req: IncomingMessage): boolean;
  /** Options for node's HTTP server: header and request deadlines. */
  serverOptions: ServerOptions;
};

export function resourceLimits(config: ResourceConfig, clientOf: ClientOf = peerAddress): ResourceLimits {
  const sockets = new OpenCounts(config.websocketsPerClient);
  const streams = new OpenCounts(config.sseStreamsPerClient);

  const checkVariables = (variables: unknown) => variablesError(variables, config);

  const plugin: Plugin = {
    onRequest({ request, serverContext, endResponse, fetchAPI }) {
      if (!request.headers.get('accept')?.includes('text/event-stream')) return;
      const { req, res } = serverContext as { req?: IncomingMessage; res?: ServerResponse };
      if (!req || !res) return; // in-process (yoga.fetch): no client to count
      if (streams.open(clientOf(req), res)) return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [tooManyConnections('SSE streams', config.sseStreamsPerClient)] }), {
          status: 429,
          // A place frees when one of the client's streams ends: there is no time to name, so a short back-off.
          headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(SSE_RETRY_AFTER_S) },
        }),
      );
    },
    onValidate({ addValidationRule }) {
      addValidationRule(listLiteralLimit(config.maxVariableListLength));
    },
    onParams({ params }) {
      const error = checkVariables(params.variables);
      if (!error) return;
      const status = error.extensions.limit === 'bytes' ? 413 : 400;
      throw createGraphQLError(error.message, { extensions: { ...error.extensions, http: { status } } });
    },
    onResponse({ serverContext, response }) {
      // The rest of the body would be read as the next request (or stall it): close instead.
      // (`complete` alone is not enough: an answer given at once may precede it even without a body.)
      const req = (serverContext as { req?: IncomingMessage }).req;
      if (req && !req.complete && hasBody(req)) response.headers.set('connection', 'close');
    },
  };

  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = Math.min(config.headersTimeoutMs, requestTimeout);
  return {
    checkVariables,
    plugin,
    admitWebSocket: (req) => sockets.open(clientOf(req), req.socket),
    serverOptions: {
      headersTimeout,
      requestTimeout,
      // Node looks for requests past their deadline this often (its default, 30 s, would add to them).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)),
    },
  };
}

function hasBody(req: IncomingMessage): boolean {
  const { headers } = req;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** Open things per client, each released when its `closes` emits 'close'. A cap of 0 counts nothing. */
class OpenCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly cap: number) {}

  open(client: string | undefined, closes: { once(event: 'close', listener: () => void): unknown }): boolean {
    if (this.cap === 0 || client === undefined) return true;
    const count = this.counts.get(client) ?? 0;
    if (count >= this.cap) return false;
    this.counts.set(client, count + 1);
    closes.once('close', () => {
      const left = (this.counts.get(client) ?? 1) - 1;
      if (left > 0) this.counts.set(client, left);
      else this.counts.delete(client);
    });
    return true;
  }
}

/** Seconds a client refused for too many SSE streams is asked to wait (Retry-After). */
const SSE_RETRY_AFTER_S = 5;

function tooManyConnections(what: string, cap: number) {
  return {
    message: `Too many open ${what}: at most ${cap} per client. Close one before opening another.`,
    extensions: { code: 'TOO_MANY_CONNECTIONS', limit: cap },
  };
}

/** The body of a WebSocket upgrade refused because its client holds WEBSOCKETS_PER_CLIENT already. */
export function tooManyWebSocketsMessage(cap: number) {
  return tooManyConnections('WebSockets', cap).message;
}

/** A list written in the document holds no more items than one in the variables may. */
function listLiteralLimit(max: number): ValidationRule {
  return (context) => ({
    ListValue(node) {
      if (node.values.length <= max) return;
      context.reportError(
        new GraphQLError(`A list of ${node.values.length} items; at most ${max} are allowed in one list.`, {
          nodes: node,
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'listLength', max },
        }),
      );
    },
  });
}

/**
 * Walks the variables once, without recursion, stopping at the first limit passed. Bytes are
 * counted as JSON would spell them (strings by their characters), close enough to bound memory
 * without serializing. The depth bound keeps everything after it (the cache key's stable
 * stringify, coercion) from recursing thousands of levels deep: `[[[[…` fits in a few bytes each.
 */
function variablesError(
  variables: unknown,
  { maxVariablesBytes: maxBytes, maxVariableListLength: maxListLength, maxVariablesDepth: maxDepth }: ResourceConfig,
): GraphQLError | undefined {
  if (variables == null || typeof variables !== 'object') return undefined;
  let bytes = 0;
  const stack: { value: unknown; name: string; depth: number }[] = [{ value: variables, name: '', depth: 0 }];
  while (stack.length) {
    const { value, name, depth } = stack.pop()!;
    if (typeof value === 'string') bytes += value.length + 2;
    else if (value === null || typeof value !== 'object') bytes += String(value).length;
    else if (depth >= maxDepth) {
      return new GraphQLError(`The variables nest lists and objects more than ${maxDepth} levels deep.`, {
        extensions: { code: 'VARIABLES_TOO_LARGE', limit: 'depth', max: maxDepth },
      });
    } else if (Array.isArray(value)) {
      if (value.length > maxListLength) {
        return new GraphQLError(
          `Variable "$${name}" holds a list of ${value.length} items; at most ${maxListLength} are allowed in one list.`,
          { extensions: { code: 'VARIABLES_TOO_LARGE', limit: 'listLength', max: maxListLength } },
        );
      }
      bytes += value.length + 2;
      for (const item of value) stack.push({ value: item, name, depth: depth + 1 });
    } else {
      for (const [key, item] of Object.entries(value)) {
        bytes += key.length + 4;
        stack.push({ value: item, name: name || key, depth: depth + 1 });
      }
    }
    if (bytes > maxBytes) {
      return new GraphQLError(`The variables exceed ${maxBytes} bytes.`, {
        extensions: { code: 'VARIABLES_TOO_LARGE', limit: 'bytes', max: maxBytes },
      });
    }
  }
  return undefined;
}
