// A separate OS process that races for claims. Protocol on stdin/stdout, one JSON line each:
//   in:  {"round": n}   out: {"round": n, "claimed": [locations]}
import { createInterface } from 'node:readline';
import { PanicStore } from '../../packages/core/src/store/panic-store.js';

const [url, owner] = process.argv.slice(2) as [string, string];
const store = await PanicStore.open(url);
const lines = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: owner })}\n`);
for await (const line of lines) {
  const { round } = JSON.parse(line) as { round: number };
  const claimed: string[] = [];
  // Small random batches so the two workers interleave many times per round.
  for (;;) {
    const rows = await store.claim({
      owner: `${owner}-r${round}`,
      limit: 1 + Math.floor(Math.random() * 3),
      leaseMs: 60_000,
    });
    if (rows.length === 0) break;
    claimed.push(...rows.map((r) => r.panic_location));
  }
  process.stdout.write(`${JSON.stringify({ round, claimed })}\n`);
}
store.close();
