import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { openRedis, type SharedRedis } from '../../src/store/redis.ts';

/**
 * A real redis-server on loopback for the tests that share state between processes. `.ci/run` installs
 * it when missing; where it still cannot be had, those tests skip with this message.
 */
const HAVE_REDIS = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const SKIP_WITHOUT_REDIS: string | false = HAVE_REDIS
  ? false
  : 'redis-server is not installed (apt-get install redis-server, as .ci/run does); skipping';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server (no persistence) and resolves once it answers; stop() ends it. */
export async function startRedis(onPort?: number): Promise<TestRedis> {
  const port = onPort ?? (await freePort());
  const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start within 10 s:\n${output}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${String(code)}:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server for a describe block (started before its tests, stopped after) and connections to it,
 * each standing for one bot process; every connection is closed with the server.
 */
export function redisForSuite(): { url(): string; connect(): Promise<SharedRedis> } {
  let redis: TestRedis | null = null;
  const connections: SharedRedis[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.stop();
  });
  const url = () => {
    if (redis === null) throw new Error('the suite has not started its redis-server');
    return redis.url;
  };
  return {
    url,
    async connect() {
      const connection = openRedis(url(), () => undefined);
      connections.push(connection);
      await connection.ready;
      return connection;
    },
  };
}
