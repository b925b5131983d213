/**
 * Runs the extension-host suite in a real VS Code served by code-server (VS Code from the npm
 * registry; scripts/install-code-server.sh installs it), opened in Debian's Chromium through
 * playwright-core: with the workspace trusted, untrusted, and with GitHub as the source (signed in
 * through an Enterprise session the runner extension provides, the consent dialog answered in the
 * page as a user would). Screenshots of the real workbench land in test-results/screens. Exit
 * code 0 only when every test passed in every run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildSuite } from './buildSuite';
import { startDemoWorld } from '../../src/cli/demo/demoWorld';
import { createFixture, serviceSettings, writeUserSettings } from './fixture';
import { createGitHubFixture, githubSettings, githubToken } from './githubFixture';
import { createGitLabFixture, gitlabSettings, gitlabToken } from './gitlabFixture';
import type { SuiteReport } from './suite/index';

const root = join(__dirname, '../..');
const screens = join(root, 'test-results', 'screens');

function tools(): { node24: string; codeServer: string } {
  const out = execFileSync(join(root, 'scripts/install-code-server.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const get = (key: string) => new RegExp(`^${key}=(.+)$`, 'm').exec(out)?.[1]?.trim();
  const node24 = get('node24');
  const codeServer = get('code-server');
  if (!node24 || !codeServer) throw new Error(`install-code-server.sh printed no paths:\n${out}`);
  return { node24, codeServer };
}

/** Installs the built extension and the runner as unpacked folders. */
function extensionsDir(scratch: string): string {
  const dir = join(scratch, 'extensions');
  const ext = join(dir, 'code-lineage.code-lineage-0.1.0');
  mkdirSync(ext, { recursive: true });
  for (const item of ['package.json', 'dist/extension.js', 'dist/webview', 'media', 'README.md', 'LICENSE'])
    cpSync(join(root, item), join(ext, item), { recursive: true });
  cpSync(join(__dirname, 'runner-extension'), join(dir, 'code-lineage-tests.test-runner-0.0.1'), { recursive: true });
  return dir;
}

function screenshotServer(getPage: () => Page | undefined): Promise<{ server: Server; url: string }> {
  mkdirSync(screens, { recursive: true });
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').searchParams.get('name') ?? 'shot';
    const page = getPage();
    const safe = name.replace(/[^a-z0-9-]/gi, '_');
    (page ? page.screenshot({ path: join(screens, `${safe}.png`) }) : Promise.resolve())
      .then(() => res.end('ok'))
      .catch((e: unknown) => res.end(String(e)));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

type Mode = 'trusted' | 'untrusted' | 'github' | 'gitlab' | 'demo';

/** The run's world: the service fixture, or the GitHub one. */
async function world(
  mode: Mode,
): Promise<{ info: { repoDir: string }; settings: Record<string, unknown>; env: Record<string, string>; close(): Promise<void> }> {
  if (mode === 'github') {
    const f = await createGitHubFixture();
    return {
      info: f.info,
      settings: githubSettings(f.info.githubUrl),
      env: { LINEAGE_VSCODE_GITHUB_TOKEN: githubToken },
      close: () => f.close(),
    };
  }
  if (mode === 'gitlab') {
    const f = await createGitLabFixture();
    return { info: f.info, settings: gitlabSettings(f.info.gitlabUrl), env: {}, close: () => f.close() };
  }
  if (mode === 'demo') {
    // The demo's realistic repository and service: the run that pictures the product for the README.
    const demoRoot = mkdtempSync(join(tmpdir(), 'lineage-vscode-demo-'));
    const demo = await startDemoWorld(demoRoot, 0);
    return {
      info: { repoDir: demo.repo.dir, serviceUrl: demo.url, file: join(demo.repo.dir, 'src', 'payments.js') } as never,
      settings: serviceSettings(demo.url),
      env: {},
      close: async () => {
        await demo.close();
        rmSync(demoRoot, { recursive: true, force: true });
      },
    };
  }
  const f = await createFixture();
  return { info: f.info, settings: serviceSettings(f.info.serviceUrl), env: {}, close: () => f.close() };
}

/** Types the token into "Set GitLab Token"'s input box and presses Enter, as the user would. */
function typeGitLabToken(getPage: () => Page | undefined): () => number {
  let stopped = false;
  let typed = 0;
  const loop = async () => {
    while (!stopped) {
      const page = getPage();
      const box = page?.locator('.quick-input-widget', { hasText: /GitLab token for/ });
      if (page && box && (await box.isVisible().catch(() => false))) {
        await page.keyboard.type(gitlabToken);
        await page.keyboard.press('Enter');
        typed++;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  void loop();
  return () => {
    stopped = true;
    return typed;
  };
}

/** Answers VS Code's "wants to sign in" consent dialog with Allow, as the user would. */
function allowSignIns(getPage: () => Page | undefined): () => number {
  let stopped = false;
  let answered = 0;
  const loop = async () => {
    while (!stopped) {
      const allow = getPage()?.locator('.monaco-dialog-box .monaco-button', { hasText: /^Allow$/ });
      if (
        allow &&
        (await allow.count().catch(() => 0)) > 0 &&
        (await allow
          .first()
          .click()
          .then(() => true)
          .catch(() => false))
      )
        answered++;
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  void loop();
  return () => {
    stopped = true;
    return answered;
  };
}

async function runOnce(mode: Mode, browser: Browser, t: { node24: string; codeServer: string }, suite: string): Promise<SuiteReport> {
  const fixture = await world(mode);
  const scratch = mkdtempSync(join(tmpdir(), `lineage-vscode-${mode}-`));
  const userData = join(scratch, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeUserSettings(userData, fixture.settings, 'remote');
  const report = join(scratch, 'report.json');
  let page: Page | undefined;
  const shots = await screenshotServer(() => page);
  const port = await freePort();
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--extensions-dir',
    extensionsDir(scratch),
    '--user-data-dir',
    userData,
    '--disable-telemetry',
    '--disable-update-check',
  ];
  if (mode !== 'untrusted') args.push('--disable-workspace-trust');
  const stopAllowing = mode === 'github' ? allowSignIns(() => page) : mode === 'gitlab' ? typeGitLabToken(() => page) : () => 0;
  let child: ChildProcess | undefined;
  const log: string[] = [];
  try {
    child = spawn(t.codeServer, [...args, fixture.info.repoDir], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${join(t.node24, '..')}:${process.env.PATH}`,
        LINEAGE_VSCODE_SUITE: suite,
        LINEAGE_VSCODE_REPORT: report,
        LINEAGE_VSCODE_MODE: mode,
        LINEAGE_VSCODE_FIXTURE: JSON.stringify(fixture.info),
        LINEAGE_SCREENSHOT_URL: shots.url,
        ...fixture.env,
      },
    });
    child.stdout?.on('data', (c: Buffer) => log.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
    await waitFor(
      `code-server on port ${port}`,
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok,
      60_000,
    );
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    // The web workbench's clipboard is the browser's.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
    page = await context.newPage();
    // The pages' own errors (the workbench's and the webviews'), for a failing run's diagnosis.
    context.on('response', (r) => {
      if (r.status() >= 400 && process.env.LINEAGE_VSCODE_DEBUG) console.log(`  [page] ${r.status()} ${r.url().slice(0, 300)}`);
    });
    context.on('console', (m) => {
      if (m.type() === 'error' && process.env.LINEAGE_VSCODE_DEBUG) console.log(`  [page] ${m.text().slice(0, 300)}`);
    });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(fixture.info.repoDir)}`);
    await waitFor(`the ${mode} suite's report`, () => existsSync(report), 240_000);
    await context.close();
    return JSON.parse(readFileSync(report, 'utf8')) as SuiteReport;
  } catch (e) {
    process.stderr.write(`code-server output:\n${log.join('').slice(-4000)}\n`);
    throw e;
  } finally {
    const answered = stopAllowing();
    if (mode === 'github') console.log(`  (sign-in consent dialogs answered: ${answered})`);
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    shots.server.close();
    await fixture.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function waitFor(what: string, probe: () => unknown, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const t = tools();
  const suite = await buildSuite(root);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  let passed = 0;
  let failed = 0;
  try {
    for (const mode of (process.env.LINEAGE_VSCODE_MODES?.split(',') ?? ['trusted', 'untrusted', 'github', 'gitlab', 'demo']) as Mode[]) {
      const started = Date.now();
      const report = await runOnce(mode, browser, t, suite);
      for (const title of report.passed) console.log(`  ✔ ${title}`);
      for (const f of report.failed)
        console.log(
          `  ✘ ${f.title}\n${f.error
            .split('\n')
            .slice(0, 8)
            .map((l) => `      ${l}`)
            .join('\n')}`,
        );
      const activation = report.activationMs === undefined ? '' : `, activation ${report.activationMs.toFixed(1)} ms`;
      console.log(`  (${mode} run: ${((Date.now() - started) / 1000).toFixed(0)} s${activation})`);
      passed += report.passed.length;
      failed += report.failed.length;
      if (report.passed.length + report.failed.length === 0) failed++;
    }
  } finally {
    await browser.close();
  }
  console.log(`\nVS Code extension host (code-server): ${passed} passed, ${failed} failed; screenshots in ${screens}`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
