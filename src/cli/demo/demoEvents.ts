/**
 * The demo's event stream, in the formats real tools send: native events from a deploy script,
 * CDEvents from a CD system, in-toto SLSA provenance from the build, SARIF from a Kubernetes
 * scanner. Everything is derived from the demo repository's real commits.
 */
import { createHash } from 'node:crypto';
import type { DemoRepo } from './demoRepo';

export interface DemoStream {
  events: object[];
  cdevents: object[];
  attestations: object[];
  sarif: { log: object; commit: string };
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

/** 1-based line of the first line containing `needle` in a file at a labelled commit. */
export function lineOf(repo: DemoRepo, label: string, path: string, needle: string): number {
  const index = repo
    .fileAt(label, path)
    .split('\n')
    .findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`demo: "${needle}" not found in ${path} at ${label}`);
  return index + 1;
}

export function demoStream(repo: DemoRepo): DemoStream {
  const c = repo.commits;
  const sha = (label: string) => c[label]!.sha;
  const at = (label: string) => c[label]!.at;
  const events: object[] = [];
  const cdevents: object[] = [];
  const attestations: object[] = [];
  const r = repo.slug;

  const pull = (number: number, branch: string, author: string, head: string, mergeLabel: string, commits: string[], title: string) =>
    events.push({
      type: 'pull_request',
      id: `pr-${number}-merged`,
      repo: r,
      number,
      title,
      url: `https://github.com/${r}/pull/${number}`,
      author,
      state: 'merged',
      headSha: sha(head),
      headRef: branch,
      baseRef: 'main',
      mergeCommit: sha(mergeLabel),
      mergedAt: at(mergeLabel),
      updatedAt: at(mergeLabel),
      commits: commits.map(sha),
    });
  const review = (id: string, number: number, reviewer: string, commitLabel: string, minutesAfter: number) =>
    events.push({
      type: 'review',
      id: `review-${id}`,
      repo: r,
      reviewId: id,
      pullRequest: number,
      reviewer,
      state: 'approved',
      commit: sha(commitLabel),
      at: plus(at(commitLabel), minutesAfter),
    });
  const build = (label: string, n: number) => {
    const digest = digestOf(`ghcr.io/acme/shop-api@${sha(label)}`);
    const started = plus(at(label), 2);
    const finished = plus(at(label), 9);
    events.push({
      type: 'build',
      id: `build-${n}`,
      repo: r,
      buildId: `ci-${n}`,
      kind: 'workflow',
      name: 'ci / build-and-push',
      commit: sha(label),
      status: 'completed',
      conclusion: 'success',
      url: `https://github.com/${r}/actions/runs/${9000 + n}`,
      startedAt: started,
      finishedAt: finished,
    });
    events.push({
      type: 'artifact',
      id: `artifact-${n}`,
      repo: r,
      digest,
      name: 'ghcr.io/acme/shop-api',
      purl: `pkg:oci/shop-api@${digest.replace(':', '%3A')}?repository_url=ghcr.io/acme`,
      commit: sha(label),
      buildId: `ci-${n}`,
      createdAt: finished,
    });
    attestations.push({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ghcr.io/acme/shop-api', digest: { sha256: digest.slice(7) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: { ref: 'refs/heads/main', repository: `https://github.com/${r}`, path: '.github/workflows/ci.yml' },
          },
          resolvedDependencies: [{ uri: `git+https://github.com/${r}@refs/heads/main`, digest: { gitCommit: sha(label) } }],
        },
        runDetails: {
          builder: { id: 'https://github.com/actions/runner/github-hosted' },
          metadata: {
            invocationId: `https://github.com/${r}/actions/runs/${9000 + n}/attempts/1`,
            startedOn: started,
            finishedOn: finished,
          },
        },
      },
    });
    return digest;
  };
  let deployCount = 800;
  const deploy = (environment: string, label: string, digest: string, minutesAfter: number, extra: Record<string, unknown> = {}) => {
    const id = `${++deployCount}`;
    events.push({
      type: 'deployment',
      id: `deploy-${id}`,
      repo: r,
      deploymentId: id,
      environment,
      service: 'shop-api',
      commit: sha(label),
      artifact: digest,
      at: plus(at(label), minutesAfter),
      actor: 'ci-bot',
      kind: 'deploy',
      status: 'success',
      url: `https://deploy.acme.example/shop-api/${id}`,
      ...extra,
    });
    return id;
  };
  const approve = (deploymentId: string, approver: string, when: string) =>
    events.push({
      type: 'approval',
      id: `approval-${deploymentId}`,
      repo: r,
      approvalId: `env-approval-${deploymentId}`,
      deploymentId,
      environment: 'production',
      approver,
      state: 'approved',
      at: when,
    });

  pull(1, 'feature/cart-tax', 'bob', 'cartTax', 'mergeCartTax', ['cartTax'], 'Add tax to cart totals');
  review('1001', 1, 'alice', 'cartTax', 30);
  pull(2, 'feature/payment-retry', 'carol', 'paymentRetry', 'mergePaymentRetry', ['paymentRetry'], 'Retry the payment gateway');
  review('1002', 2, 'bob', 'paymentRetry', 45);
  pull(3, 'feature/inventory', 'bob', 'inventory', 'mergeInventory', ['inventory'], 'Reserve inventory at checkout');
  review('1003', 3, 'carol', 'inventory', 20);
  pull(4, 'feature/inventory-v2', 'bob', 'inventoryV2', 'mergeInventoryV2', ['inventoryV2'], 'Reserve inventory, checking stock first');
  // Alice approved the first attempt of the branch; the rewrite after it was never re-reviewed.
  review('1004', 4, 'alice', 'inventory', 240);

  const a1 = build('mergeCartTax', 1);
  deploy('dev', 'mergeCartTax', a1, 15);
  deploy('staging', 'mergeCartTax', a1, 40);
  approve(deploy('production', 'mergeCartTax', a1, 120), 'carol', plus(at('mergeCartTax'), 115));

  const a2 = build('mergePaymentRetry', 2);
  deploy('dev', 'mergePaymentRetry', a2, 15);
  deploy('staging', 'mergePaymentRetry', a2, 40);
  approve(deploy('production', 'mergePaymentRetry', a2, 100), 'alice', plus(at('mergePaymentRetry'), 95));

  const a3 = build('mergeInventory', 3);
  deploy('dev', 'mergeInventory', a3, 15);
  deploy('staging', 'mergeInventory', a3, 30);
  const badProd = deploy('production', 'mergeInventory', a3, 50);
  approve(badProd, 'carol', plus(at('mergeInventory'), 45));
  const crashLine = lineOf(repo, 'mergeInventory', 'src/inventory.js', 'available.valueOf()');
  events.push({
    type: 'finding',
    id: 'finding-inventory-crash',
    repo: r,
    findingId: 'err-7f3a',
    kind: 'error',
    severity: 'critical',
    title: "TypeError: Cannot read properties of undefined (reading 'valueOf')",
    status: 'resolved',
    environment: 'production',
    service: 'shop-api',
    artifact: a3,
    commit: sha('mergeInventory'),
    tool: 'errors',
    detectedAt: plus(at('mergeInventory'), 58),
    detail: [
      "TypeError: Cannot read properties of undefined (reading 'valueOf')",
      `    at reserve (/app/src/inventory.js:${crashLine}:20)`,
      '    at checkout (/app/src/server.js:8:19)',
      '    at Server.<anonymous> (/app/src/server.js:5:41)',
    ].join('\n'),
    locations: [{ path: 'src/inventory.js', line: crashLine, column: 20, revision: sha('mergeInventory') }],
  });
  deploy('production', 'mergePaymentRetry', a2, 0, {
    at: plus(at('mergeInventory'), 70),
    kind: 'rollback',
    reason: `rollback of deployment ${badProd}: inventory reservation crashes on unknown SKUs`,
  });

  const a4 = build('revertInventory', 4);
  deploy('dev', 'revertInventory', a4, 15);
  deploy('staging', 'revertInventory', a4, 30);

  const a5 = build('hotfix', 5);
  const hotfixProd = deploy('production', 'hotfix', a5, 25, {
    kind: 'hotfix',
    actor: 'carol',
    reason: 'SHOP-21 payment outage: the mobile client sends amounts as strings',
  });
  approve(hotfixProd, 'alice', plus(at('hotfix'), 22));
  deploy('staging', 'hotfix', a5, 35);
  const timeoutLine = lineOf(repo, 'hotfix', 'src/payments.js', "throw new Error('gateway timeout')");
  events.push({
    type: 'finding',
    id: 'finding-gateway-timeout',
    repo: r,
    findingId: 'err-91c2',
    kind: 'error',
    severity: 'high',
    title: 'Error: gateway timeout (42 events in 1h)',
    status: 'open',
    environment: 'production',
    service: 'shop-api',
    artifact: a5,
    commit: sha('hotfix'),
    tool: 'errors',
    detectedAt: plus(at('hotfix'), 90),
    detail: [
      'Error: gateway timeout',
      `    at callGateway (/app/src/payments.js:${timeoutLine}:23)`,
      `    at charge (/app/src/payments.js:${lineOf(repo, 'hotfix', 'src/payments.js', 'return await callGateway')}:20)`,
    ].join('\n'),
    locations: [{ path: 'src/payments.js', line: timeoutLine, column: 23, revision: sha('hotfix') }],
  });

  const a6 = build('mergeInventoryV2', 6);
  deploy('dev', 'mergeInventoryV2', a6, 15);
  // The CD system reports the staging rollout as a CDEvent; the commit rides in customData.
  cdevents.push({
    context: {
      specversion: '0.4.1',
      id: 'c0ffee00-0000-4000-8000-000000000006',
      source: '/cd/argo/shop',
      type: 'dev.cdevents.service.deployed.0.2.0',
      timestamp: plus(at('mergeInventoryV2'), 40),
    },
    subject: {
      id: 'shop-api',
      source: '/cd/argo/shop',
      content: { environment: { id: 'staging', source: '/clusters/eu-1' }, artifactId: `pkg:oci/shop-api@${a6.replace(':', '%3A')}` },
    },
    customData: { repo: r, commit: sha('mergeInventoryV2'), actor: 'argo-cd' },
  });
  cdevents.push({
    context: {
      specversion: '0.4.1',
      id: 'c0ffee00-0000-4000-8000-000000000007',
      source: '/monitoring/prod',
      type: 'dev.cdevents.incident.detected.0.2.0',
      timestamp: plus(at('hotfix'), 120),
    },
    subject: {
      id: 'incident-checkout-latency',
      source: '/monitoring/prod',
      content: {
        description: 'p99 latency of /checkout above 800 ms',
        environment: { id: 'production', source: '/clusters/eu-1' },
        service: { id: 'shop-api', source: '/clusters/eu-1/shop' },
        artifactId: `pkg:oci/shop-api@${a5.replace(':', '%3A')}`,
      },
    },
    customData: { severity: 'medium' },
  });

  const privilegedLine = lineOf(repo, 'mergeInventoryV2', 'k8s/deployment.yaml', 'privileged: true');
  const sarif = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'kube-score',
            informationUri: 'https://github.com/zegl/kube-score',
            rules: [
              {
                id: 'container-security-context-privileged',
                shortDescription: { text: 'Container runs privileged' },
                helpUri: 'https://github.com/zegl/kube-score/blob/master/README_CHECKS.md',
                properties: { 'security-severity': '8.0' },
              },
            ],
          },
        },
        versionControlProvenance: [{ repositoryUri: `https://github.com/${r}`, revisionId: sha('mergeInventoryV2'), branch: 'main' }],
        results: [
          {
            ruleId: 'container-security-context-privileged',
            ruleIndex: 0,
            level: 'error',
            message: {
              text: 'Deployment shop/shop-api: container "api" runs privileged (spec.template.spec.containers[0].securityContext.privileged)',
            },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'k8s/deployment.yaml' }, region: { startLine: privilegedLine } } }],
            partialFingerprints: { 'kube-score/object': 'apps/v1/Deployment/shop/shop-api/api/privileged' },
          },
        ],
      },
    ],
  };

  return { events, cdevents, attestations, sarif: { log: sarif, commit: sha('mergeInventoryV2') } };
}
