// Starts a real shopdesk process for a spec file: headless, any free port, its own
// embedded PostgreSQL cluster in a fresh data directory. Never a mock server.
import { spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactPath, shopdeskBinary } from './paths.mjs';

const SERVING = /ShopDesk is serving (http:\/\/\S+?)\/? /;

// Settings the caller's environment might carry that would point the instance
// elsewhere (an external database, a config file, a fixed port): the test instance
// gets only what its arguments say.
const STRIPPED_ENV = /^(SHOPDESK_(?!BINARY$).*|DATABASE_URL|REDIS_URL|PORT|STRIPE_.*)$/;

const running = new Set();
const seeding = new Set(); // seed-demo processes still running

// Returns { url, dataDir, log(), stop() } once the serving line is printed.
// name: used for the data directory prefix and the log artefact (<name>.shopdesk.log).
// seed: demo data loaded before the server starts, e.g. { products: 60 }: runs
// `shopdesk seed-demo --products 60 --data-dir <dataDir>` with the same environment,
// so the server then finds the catalog in its (embedded) database.
export async function startShop({
  name = 'shop', args = [], env = {}, seed = null, startTimeoutMs = 90_000, seedTimeoutMs = 180_000,
} = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `shopdesk-e2e-${name}-`));
  // As root the embedded cluster runs as the postgres account, which must enter it.
  chmodSync(dataDir, 0o755);

  const childEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !STRIPPED_ENV.test(k)));
  Object.assign(childEnv, env);

  const logFile = createWriteStream(artifactPath(`${name}.shopdesk.log`));
  let log = '';
  const onData = (chunk) => { log += chunk; logFile.write(chunk); };

  if (seed) {
    try {
      await runSeed({ dataDir, env: childEnv, seed, onData, timeoutMs: seedTimeoutMs });
    } catch (e) {
      await new Promise((resolve) => logFile.end(resolve));
      rmSync(dataDir, { recursive: true, force: true });
      e.message += `\n--- shopdesk seed-demo output (${shopdeskBinary}) ---\n${tail(log)}`;
      throw e;
    }
  }

  const child = spawn(shopdeskBinary,
    ['--headless', '--port', '0', '--data-dir', dataDir, '--access-log', 'off', ...args],
    { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
  });

  const shop = {
    dataDir,
    url: null,
    log: () => log,
    kill: (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); },
    stop: async ({ timeoutMs = 30_000 } = {}) => {
      running.delete(shop);
      let result;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        result = await Promise.race([exited, delay(timeoutMs).then(() => null)]);
        if (!result) {
          child.kill('SIGKILL');
          await exited;
          result = { code: null, signal: 'SIGKILL', timedOut: true };
        }
      } else {
        result = await exited;
      }
      await new Promise((resolve) => logFile.end(resolve));
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
  running.add(shop);

  try {
    shop.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() =>
        reject(new Error(`shopdesk did not print its serving line within ${startTimeoutMs} ms`)),
      startTimeoutMs);
      const check = () => {
        const m = SERVING.exec(log);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      };
      child.stderr.on('data', check);
      child.stdout.on('data', check);
      exited.then(({ code, signal, error }) => {
        clearTimeout(timer);
        reject(new Error(`shopdesk exited before serving (code ${code}, signal ${signal}` +
          `${error ? `, ${error.message}` : ''})`));
      });
    });
  } catch (e) {
    await shop.stop({ timeoutMs: 10_000 });
    e.message += `\n--- shopdesk output (${shopdeskBinary}) ---\n${tail(log)}`;
    throw e;
  }
  return shop;
}

// seed: { products: N } -> `seed-demo --products N`; any other key k: `--k value`.
function seedArgs(seed) {
  const args = ['seed-demo'];
  for (const [key, value] of Object.entries(seed)) {
    args.push(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value));
  }
  return args;
}

async function runSeed({ dataDir, env, seed, onData, timeoutMs }) {
  const args = [...seedArgs(seed), '--data-dir', dataDir];
  onData(`--- ${shopdeskBinary} ${args.join(' ')}\n`);
  const child = spawn(shopdeskBinary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  seeding.add(child);
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve({ timedOut: true });
    }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
    child.on('error', (error) => { clearTimeout(timer); resolve({ error }); });
  });
  seeding.delete(child);
  onData(`--- seed-demo finished: ${JSON.stringify(result)}\n`);
  if (result.timedOut) throw new Error(`shopdesk seed-demo did not finish within ${timeoutMs} ms`);
  if (result.error) throw new Error(`shopdesk seed-demo could not run: ${result.error.message}`);
  if (result.code !== 0) throw new Error(`shopdesk seed-demo failed (code ${result.code}, signal ${result.signal})`);
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

// Last resort when the runner is interrupted or exits before the after() hooks run:
// a shop left behind would keep its PostgreSQL cluster running. SIGTERM lets it stop
// the cluster itself.
process.once('exit', () => {
  for (const shop of running) shop.kill('SIGTERM');
  for (const child of seeding) child.kill('SIGTERM');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    Promise.allSettled([...running].map((shop) => shop.stop({ timeoutMs: 10_000 })))
      .finally(() => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));
  });
}
