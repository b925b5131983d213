import assert from 'node:assert/strict';
import { normalizeCdEvent } from '../../src/core/ingest/cdevents';
import { InvalidEventError, rankOf } from '../../src/core/ingest/facts';
import { normalizeInToto } from '../../src/core/ingest/intoto';
import { normalizeNative } from '../../src/core/ingest/native';
import { normalizeSarif } from '../../src/core/ingest/sarif';
import { detectFormat } from '../../src/core/ingest/detect';
import { digestFrom, iso, repoFrom, sha } from '../../src/core/ingest/values';

const invalid = (fn: () => unknown, pointer: string) =>
  assert.throws(fn, (e) => InvalidEventError.is(e) && e.issues.some((i) => i.pointer === pointer));

describe('ingest readers', () => {
  it('reads digests from OCI references, purls and bare hex', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(digestFrom(`sha256:${hex}`), `sha256:${hex}`);
    assert.equal(digestFrom(hex.toUpperCase()), `sha256:${hex}`);
    assert.equal(digestFrom(`pkg:oci/app@sha256%3A${hex}?tag=1`), `sha256:${hex}`);
    assert.equal(digestFrom(`ghcr.io/acme/app@sha256:${hex}`), `sha256:${hex}`);
    assert.equal(digestFrom('sha256:abc'), null);
    assert.equal(digestFrom(`sha256:${hex}ff`), null, 'too long is not truncated into a digest');
    assert.equal(digestFrom(42), null);
  });

  it('reads owner/name from slugs and GitHub-style URLs only', () => {
    assert.equal(repoFrom('acme/shop'), 'acme/shop');
    assert.equal(repoFrom('https://github.com/acme/shop.git'), 'acme/shop');
    assert.equal(repoFrom('git+https://github.com/acme/shop@refs/heads/main'), 'acme/shop');
    assert.equal(repoFrom('https://github.com/acme/shop/tree/main'), 'acme/shop');
    assert.equal(repoFrom('not a repo'), null);
    assert.equal(repoFrom('../../etc/passwd'), null);
  });

  it('accepts full SHAs and ISO times, and nothing else', () => {
    assert.equal(sha('A'.repeat(40)), 'a'.repeat(40));
    assert.equal(sha('abc123'), null);
    assert.equal(sha(`${'a'.repeat(40)}\n`), null);
    assert.equal(iso('2026-01-02T03:04:05+02:00'), '2026-01-02T01:04:05.000Z');
    assert.equal(iso(1557933653), '2019-05-15T15:20:53.000Z');
    assert.equal(iso('tomorrow'), null);
  });

  it('orders ranks by time, then by finality', () => {
    assert.ok(rankOf('2026-01-02T00:00:00.000Z', 0, 'a') > rankOf('2026-01-01T00:00:00.000Z', 9, 'z'));
    assert.ok(rankOf('2026-01-01T00:00:00.000Z', 3, 'a') > rankOf('2026-01-01T00:00:00.000Z', 1, 'z'));
    assert.ok(rankOf(null, 0, 'a') < rankOf('1970-01-01T00:00:00.000Z', 0, 'a'));
  });
});

describe('normalisers reject bad events with the field named', () => {
  it('native events: every failing field', () => {
    assert.throws(
      () => normalizeNative({ type: 'deployment', id: 'x', deploymentId: '', environment: 'prod', at: 'nope', commit: 'abc' }, '{}'),
      (e) => {
        assert.ok(InvalidEventError.is(e));
        const pointers = e.issues.map((i) => i.pointer);
        assert.ok(pointers.includes('/deploymentId') && pointers.includes('/at') && pointers.includes('/commit'), pointers.join(','));
        return true;
      },
    );
    invalid(() => normalizeNative({ type: 'teleport', id: 'x' }, '{}'), '/type');
  });

  it('CDEvents: context and subject', () => {
    invalid(() => normalizeCdEvent({ subject: {} }, '{}'), '/context');
    invalid(
      () => normalizeCdEvent({ context: { id: 'x', source: 's', type: 'dev.cdevents.build.started.0.1.0' }, subject: {} }, '{}'),
      '/context/timestamp',
    );
    invalid(
      () =>
        normalizeCdEvent(
          {
            context: { id: 'x', source: 's', type: 'dev.cdevents.service.deployed.0.3.0', timestamp: '2026-01-01T00:00:00Z' },
            subject: { content: {} },
          },
          '{}',
        ),
      '/subject/content/environment/id',
    );
  });

  it('in-toto: envelopes that do not decode, subjects without digests', () => {
    invalid(
      () => normalizeInToto({ payloadType: 'application/vnd.in-toto+json', payload: Buffer.from('nope').toString('base64') }, '{}'),
      '/payload',
    );
    invalid(() => normalizeInToto({ payloadType: 'text/plain', payload: 'x' }, '{}'), '/payloadType');
    invalid(
      () =>
        normalizeInToto(
          { _type: 'https://in-toto.io/Statement/v1', predicateType: 'x', subject: [{ name: 'a', digest: { md5: 'ff' } }] },
          '{}',
        ),
      '/subject/0/digest',
    );
  });

  it('SARIF: version and runs', () => {
    const ctx = { repo: null, commit: null, environment: null, receivedAt: new Date().toISOString() };
    invalid(() => normalizeSarif({ version: '2.0.0', runs: [] }, '{}', ctx), '/version');
    invalid(() => normalizeSarif({ version: '2.1.0', runs: [1] }, '{}', ctx), '/runs/0');
  });

  it('detects formats, and mixed batches as unknown', () => {
    assert.equal(detectFormat({ type: 'build', id: 'x' }), 'native');
    assert.equal(detectFormat({ context: { type: 'dev.cdevents.build.started.0.1.0' } }), 'cdevents');
    assert.equal(detectFormat({ version: '2.1.0', runs: [] }), 'sarif');
    assert.equal(detectFormat({ payloadType: 'application/vnd.in-toto+json', payload: '' }), 'intoto');
    assert.equal(
      detectFormat([
        { type: 'build', id: 'x' },
        { version: '2.1.0', runs: [] },
      ]),
      'unknown',
    );
    assert.equal(detectFormat('text'), 'unknown');
  });
});
