/**
 * Frames from pasted stack traces, whatever produced them: Node/V8 and Chrome ("at fn (file:1:2)"),
 * Firefox and Safari ("fn@file:1:2"), Python ('File "x.py", line 3, in f', chained exceptions),
 * Java and Kotlin ("at a.b.C.m(C.java:12)", "Caused by", "... N more"), Go panics and goroutine
 * dumps ("\t/src/x.go:12 +0x1d", and "/src/x.go:12 (0x8b3c5d)" then "\tfn: source" as web frameworks'
 * recovery middleware prints them), .NET ("at N.C.M() in C:\src\X.cs:line 42") and Ruby
 * ("x.rb:12:in `m'"). Real pastes are messy, so each line is searched for a frame anywhere in it
 * (log prefixes, logcat tags), syslog's and journald's per-line prefix ("Mar 14 10:00:01 host
 * app[812]: ") is taken off and their "#011" read as a tab, and a trace flattened onto one line is
 * split at its frame markers first.
 *
 * Every pattern here is linear: no nested quantifiers, and locations are taken apart by scanning
 * from the right, so a 10 MB paste or a 100k-frame dump costs time proportional to its length.
 */

export type TraceLanguage = 'javascript' | 'python' | 'java' | 'go' | 'dotnet' | 'ruby';

export interface StackFrame {
  /** The path as the trace gives it (absolute, relative, a URL, or a Java package path). */
  file: string;
  line: number | null;
  column: number | null;
  function: string | null;
  language: TraceLanguage;
  /** Position in the trace, innermost (where it failed) first. */
  index: number;
  /** The trace line it came from, trimmed. */
  raw: string;
  /** The line of source the trace quotes for this frame, trimmed: Python prints it under the frame, recovery middleware after the function. */
  sourceText?: string;
}

export interface ParsedTrace {
  frames: StackFrame[];
  /** The error's own message line(s) ("TypeError: x is undefined"), when recognisable. */
  messages: string[];
}

/** Guards against pathological pastes: at most this many lines are looked at. */
const maxLines = 200_000;
const maxLineLength = 4_096;

// Starting only where a run of whitespace starts: `\s+at` tried at every space of a long run is quadratic.
const jsMarker = /(?<!\s)\s+at\s/g;

/** Splits a trace that lost its newlines at the places where a new frame begins. */
/**
 * The prefix syslog and journald put on every line: "Mar 14 10:00:01 host unit[812]: " (short) or
 * "2024-03-14T10:00:01+0000 host unit[812]: " (short-iso). Bounded pieces, no nested quantifiers.
 */
const syslogPrefix =
  /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) \S{1,255} [^\s:[]{1,255}(?:\[\d{1,10}\])?: /;

function unflatten(text: string): string[] {
  const lines = text.split(/\r?\n|\r/).map((l) => l.replace(syslogPrefix, '').replace(/#011/g, '\t'));
  const out: string[] = [];
  for (const line of lines) {
    const parts =
      (line.match(jsMarker)?.length ?? 0) > 2
        ? line.split(/(?<!\s)(?=\s+at\s)/)
        : line.length > 400 && line.includes('File "')
          ? line.split(/(?=File ")/)
          : [line];
    for (const part of parts) {
      out.push(part);
      if (out.length > maxLines) break;
    }
    if (out.length > maxLines) break;
  }
  return out.slice(0, maxLines);
}

/** "path:12:34" or "path:12" taken apart from the right; null when there is no line number. */
function splitLocation(loc: string): { file: string; line: number; column: number | null } | null {
  let rest = loc.trim();
  const last = rest.lastIndexOf(':');
  if (last <= 0) return null;
  const tail = rest.slice(last + 1);
  if (!/^\d+$/.test(tail)) return null;
  rest = rest.slice(0, last);
  const prev = rest.lastIndexOf(':');
  if (prev > 0 && /^\d+$/.test(rest.slice(prev + 1))) {
    return { file: rest.slice(0, prev), line: Number(rest.slice(prev + 1)), column: Number(tail) };
  }
  return { file: rest, line: Number(tail), column: null };
}

function positive(n: number | null): number | null {
  return n !== null && Number.isFinite(n) && n >= 1 ? n : null;
}

/** V8 and Chrome: "at fn (loc)", "at loc", "at async fn (loc)", "at new C (loc)". */
function v8Frame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const at = line.search(/(^|\s)at\s/);
  if (at < 0) return null;
  let body = line.slice(line.indexOf('at', at) + 3).trim();
  let fn: string | null = null;
  if (body.endsWith(')')) {
    const open = body.lastIndexOf(' (');
    if (open < 0) {
      // Java: "at a.b.C.m(C.java:12)" has no space before the parenthesis.
      return null;
    }
    fn =
      body
        .slice(0, open)
        .replace(/^async /, '')
        .trim() || null;
    body = body.slice(open + 2, -1);
  }
  // eval frames: "eval at f (x.js:1:2), <anonymous>:3:4" — the outer location is the file's.
  if (body.startsWith('eval at ')) {
    const inner = body.indexOf('(');
    const close = body.indexOf(')', inner);
    if (inner > 0 && close > inner) body = body.slice(inner + 1, close);
  }
  const loc = splitLocation(body);
  if (!loc || /\s/.test(loc.file) || loc.file === '<anonymous>' || loc.file.startsWith('node:')) return null;
  return { file: loc.file, line: loc.line, column: loc.column, function: fn };
}

/** Firefox and Safari: "fn@loc", "@loc". */
function geckoFrame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const t = line.trim();
  const atSign = t.indexOf('@');
  if (atSign < 0) return null;
  const loc = splitLocation(t.slice(atSign + 1));
  if (!loc || /\s/.test(loc.file) || !/[/.]/.test(loc.file)) return null;
  return { file: loc.file, line: loc.line, column: loc.column, function: t.slice(0, atSign) || null };
}

/** Python: File "path", line N, in fn */
function pythonFrame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const start = line.indexOf('File "');
  if (start < 0) return null;
  const end = line.indexOf('"', start + 6);
  if (end < 0) return null;
  const m = /^, line (\d+)(?:, in (.+))?/.exec(line.slice(end + 1));
  if (!m) return null;
  return { file: line.slice(start + 6, end), line: Number(m[1]), column: null, function: m[2]?.trim() ?? null };
}

/** The source line Python prints under a frame: indented, not another frame, not 3.11's ^^^ markers. */
function pythonSource(next: string | undefined): string | null {
  if (!next || next.includes('File "') || !/^\s{2,}\S/.test(next)) return null;
  const text = next.trim();
  return /^[\^~\s]+$/.test(text) ? null : text.slice(0, 500);
}

/** Java and Kotlin: "at a.b.C.m(C.java:12)"; the file becomes a/b/C.java from the package. */
function javaFrame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  if (!/\.(?:java|kt|scala|groovy|clj):\d/.test(line)) return null;
  const m = /(?:^|\s)at ([\w$.<>/]+)\(([\w$.-]+\.(?:java|kt|scala|groovy|clj)):(\d+)\)/.exec(line);
  if (!m) return null;
  const qualified = m[1]!.replace(/^[\w.]+\//, ''); // "app//a.b.C.m" module prefixes
  const parts = qualified.split('.');
  const pkg = parts.slice(0, -2).filter((p) => /^[a-z_][\w]*$/.test(p));
  return { file: [...pkg, m[2]!].join('/'), line: Number(m[3]), column: null, function: qualified };
}

/** .NET: "at N.C.M(args) in C:\src\X.cs:line 42" */
function dotnetFrame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const marker = line.lastIndexOf(':line ');
  if (marker < 0) return null;
  const inAt = line.lastIndexOf(') in ', marker);
  const at = line.search(/(^|\s)at \S/);
  if (inAt < 0 || at < 0 || at > inAt) return null;
  const lineNo = /^\d+/.exec(line.slice(marker + 6));
  if (!lineNo) return null;
  const call = line.slice(line.indexOf('at', at) + 3, inAt + 1);
  return { file: line.slice(inAt + 5, marker), line: Number(lineNo[0]), column: null, function: call.slice(0, call.indexOf('(')) || null };
}

/** Ruby: "path/x.rb:12:in `m'" or "from path/x.rb:12:in 'C#m'" */
function rubyFrame(line: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const ext = line.search(/\.(?:rb|rake|erb):\d/);
  if (ext < 0) return null;
  // The path is the run of non-space characters ending at the extension.
  const start = Math.max(line.lastIndexOf(' ', ext), line.lastIndexOf('\t', ext)) + 1;
  const m = /^([^\s'"`]+\.(?:rb|rake|erb)):(\d+)(?::in [`']([^'`]{1,300})')?/.exec(line.slice(start).replace(/^from /, ''));
  if (!m) return null;
  return { file: m[1]!, line: Number(m[2]), column: null, function: m[3] ?? null };
}

/**
 * Go: "\t/src/app/x.go:12 +0x1d" after a "pkg.fn(...)" line, as the runtime prints a panic; or
 * "/src/app/x.go:12 (0x8b3c5d)" before a "\tfn: source" line, as recovery middleware (Gin, Echo,
 * Negroni) prints the stack it caught.
 */
function goFrame(line: string, previous: string, next: string): Omit<StackFrame, 'index' | 'raw' | 'language'> | null {
  const runtime = /^\s*(\S+\.go):(\d+)(?:\s+\+0x[0-9a-f]+)?\s*$/.exec(line);
  if (runtime) {
    const fn = previous.trim().replace(/\(.*\)$/, '') || null;
    return { file: runtime[1]!, line: Number(runtime[2]), column: null, function: fn };
  }
  const recovered = /^\s*(\S+\.go):(\d+) \(0x[0-9a-f]+\)\s*$/.exec(line);
  if (!recovered) return null;
  const source = /^\s+([\w.*()/-]{1,300}): (.*)$/.exec(next);
  return {
    file: recovered[1]!,
    line: Number(recovered[2]),
    column: null,
    function: source?.[1] ?? null,
    ...(source?.[2]?.trim() ? { sourceText: source[2].trim().slice(0, 500) } : {}),
  };
}

const messagePattern = /^\s*(?:[\w$.]+(?:Error|Exception|Panic)|panic|Traceback|Caused by|Unhandled)\b.{0,300}/;

export function parseStackTrace(text: string): ParsedTrace {
  const lines = unflatten(text);
  const frames: StackFrame[] = [];
  const messages: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.length > maxLineLength ? lines[i]!.slice(0, maxLineLength) : lines[i]!;
    let frame: Omit<StackFrame, 'index' | 'raw' | 'language'> | null;
    let language: TraceLanguage = 'javascript';
    if ((frame = pythonFrame(line))) {
      language = 'python';
      const quoted = pythonSource(lines[i + 1]);
      if (quoted) frame = { ...frame, sourceText: quoted };
    } else if ((frame = dotnetFrame(line))) language = 'dotnet';
    else if ((frame = javaFrame(line))) language = 'java';
    else if ((frame = goFrame(line, lines[i - 1] ?? '', lines[i + 1] ?? ''))) language = 'go';
    else if ((frame = v8Frame(line))) language = 'javascript';
    else if ((frame = rubyFrame(line))) language = 'ruby';
    else if ((frame = geckoFrame(line))) language = 'javascript';
    if (frame) {
      frames.push({
        ...frame,
        line: positive(frame.line),
        column: positive(frame.column),
        language,
        index: 0,
        raw: line.trim().slice(0, 500),
      });
    } else if (messages.length < 10 && messagePattern.test(line)) {
      messages.push(line.trim().slice(0, 300));
    }
  }
  // Python prints the innermost frame last, and each chained exception's block after the one it
  // caused: reverse within the trace so index 0 is where the final exception was raised.
  const ordered = frames.some((f) => f.language === 'python') ? [...frames].reverse() : frames;
  return { frames: ordered.map((f, index) => ({ ...f, index })), messages };
}
