import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { installCrashGuard } from '../../src/bot/crash-guard.ts';
import { createLogger } from '../../src/log.ts';

describe('crash guard', () => {
  function guarded(limit: number, windowMs: number) {
    const target = new EventEmitter();
    const lines: string[] = [];
    const fatal: string[] = [];
    let now = 0;
    const remove = installCrashGuard(target, {
      logger: createLogger('error', { write: (line: string) => lines.push(line) }),
      now: () => now,
      onFatal: (reason) => fatal.push(reason),
      limit,
      windowMs,
    });
    return { target, lines, fatal, remove, advance: (ms: number) => (now += ms) };
  }

  it('logs an unhandled failure with a reference and its stack, and keeps the process up', () => {
    const { target, lines, fatal } = guarded(3, 1000);
    target.emit('uncaughtException', new TypeError("Cannot read properties of null (reading 'channel')"));
    target.emit('unhandledRejection', new Error('ECONNRESET'));
    assert.equal(lines.length, 2);
    assert.match(
      lines[0] ?? '',
      /"kind":"uncaught exception".*"reference":"[0-9a-f]{8}"|"reference":"[0-9a-f]{8}".*"kind":"uncaught exception"/,
    );
    assert.match(lines[1] ?? '', /unhandled rejection; still serving/);
    const logged = JSON.parse(lines[0] ?? '{}') as { stack?: string };
    assert.match(
      logged.stack ?? '',
      /^TypeError: Cannot read properties of null \(reading 'channel'\)\n\s+at /,
      'the stack',
    );
    assert.deepEqual(fatal, []);
  });

  it('gives up once, cleanly, when failures come faster than the limit, and not when they are spread out', () => {
    const spread = guarded(3, 1000);
    for (let i = 0; i < 6; i++) {
      spread.target.emit('unhandledRejection', new Error('x'));
      spread.advance(600);
    }
    assert.deepEqual(spread.fatal, [], 'two per second never reach three within one');
    const burst = guarded(3, 1000);
    for (let i = 0; i < 5; i++) burst.target.emit('uncaughtException', new Error('x'));
    assert.deepEqual(burst.fatal, ['3 unexpected failures within 1 s']);
  });

  it('removes its handlers when asked', () => {
    const { target, remove } = guarded(3, 1000);
    remove();
    assert.equal(target.listenerCount('uncaughtException'), 0);
    assert.equal(target.listenerCount('unhandledRejection'), 0);
  });
});
