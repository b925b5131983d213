/**
 * Pastes of any shape, a megabyte long, through the finding reader and the whole reverse lookup on
 * a real repository: each must take time linear in its length. A quadratic pattern takes minutes
 * on these inputs (a run of spaces once took 800 s), so the bound of five seconds only ever fails
 * on a regression of that kind. (One second, the bound before, was within reach of 28,000 small
 * YAML documents on a two-core machine running other tests: 1.17 s to read.)
 */
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/git/repository';
import { readFindingInput } from '../../src/core/trace/findingInput';
import { traceFinding } from '../../src/core/trace/traceFinding';
import { linearPattern, linearPatternProblem } from '../../src/core/policy/linearPattern';
import { TestRepo } from '../helpers/gitRepo';

const MB = 1 << 20;
/** Milliseconds: far above linear time on any of these, far below quadratic. */
const bound = 5000;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
const shapes: Record<string, string> = {
  'one run of spaces': fill(' '),
  'spaces then a word': `${fill(' ')}x`,
  'whitespace and line breaks': fill('\t \n'),
  'one long line': fill('a'),
  '"at " over and over': fill('at '),
  'JavaScript frame openings': fill('    at f ('),
  'Python frame openings': fill('  File "x.py", line '),
  'Java frame openings': fill('at a.'),
  'colons and digits': fill(':1'),
  'file:line tokens': fill('x.js:'),
  'open parentheses': fill('('),
  'open braces': fill('{'),
  'nested brackets': `${'['.repeat(MB / 2)}${']'.repeat(MB / 2)}`,
  'JSON keys without values': fill('{"a":'),
  paths: fill('/a'),
  backslashes: fill('\\'),
  URLs: fill('https://'),
  'digest prefixes': fill('sha256:'),
  'YAML list markers': fill('- '),
  'Kubernetes-like': `apiVersion: v1\n${fill('kind: ')}`,
  'a ConfigMap of many keys': `apiVersion: v1\nkind: ConfigMap\ndata:\n${Array.from({ length: MB / 16 }, (_, i) => `  k${i}: v${i}`).join('\n')}`,
  'many YAML documents': fill('---\nkind: Pod\nmetadata: {name: a}\n'),
};

describe('linear-time reading of pasted findings', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  before(() => {
    repo = TestRepo.init('acme/linear');
    repo.write('src/app.js', ['function f() {', '  throw new Error("x");', '}']);
    repo.commit('app');
  });
  after(() => repo.dispose());

  for (const [shape, text] of Object.entries(shapes)) {
    it(`reads and traces a megabyte of ${shape} in linear time`, async () => {
      const started = performance.now();
      readFindingInput(text);
      const read = performance.now() - started;
      assert.ok(read < bound, `read in ${read.toFixed(0)} ms`);
      const opened = await Repository.open(repo.dir);
      const tracedAt = performance.now();
      await traceFinding({ repo: opened, text });
      const traced = performance.now() - tracedAt;
      assert.ok(traced < bound, `traced in ${traced.toFixed(0)} ms`);
    });
  }
});

describe('policy patterns on a linear-time engine', () => {
  it('matches as before, multi-line', () => {
    const p = linearPattern('[A-Z][A-Z0-9]+-\\d+|^(feat|fix)(\\(.+\\))?!?:');
    assert.equal(p.test('refactor things\n\nfix: the bug'), true);
    assert.equal(p.test('see PAY-12'), true);
    assert.equal(p.test('no reference'), false);
  });

  it('runs a pattern that backtracks exponentially elsewhere in linear time', () => {
    const started = performance.now();
    assert.equal(linearPattern('^(a+)+$').test(`${'a'.repeat(200_000)}!`), false);
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses what needs backtracking, saying why', () => {
    assert.match(linearPatternProblem('(a)\\1') ?? '', /linear-time engine \(RE2\) accepts: invalid escape sequence/);
    assert.match(linearPatternProblem('(?=a)b') ?? '', /unsupported Perl syntax/);
    assert.equal(linearPatternProblem('[A-Z]+-\\d+'), null);
  });
});
