/** Who deployed, and whether a bot or a person did: from the source's own field, never from a name. */
import assert from 'node:assert/strict';
import { backends, startTestService, type TestService } from '../helpers/testService';
import { webhookExample } from '../helpers/webhookExamples';

for (const backend of backends()) {
  describe(`deployment actors (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });

    it('keeps bot or person as each source says, and says nothing when it does not', async () => {
      const at = '2026-03-02T10:00:00Z';
      await t.client.ingest(
        'events',
        JSON.stringify([
          {
            type: 'deployment',
            id: 'da-1',
            repo: 'acme/actors',
            deploymentId: 'p1',
            environment: 'production',
            commit: 'a'.repeat(40),
            at,
            actor: 'grace',
            actorType: 'person',
          },
          // A name that looks like a bot is not taken for one.
          {
            type: 'deployment',
            id: 'da-2',
            repo: 'acme/actors',
            deploymentId: 'p2',
            environment: 'staging',
            commit: 'a'.repeat(40),
            at,
            actor: 'deploy-bot',
          },
        ]),
      );
      const example = webhookExample('deployment_status');
      example.repository.full_name = 'acme/actors';
      example.deployment.creator.type = 'Bot';
      example.deployment.creator.login = 'github-actions[bot]';
      await t.client.ingest('github', JSON.stringify(example), { githubEvent: 'deployment_status' });
      const actors: Record<string, unknown> = {};
      for (const env of (await t.client.environments('acme/actors')).environments) {
        for (const d of (await t.client.deployments('acme/actors', env.name)).deployments) actors[d.actor ?? d.id] = d.actorType;
      }
      assert.deepEqual(actors, { grace: 'person', 'deploy-bot': null, 'github-actions[bot]': 'bot' });
      assert.equal((await t.client.verifyAudit()).ok, true);
    });
  });
}
