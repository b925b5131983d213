/** The OpenAPI document is the HTTP contract: every route the service serves is described in it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const doc = parse(readFileSync(join(__dirname, '../../docs/openapi.yaml'), 'utf8'));
const router = readFileSync(join(__dirname, '../../src/server/http/router.ts'), 'utf8');

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    assert.equal(doc.openapi, '3.1.0');
  });

  it('describes every route of the router, with its method', () => {
    const described = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(item)) described.add(`${method.toUpperCase()} ${path}`);
    }
    const routes = [...router.matchAll(/method: '(GET|POST)',\s*pattern: (?:\/\^(.*?)\$\/|new RegExp\(`\^(.*?)\$`\))/g)].map((m) => {
      const raw = (m[2] ?? m[3] ?? '').replace(/\\\//g, '/');
      let i = 0;
      const names = raw.includes('environments/${segment}')
        ? ['owner', 'name', 'env']
        : raw.startsWith('/v1/repos')
          ? ['owner', 'name']
          : raw.includes('artifacts')
            ? ['digest']
            : ['id'];
      const path = raw.replace(/\$\{segment\}|\(\.\+\)/g, () => `{${names[i++]}}`);
      return `${m[1]} ${path}`;
    });
    assert.ok(routes.length >= 12, `found ${routes.length} routes in the router`);
    for (const route of routes) assert.ok(described.has(route), `${route} is not in docs/openapi.yaml`);
  });

  it('resolves every $ref', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    for (const [, section, name] of refs) assert.ok(doc.components[section!]?.[name!], `#/components/${section}/${name}`);
  });
});
