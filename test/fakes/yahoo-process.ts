/**
 * The fake Yahoo market in a process of its own, for benchmarks: the CPU it spends rendering 500 charts
 * must not count as the client's. It prints its port, then takes one JSON command per line on stdin and
 * answers each with one JSON line: {"clock": ISO}, {"inject": prefix, "fault": Fault, "times": N},
 * {"expireCrumb": true}, {"unpriced": SYMBOL}, {"requests": true} (counts by kind since the last ask).
 */
import { createInterface } from 'node:readline';
import { FakeClock } from '../helpers/clock.ts';
import { sharedPath } from '../helpers/shared-data.ts';
import { YahooMarket } from './yahoo-market.ts';
import { FakeYahoo, type Fault } from './yahoo-server.ts';

const clock = new FakeClock(process.argv[2] ?? new Date().toISOString());
const market = new YahooMarket([sharedPath('prices', 'sp500'), sharedPath('prices', 'etf')], clock.now);
const fake = new FakeYahoo(sharedPath('yahoo-http'), market);
await fake.start();
process.stdout.write(`${JSON.stringify({ port: fake.listeningPort })}\n`);

let counted = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as {
    clock?: string;
    inject?: string;
    fault?: Fault;
    times?: number;
    expireCrumb?: boolean;
    unpriced?: string;
    requests?: boolean;
  };
  if (command.clock !== undefined) clock.set(command.clock);
  if (command.inject !== undefined && command.fault !== undefined)
    fake.inject(command.inject, command.fault, command.times ?? 1);
  if (command.expireCrumb === true) fake.expireCrumb();
  if (command.unpriced !== undefined) market.unpriced.add(command.unpriced);
  const counts: Record<string, number> = {};
  if (command.requests === true) {
    for (const request of fake.requests.slice(counted)) {
      const kind = request.path.startsWith('/v8/finance/chart')
        ? 'chart'
        : request.path.startsWith('/v7/finance/quote')
          ? 'quote'
          : 'session';
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    counted = fake.requests.length;
  }
  process.stdout.write(`${JSON.stringify({ ok: true, counts })}\n`);
}
await fake.stop();
