#!/usr/bin/env node
// Extracts the response examples the GitHub test server serves from GitHub's own OpenAPI
// description (npm package @octokit/openapi, about 400 MB unpacked) into a small fixture file.
//   node scripts/extract-github-examples.mjs [path/to/api.github.com.json] [path/to/LICENSE]
// Get the package with: npm pack @octokit/openapi && tar -xzf octokit-openapi-*.tgz
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? join(root, 'node_modules/@octokit/openapi/generated/api.github.com.json');
const license = process.argv[3] ?? join(dirname(source), '../LICENSE');
const wanted = [
  'environments',
  'deployment-items',
  'deployment-status-items',
  'pull-request-review-items',
  'check-run-paginated',
  'code-scanning-alert-items',
  'code-scanning-alert',
  'code-scanning-alert-dismissed',
  'rate-limit-overview',
  'pull-request-simple-items',
  'pull-request',
  'list-attestations',
  'artifact-deployment-record-list',
  'environment-approvals-items',
  'workflow-run-paginated',
  'artifact-paginated',
];
const spec = JSON.parse(readFileSync(source, 'utf8'));
const examples = {};
for (const key of wanted) {
  const example = spec.components.examples[key];
  if (!example) throw new Error(`example ${key} is not in ${source}`);
  examples[key] = example.value;
}
const out = join(root, 'test/fixtures/github/openapi-examples.json');
writeFileSync(
  out,
  `${JSON.stringify({ source: `@octokit/openapi ${spec.info?.version ?? ''} generated/api.github.com.json components.examples`, examples }, null, 2)}\n`,
);
copyFileSync(license, join(root, 'test/fixtures/github/LICENSE-octokit-openapi'));
console.log(`wrote ${out} (${Object.keys(examples).length} examples)`);
