/**
 * Every fixture family ingested over real HTTP into a running service and read back through the
 * query API: CDEvents conformance, @octokit/webhooks-examples, SARIF, in-toto.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { backends, fixturesDir, http, startTestService, type TestService } from '../helpers/testService';
import { webhookExamples } from '../helpers/webhookExamples';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

for (const backend of backends()) {
  describe(`fixture ingest (${backend} store)`, function () {
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => t?.close());

    describe('CDEvents conformance', () => {
      const dir = join(fixturesDir(), 'cdevents/conformance');
      const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

      it('accepts every conformance event, one request each, and keeps it raw', async () => {
        assert.ok(files.length >= 40, `expected the conformance set, found ${files.length} files`);
        for (const file of files) {
          const text = readFileSync(join(dir, file), 'utf8');
          const res = await http(`${t.url}/v1/events`, { body: text });
          assert.equal(res.status, 200, `${file}: ${res.text}`);
          assert.equal(res.json.accepted, 1, `${file} should be stored`);
          const event = JSON.parse(text);
          const key = res.json.events[0].key;
          assert.equal(key, `cdevents:${event.context.source}:${event.context.type}:${event.context.id}`);
          const stored = await t.client.event(key);
          assert.deepEqual(stored.raw, event, `${file} is kept verbatim`);
          assert.equal(stored.format, 'cdevents');
        }
      });

      it('treats the whole set sent again as one batch as duplicates', async () => {
        const batch = files.map((f) => readJson(join(dir, f)));
        const res = await http(`${t.url}/v1/events`, { body: JSON.stringify(batch) });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.accepted, 0);
        assert.equal(res.json.duplicates, files.length);
      });

      it('links service and incident events to the artifact digest they name', async () => {
        const deployed = readJson(join(dir, 'service_deployed.json'));
        const digest = decodeURIComponent(deployed.subject.content.artifactId.split('@')[1]);
        const artifact = await t.client.artifact(digest);
        const envs = new Set(artifact.deployments.map((d) => d.environment));
        assert.ok(envs.has(deployed.subject.content.environment.id));
        const rolledBack = artifact.deployments.filter((d) => d.kind === 'rollback');
        assert.equal(rolledBack.length, 1, 'service.rolledback is recorded as a rollback');
        const detected = readJson(join(dir, 'incident_detected.json'));
        const finding = await t.client.finding(`cdevents:${detected.context.source}:${detected.subject.id}`);
        assert.equal(finding.environment, detected.subject.content.environment.id);
        assert.equal(finding.kind, 'incident');
        // detected, reported and resolved share one incident; the latest decides its status, and at
        // the same instant a resolution outranks a report
        const incidentFiles = ['incident_detected.json', 'incident_reported.json', 'incident_resolved.json'].map((f) =>
          readJson(join(dir, f)),
        );
        const newest = Math.max(...incidentFiles.map((e) => Date.parse(e.context.timestamp)));
        const atNewest = incidentFiles.filter((e) => Date.parse(e.context.timestamp) === newest);
        const expected = atNewest.some((e) => e.context.type.includes('resolved')) ? 'resolved' : 'open';
        assert.equal(finding.status, expected);
      });
    });

    describe('GitHub webhooks (@octokit/webhooks-examples)', () => {
      const names = [
        'deployment',
        'deployment_status',
        'pull_request',
        'pull_request_review',
        'workflow_run',
        'check_run',
        'status',
        'push',
        'code_scanning_alert',
      ];
      const deliveries: { name: string; payload: any }[] = [];
      for (const name of names) {
        const group = webhookExamples.find((g) => g.name === name);
        for (const payload of group?.examples ?? []) deliveries.push({ name, payload });
      }

      it('ingests every example of the supported events', async () => {
        for (const name of names)
          assert.ok(
            deliveries.some((d) => d.name === name),
            `examples of ${name} exist`,
          );
        let n = 0;
        for (const { name, payload } of deliveries) {
          const res = await http(`${t.url}/v1/webhooks/github`, {
            body: JSON.stringify(payload),
            headers: { 'x-github-event': name, 'x-github-delivery': `example-${name}-${n++}` },
          });
          assert.equal(res.status, 200, `${name}: ${res.text}`);
          assert.equal(res.json.accepted, 1);
        }
      });

      it('puts deployments, pull requests, reviews, runs, commits and alerts in the right tables', async () => {
        // The examples reuse one deployment id across environments; the latest report of an id wins.
        const when = (p: any) => Date.parse(p.deployment_status?.updated_at ?? p.deployment.created_at);
        const latestById = new Map<number, any>();
        for (const { name, payload } of deliveries) {
          if (name !== 'deployment' && name !== 'deployment_status') continue;
          const seen = latestById.get(payload.deployment.id);
          if (!seen || when(payload) > when(seen)) latestById.set(payload.deployment.id, payload);
        }
        for (const { name, payload: delivered } of deliveries) {
          const repo = delivered.repository?.full_name as string;
          const payload = name === 'deployment' || name === 'deployment_status' ? latestById.get(delivered.deployment.id) : delivered;
          if (name === 'deployment' || name === 'deployment_status') {
            const envs = await t.client.environments(repo);
            assert.ok(
              envs.environments.some((e) => e.name === payload.deployment.environment),
              `${name}: environment listed`,
            );
            const history = await t.client.deployments(repo, payload.deployment.environment, { limit: 500 });
            const d = history.deployments.find((x) => x.id === `github:${repo}:${payload.deployment.id}`);
            assert.ok(d, `${name}: deployment ${payload.deployment.id} stored`);
            assert.equal(d.commit, payload.deployment.sha);
            assert.equal(d.actor, payload.deployment.creator.login);
          }
          if (name === 'pull_request') {
            const lineage = await t.client.lineage(repo, [payload.pull_request.head.sha]);
            assert.ok(
              lineage.commits[0]!.pullRequests.some((p) => p.number === payload.pull_request.number),
              'pull request found by head commit',
            );
          }
          if (name === 'pull_request_review') {
            const lineage = await t.client.lineage(repo, [payload.pull_request.head.sha]);
            const pr = lineage.commits[0]!.pullRequests.find((p) => p.number === payload.pull_request.number);
            assert.ok(pr, 'pull request of the review found');
            const review = pr.reviews.find((r) => r.id === `github:${payload.review.id}`);
            assert.ok(review, 'review stored');
            assert.equal(review.commit, payload.review.commit_id);
            assert.equal(review.reviewer, payload.review.user.login);
          }
          if (name === 'workflow_run' || name === 'check_run') {
            const run = payload[name];
            const lineage = await t.client.lineage(repo, [run.head_sha]);
            assert.ok(
              lineage.commits[0]!.builds.some((b) => b.id === `github:${name}:${run.id}`),
              `${name} ${run.id} stored as a build`,
            );
          }
          if (name === 'status') {
            const lineage = await t.client.lineage(repo, [payload.sha]);
            const build = lineage.commits[0]!.builds.find((b) => b.id === `github:status:${payload.id}`);
            assert.ok(build, `status ${payload.id} stored as a check`);
            assert.equal(build.name, payload.context);
            assert.equal(build.conclusion, payload.state === 'pending' ? null : payload.state);
          }
          if (name === 'push' && payload.head_commit) {
            // The examples give one SHA several messages; a commit is stored once, with one of them.
            const messages = deliveries
              .filter((d) => d.name === 'push')
              .flatMap((d) => [d.payload.head_commit, ...d.payload.commits])
              .filter((c) => c?.id === payload.head_commit.id)
              .map((c) => c.message);
            const lineage = await t.client.lineage(repo, [payload.head_commit.id]);
            assert.ok(messages.includes(lineage.commits[0]!.commit?.message), 'commit stored with its message');
          }
          if (name === 'code_scanning_alert') {
            const finding = await t.client.finding(`github:${repo}:code-scanning:${payload.alert.number}`);
            assert.equal(finding.kind, 'vulnerability');
            const location = payload.alert.most_recent_instance?.location;
            if (location?.path && finding.locations.length > 0) assert.ok(finding.locations.some((l) => l.path === location.path));
          }
        }
      });

      it("makes a successful deployment_status the environment's current deployment, and a pending one not", async () => {
        const success = deliveries.find((d) => d.name === 'deployment_status' && d.payload.deployment_status.state === 'success');
        const created = deliveries.find((d) => d.name === 'deployment');
        assert.ok(success && created, 'examples exist');
        // A repository of its own, so other examples reusing the deployment id do not interfere.
        const repo = 'examples/deployment-status';
        const send = async (event: string, payload: any, delivery: string) => {
          const body = JSON.stringify({ ...payload, repository: { ...payload.repository, full_name: repo } });
          const res = await http(`${t.url}/v1/webhooks/github`, {
            body,
            headers: { 'x-github-event': event, 'x-github-delivery': delivery },
          });
          assert.equal(res.status, 200, res.text);
        };
        await send('deployment', created.payload, 'own-1');
        let env = (await t.client.environments(repo)).environments.find((e) => e.name === created.payload.deployment.environment);
        assert.equal(env?.deployment, null, 'a deployment without a successful status is not live');
        await send('deployment_status', success.payload, 'own-2');
        env = (await t.client.environments(repo)).environments.find((e) => e.name === success.payload.deployment.environment);
        assert.equal(env?.deployment?.status, 'success');
        assert.equal(env?.deployment?.commit, success.payload.deployment.sha);
      });
    });

    describe('SARIF 2.1.0', () => {
      const dir = join(fixturesDir(), 'sarif');
      const commit = 'a'.repeat(40);

      it('turns each result into a finding located at the uploaded commit', async () => {
        for (const file of readdirSync(dir)) {
          const text = readFileSync(join(dir, file), 'utf8');
          const repo = `fixtures/${file.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
          const res = await http(`${t.url}/v1/sarif?repo=${repo}&commit=${commit}&environment=staging`, { body: text });
          assert.equal(res.status, 200, `${file}: ${res.text}`);
          const log = JSON.parse(text);
          const results = log.runs.flatMap((r: any) => r.results ?? []);
          const found = await t.client.findings(repo, { limit: 5000 });
          assert.ok(
            found.findings.length >= 1 && found.findings.length <= results.length,
            `${file}: ${found.findings.length} findings for ${results.length} results`,
          );
          for (const f of found.findings) {
            assert.equal(f.environment, 'staging');
            for (const l of f.locations) assert.equal(l.revision, commit);
          }
          // The first located result is findable by its path.
          const first = results.find((r: any) => r.locations?.[0]?.physicalLocation?.artifactLocation?.uri);
          if (first) {
            const uri: string = first.locations[0].physicalLocation.artifactLocation.uri;
            const hit = found.findings.some((f) =>
              f.locations.some((l) => l.path.endsWith(uri.replace(/^file:\/\//, '').replace(/^\.\//, ''))),
            );
            assert.ok(hit, `${file}: a finding located at ${uri}`);
          }
          const again = await http(`${t.url}/v1/sarif?repo=${repo}&commit=${commit}&environment=staging`, { body: text });
          assert.equal(again.json.duplicates, 1, `${file}: uploading the same log again is a duplicate`);
        }
      });

      it('resolves originalUriBaseIds into repository paths', async () => {
        const repo = 'fixtures/sarif-tutorials-OriginalUriBaseIds.sarif';
        const found = await t.client.findings(repo, { path: 'src/io/kb.c' });
        assert.equal(found.findings.length >= 1, true, 'SRCROOT (src/ under REPOROOT) is resolved');
      });

      it('takes the revision from versionControlProvenance when no commit is given', async () => {
        const revision = 'b'.repeat(40);
        const log = {
          version: '2.1.0',
          runs: [
            {
              tool: { driver: { name: 'semgrep' } },
              versionControlProvenance: [{ repositoryUri: 'https://github.com/acme/vcp', revisionId: revision }],
              results: [
                {
                  ruleId: 'r1',
                  message: { text: 'bad' },
                  locations: [{ physicalLocation: { artifactLocation: { uri: 'a.js' }, region: { startLine: 3 } } }],
                },
              ],
            },
          ],
        };
        const res = await http(`${t.url}/v1/sarif`, { body: JSON.stringify(log) });
        assert.equal(res.status, 200, res.text);
        const found = await t.client.findings('acme/vcp');
        assert.equal(found.findings[0]?.locations[0]?.revision, revision);
        assert.equal(found.findings[0]?.locations[0]?.line, 3);
      });
    });

    describe('in-toto attestations', () => {
      const dir = join(fixturesDir(), 'intoto');
      const expectations: Record<string, { digest: string; commit: string | null; repo: string | null; signed: boolean }> = {
        'dsse-slsa-v02-gha-generic.intoto.jsonl': {
          digest: 'sha256:2892146b063a94cb4a4318c0e98d38af12dcf2b1e29237486b58463b59607bbd',
          commit: 'd37a7f740ee7404914456f24dcd90e865a0509e8',
          repo: 'slsa-framework/example-package',
          signed: true,
        },
        'github-attestation-bundle-slsa-v1-bcr.intoto.jsonl': {
          digest: 'sha256:06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b',
          commit: '8f70009fde0c94ade6ce2a054b94718c819126ec',
          repo: 'aspect-build/rules_lint',
          signed: true,
        },
        'sigstore-bundle-v02-slsa-v1-container-based.json': {
          digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          commit: '4d329c75e7ec1725f7c9ce917a8799d408d06be3',
          repo: 'slsa-framework/example-package',
          signed: true,
        },
      };

      it('accepts every fixture: bare statements, DSSE envelopes, Sigstore bundles, npm listings', async () => {
        for (const file of readdirSync(dir)) {
          const res = await http(`${t.url}/v1/attestations`, { body: readFileSync(join(dir, file), 'utf8') });
          assert.equal(res.status, 200, `${file}: ${res.text}`);
          assert.ok(res.json.accepted >= 1, `${file} stored`);
        }
      });

      it('links each subject digest to the source commit of its provenance', async () => {
        for (const [file, want] of Object.entries(expectations)) {
          const artifact = await t.client.artifact(want.digest);
          const attestation = artifact.attestations[0];
          assert.ok(attestation, `${file}: attestation found by digest`);
          assert.equal(attestation.commit, want.commit, `${file}: commit`);
          assert.equal(attestation.repo, want.repo, `${file}: repo`);
          assert.equal(attestation.signed, want.signed, `${file}: signed`);
          assert.equal(artifact.artifact?.commit, want.commit);
        }
      });

      it('reads the SLSA v0.2 statement of slsa-verifier through its materials or config source', async () => {
        const statement = readJson(join(dir, 'statement-v01-slsa-v02-slsa-verifier-v2.0.1.json'));
        const digest = `sha256:${statement.subject[0].digest.sha256}`;
        const artifact = await t.client.artifact(digest);
        assert.equal(artifact.attestations[0]?.commit, statement.predicate.invocation.configSource.digest.sha1);
        assert.equal(artifact.attestations[0]?.signed, false);
      });
    });

    describe('audit log', () => {
      it('keeps the chain intact after all of it', async () => {
        const audit = await t.client.verifyAudit();
        assert.equal(audit.ok, true, audit.reason ?? '');
        assert.ok(audit.entries > 100, `${audit.entries} entries`);
      });
    });
  });
}
