// The graphql-http audit of GraphQL over HTTP (https://github.com/graphql/graphql-http) against
// a running server: `node audit.mjs http://127.0.0.1:8000/graphql`. Prints one JSON object
// {"ok": n, "warn": [...], "error": [...]} and exits 0 when no MUST and no SHOULD audit fails.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  results.push({ id: audit.id, name: audit.name, ...(await audit.fn()) });
}
const failures = (status) =>
  results
    .filter((r) => r.status === status)
    .map((r) => ({ id: r.id, name: r.name, reason: r.reason, response: r.response ? String(r.response.status) : undefined }));
const report = { ok: results.filter((r) => r.status === 'ok').length, warn: failures('warn'), error: failures('error') };
console.log(JSON.stringify(report, null, 1));
process.exit(report.warn.length || report.error.length ? 1 : 0);
