/**
 * `lineage evidence <path>:<line> | --deployment <id> [--format text|md|json|svg|html]`: the whole
 * chain behind a line or a deployment, each item with its source event and the audit-log entry
 * covering it; svg and html draw it (with the file's timeline in html) as a standalone file.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildBundle, verifyBundle } from '../core/evidence/evidenceBundle';
import { evidenceForDeployment, evidenceForLine, evidenceMarkdown } from '../core/evidence/evidenceChain';
import { evidenceHtml, evidenceSvg } from '../core/picture/pictureDocument';
import { defaultEnvironmentPolicy } from '../core/present/environments';
import { ApiError } from '../core/sources/apiError';
import { isTerminal } from './blameFormat';
import { openCheckout } from './checkout';
import { evidenceText } from './evidenceText';
import { cliOriginSlug, cliSession } from './sourceOption';
import { apiUrlFrom, UsageError } from './usageError';

export const evidenceUsage = `usage: lineage evidence <path>:<line> | --deployment <id> [--format text|md|json|svg|html] [--json] [--out FILE] [--bundle FILE] [--api URL] [--token T] [--repo owner/name]

Needs the service (--api or LINEAGE_API_URL): the evidence is what it recorded. --bundle also
writes one file with the raw events behind every item, their audit-chain entries and a signed
checkpoint, which \`lineage verify FILE\` checks offline. Exit 1 when the audit chain the evidence
cites does not verify. --format: text at a terminal, md (Markdown) otherwise, unless given; svg
draws the chain with each link's verification state, html adds the file's timeline and the items
(standalone files: no script, nothing loaded). --out writes to FILE instead of standard output.`;

const formats = ['text', 'md', 'json', 'svg', 'html'];

export async function runEvidence(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      deployment: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      bundle: { type: 'string' },
      out: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      repo: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(evidenceUsage);
    return 0;
  }
  if (values.json) values.format = 'json';
  // A person at a terminal reads plain text; a pipe or a file gets the Markdown document, as before.
  values.format ??= isTerminal(process.stdout) ? 'text' : 'md';
  if (!formats.includes(values.format)) throw new UsageError(`--format must be text, md, json, svg or html, got "${values.format}"`);
  if ((positionals.length === 1) === (values.deployment !== undefined))
    throw new UsageError(`give either <path>:<line> or --deployment <id>\n${evidenceUsage}`);
  apiUrlFrom(values.api, env, 'evidence');
  const repo = await openCheckout();
  const slug = values.repo ?? (await cliOriginSlug(repo, {}, env));
  if (!slug) throw new UsageError('the repository has no origin remote to name it by: pass --repo owner/name');
  // Evidence is the service's: its events and audit log are what an auditor checks.
  const session = cliSession({ ...values, source: 'service' }, env);
  try {
    const client = (await session.source(repo)).api!;
    let evidence;
    if (values.deployment !== undefined) {
      evidence = await evidenceForDeployment(client, slug, values.deployment);
    } else {
      const m = /^(.+):(\d+)$/.exec(positionals[0]!);
      if (!m) throw new UsageError(`expected <path>:<line>, got "${positionals[0]}"`);
      let path: string;
      try {
        path = repo.relativePath(m[1]!);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const line = Number(m[2]);
      if (!(await repo.isTracked(path))) throw new UsageError(`${m[1]} is not tracked by git`);
      const answer = await session.lineage({ repo, path, slug });
      if (answer.failure) throw new UsageError(answer.failure.message);
      const report = answer.file;
      const l = report.lines[line - 1];
      if (!l || line < 1) throw new UsageError(`line ${line} is past the end of ${m[1]} (${report.lines.length} lines)`);
      if (!l.commit) throw new UsageError(`line ${line} of ${m[1]} is not committed: there is no evidence yet`);
      evidence = await evidenceForLine(
        client,
        slug,
        path,
        line,
        l.commit.sha,
        l.findings.map((f) => f.id),
        (sha) => session.signature(repo, sha),
      );
    }
    let document: string;
    if (values.format === 'svg') document = evidenceSvg(evidence);
    else if (values.format === 'html') {
      // The line's file drawn over time beside its chain; the chain alone when git or the source cannot say.
      const timeline =
        evidence.subject.kind === 'line'
          ? await session
              .timeline({
                repo,
                path: evidence.subject.path,
                slug,
                policy: defaultEnvironmentPolicy,
                cursorCommit: evidence.subject.commit,
              })
              .then((t) => t.model)
              .catch(() => null)
          : null;
      document = evidenceHtml(evidence, timeline);
    } else
      document =
        values.format === 'json'
          ? JSON.stringify(evidence, null, 2)
          : values.format === 'text'
            ? evidenceText(evidence)
            : evidenceMarkdown(evidence);
    if (values.out) {
      writeFileSync(values.out, document.endsWith('\n') ? document : `${document}\n`);
      err(`lineage: wrote ${values.out} (${values.format})`);
    } else out(document.replace(/\n$/, ''));
    if (values.bundle) {
      const bundle = await buildBundle(client, evidence);
      const check = verifyBundle(bundle);
      writeFileSync(values.bundle, `${JSON.stringify(bundle, null, 2)}\n`);
      err(
        `lineage: wrote ${values.bundle}: ${bundle.events.length} events, ${bundle.segments.length} signed checkpoint(s)${check.ok ? '' : `; it does not verify: ${check.problems[0]}`}`,
      );
      if (!check.ok) return 1;
    }
    if (!evidence.audit?.ok) {
      err(
        `lineage: the audit chain behind this evidence does not verify: ${evidence.audit ? `entry ${evidence.audit.brokenAt ?? '?'}: ${evidence.audit.reason}` : 'the service could not verify it'}`,
      );
      return 1;
    }
    return 0;
  } catch (e) {
    if (ApiError.is(e, 'notFound')) throw new UsageError(e.message);
    throw e;
  } finally {
    await session.close();
  }
}
