/**
 * The first thing `lineage blame` does, loaded on its own before the rest of the command: parse
 * the flags and start git's blame of HEAD's version (committedBlame.ts). Git then runs while Node
 * compiles the command's code, instead of after it; on a short file that load costs as much as a
 * quarter of the blame.
 */
import { parseArgs } from 'node:util';
import { type CommittedBlame, startCommittedBlame } from '../core/git/committedBlame';
import { sourceFlags } from './sourceFlags';

export const blameFlags = {
  ...sourceFlags,
  line: { type: 'string' },
  json: { type: 'boolean' },
  repo: { type: 'string' },
  contents: { type: 'string' },
  'detect-moves': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseBlameArgs(argv: string[]) {
  return parseArgs({ args: argv, options: blameFlags, strict: true, allowPositionals: true });
}

/**
 * The committed blame of the file `argv` names, started now; null when the flags are not a blame
 * of one file (the command says why) or the file comes from --contents.
 */
export function startBlame(argv: string[], cwd: string): CommittedBlame | null {
  let parsed: ReturnType<typeof parseBlameArgs>;
  try {
    parsed = parseBlameArgs(argv);
  } catch {
    return null;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1 || values.contents !== undefined) return null;
  return startCommittedBlame(cwd, positionals[0]!, { detectMoves: values['detect-moves'] ?? false });
}
