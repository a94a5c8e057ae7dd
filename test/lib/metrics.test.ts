import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/lib/metrics.ts';
import { CachedMarketData } from '../../src/market/cache.ts';
import { FakeClock } from '../helpers/clock.ts';
import { RecordingSource } from '../fakes/recording-source.ts';

function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.split(' ').at(-1));
}

describe('metrics', () => {
  it('counts cache hits and misses as the cache sees them', async () => {
    const metrics = new Metrics();
    const cache = new CachedMarketData(
      new RecordingSource(),
      new FakeClock('2026-11-20T15:00:00Z').now,
      undefined,
      metrics,
    );
    const range = { from: '2026-01-05', to: '2026-01-09' };
    await cache.getDailyBars('AAA', range);
    await cache.getDailyBars('AAA', range);
    await cache.getQuotes(['AAA', 'BBB']);
    cache.close();
    const text = await metrics.text();
    assert.equal(sample(text, 'tapewatch_cache_lookups_total{kind="bars",result="miss"}'), 1);
    assert.equal(sample(text, 'tapewatch_cache_lookups_total{kind="bars",result="hit"}'), 1);
    assert.equal(sample(text, 'tapewatch_cache_lookups_total{kind="quote",result="miss"}'), 2);
  });

  it('reports the SQLite files with their write-ahead logs, and summaries, scheduled posts and alert posts by result', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-metrics-'));
    writeFileSync(path.join(dir, 'bars.sqlite'), Buffer.alloc(4096));
    writeFileSync(path.join(dir, 'bars.sqlite-wal'), Buffer.alloc(1000));
    const metrics = new Metrics({
      bars: path.join(dir, 'bars.sqlite'),
      user: path.join(dir, 'absent.sqlite'),
    });
    metrics.summary('template_budget');
    metrics.scheduledPost('posted_late');
    metrics.scheduledPost('posted_late');
    metrics.alert('disabled');
    const text = await metrics.text();
    assert.equal(sample(text, 'tapewatch_store_bytes{file="bars"}'), 5096);
    assert.equal(sample(text, 'tapewatch_store_bytes{file="user"}'), 0);
    assert.equal(sample(text, 'tapewatch_llm_summaries_total{result="template_budget"}'), 1);
    assert.equal(sample(text, 'tapewatch_scheduled_posts_total{result="posted_late"}'), 2);
    assert.equal(sample(text, 'tapewatch_alert_posts_total{result="disabled"}'), 1);
  });
});
