/**
 * Patterns a policy supplies run on RE2 (re2js, pure JavaScript): matching takes time linear in the
 * text whatever the pattern, so a policy cannot make `check` hang on a crafted commit message.
 * RE2 has no backreferences or lookaround; a pattern that needs them is refused when the policy is
 * read, naming why.
 */
import { RE2JS } from 're2js';

export interface LinearPattern {
  source: string;
  test(text: string): boolean;
  /** Every non-overlapping match, in order, at most `max`. */
  matches(text: string, max?: number): string[];
}

/** Compiles `source` (multi-line: ^ and $ match at line breaks); throws with RE2's reason. */
export function linearPattern(source: string): LinearPattern {
  const compiled = RE2JS.compile(source, RE2JS.MULTILINE);
  return {
    source,
    test: (text) => compiled.matcher(text).find(),
    matches: (text, max = 10) => {
      const out: string[] = [];
      const m = compiled.matcher(text);
      while (out.length < max && m.find()) {
        const found = m.group();
        if (found) out.push(found);
      }
      return out;
    },
  };
}

/** Null when RE2 takes the pattern, else why not. */
export function linearPatternProblem(source: string): string | null {
  try {
    RE2JS.compile(source, RE2JS.MULTILINE);
    return null;
  } catch (e) {
    return `not a pattern the linear-time engine (RE2) accepts: ${(e as Error).message.replace(/^error parsing regexp: /, '')}`;
  }
}
