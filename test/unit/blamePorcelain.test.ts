import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlameParseError, parseBlamePorcelain, uncommittedSha } from '../../src/core/git/blamePorcelain';

// Recorded from `git blame --porcelain -M -C --contents <buffer> -- new.txt` on a repository where
// old.txt was renamed to new.txt and a line added, with one more line typed into the buffer.
const recorded = readFileSync(join(__dirname, '../fixtures/blame/rename-dirty.porcelain'), 'utf8');

describe('git blame --porcelain parser', () => {
  const result = parseBlamePorcelain(recorded);

  it('gives one entry per line, in order, with 1-based numbers and the text', () => {
    assert.deepEqual(
      result.lines.map((l) => [l.line, l.text]),
      [
        [1, 'zero'],
        [2, 'one'],
        [3, 'two'],
        [4, 'three'],
        [5, 'four'],
      ],
    );
  });

  it('marks the buffer-only line as not committed', () => {
    assert.equal(result.lines[0]!.sha, uncommittedSha);
  });

  it('follows the rename: old lines come from old.txt in the first commit', () => {
    const first = result.lines[1]!;
    assert.equal(first.origPath, 'old.txt');
    assert.equal(first.origLine, 1);
    assert.equal(result.lines[3]!.origPath, 'old.txt', 'later lines of a group keep the path');
    const commit = result.commits.get(first.sha)!;
    assert.equal(commit.author, 'Alice Martin');
    assert.equal(commit.authorMail, 'alice@acme.example');
    assert.equal(commit.authorTime, '2026-01-01T10:00:00.000Z');
    assert.equal(commit.summary, 'first: add old.txt');
    assert.equal(commit.boundary, true);
  });

  it('reads the later commit with its previous pointer', () => {
    const four = result.lines[4]!;
    const commit = result.commits.get(four.sha)!;
    assert.equal(commit.author, 'Bob Chen');
    assert.equal(commit.committer, 'Alice Martin');
    assert.equal(commit.previous?.path, 'old.txt');
    assert.equal(four.origPath, 'new.txt');
  });

  it('rejects output that is not porcelain, naming the line', () => {
    assert.throws(
      () => parseBlamePorcelain('fatal: no such path\n'),
      (e) => e instanceof BlameParseError && e.lineNumber === 1,
    );
    assert.throws(() => parseBlamePorcelain(`${'a'.repeat(40)} 1 1 1\nauthor x\n`), BlameParseError);
  });

  it('parses empty output as no lines', () => {
    assert.equal(parseBlamePorcelain('').lines.length, 0);
  });
});
