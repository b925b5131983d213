/**
 * The GraphQL side of GitHub as a source: the queries direct mode sends (every environment's
 * deployments; the environments a busy one crowds out; the pull requests and reviews of a hundred
 * commits), the shapes their answers are validated against, and how those become the domain's
 * deployments and pull requests. Values from outside (environment names) travel as variables.
 */
import { z } from 'zod';
import type { Deployment, EnvironmentProtection, PullRequest, Review } from '../../model/domain';
import { runIdIn } from '../../ingest/githubIds';
import { deploymentKind, deploymentStatus, payloadDigest, reviewState } from './githubMappings';

/** Deployments of all environments read at once; a repository deploying more often than this to some environments gets a second query for the others. */
export const recentDeployments = 100;
const historyPerEnvironment = 20;

/**
 * Fields of the deployments query an older Enterprise Server's schema may lack, and what is
 * unknown without each. Without them the query still answers what runs where.
 */
export const optionalDeploymentFields: Record<string, { select: string; without: string }> = {
  'Repository.environments': {
    select: 'environments(first: 50) { nodes { name } }',
    without: 'environments nothing was deployed to are not listed',
  },
  'Deployment.payload': { select: 'payload', without: 'the artifact each deployment shipped is unknown' },
  'Deployment.task': { select: 'task', without: 'every deployment counts as a deploy (no rollbacks told apart)' },
  'Deployment.description': { select: 'description', without: 'deployment descriptions are not shown' },
  'DeploymentStatus.environmentUrl': { select: 'environmentUrl', without: 'environment URLs are not shown' },
  'Environment.protectionRules': {
    select: 'protectionRules',
    without: "environments' protection rules (required reviewers, wait timers) are not shown",
  },
  'DeploymentProtectionRule.preventSelfReview': {
    select: 'preventSelfReview',
    without: 'whether an environment forbids approving your own deployment is not shown',
  },
  'DeploymentStatus.logUrl': {
    select: 'logUrl',
    without: "the Actions run behind a deployment, and its environment reviewers' approvals, are unknown",
  },
};

function deploymentFields(lacking: ReadonlySet<string>): string {
  const has = (field: string) => (lacking.has(field) ? '' : optionalDeploymentFields[field]!.select);
  return `databaseId environment createdAt ${has('Deployment.description')} ${has('Deployment.task')} ${has('Deployment.payload')} commitOid creator { login __typename } latestStatus { state createdAt ${has('DeploymentStatus.environmentUrl')} ${has('DeploymentStatus.logUrl')} }`;
}

/** The environments, with their protection rules where the server knows them. */
function environmentsSelection(lacking: ReadonlySet<string>): string {
  const selfReview = lacking.has('DeploymentProtectionRule.preventSelfReview') ? '' : 'preventSelfReview';
  const rules = lacking.has('Environment.protectionRules')
    ? ''
    : `protectionRules(first: 10) { nodes { type timeout ${selfReview} reviewers(first: 20) { nodes { __typename ... on User { login } ... on Team { slug } } } } }`;
  return `environments(first: 50) { nodes { name ${rules} } }`;
}

/** Every environment, and the most recent deployments of all of them, in one query. */
export function deploymentsQuery(lacking: ReadonlySet<string>): string {
  return `query LineageDeployments($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    ${lacking.has('Repository.environments') ? '' : environmentsSelection(lacking)}
    deployments(first: ${recentDeployments}, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ${deploymentFields(lacking)} } }
  }
}`;
}

/** The recent deployments of some environments, one alias each; names travel as variables. */
export function environmentDeploymentsQuery(count: number, lacking: ReadonlySet<string>): string {
  const variables = Array.from({ length: count }, (_, i) => `$e${i}: [String!]`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `e${i}: deployments(environments: $e${i}, first: ${historyPerEnvironment}, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ${deploymentFields(lacking)} } }`,
  );
  return `query LineageEnvironmentDeployments($owner: String!, $name: String!, ${variables}) { repository(owner: $owner, name: $name) { ${fields.join(' ')} } }`;
}

const GqlDeployment = z.object({
  databaseId: z.number().int().nullable(),
  environment: z.string().nullable(),
  createdAt: z.string(),
  description: z.string().nullable().optional(),
  task: z.string().nullable().optional(),
  payload: z.string().nullable().optional(),
  commitOid: z.string().regex(/^[0-9a-f]{40}$/),
  creator: z.object({ login: z.string(), __typename: z.string().optional() }).nullable(),
  latestStatus: z
    .object({
      state: z.string(),
      createdAt: z.string(),
      environmentUrl: z.string().nullable().optional(),
      logUrl: z.string().nullable().optional(),
    })
    .nullable(),
});

const GqlEnvironment = z.object({
  name: z.string(),
  protectionRules: z
    .object({
      nodes: z.array(
        z.object({
          type: z.string(),
          timeout: z.number().int().nullable().optional(),
          preventSelfReview: z.boolean().nullable().optional(),
          reviewers: z
            .object({ nodes: z.array(z.object({ __typename: z.string(), login: z.string().optional(), slug: z.string().optional() })) })
            .optional(),
        }),
      ),
    })
    .optional(),
});

export const DeploymentsAnswer = z.object({
  repository: z.object({
    environments: z.object({ nodes: z.array(GqlEnvironment) }).optional(),
    deployments: z.object({ nodes: z.array(GqlDeployment) }),
  }),
});

export const EnvironmentDeploymentsAnswer = z.object({ repository: z.record(z.string(), z.object({ nodes: z.array(GqlDeployment) })) });

const GqlReview = z.object({
  databaseId: z.number().int().nullable(),
  author: z.object({ login: z.string() }).nullable(),
  state: z.string(),
  commit: z.object({ oid: z.string() }).nullable(),
  submittedAt: z.string().nullable(),
});

const GqlPullRequest = z.object({
  number: z.number().int(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  state: z.enum(['OPEN', 'CLOSED', 'MERGED']),
  author: z.object({ login: z.string() }).nullable(),
  headRefOid: z.string().nullable(),
  headRefName: z.string().nullable(),
  baseRefName: z.string().nullable(),
  mergeCommit: z.object({ oid: z.string() }).nullable(),
  mergedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  reviews: z.object({ nodes: z.array(GqlReview) }),
});

const CommitAnswer = z.object({ associatedPullRequests: z.object({ nodes: z.array(GqlPullRequest) }) }).nullable();

export const CommitsAnswer = z.object({ repository: z.record(z.string(), CommitAnswer) });

/** The pull requests (with reviews) of a batch of commits, one alias `c<k>` each. */
export function commitsQuery(commits: string[]): string {
  const fields = commits.map(
    (sha, k) =>
      `c${k}: object(oid: "${sha}") { ... on Commit { associatedPullRequests(first: 5) { nodes { number title url state author { login } headRefOid headRefName baseRefName mergeCommit { oid } mergedAt updatedAt reviews(first: 100) { nodes { databaseId author { login } state commit { oid } submittedAt } } } } } }`,
  );
  return `query LineageCommits($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { ${fields.join(' ')} } }`;
}

export function toDeployment(repo: string, d: z.infer<typeof GqlDeployment>): Deployment {
  const status = deploymentStatus(d.latestStatus?.state);
  return {
    id: String(d.databaseId ?? `${d.environment}-${d.createdAt}`),
    repo,
    environment: d.environment!,
    service: null,
    commit: d.commitOid,
    artifact: payloadDigest(d.payload),
    at: d.createdAt,
    actor: d.creator?.login ?? null,
    actorType: d.creator?.__typename === 'Bot' ? 'bot' : d.creator?.__typename === 'User' ? 'person' : null,
    kind: deploymentKind(d.task),
    status,
    reason: null,
    url: d.latestStatus?.environmentUrl ?? null,
    runId: runIdIn(d.latestStatus?.logUrl),
    approvals: [],
    eventKey: `github:deployment:${d.databaseId ?? ''}`,
  };
}

export function toPullRequest(repo: string, p: z.infer<typeof GqlPullRequest>): PullRequest & { reviews: Review[] } {
  return {
    repo,
    number: p.number,
    title: p.title,
    url: p.url,
    author: p.author?.login ?? null,
    state: p.state === 'MERGED' ? 'merged' : p.state === 'CLOSED' ? 'closed' : 'open',
    headSha: p.headRefOid,
    headRef: p.headRefName,
    baseRef: p.baseRefName,
    mergeCommit: p.mergeCommit?.oid ?? null,
    mergedAt: p.mergedAt,
    updatedAt: p.updatedAt,
    commits: [p.headRefOid, p.mergeCommit?.oid].filter((c): c is string => !!c),
    eventKey: `github:pull_request:${p.number}`,
    reviews: p.reviews.nodes.map((r) => ({
      id: String(r.databaseId ?? ''),
      pullRequest: p.number,
      reviewer: r.author?.login ?? 'ghost',
      state: reviewState(r.state) ?? 'commented',
      commit: r.commit?.oid ?? null,
      at: r.submittedAt,
      eventKey: `github:review:${r.databaseId ?? ''}`,
    })),
  };
}

/** An environment's protection rules as the lineage shows them, or null when it has none that gate. */
export function toProtection(env: z.infer<typeof GqlEnvironment>): EnvironmentProtection | null {
  const rules = env.protectionRules?.nodes ?? [];
  const reviewers = rules
    .filter((r) => r.type === 'REQUIRED_REVIEWERS')
    .flatMap((r) => r.reviewers?.nodes ?? [])
    .map((r) => (r.__typename === 'Team' ? `team:${r.slug ?? '?'}` : (r.login ?? '?')));
  const wait = rules.find((r) => r.type === 'WAIT_TIMER')?.timeout ?? null;
  if (reviewers.length === 0 && !wait) return null;
  return {
    reviewers,
    preventSelfReview: rules.some((r) => r.type === 'REQUIRED_REVIEWERS' && r.preventSelfReview === true),
    waitMinutes: wait,
  };
}
