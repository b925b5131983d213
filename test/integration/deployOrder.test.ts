/**
 * What runs in an environment follows the order the deploy tool gives, not the clocks of the
 * systems that reported it; a skew of more than a minute is said.
 */
import assert from 'node:assert/strict';
import { backends, http, startTestService, type TestService } from '../helpers/testService';
import { webhookExample } from '../helpers/webhookExamples';

const commit = (c: string) => c.repeat(40);

for (const backend of backends()) {
  describe(`order from the deploy tool (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });

    const deployment = (id: string, at: string, extra: object = {}) => ({
      type: 'deployment',
      id: `do-${id}`,
      repo: 'acme/order',
      deploymentId: id,
      environment: 'production',
      commit: commit(id.slice(-1)),
      at,
      ...extra,
    });

    it("follows the tool's sequence over a lagging clock, whatever order the events arrive in, and says the skew", async () => {
      // Argo CD's history: 7 then 8; the second was stamped by a clock five minutes behind.
      await t.client.ingest('events', JSON.stringify(deployment('argo-2', '2026-03-02T10:00:00Z', { sequence: 8, origin: 'argocd:shop' })));
      await t.client.ingest('events', JSON.stringify(deployment('argo-1', '2026-03-02T10:05:00Z', { sequence: 7, origin: 'argocd:shop' })));
      const answer = await t.client.environments('acme/order');
      assert.equal(answer.environments.find((e) => e.name === 'production')?.deployment?.id, 'argo-2', 'by the clock argo-1 would run');
      const history = (await t.client.deployments('acme/order', 'production')).deployments;
      assert.deepEqual(
        history.map((d) => [d.id, d.sequence, d.effectiveAt]),
        [
          ['argo-2', 8, '2026-03-02T10:05:00.000Z'],
          ['argo-1', 7, '2026-03-02T10:05:00.000Z'],
        ],
      );
      assert.match(
        answer.notices?.[0] ?? '',
        /clock skew in production: deployment argo-2 is stamped 2026-03-02T10:00:00.000Z, 5 min before .*argocd:shop/,
      );
      assert.equal((await t.client.verifyAudit()).ok, true, 'a replay of the events orders them the same');
    });

    it('refuses a sequence or an actor type that is not one, naming the field, and stores nothing', async () => {
      for (const [extra, field] of [
        [{ sequence: -1, origin: 'argocd:shop' }, 'sequence'],
        [{ sequence: 1.5 }, 'sequence'],
        [{ actorType: 'robot' }, 'actorType'],
      ] as const) {
        const r = await http(`${t.url}/v1/events`, { body: JSON.stringify(deployment('bad-1', '2026-03-02T11:00:00Z', extra)) });
        assert.equal(r.status, 422, r.text);
        assert.match(JSON.stringify(r.json.errors), new RegExp(field));
      }
      const history = (await t.client.deployments('acme/order', 'production')).deployments;
      assert.ok(!history.some((d) => d.id === 'bad-1'));
    });

    it('keeps the order as deployments arrive one by one, and works it out again from where a moved one stood', async () => {
      const origin = 'argocd:cart';
      const d = (id: string, at: string, sequence: number, event = `do-${id}`) => ({
        ...deployment(id, at, { sequence, origin }),
        id: event,
        environment: 'staging',
      });
      const times: [string, string, number][] = [
        ['cart-1', '2026-04-01T10:00:00Z', 1],
        ['cart-2', '2026-04-01T10:30:00Z', 2],
        ['cart-3', '2026-04-01T10:10:00Z', 3],
        ['cart-4', '2026-04-01T10:20:00Z', 4],
        ['cart-5', '2026-04-01T10:40:00Z', 5],
      ];
      for (const [id, at, sequence] of times) await t.client.ingest('events', JSON.stringify(d(id, at, sequence)));
      const order = async () =>
        Object.fromEntries(
          (await t.client.deployments('acme/order', 'staging')).deployments.map((x) => [x.id, [x.sequence, x.effectiveAt?.slice(11, 16)]]),
        );
      assert.deepEqual(await order(), {
        'cart-1': [1, '10:00'],
        'cart-2': [2, '10:30'],
        'cart-3': [3, '10:30'],
        'cart-4': [4, '10:30'],
        'cart-5': [5, '10:40'],
      });
      // The tool re-reports cart-2 at the end of its history: the two it no longer precedes take their own times.
      await t.client.ingest('events', JSON.stringify(d('cart-2', '2026-04-01T10:30:00Z', 6, 'do-cart-2-again')));
      assert.deepEqual(await order(), {
        'cart-1': [1, '10:00'],
        'cart-3': [3, '10:10'],
        'cart-4': [4, '10:20'],
        'cart-5': [5, '10:40'],
        'cart-2': [6, '10:40'],
      });
      assert.equal((await t.client.verifyAudit()).ok, true, 'a replay of the events orders them the same');
    });

    it("orders GitHub's deployments by their ids", async () => {
      const example = webhookExample('deployment');
      const send = (id: number, createdAt: string, sha: string) => {
        const body = structuredClone(example);
        body.repository.full_name = 'acme/order-gh';
        Object.assign(body.deployment, { id, created_at: createdAt, updated_at: createdAt, sha, environment: 'production' });
        return t.client.ingest('github', JSON.stringify(body), { githubEvent: 'deployment' });
      };
      await send(501, '2026-03-02T10:00:00Z', commit('1'));
      await send(502, '2026-03-02T09:58:00Z', commit('2'));
      const history = (await t.client.deployments('acme/order-gh', 'production')).deployments;
      assert.deepEqual(
        history.map((d) => [d.commit, d.origin]),
        [
          [commit('2'), 'github'],
          [commit('1'), 'github'],
        ],
      );
    });
  });
}
