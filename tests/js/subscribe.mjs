// Subscribe to a quote's thread with the npm graphql-ws client and print one JSON line per event:
//   node subscribe.mjs WS_URL TOKEN QUOTE_ID LAST_BODY TIMEOUT_MS
// {"event":"connected"} once the server acknowledged the connection, {"event":"next",...} for
// each message, and exits 0 after the message whose body is LAST_BODY (1 on error, 2 on timeout).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, quoteId, lastBody, timeoutMs] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => print({ event: 'connected' }) },
});

const timer = setTimeout(() => {
  print({ event: 'timeout' });
  process.exit(2);
}, Number(timeoutMs));

const finish = async (code) => {
  clearTimeout(timer);
  await client.dispose();
  process.exit(code);
};

client.subscribe(
  {
    query: 'subscription Thread($id: ID!) { threadMessages(quoteId: $id) { id kind author body } }',
    variables: { id: quoteId },
  },
  {
    next: (result) => {
      print({ event: 'next', ...result });
      if (result.data?.threadMessages?.body === lastBody) finish(0);
    },
    error: (error) => {
      print({ event: 'error', error: error instanceof Error ? error.message : error });
      finish(1);
    },
    complete: () => print({ event: 'complete' }),
  },
);
