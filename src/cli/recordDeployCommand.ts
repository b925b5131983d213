/** `lineage record-deploy`: writes a git-native deployment record (an annotated deploy tag). */
import { parseArgs } from 'node:util';
import { deployTagName } from '../core/sources/deployTags';
import { digestFrom } from '../core/ingest/values';
import { openCheckout } from './checkout';
import { UsageError } from './usageError';

export const recordDeployUsage = `usage: lineage record-deploy <environment> [<rev>] [--artifact sha256:…] [--kind deploy|rollback|hotfix] [--reason TEXT] [--at ISO-TIME] [--json]

Tags <rev> (default HEAD) as deploy/<environment>/<UTC timestamp>; push it with
git push origin 'refs/tags/deploy/*'.`;

export async function runRecordDeploy(argv: string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      artifact: { type: 'string' },
      kind: { type: 'string' },
      reason: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(recordDeployUsage);
    return;
  }
  const [environment, rev = 'HEAD', ...extra] = positionals;
  if (!environment || extra.length > 0) throw new UsageError('record-deploy needs an environment and at most one revision');
  if (values.kind && !['deploy', 'rollback', 'hotfix'].includes(values.kind))
    throw new UsageError('--kind must be deploy, rollback or hotfix');
  if (values.kind === 'hotfix' && !values.reason) throw new UsageError('a hotfix needs --reason (its exemption reason)');
  const digest = values.artifact === undefined ? null : digestFrom(values.artifact);
  if (values.artifact !== undefined && !digest) throw new UsageError('--artifact must be a digest like sha256:<64 hex>');
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at must be an ISO 8601 time, got "${values.at}"`);
  if (!/^[A-Za-z0-9_./@^~-]+$/.test(rev) || rev.startsWith('-')) throw new UsageError(`not a revision: "${rev}"`);

  const repo = await openCheckout();
  let commit: string;
  try {
    commit = (await repo.run(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
  } catch {
    throw new UsageError(`unknown revision "${rev}"`);
  }
  let tag: string;
  try {
    tag = deployTagName(environment, at);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const message = [
    `deploy ${commit.slice(0, 12)} to ${environment}`,
    '',
    ...(values.kind && values.kind !== 'deploy' ? [`kind: ${values.kind}`] : []),
    ...(values.reason ? [`reason: ${values.reason.replace(/\n/g, ' ')}`] : []),
    ...(digest ? [`artifact: ${digest}`] : []),
  ].join('\n');
  await repo.run(['tag', '--no-sign', '-a', '-m', message, tag, commit]);
  if (values.json)
    out(JSON.stringify({ tag, commit, environment, kind: values.kind ?? 'deploy', artifact: digest, at: at.toISOString() }, null, 2));
  else out(`${tag} -> ${commit}`);
}
