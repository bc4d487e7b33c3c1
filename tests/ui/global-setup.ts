// Global setup: a real `orrery server start` on a temporary SQLite database
// (ports 4370-4379), seeded over the REST API. The URL reaches the workers
// through UI_TEST_BASE_URL, the seed's ids through out/state.json; the
// returned function stops the server when the run ends.
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { outDir, startOrrery } from './lib/orrery';
import { seed } from './lib/seed';

export default async function globalSetup(_config: FullConfig) {
  fs.mkdirSync(path.join(outDir, 'screenshots'), { recursive: true });
  fs.rmSync(path.join(outDir, 'orrery.log'), { force: true });
  const server = await startOrrery({ ports: [4370, 4379] });
  try {
    const data = await seed(server.url);
    fs.writeFileSync(path.join(outDir, 'state.json'), JSON.stringify({ url: server.url, seed: data }, null, 2));
  } catch (e) {
    await server.stop();
    throw e;
  }
  process.env.UI_TEST_BASE_URL = server.url;
  return async () => {
    await server.stop();
  };
}
