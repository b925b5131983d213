/** `lineage ingest`: detects each file's format and sends it to the service. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detectFormat } from '../core/ingest/detect';
import { ApiClient, type IngestKind } from '../core/sources/apiClient';
import { UsageError, apiUrlFrom } from './usageError';

export const ingestUsage = `usage: lineage ingest [--api URL] [--token T] [--github-event NAME] [--github-delivery ID] [--gitlab-event NAME]
                      [--repo owner/name] [--commit SHA] [--environment NAME] [--json] <files...|->

Formats are detected: CDEvents, native events, SARIF 2.1.0, in-toto / DSSE / Sigstore bundles, and
GitHub webhook payloads (these need --github-event) and GitLab webhook payloads (these need
--gitlab-event, the X-Gitlab-Event name: "Deployment Hook", "Merge Request Hook", …). JSON arrays and JSON Lines files are sent in
batches; every event is idempotent on its id, so sending a file twice stores nothing new.`;

const batchSize = 1000;

export async function runIngest(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      api: { type: 'string' },
      token: { type: 'string' },
      'github-event': { type: 'string' },
      'github-delivery': { type: 'string' },
      'gitlab-event': { type: 'string' },
      repo: { type: 'string' },
      commit: { type: 'string' },
      environment: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(ingestUsage);
    return;
  }
  if (positionals.length === 0) throw new UsageError('ingest needs at least one file, or - for standard input');
  const client = new ApiClient({
    baseUrl: apiUrlFrom(values.api, env, 'ingest'),
    token: values.token ?? env.LINEAGE_WRITE_TOKEN ?? env.LINEAGE_TOKEN,
    timeoutMs: 60_000,
  });
  const results: { file: string; kind: IngestKind; stored: number; duplicates: number }[] = [];
  try {
    for (const file of positionals) {
      const text = readInput(file);
      const parts = documentsOf(text, file);
      let kind: IngestKind;
      if (values['github-event'] && values['gitlab-event']) throw new UsageError('give --github-event or --gitlab-event, not both');
      if (values['github-event']) kind = 'github';
      else if (values['gitlab-event']) kind = 'gitlab';
      else {
        const format = detectFormat(parts.length === 1 ? parts[0] : parts);
        if (format === 'unknown') {
          throw new UsageError(
            `${file}: format not recognised (expected CDEvents, native events, SARIF 2.1.0 or in-toto; GitHub payloads need --github-event, GitLab payloads --gitlab-event)`,
          );
        }
        kind = format === 'sarif' ? 'sarif' : format === 'intoto' ? 'attestations' : 'events';
      }
      let stored = 0;
      let duplicates = 0;
      if (kind === 'events' && parts.length > 1) {
        for (let i = 0; i < parts.length; i += batchSize) {
          const result = await client.ingest('events', JSON.stringify(parts.slice(i, i + batchSize)));
          stored += result.accepted;
          duplicates += result.duplicates;
        }
      } else {
        const body = kind === 'attestations' && parts.length > 1 ? JSON.stringify(parts) : text;
        const result = await client.ingest(kind, body, {
          repo: values.repo,
          commit: values.commit,
          environment: values.environment,
          githubEvent: values['github-event'],
          githubDelivery: values['github-delivery'],
          gitlabEvent: values['gitlab-event'],
        });
        stored += result.accepted;
        duplicates += result.duplicates;
      }
      results.push({ file, kind, stored, duplicates });
      if (!values.json) out(`${file}: ${stored} stored, ${duplicates} already known (${kind})`);
    }
    if (values.json) out(JSON.stringify({ files: results }, null, 2));
  } finally {
    await client.close();
  }
}

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A JSON document (an array is its elements), or JSON Lines. */
function documentsOf(text: string, file: string): unknown[] {
  try {
    const doc: unknown = JSON.parse(text);
    return Array.isArray(doc) ? doc : [doc];
  } catch (e) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (lineError) {
        throw new UsageError(`${file}:${i + 1}: not valid JSON (${(lineError as Error).message})`);
      }
    });
  }
}
