import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FakeDiscord, type RecordedCall } from './fakes/discord.ts';
import { startProcess } from './helpers/process.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface DockerSteps {
  readonly env: Record<string, string>;
  readonly copies: readonly { sources: string[]; dest: string }[];
  readonly runs: readonly string[];
  readonly healthcheck: readonly string[];
  readonly cmd: readonly string[];
}

/** The Dockerfile's instructions that matter outside Docker: what is copied, run, checked and started. */
function readDockerfile(): DockerSteps {
  const env: Record<string, string> = {};
  const copies: { sources: string[]; dest: string }[] = [];
  const runs: string[] = [];
  let healthcheck: string[] = [];
  let cmd: string[] = [];
  const lines = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [instruction = '', ...rest] = line.trim().split(/\s+/);
    const args = line.trim().slice(instruction.length).trim();
    switch (instruction) {
      case 'ENV': {
        const [key = '', value = ''] = args.split('=');
        env[key] = value;
        break;
      }
      case 'COPY':
        copies.push({ sources: rest.slice(0, -1), dest: rest.at(-1) ?? '.' });
        break;
      case 'RUN':
        runs.push(args);
        break;
      case 'HEALTHCHECK':
        healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim()) as string[];
        break;
      case 'CMD':
        cmd = JSON.parse(args) as string[];
        break;
      default:
        assert.ok(
          ['FROM', 'WORKDIR', 'USER', 'VOLUME', 'EXPOSE'].includes(instruction),
          `the Dockerfile has an instruction this test does not know: ${line}`,
        );
    }
  }
  return { env, copies, runs, healthcheck, cmd };
}

/**
 * What each RUN step does here: install steps run as written; steps that only shape the image (its
 * size, its folders and owners) are skipped, each for its reason. An unknown step fails the test, so a
 * new RUN line cannot slip past it.
 */
function stepsToRun(runs: readonly string[]): string[] {
  const imageOnly = [/^npm cache clean/, /^mkdir -p \/data$/, /^chown node:node \/data$/];
  return runs
    .flatMap((run) => run.split('&&').map((part) => part.trim()))
    .filter((part) => {
      if (imageOnly.some((pattern) => pattern.test(part))) return false;
      assert.match(part, /^npm ci /, `a RUN step this test does not know how to run: ${part}`);
      return true;
    });
}

/** A PATH without the project's own Node 24: a machine that has only its system Node (20 in CI). */
function systemPath(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.includes(`node_modules${path.sep}.bin`))
    .join(path.delimiter);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const hasNpm = spawnSync('npm', ['--version'], { env: { PATH: systemPath() } }).status === 0;

describe('the Dockerfile, run as written in a clean folder (no Docker here)', { timeout: 300_000 }, () => {
  it(
    "installs for production with the system's Node, starts, answers a slash command, and reports its health",
    { skip: hasNpm ? false : 'no npm on the PATH outside the project to install with' },
    async () => {
      const docker = readDockerfile();
      const app = mkdtempSync(path.join(tmpdir(), 'tapewatch-image-'));
      const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-image-home-'));
      const discord = await FakeDiscord.start();
      try {
        for (const { sources, dest } of docker.copies) {
          for (const source of sources) {
            const target = dest.endsWith('/')
              ? path.join(app, dest, path.basename(source))
              : path.join(app, dest);
            cpSync(path.join(ROOT, source), target, { recursive: true });
          }
        }
        // npm's own cache (filled by the project's install) serves the packages: no download needed.
        const installEnv = {
          PATH: systemPath(),
          HOME: process.env.HOME ?? home,
          npm_config_prefer_offline: 'true',
        };
        for (const step of stepsToRun(docker.runs)) {
          execFileSync('sh', ['-c', step], { cwd: app, env: installEnv, stdio: 'pipe', timeout: 240_000 });
        }
        assert.ok(existsSync(path.join(app, 'node_modules', 'node', 'bin', 'node')), 'Node 24 came with it');
        assert.ok(!existsSync(path.join(app, 'node_modules', 'typescript')), 'no development packages');

        const port = await freePort();
        const container = {
          PATH: systemPath(),
          HOME: home,
          ...docker.env,
          TAPEWATCH_HOME: path.join(home, 'data'),
          HEALTH_PORT: String(port),
        };

        // Without a token: npm start says so in one line and exits 1.
        const noToken = startProcess('npm', ['start'], { cwd: app, env: container });
        assert.equal(await noToken.exit(), 1);
        const said = noToken
          .output()
          .split('\n')
          // npm's own banner ("> tapewatch start") and update notices are npm's, not the bot's.
          .filter((line) => line.trim() !== '' && !line.startsWith('>') && !line.startsWith('npm notice'));
        assert.deepEqual(said.length, 1, noToken.output());
        assert.match(said[0] ?? '', /^tapewatch: DISCORD_TOKEN is not set/);

        const [command = '', ...args] = docker.cmd;
        const bot = startProcess(command, args, {
          cwd: app,
          env: {
            ...container,
            DISCORD_TOKEN: 'ODg4.fake-token.do-not-log-me',
            DISCORD_API_URL: discord.apiUrl,
            MARKET_DATA_SOURCE: 'demo',
            LOG_LEVEL: 'info',
          },
        });
        const healthcheck = () => {
          const [check = '', ...checkArgs] = docker.healthcheck;
          return spawnSync(check, checkArgs, { cwd: app, env: container, encoding: 'utf8', timeout: 20_000 });
        };
        try {
          await bot.waitFor(/connected to Discord/, 60_000);
          const healthy = healthcheck();
          assert.equal(healthy.status, 0, healthy.stderr);
          assert.equal(healthy.stdout, 'healthy\n');

          const token = discord.slashCommand('breadth', [{ name: 'universe', type: 3, value: 'sectors' }]);
          await discord.waitForCall(
            (call: RecordedCall) =>
              call.method === 'PATCH' && call.path.endsWith(`/${token}/messages/@original`),
            60_000,
          );
          await bot.waitFor(/"command":"breadth".*"outcome":"ok".*"msg":"interaction"/, 10_000);
          const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          assert.match(metrics, /^tapewatch_interactions_total\{command="breadth",outcome="ok"\} 1$/m);

          discord.gatewayDown = true;
          discord.dropGateway(1006);
          let unhealthy = healthcheck();
          for (let tries = 0; tries < 100 && unhealthy.status === 0; tries++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            unhealthy = healthcheck();
          }
          assert.equal(unhealthy.status, 1);
          assert.match(
            unhealthy.stderr,
            /^tapewatch: The bot is not healthy \(HTTP 503\): Discord gateway: /,
          );
        } finally {
          // docker stop: SIGTERM to PID 1, which shuts the bot down.
          await bot.stop('SIGTERM');
        }
        assert.match(bot.output(), /"signal":"SIGTERM".*shutting down/);
      } finally {
        await discord.close();
        rmSync(app, { recursive: true, force: true });
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
