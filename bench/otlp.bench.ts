/**
 * `npm run bench:otlp [-- --records N --batch N --connections N]`: OTLP/HTTP log exports in
 * protobuf, as an OpenTelemetry Collector batches them (512 records each by default), every record
 * an exception (200 kinds, each seen again and again), over 4 connections into the embedded
 * store of `lineage serve` running as its own process. Reports records per second acknowledged
 * and queryable, and checks every finding's count and the audit chain afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import protobuf from 'protobufjs/light';
import { Agent, request } from 'undici';
import descriptor from '../src/core/ingest/otlp/otlpDescriptor.json';
import { startService } from './spawnService';

const { values } = parseArgs({ options: { records: { type: 'string' }, batch: { type: 'string' }, connections: { type: 'string' } } });
const records = Number(values.records ?? 50_000);
const batch = Number(values.batch ?? 512);
const connections = Number(values.connections ?? 4);
const kinds = 200;

const Request = protobuf.Root.fromJSON(descriptor).lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** The `n`th export: `batch` exception records from one service at one revision. */
function exportOf(n: number): Buffer {
  const logRecords = Array.from({ length: batch }, (_, i) => {
    const k = (n * batch + i) % kinds;
    const at = BigInt(Date.parse('2026-03-01T00:00:00Z') + n * 1000 + i) * 1_000_000n;
    return {
      timeUnixNano: at.toString(),
      severityNumber: 17,
      attributes: [
        str('exception.type', `E${k}Error`),
        str('exception.message', `failure ${k} for request ${n}-${i}`),
        str(
          'exception.stacktrace',
          `E${k}Error: failure ${k}\n    at handler${k} (/app/src/handlers/h${k % 20}.js:${10 + k}:7)\n    at route (/app/src/router.js:42:5)\n    at process (node:internal/process/task_queues:95:5)`,
        ),
      ],
    };
  });
  const message = {
    resourceLogs: [
      {
        resource: {
          attributes: [
            str('service.name', 'checkout'),
            str('vcs.repository.url.full', 'https://github.com/acme/checkout'),
            str('vcs.ref.head.revision', 'a'.repeat(40)),
            str('deployment.environment.name', 'production'),
          ],
        },
        scopeLogs: [{ scope: { name: 'checkout' }, logRecords }],
      },
    ],
  };
  return Buffer.from(Request.encode(Request.fromObject(message)).finish());
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-otlp-bench-'));
  const service = await startService({ dataDir: join(scratch, 'data') });
  const agent = new Agent({ connections });
  try {
    const exports = Array.from({ length: Math.ceil(records / batch) }, (_, n) => exportOf(n));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < exports.length) {
          const body = exports[next++]!;
          const res = await request(`${service.url}/v1/otlp/v1/logs`, {
            method: 'POST',
            body,
            dispatcher: agent,
            headers: { 'content-type': 'application/x-protobuf' },
          });
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) throw new Error(`export answered ${res.statusCode}`);
        }
      }),
    );
    const acked = (performance.now() - started) / 1000;
    const findings = (await (
      await request(`${service.url}/v1/repos/acme/checkout/findings?limit=500`, { dispatcher: agent })
    ).body.json()) as {
      findings?: { occurrences?: number }[];
    };
    const health = (await (await request(`${service.url}/v1/health`, { dispatcher: agent })).body.json()) as { events?: number };
    const queryable = (performance.now() - started) / 1000;
    const sent = exports.length * batch;
    const counted = (findings.findings ?? []).reduce((n, f) => n + (f.occurrences ?? 0), 0);
    const audit = (await (await request(`${service.url}/v1/audit/verify`, { dispatcher: agent })).body.json()) as { ok?: boolean };
    console.log(
      `OTLP logs, ${batch} records an export, ${connections} connections: ${sent} records acknowledged in ${acked.toFixed(2)} s: ` +
        `${Math.round(sent / acked)}/s; queryable after ${queryable.toFixed(2)} s: ${Math.round(sent / queryable)}/s ` +
        `(${health.events} exports stored; ${findings.findings?.length ?? 0} findings counting ${counted} occurrences; audit ${audit.ok ? 'verified' : 'NOT verified'})`,
    );
    if (!audit.ok) throw new Error('the audit chain does not verify');
    if (findings.findings?.length !== kinds || counted !== sent) throw new Error(`expected ${kinds} findings counting ${sent} occurrences`);
  } finally {
    await agent.close();
    await service.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
