// What the HTTP endpoint accepts: GraphQL over HTTP as yoga implements it (no batching, no
// mutations over GET, a body size limit), CORS, CSRF prevention, query limits (graphql-armor),
// the introspection switch. Identity and rate limits are the front door's (front-door.ts).
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { getNamedType, GraphQLError, isIntrospectionType, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin, type YogaServerOptions } from 'graphql-yoga';
import type { Config } from '../config.js';

/** Not configurable: no operation of ours uses more than a handful. */
export const MAX_DIRECTIVES = 50;

/** Any of these headers makes a GET (or form/multipart POST) non-simple, so a browser preflights it. */
export const CSRF_HEADERS = ['graphql-preflight', 'apollo-require-preflight', 'x-graphql-yoga-csrf'];

export type HttpPolicy = {
  plugins: Plugin[];
  yogaOptions: Pick<YogaServerOptions<Record<string, unknown>, Record<string, unknown>>, 'cors' | 'batching' | 'maxRequestBodySize'>;
};

export function httpPolicy(config: Config): HttpPolicy {
  const plugins: Plugin[] = [];

  // Yoga's plugin: a GET or a "simple" POST must carry one of CSRF_HEADERS; JSON POSTs are preflighted anyway.
  const csrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  plugins.push({
    onRequestParse(payload) {
      const { request } = payload;
      if (request.method !== 'GET' && request.method !== 'POST') return; // yoga answers 405
      // EventSource cannot send headers. A subscription stream is read-only (mutations over GET are
      // refused anyway) and never carries cookies, so it gains nothing from a preflight.
      if (request.method === 'GET' && request.headers.get('accept')?.includes('text/event-stream')) return;
      try {
        return csrf.onRequestParse?.(payload);
      } catch (error) {
        throw withCode(error, 'CSRF_HEADER_REQUIRED', `Add a "graphql-preflight: 1" header to GET requests (or send JSON with POST).`);
      }
    },
  });

  // graphql-js reports bad variables and unknown operation names without a code; give them one.
  plugins.push({
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (Symbol.asyncIterator in result || result.data !== undefined || !result.errors?.some((e) => !e.extensions?.code)) return;
        setResult({ ...result, errors: result.errors.map(withRequestErrorCode) });
      },
    }),
  });

  const { depth, aliases, tokens, cost } = config.limits;
  plugins.push(
    maxTokensPlugin({ n: tokens, propagateOnRejection: false, onReject: [rejectAs('tokens')] }),
    maxDepthPlugin({ n: depth, propagateOnRejection: false, onReject: [rejectAs('depth')] }),
    maxAliasesPlugin({ n: aliases, propagateOnRejection: false, onReject: [rejectAs('aliases')] }),
    maxDirectivesPlugin({ n: MAX_DIRECTIVES, propagateOnRejection: false, onReject: [rejectAs('directives')] }),
    costLimitPlugin({ maxCost: cost, propagateOnRejection: false, onReject: [rejectAs('cost')] }),
  );

  if (!config.introspection) {
    // "Did you mean …?" hints go too: see bad-input.ts.
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(noIntrospection) });
  }

  const anyOrigin = config.corsOrigins.includes('*');
  if (!anyOrigin) {
    // The answer depends on the Origin header, so caches must keep one copy per origin.
    plugins.push({
      onResponse({ response }) {
        if (!/\borigin\b/i.test(response.headers.get('vary') ?? '')) response.headers.append('vary', 'Origin');
      },
    });
  }
  const corsOptions = {
    origin: config.corsOrigins,
    // Keys travel in the Authorization header, never in cookies.
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  };

  return {
    plugins,
    yogaOptions: {
      // A disallowed origin gets no CORS headers at all, so the browser refuses the response.
      cors: (request) => {
        const origin = request.headers.get('origin');
        return anyOrigin || (origin !== null && config.corsOrigins.includes(origin)) ? corsOptions : false;
      },
      batching: false,
      // Yoga's own limit pipes every body through a TransformStream (a stream pipeline, an
      // AbortController and a DOMException per request); bodyLimit() below does the same checks.
      maxRequestBodySize: false,
    },
  };
}

const CONTENT_LENGTH = /^\d+$/;

function bodyTooLarge() {
  return createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
}

/**
 * The body limit yoga's `maxRequestBodySize` applies (a Content-Length over it is a 413 before the
 * body is read; a body without one is counted as it streams and stopped once it passes the limit),
 * but a body that declares its length is not piped through a counting stream: Node's HTTP parser
 * delivers exactly Content-Length bytes, so the declared length is the length. Only a chunked
 * body (no Content-Length) is counted. Registered after yoga's request parsers, like yoga's own.
 */
export function bodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        if (!CONTENT_LENGTH.test(contentLength)) {
          throw createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        }
        if (Number(contentLength) > limit) throw bodyTooLarge();
        return;
      }
      if (requestParser == null || request.body == null) return;
      const parse = requestParser;
      setRequestParser((req) => {
        const body = req.body;
        if (!body) return parse(req);
        let bytesRead = 0;
        const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const limited = body.pipeThrough(
          new Transform({
            transform(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) {
              bytesRead += chunk.byteLength;
              if (bytesRead > limit) controller.error(bodyTooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(req.url, {
            method: req.method,
            headers: req.headers,
            signal: req.signal,
            body: limited,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}

/** A limit error clients can act on: `QUERY_TOO_COMPLEX` with the limit that was hit. */
function rejectAs(limit: 'tokens' | 'depth' | 'aliases' | 'directives' | 'cost') {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '');
    const limited = new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', limit } });
    // Validation rules report; the token limit runs inside the parser, which only stops by throwing.
    if (context) context.reportError(limited);
    else throw limited;
  };
}

/** graphql-js' NoSchemaIntrospectionCustomRule with a stable code and a message that names nothing. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const type = context.getType();
    if (type && isIntrospectionType(getNamedType(type))) {
      context.reportError(
        new GraphQLError('Introspection is disabled on this server.', { nodes: node, extensions: { code: 'INTROSPECTION_DISABLED' } }),
      );
    }
  },
});

function withRequestErrorCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  const code = /^Variable "\$/.test(error.message) ? 'BAD_USER_INPUT' : 'BAD_REQUEST';
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

function withCode(error: unknown, code: string, hint: string): unknown {
  if (!(error instanceof GraphQLError)) return error;
  return createGraphQLError(`${error.message}. ${hint}`, { extensions: { ...error.extensions, code } });
}
