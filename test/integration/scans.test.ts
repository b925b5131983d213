/** A SARIF upload is a scan of its revision: a clean one (no open result) is recorded as a passed scan. */
import assert from 'node:assert/strict';
import { backends, startTestService, type TestService } from '../helpers/testService';

const commit = 'e'.repeat(40);
const log = (tool: string, results: object[]) =>
  JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: tool, rules: [{ id: 'R1' }] } },
        invocations: [{ endTimeUtc: '2026-03-01T10:00:00Z', executionSuccessful: true }],
        results,
      },
    ],
  });

for (const backend of backends()) {
  describe(`scans (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });

    it('records every SARIF run as a scan of its commit, passed when it found nothing open', async () => {
      await t.client.ingest('sarif', log('Trivy', []), { repo: 'acme/scans', commit });
      const found = {
        ruleId: 'R1',
        message: { text: 'secret' },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'app.js' }, region: { startLine: 2 } } }],
      };
      await t.client.ingest('sarif', log('gitleaks', [found]), { repo: 'acme/scans', commit });
      await t.client.ingest('sarif', log('CodeQL', [{ ...found, suppressions: [{ kind: 'inSource' }] }]), { repo: 'acme/scans', commit });
      const [lineage] = (await t.client.lineage('acme/scans', [commit])).commits;
      const scans = Object.fromEntries(
        lineage!.builds.filter((b) => b.kind === 'scan').map((b) => [b.name, [b.status, b.conclusion, b.finishedAt]]),
      );
      assert.deepEqual(scans, {
        Trivy: ['completed', 'success', '2026-03-01T10:00:00.000Z'],
        gitleaks: ['completed', 'neutral', '2026-03-01T10:00:00.000Z'],
        CodeQL: ['completed', 'success', '2026-03-01T10:00:00.000Z'],
      });
      assert.equal((await t.client.verifyAudit()).ok, true, 'the scans re-derive from the stored uploads');
    });
  });
}
