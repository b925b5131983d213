/**
 * Real answers recorded from api.github.com by @octokit/fixtures (its `normalized-fixture.json`
 * scenarios: status, headers and body of each request as GitHub sent them), and a server that
 * replays one scenario: each recorded request answered with its recorded response, links and
 * URLs pointing at the replay instead of api.github.com, anything unrecorded a 404.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

export interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  response: unknown;
  /** As recorded: mostly strings, some numbers (content-length, rate-limit counters). */
  headers: Record<string, string | number>;
  reqheaders: Record<string, string | number>;
}

const scenariosDir = join(dirname(require.resolve('@octokit/fixtures/package.json')), 'scenarios/api.github.com');

/** The exchanges of one recorded scenario (`get-repository`, `paginate-issues`, `create-status`…). */
export function recordedScenario(name: string): RecordedExchange[] {
  return JSON.parse(readFileSync(join(scenariosDir, name, 'normalized-fixture.json'), 'utf8')) as RecordedExchange[];
}

/** The recorded response to `METHOD path` in a scenario. */
export function recordedResponse(scenario: string, method: string, pathPattern: RegExp): RecordedExchange {
  const found = recordedScenario(scenario).find((x) => x.method.toUpperCase() === method && pathPattern.test(x.path));
  if (!found) throw new Error(`@octokit/fixtures scenario ${scenario} has no ${method} ${pathPattern}`);
  return found;
}

export class RecordedGitHub {
  readonly requests: { method: string; path: string; authorization: string | null }[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly exchanges: RecordedExchange[]) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization ?? null });
    const hit = this.exchanges.find((x) => x.method.toUpperCase() === req.method && x.path === path);
    if (!hit) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `not recorded: ${req.method} ${path}` }));
      return;
    }
    const here = (text: string) => text.split('https://api.github.com').join(this.url);
    const body = here(JSON.stringify(hit.response));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(hit.headers)) {
      if (['content-length', 'connection', 'transfer-encoding'].includes(k.toLowerCase())) continue;
      headers[k] = here(String(v));
    }
    res.writeHead(hit.status, headers);
    res.end(body);
  }
}
