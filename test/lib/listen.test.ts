import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { listen } from '../../src/lib/listen.ts';

describe('listening on an address', () => {
  it('tells the port it got, refuses a taken one, and frees it on close', async () => {
    const first = await listen(
      createServer((_, response) => response.end('ok')),
      { host: '127.0.0.1', port: 0 },
    );
    assert.ok(first.port > 0);
    assert.equal(await (await fetch(`http://127.0.0.1:${first.port}/`)).text(), 'ok');
    await assert.rejects(listen(createServer(), { host: '127.0.0.1', port: first.port }), /EADDRINUSE/);
    await first.close();
    const again = await listen(createServer(), { host: '127.0.0.1', port: first.port });
    assert.equal(again.port, first.port);
    await again.close();
  });
});
