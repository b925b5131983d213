import assert from 'node:assert/strict';
import { escapeMarkdown, httpsLink, plainText, safeHttpsUrl } from '../../src/core/present/markdown';

describe('outside text', () => {
  it('plain text is one line without control or bidi characters, and bounded', () => {
    assert.equal(plainText('fix:\r\n  the \u202ecache\u0007'), 'fix: the cache');
    assert.equal(plainText('x'.repeat(200), 10), `${'x'.repeat(9)}…`);
  });

  it('plain text draws no status bar icon and makes no notification link', () => {
    const t = plainText('prod $(alert) [run](command:workbench.action.terminal.new) $(sync~spin)');
    assert.ok(!/\$\(/.test(t), t);
    assert.ok(!/\]\(/.test(t), t);
    assert.equal(t.replace(/\u200b/g, ''), 'prod $(alert) [run](command:workbench.action.terminal.new) $(sync~spin)');
  });

  it('escaped Markdown carries no links, images, HTML or command URIs', () => {
    const t = escapeMarkdown('[x](command:workbench.action.terminal.new) ![i](https://e.example/p.png) <img src=x> *b*');
    assert.ok(!/(^|[^\\])\[/.test(t), t);
    assert.ok(!t.includes('<'), t);
    assert.ok(!/(^|[^\\])\*/.test(t), t);
  });

  it('only https URLs without credentials become links', () => {
    assert.equal(safeHttpsUrl('javascript:alert(1)'), null);
    assert.equal(safeHttpsUrl('command:lineage.trace'), null);
    assert.equal(safeHttpsUrl('http://e.example/'), null);
    assert.equal(safeHttpsUrl('https://user:pw@e.example/'), null);
    assert.equal(safeHttpsUrl('https://e.example/a'), 'https://e.example/a');
    assert.equal(httpsLink('PR', 'https://e.example/a (b)'), '[PR](https://e.example/a%20%28b%29)');
    assert.equal(httpsLink('PR', 'https://e.example/a)b'), '[PR](https://e.example/a%29b)');
    assert.equal(httpsLink('PR', 'file:///etc/passwd'), 'PR');
  });
});
