/**
 * A service killed with SIGKILL in the middle of a stream loses no acknowledged event, restarts
 * on the same data without repair, keeps a verifiable audit chain, and converges when the sender
 * redelivers everything.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiClient } from '../../src/core/sources/apiClient';
import { backends, freshStore, http, startTestService } from '../helpers/testService';
import { snapshot, syntheticStream } from '../helpers/streams';

const cli = join(__dirname, '../../dist/cli.js');

async function spawnService(store: { dataDir?: string; databaseUrl?: string }): Promise<{ proc: ChildProcess; url: string }> {
  const args = [cli, 'serve', '--port', '0', ...(store.databaseUrl ? ['--database-url', store.databaseUrl] : ['--data', store.dataDir!])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return { proc, url };
}

for (const backend of backends()) {
  describe(`durability (${backend} store)`, function () {
    this.timeout(180_000);

    it('loses no acknowledged event to SIGKILL and converges on redelivery', async () => {
      const repo = 'acme/durable';
      const stream = syntheticStream(repo, 40);
      const store = await freshStore(backend);
      const first = await spawnService(store);
      const acked = new Set<string>();
      const killAfter = 60 + Math.floor(Math.random() * 120);
      let next = 0;
      let killed = false;
      const sender = async () => {
        while (next < stream.length && !killed) {
          const event = stream[next++]!;
          try {
            const res = await http(`${first.url}/v1/events`, { body: JSON.stringify(event) });
            if (res.status === 200) acked.add(res.json.events[0].key);
          } catch {
            return; // the connection died with the process
          }
          if (acked.size >= killAfter && !killed) {
            killed = true;
            first.proc.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, sender));
      await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode ? r(null) : first.proc.once('exit', r)));
      assert.equal(first.proc.signalCode, 'SIGKILL', 'the service was killed mid-stream');
      assert.ok(acked.size >= killAfter && acked.size < stream.length, `killed after ${acked.size} of ${stream.length} acknowledgements`);

      const second = await spawnService(store);
      const client = new ApiClient({ baseUrl: second.url, retries: 0, timeoutMs: 30_000 });
      try {
        for (const key of acked) {
          const stored = await client.event(key);
          assert.equal(stored.key, key, `acknowledged event ${key} survived`);
        }
        const audit = await client.verifyAudit();
        assert.equal(audit.ok, true, audit.reason ?? '');
        assert.ok(audit.entries >= acked.size);

        // The sender redelivers everything; the result equals a store that saw each event once.
        await client.ingest('events', JSON.stringify(stream));
        const reference = await startTestService(backend);
        try {
          await reference.client.ingest('events', JSON.stringify(stream));
          const commits = stream.filter((e: any) => e.commit).map((e: any) => e.commit as string);
          assert.deepEqual(await snapshot(client, repo, commits), await snapshot(reference.client, repo, commits));
          assert.equal((await client.verifyAudit()).entries, stream.length);
        } finally {
          await reference.close();
        }
      } finally {
        await client.close();
        second.proc.kill('SIGTERM');
        await new Promise((r) => second.proc.once('exit', r));
      }
    });
  });
}
