/**
 * The extension's settings, read in one place through zod schemas: a wrong value is logged and
 * replaced by its default, never thrown at the user.
 */
import * as vscode from 'vscode';
import { z } from 'zod';

/** Each setting: its key under `lineage.` (as contributed in package.json), schema and default. */
const fields = {
  apiUrl: { key: 'api.url', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), fallback: '' },
  environmentOrder: { key: 'environments.order', schema: z.array(z.string().min(1)), fallback: ['dev', 'staging', 'production'] },
  production: { key: 'environments.production', schema: z.string().min(1), fallback: 'production' },
  currentLineAnnotation: { key: 'annotations.currentLine', schema: z.boolean(), fallback: true },
  gutter: { key: 'gutter.enabled', schema: z.boolean(), fallback: true },
  codeLens: { key: 'codeLens.enabled', schema: z.boolean(), fallback: true },
  diagnostics: { key: 'diagnostics.enabled', schema: z.boolean(), fallback: true },
  detectMoves: { key: 'blame.detectMoves', schema: z.boolean(), fallback: false },
  changeReferenceUrl: {
    key: 'changeReference.urlTemplate',
    schema: z.union([z.literal(''), z.string().regex(/^https:\/\/\S*\{ref\}\S*$/)]),
    fallback: '',
  },
  source: { key: 'source', schema: z.enum(['auto', 'service', 'github', 'gitlab', 'git']), fallback: 'auto' as const },
  githubUrl: { key: 'github.url', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), fallback: '' },
  gitlabUrl: { key: 'gitlab.url', schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]), fallback: '' },
} as const;

export type Settings = { -readonly [K in keyof typeof fields]: z.infer<(typeof fields)[K]['schema']> };

export function readSettings(log: vscode.LogOutputChannel): Settings {
  const config = vscode.workspace.getConfiguration('lineage');
  const settings: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    const value = config.get(field.key);
    const checked = field.schema.safeParse(value === undefined ? field.fallback : value);
    if (checked.success) {
      settings[name] = checked.data;
    } else {
      log.warn(`setting lineage.${field.key} is invalid (${checked.error.issues[0]?.message ?? 'wrong type'}); using the default`);
      settings[name] = field.fallback;
    }
  }
  return settings as Settings;
}
