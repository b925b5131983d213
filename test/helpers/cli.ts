/** Runs the built `lineage` command as a user would, with no service or GitHub configured by the environment. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(__dirname, '../../dist/cli.js');
// The commands' compiled code is cached here, not in the home directory of whoever runs the tests.
const compileCache = mkdtempSync(join(tmpdir(), 'lineage-compile-cache-'));
process.on('exit', () => rmSync(compileCache, { recursive: true, force: true }));

export function runLineage(
  cwd: string,
  args: string[],
  input?: string,
  extraEnv: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string; json: any }> {
  return new Promise((resolve, reject) => {
    // No service and no GitHub or GitLab token from the developer's own environment (nor from `gh`).
    const env = {
      ...process.env,
      LINEAGE_API_URL: '',
      LINEAGE_SOURCE: '',
      GITHUB_TOKEN: '',
      GH_TOKEN: '',
      GITHUB_API_URL: '',
      GITLAB_TOKEN: '',
      CI_JOB_TOKEN: '',
      CI_API_V4_URL: '',
      CI_SERVER_URL: '',
      LINEAGE_GITLAB_URL: '',
      GH_CONFIG_DIR: '/nonexistent-lineage-test',
      LINEAGE_COMPILE_CACHE: join(compileCache, 'v8'),
      ...extraEnv,
    };
    const child = spawn(process.execPath, [cli, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ status, stdout, stderr, json });
    });
    child.stdin.end(input ?? '');
  });
}
