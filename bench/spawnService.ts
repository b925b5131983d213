/** Starts `lineage serve` from the built bundle as its own process, as it runs in production. */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Spawned {
  url: string;
  pid: number;
  close(): Promise<void>;
}

export async function startService(store: { dataDir?: string; databaseUrl?: string; signingKey?: string }): Promise<Spawned> {
  const cli = join(__dirname, '../dist/cli.js');
  const args = [
    cli,
    'serve',
    '--port',
    '0',
    ...(store.databaseUrl ? ['--database-url', store.databaseUrl] : ['--data', store.dataDir!]),
    ...(store.signingKey ? ['--signing-key', store.signingKey] : []),
  ];
  // BENCH_SERVICE_LOG=FILE keeps the service's output (with BENCH_SERVICE_NODE_OPTIONS=--trace-gc, its collections).
  const log = process.env.BENCH_SERVICE_LOG;
  const proc = spawn(process.execPath, [...(process.env.BENCH_SERVICE_NODE_OPTIONS ?? '').split(' ').filter(Boolean), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => {
      if (log) appendFileSync(log, c);
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return {
    url,
    pid: proc.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
