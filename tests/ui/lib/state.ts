// What global setup handed over: the server's URL and the seed's ids.
import fs from 'node:fs';
import path from 'node:path';
import type { Seed } from './seed';
import { outDir } from './orrery';

export interface State {
  url: string;
  seed: Seed;
}

let cached: State | undefined;

export function state(): State {
  cached ??= JSON.parse(fs.readFileSync(path.join(outDir, 'state.json'), 'utf8')) as State;
  return cached;
}
