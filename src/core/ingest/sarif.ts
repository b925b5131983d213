/**
 * SARIF 2.1.0 logs (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) become findings, one per
 * distinct result, located at repository-relative paths at the revision named by the upload
 * (`?commit=`) or by `versionControlProvenance[].revisionId`.
 */
import { type Fact, type FindingLocationRow, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { sarifResultLocations } from './sarifLocations';
import { at, int, iso, obj, repoFrom, sha, sha256Hex, str, type Json } from './values';

export interface SarifContext {
  repo: string | null;
  commit: string | null;
  environment: string | null;
  receivedAt: string;
}

/**
 * What is stored (and chained) for an upload: the context its query named, then the log exactly as
 * sent, so the findings re-derive from the stored text alone.
 */
function envelopePrefix(ctx: SarifContext): string {
  return `{"sarifContext":${JSON.stringify({ repo: ctx.repo, commit: ctx.commit, environment: ctx.environment, receivedAt: ctx.receivedAt })},"log":`;
}

export function sarifEnvelope(raw: string, ctx: SarifContext): string {
  return `${envelopePrefix(ctx)}${raw}}`;
}

/** The log text and context of a stored upload; null when `stored` is not an envelope. */
export function openSarifEnvelope(stored: string): { raw: string; ctx: SarifContext } | null {
  const m = /^\{"sarifContext":(\{[^{}]*\}),"log":/.exec(stored);
  if (!m || !stored.endsWith('}')) return null;
  const ctx = JSON.parse(m[1]!) as SarifContext;
  const prefix = envelopePrefix(ctx);
  return stored.startsWith(prefix) ? { raw: stored.slice(prefix.length, -1), ctx } : null;
}

export function isSarif(v: unknown): boolean {
  const o = obj(v);
  return o !== null && Array.isArray(o.runs) && (typeof o.version === 'string' || typeof o.$schema === 'string');
}

const misconfigurationTools = /checkov|tfsec|kics|terrascan|kube-?score|kube-?linter|trivy.*config|hadolint|kubescape/i;

export function normalizeSarif(log: Json, raw: string, ctx: SarifContext): NormalizedEvent {
  if (str(log.version) !== '2.1.0') throw new InvalidEventError('/version', 'only SARIF 2.1.0 is supported');
  if (!Array.isArray(log.runs)) throw new InvalidEventError('/runs', 'required, an array');
  const key = `sarif:${sha256Hex(`${ctx.repo ?? ''}\n${ctx.commit ?? ''}\n${ctx.environment ?? ''}\n${raw}`)}`;
  const facts = new Map<string, Fact>();

  log.runs.forEach((runValue, runIndex) => {
    const run = obj(runValue);
    if (!run) throw new InvalidEventError(`/runs/${runIndex}`, 'a run must be an object');
    const driver = obj(at(run, 'tool.driver')) ?? {};
    const tool = str(driver.name) ?? 'unknown tool';
    const rules = Array.isArray(driver.rules) ? driver.rules.map(obj) : [];
    const vcp = Array.isArray(run.versionControlProvenance) ? obj(run.versionControlProvenance[0]) : null;
    const revision = ctx.commit ?? sha(vcp?.revisionId);
    const repo = ctx.repo ?? repoFrom(vcp?.repositoryUri);
    const when = iso(at(run, 'invocations.0.endTimeUtc')) ?? ctx.receivedAt;
    const results = Array.isArray(run.results) ? run.results : [];
    // The run itself is a scan of the revision: a clean one (no open result) is a passed scan.
    if (revision) {
      const open = results.filter((r) => {
        const o = obj(r);
        return o && !(Array.isArray(o.suppressions) && o.suppressions.length > 0) && str(o.baselineState) !== 'absent';
      }).length;
      const id = `sarif:${repo ?? '-'}:${tool}:${revision}${ctx.environment ? `:${ctx.environment}` : ''}`;
      facts.set(`build\u0000${id}`, {
        table: 'builds',
        rank: rankOf(when, 2, key),
        row: {
          id,
          repo,
          kind: 'scan',
          name: tool,
          commit_sha: revision,
          status: 'completed',
          conclusion: open === 0 ? 'success' : 'neutral',
          url: null,
          started_at: iso(at(run, 'invocations.0.startTimeUtc')),
          finished_at: when,
          workflow: null,
          ref: null,
        },
      });
    }

    results.forEach((resultValue, resultIndex) => {
      const result = obj(resultValue);
      if (!result) throw new InvalidEventError(`/runs/${runIndex}/results/${resultIndex}`, 'a result must be an object');
      const ruleIndex = int(result.ruleIndex) ?? int(at(result, 'rule.index'));
      const rule = (ruleIndex !== null ? rules[ruleIndex] : null) ?? rules.find((r) => r && r.id === result.ruleId) ?? null;
      const ruleId = str(result.ruleId) ?? str(rule?.id) ?? str(at(result, 'rule.id'));
      const message = str(at(result, 'message.text'), 4096) ?? str(at(rule, 'shortDescription.text')) ?? ruleId ?? 'SARIF result';
      const locations: FindingLocationRow[] = sarifResultLocations(run, result, Infinity).map((l) => ({
        path: l.path,
        line: l.line,
        end_line: l.endLine,
        col: l.column,
        revision,
      }));
      const fingerprint =
        firstValue(result.partialFingerprints) ??
        firstValue(result.fingerprints) ??
        str(result.guid) ??
        sha256Hex(`${ruleId}\n${message}\n${locations.map((l) => `${l.path}:${l.line}`).join(',')}`).slice(0, 32);
      const id = `sarif:${repo ?? '-'}:${tool}:${ruleId ?? '-'}:${fingerprint}`;
      const suppressed = Array.isArray(result.suppressions) && result.suppressions.length > 0;
      const baseline = str(result.baselineState);
      facts.set(id, {
        table: 'findings',
        rank: rankOf(when, 0, key),
        row: {
          id,
          repo,
          kind: misconfigurationTools.test(tool) ? 'misconfiguration' : 'vulnerability',
          severity: severity(result, rule),
          title: message,
          status: suppressed ? 'suppressed' : baseline === 'absent' ? 'resolved' : 'open',
          environment: ctx.environment,
          service: null,
          artifact_digest: null,
          commit_sha: revision,
          release: null,
          rule_id: ruleId,
          tool,
          url: str(rule?.helpUri),
          detected_at: when,
          detail: str(at(rule, 'fullDescription.text'), 65536),
        },
        locations,
      });
    });
  });
  return { key, format: 'sarif', raw: sarifEnvelope(raw, ctx), facts: [...facts.values()] };
}

function firstValue(v: unknown): string | null {
  const o = obj(v);
  if (!o) return null;
  for (const value of Object.values(o)) {
    const s = str(value, 512);
    if (s) return s;
  }
  return null;
}

function severity(result: Json, rule: Json | null): string {
  const cvss = Number(at(result, 'properties.security-severity') ?? at(rule, 'properties.security-severity'));
  if (Number.isFinite(cvss) && cvss > 0) {
    if (cvss >= 9) return 'critical';
    if (cvss >= 7) return 'high';
    if (cvss >= 4) return 'medium';
    return 'low';
  }
  const level = str(result.level) ?? str(at(rule, 'defaultConfiguration.level')) ?? 'warning';
  switch (level) {
    case 'error':
      return 'high';
    case 'note':
      return 'low';
    case 'none':
      return 'info';
    default:
      return 'medium';
  }
}
