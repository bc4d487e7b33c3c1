// Starting and stopping a real `orrery server start` for the browser tests:
// a temporary ORRERY_HOME with its own SQLite database, on a free port of
// the range this suite may use (4370-4389).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const outDir = path.resolve(__dirname, '..', 'out');

/** The orrery binary: ORRERY_BIN, else bin/orrery of this checkout. */
export function orreryBin(): string {
  const bin = process.env.ORRERY_BIN || path.join(repoRoot, 'bin', 'orrery');
  if (!fs.existsSync(bin)) {
    throw new Error(`orrery binary not found at ${bin}: run \`make build\` or set ORRERY_BIN`);
  }
  return path.resolve(bin);
}

/** Reports whether nothing listens on 127.0.0.1:port (by binding it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first free port in [from, to]. */
export async function freePort(from: number, to: number): Promise<number> {
  for (let p = from; p <= to; p++) {
    if (await portFree(p)) return p;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  home: string;
  log: string;
  stop: () => Promise<void>;
}

/**
 * Starts `orrery server start` with a fresh home and database (or the given
 * database URL) and waits until /api/health answers.
 */
export async function startOrrery(opts: {
  ports: [number, number];
  databaseURL?: string;
  logName?: string;
  env?: Record<string, string>;
}): Promise<RunningServer> {
  const bin = orreryBin();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'orrery-ui-'));
  fs.mkdirSync(outDir, { recursive: true });
  const log = path.join(outDir, opts.logName || 'orrery.log');
  // A port found free may be taken before the server binds it (another
  // suite on the machine): try the next one.
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(opts.ports[0], opts.ports[1]);
    const fd = fs.openSync(log, 'a');
    const child: ChildProcess = spawn(bin, ['server', 'start', '--host', '127.0.0.1', '--port', String(port)], {
      env: {
        ...process.env,
        ORRERY_HOME: home,
        ORRERY_DATABASE_URL: opts.databaseURL || `sqlite:///${path.join(home, 'orrery.db')}`,
        ORRERY_RESULTS_URL: `file://${path.join(home, 'results')}`,
        ORRERY_LOG_FORMAT: 'json',
        ...opts.env,
      },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    fs.closeSync(fd);
    const url = `http://127.0.0.1:${port}`;
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 20_000;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(`${url}/api/health`);
        if (r.ok) {
          const stop = async () => {
            if (exited || child.pid === undefined) return;
            const done = new Promise((res) => child.once('exit', res));
            process.kill(child.pid, 'SIGTERM');
            const timer = setTimeout(() => child.pid && !exited && process.kill(child.pid, 'SIGKILL'), 5_000);
            await done;
            clearTimeout(timer);
            fs.rmSync(home, { recursive: true, force: true });
          };
          return { url, port, pid: child.pid!, home, log, stop };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited && child.pid) process.kill(child.pid, 'SIGKILL');
    lastErr = new Error(`orrery did not become healthy on ${url}; see ${log}`);
  }
  throw lastErr;
}
