// The stock Prefect 2.7.12 UI as a second client of Orrery's API.
//
// Its files ship inside the pinned `prefect` wheel (tests/compat/.venv);
// they are found at test time and served by a small node http server that
// also passes /api/* and /ui-settings through to Orrery unchanged (method,
// path, query, headers, body). So the UI runs same-origin, exactly as when
// `prefect orion start` serves it, and every request it makes reaches
// Orrery: Orrery's own /ui-settings tells it where the API is, and nothing
// is answered by the test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, repoRoot } from './orrery';

/** The directory of the UI files inside the installed prefect package. */
export function stockUIDir(): string {
  const python = process.env.PREFECT_PYTHON || path.join(repoRoot, 'tests', 'compat', '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) {
    throw new Error(`no Python with prefect at ${python}: run \`bash tests/compat/setup.sh\` (or set PREFECT_PYTHON)`);
  }
  const pkg = execFileSync(python, ['-c', 'import prefect, os; print(os.path.dirname(prefect.__file__))'], { encoding: 'utf8' }).trim();
  const dir = path.join(pkg, 'orion', 'ui');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`the prefect package at ${pkg} ships no UI (${dir}/index.html missing)`);
  }
  return dir;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StockUI {
  url: string;
  close: () => Promise<void>;
}

/** Serves dir on a free port in [from, to], passing the API through to api. */
export async function serveStockUI(dir: string, api: string, ports: [number, number]): Promise<StockUI> {
  const target = new URL(api);
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url || '/', 'http://x');
    if (u.pathname.startsWith('/api/') || u.pathname === '/api' || u.pathname === '/ui-settings') {
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode || 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${e.message}`);
      });
      req.pipe(up);
      return;
    }
    // Static files; any other path is the single-page app's index.html.
    let file = path.resolve(root, '.' + decodeURIComponent(u.pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(root, 'index.html');
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  const port = await freePort(ports[0], ports[1]);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
