/**
 * Where the repository defines a Terraform resource: the block's `resource "type" "name"` line,
 * followed into local modules by the address's `module.` steps, at the attribute's line when the
 * finding names one.
 */
import { dirOf, lineAt, normalise } from './repoPaths';
import type { InfraHit, RepoFiles, TerraformRef } from './infrastructureRefs';

export async function findTerraform(repo: RepoFiles, ref: TerraformRef): Promise<InfraHit[]> {
  const tf = repo.files.filter((f) => f.endsWith('.tf'));
  const parts = ref.address.replace(/\[[^\]]*\]/g, '').split('.');
  const modules: string[] = [];
  while (parts[0] === 'module' && parts.length > 2) {
    modules.push(parts[1]!);
    parts.splice(0, 2);
  }
  const isData = parts[0] === 'data';
  if (isData) parts.shift();
  const [type, name] = parts as [string, string];
  // Narrow to the module's directory when its source is local.
  let dirs: string[] | null = null;
  for (const mod of modules) {
    const next: string[] = [];
    for (const f of tf.filter((x) => dirs === null || dirs.some((d) => dirOf(x) === d))) {
      const text = (await repo.read(f)) ?? '';
      const block = findBlock(text, `module "${mod}"`);
      const source = block ? /^\s*source\s*=\s*"(\.{1,2}\/[^"]+)"/m.exec(text.slice(block.start, block.end))?.[1] : undefined;
      if (source) next.push(normalise(`${dirOf(f)}/${source}`));
    }
    dirs = next.length ? next : dirs;
  }
  // Without a module prefix the address is in a root module, not in a directory some module uses.
  if (modules.length === 0) {
    const moduleDirs = new Set<string>();
    for (const f of tf) {
      const text = (await repo.read(f)) ?? '';
      for (const m of text.matchAll(/^\s*source\s*=\s*"(\.{1,2}\/[^"]{1,300})"/gm)) moduleDirs.add(normalise(`${dirOf(f)}/${m[1]}`));
    }
    const roots = [...new Set(tf.map(dirOf))].filter((d) => !moduleDirs.has(d));
    if (roots.length) dirs = roots;
  }
  const hits: InfraHit[] = [];
  const header = `${isData ? 'data' : 'resource'} "${type}" "${name}"`;
  for (const f of tf) {
    if (dirs && !dirs.includes(dirOf(f))) continue;
    const text = await repo.read(f);
    if (!text || !text.includes(`"${name}"`)) continue;
    const block = findBlock(text, header);
    if (!block) continue;
    let line = lineAt(text, block.start);
    let exact = false;
    if (ref.attribute) {
      const attr = ref.attribute.split('.').pop()!;
      const inner = text.slice(block.start, block.end);
      const m = new RegExp(`^\\s*${attr.replace(/[^\w-]/g, '')}\\s*[={]`, 'm').exec(inner);
      if (m) {
        line = lineAt(text, block.start + m.index + (m[0].length - m[0].trimStart().length));
        exact = true;
      }
    }
    hits.push({
      path: f,
      line,
      exact,
      reason: `${ref.why}: ${header}${modules.length ? ` in module ${modules.join('.')}` : ''}${exact ? `, attribute ${ref.attribute}` : ''}`,
    });
  }
  return hits;
}

/** The block that starts with `header` (at the start of a line) and its closing brace. */
function findBlock(text: string, header: string): { start: number; end: number } | null {
  let at = text.indexOf(header);
  while (at >= 0 && at > 0 && text[at - 1] !== '\n' && text.slice(text.lastIndexOf('\n', at) + 1, at).trim() !== '')
    at = text.indexOf(header, at + 1);
  if (at < 0) return null;
  const open = text.indexOf('{', at);
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { start: at, end: i + 1 };
  }
  return { start: at, end: text.length };
}
