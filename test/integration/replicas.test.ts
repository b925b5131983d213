/**
 * Replicas of the service on one PostgreSQL database, as docs/team-setup.md lays them out: writes
 * through any of them make one chain that verifies through every one of them, and replicas started
 * with different signing keys (a misconfiguration) are caught by verification, not left silent.
 */
import assert from 'node:assert/strict';
import { syntheticStream } from '../helpers/streams';
import { backends, http, startTestService, type TestService } from '../helpers/testService';

async function sendOneByOne(through: TestService[], events: object[]): Promise<void> {
  await Promise.all(
    events.map(async (event, i) => {
      const res = await http(`${through[i % through.length]!.url}/v1/events`, { body: JSON.stringify(event) });
      assert.equal(res.status, 200, res.text);
    }),
  );
}

const verify = async (t: TestService) => (await http(`${t.url}/v1/audit/verify`)).json;

if (backends().includes('postgres')) {
  describe('replicas on one PostgreSQL database', function () {
    this.timeout(120_000);

    it('make one chain, verified through each, from writes spread over all of them', async () => {
      const first = await startTestService('postgres');
      const replicas = [first, await startTestService('postgres', {}, first.store), await startTestService('postgres', {}, first.store)];
      try {
        const events = syntheticStream('acme/replicas', 20);
        await sendOneByOne(replicas, events);
        for (const r of replicas) {
          const verdict = await verify(r);
          assert.equal(verdict.ok, true, verdict.reason);
          assert.equal(verdict.entries, events.length, 'every event once, one contiguous chain');
        }
        // What one replica wrote, another answers.
        const envs = (await http(`${replicas[2]!.url}/v1/repos/acme/replicas/environments`)).json;
        assert.deepEqual(envs.environments.map((e: any) => e.name).sort(), ['dev', 'production', 'staging']);
      } finally {
        for (const r of replicas) await r.close();
      }
    });

    it('started with different signing keys, fail verification naming the other key', async () => {
      const a = await startTestService('postgres');
      const b = await startTestService('postgres', {}, { ...a.store, signingKey: `${a.store.signingKey!}.other.pem` });
      try {
        await sendOneByOne([a], syntheticStream('acme/keys', 1).slice(0, 3));
        await sendOneByOne([b], syntheticStream('acme/keys-b', 1).slice(0, 3));
        const verdict = await verify(a);
        assert.equal(verdict.ok, false);
        assert.match(verdict.reason, /was signed by key [0-9a-f]+, not this service's key/);
      } finally {
        await b.close();
        await a.close();
      }
    });
  });
}
