// Run one query with Apollo Client's persisted-query link (GET for hashed queries) against each
// URL in turn, each with a fresh client, and print one JSON line per URL: the HTTP requests the
// link made (method, whether the query text was sent, status, Cache-Control) and the data.
//   node apq.mjs SLUG URL [URL…]
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { createHash } from 'node:crypto';

const [slug, ...urls] = process.argv.slice(2);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const SHOP = gql`
  query Shop($slug: String!) {
    organization(slug: $slug) { name slug }
  }
`;

for (const url of urls) {
  const requests = [];
  const recordingFetch = async (input, init) => {
    const response = await fetch(input, init);
    const target = new URL(String(input));
    const sentQuery = init.method === 'GET'
      ? target.searchParams.has('query')
      : JSON.parse(init.body).query !== undefined;
    const body = await response.clone().json();
    requests.push({
      method: init.method,
      sentQuery,
      status: response.status,
      cacheControl: response.headers.get('cache-control'),
      errors: (body.errors || []).map((e) => ({ message: e.message, code: e.extensions?.code })),
    });
    return response;
  };
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: `${url}/graphql`, fetch: recordingFetch }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const result = await client.query({ query: SHOP, variables: { slug }, fetchPolicy: 'no-cache' });
  process.stdout.write(JSON.stringify({ url, requests, data: result.data }) + '\n');
}
