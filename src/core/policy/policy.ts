/**
 * The approval policy a repository keeps in `.lineage/policy.yaml` (or `.json`): which rules block
 * a merge, which only inform, and their parameters. With no file, stale approvals and unapproved
 * commits block and every other rule informs. A malformed file is an error naming its line and
 * field, never a silent default.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { linearPatternProblem } from './linearPattern';

export const ruleIds = [
  'stale-approval',
  'unapproved-commits',
  'self-approval',
  'unsigned-commit',
  'missing-change-reference',
  'blocking-check',
  'stale-attestation',
  'broken-attestation',
  'rebuilt-artifact',
  'hotfix-without-reason',
  'hotfix-without-review',
  'unapproved-production-deployment',
  'policy-changed-in-branch',
] as const;
export type RuleId = (typeof ruleIds)[number];

const Severity = z.enum(['blocking', 'informational', 'off']);
export type RuleSeverity = z.infer<typeof Severity>;

const rule = <T extends z.ZodRawShape>(extra: T, severity: RuleSeverity) =>
  z.strictObject({ severity: Severity.default(severity), ...extra }).prefault({} as never);

const Duration = z.string().regex(/^\d+(\.\d+)?\s*(s|m|h|d)$/, 'a duration such as 90m, 1h or 2d');

export const PolicySchema = z.strictObject({
  version: z.literal(1).default(1),
  environments: z
    .strictObject({
      production: z.string().min(1).default('production'),
      staging: z.string().min(1).default('staging'),
      /** The promotion order, first to last; by default dev, then staging, then production. */
      order: z.array(z.string().min(1)).min(2).optional(),
    })
    .prefault({})
    .transform((e) => ({ ...e, order: e.order ?? ['dev', e.staging, e.production] })),
  /** Accepted for older policy files; a rollback now always names the deployment it undid, however late. */
  rollbackWindow: Duration.default('24h'),
  rules: z
    .strictObject({
      'stale-approval': rule({ maxAge: Duration.default('1h') }, 'blocking'),
      'unapproved-commits': rule({}, 'blocking'),
      'self-approval': rule({}, 'informational'),
      'unsigned-commit': rule({ required: z.boolean().default(false) }, 'informational'),
      'missing-change-reference': rule(
        {
          pattern: z
            .string()
            .min(1)
            .max(1000)
            .refine((p) => linearPatternProblem(p) === null, {
              error: (issue) => linearPatternProblem(String(issue.input)) ?? 'invalid pattern',
            })
            .default('[A-Z][A-Z0-9]+-\\d+|^(feat|fix|hotfix|chore|docs|refactor|perf|test|build|ci|revert)(\\(.+\\))?!?:'),
        },
        'informational',
      ),
      'blocking-check': rule({ required: z.array(z.string().min(1)).default([]) }, 'informational'),
      'stale-attestation': rule({}, 'informational'),
      /** A production artifact's provenance that does not prove it: another subject, another commit, made before the commit. */
      'broken-attestation': rule({}, 'blocking'),
      'rebuilt-artifact': rule({}, 'informational'),
      'hotfix-without-reason': rule({}, 'informational'),
      /** A hotfix reached an environment before anyone approved its change. */
      'hotfix-without-review': rule({}, 'blocking'),
      'unapproved-production-deployment': rule({}, 'informational'),
      /** The branch changes the policy itself: the base's policy judges it, and someone should look. */
      'policy-changed-in-branch': rule({}, 'blocking'),
    })
    .prefault({}),
});
export type Policy = z.infer<typeof PolicySchema>;

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export const defaultPolicy = (): Policy => PolicySchema.parse({});

/** Milliseconds of a duration such as "90m". */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text)!;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Parses policy text; errors name the file, line and field. JSON is read as the YAML it is. */
export function parsePolicy(text: string, fileName: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    throw new PolicyError(`${fileName}:${at.line}: ${e.message.split('\n')[0]}`);
  }
  const parsed = PolicySchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const node = nodeAt(doc.contents, path as (string | number)[]);
  const line = node?.range ? lines.linePos(node.range[0]).line : 1;
  const field = path.map(String).join('.') || '(top level)';
  const reason = issue.code === 'unrecognized_keys' ? `unknown field (rules are: ${ruleIds.join(', ')})` : issue.message;
  throw new PolicyError(`${fileName}:${line}: ${field}: ${reason}`);
}

/** The deepest node of the document along `path` (a key's node when the key is unknown). */
function nodeAt(node: YamlNode | null, path: (string | number)[]): YamlNode | null {
  let current: YamlNode | null = node;
  for (const key of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key));
      if (!pair) return current;
      current = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
    } else if (isSeq(current) && typeof key === 'number') {
      current = (current.items[key] as YamlNode | undefined) ?? current;
    } else return current;
  }
  return current;
}
