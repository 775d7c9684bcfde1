// What live transports add on top of yoga: every subscription result names its story event
// (`extensions.eventId`), SSE streams carry it as the event `id:` so browsers send it back as
// Last-Event-ID when they reconnect.
import { getSSEProcessor, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';

export function useLiveEventIds(): Plugin<Context> {
  const sse = getSSEProcessor();
  return {
    onSubscribe: () => ({
      onSubscribeResult: ({ args }) => ({
        onNext: ({ result, setResult }) => {
          const eventId = (args.contextValue as Context).lastEventId;
          if (eventId != null) setResult({ ...result, extensions: { ...result.extensions, eventId: String(eventId) } });
        },
      }),
    }),
    onResultProcess: ({ request, result, setResultProcessor }) => {
      if (!isAsyncIterable(result) || !request.headers.get('accept')?.includes('text/event-stream')) return;
      setResultProcessor((input, fetchAPI, mediaType) => {
        const response = sse(input, fetchAPI, mediaType) as Response;
        return new fetchAPI.Response(response.body?.pipeThrough(withEventIds(fetchAPI)), response);
      }, 'text/event-stream');
    },
  };
}

/** Adds `id: <eventId>` to each SSE event whose data carries one (yoga writes whole events per chunk). */
function withEventIds(fetchAPI: {
  TextEncoder: typeof TextEncoder;
  TextDecoder: typeof TextDecoder;
  TransformStream: typeof TransformStream;
}) {
  const decoder = new fetchAPI.TextDecoder();
  const encoder = new fetchAPI.TextEncoder();
  return new fetchAPI.TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const text = decoder.decode(chunk);
      const id = /^data: .*"extensions":\{[^}]*"eventId":"(\d+)"/m.exec(text)?.[1];
      controller.enqueue(id ? encoder.encode(text.replace(/^data: /m, `id: ${id}\ndata: `)) : chunk);
    },
  });
}
