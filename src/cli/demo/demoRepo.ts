/**
 * Builds the demo repository: a small Node service with real git history (feature branches merged
 * as pull requests, a revert, a hotfix straight to main), with fixed authors and dates so every run
 * produces the same commits.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runGitSync, type GitIdentity } from '../../core/git/gitRunner';

/** Steps that make no commit still need a name for git to accept them. */
const demoIdentity: GitIdentity = { name: 'Demo', email: 'demo@acme.example' };

export interface DemoCommit {
  sha: string;
  label: string;
  at: string;
  author: string;
}

export interface DemoRepo {
  dir: string;
  slug: string;
  commits: Record<string, DemoCommit>;
  /** Text of a file at a labelled commit, for locating findings. */
  fileAt(label: string, path: string): string;
}

const people = {
  alice: { name: 'Alice Martin', email: 'alice@acme.example' },
  bob: { name: 'Bob Chen', email: 'bob@acme.example' },
  carol: { name: 'Carol Diaz', email: 'carol@acme.example' },
} as const;
type Person = keyof typeof people;

const files = {
  server: `const http = require('node:http');
const { cartTotal } = require('./cart');
const { charge } = require('./payments');

const server = http.createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/checkout') {
    const total = cartTotal([{ price: 1200, qty: 2 }]);
    const receipt = await charge(total);
    return res.end(JSON.stringify(receipt));
  }
  res.statusCode = 404;
  res.end();
});

server.listen(process.env.PORT || 8080);
`,
  cartV1: `function cartTotal(items) {
  let total = 0;
  for (const item of items) {
    total += item.price * item.qty;
  }
  return total;
}

module.exports = { cartTotal };
`,
  cartV2: `const TAX_RATE = 0.2;

function cartTotal(items, { withTax = true } = {}) {
  let total = 0;
  for (const item of items) {
    total += item.price * item.qty;
  }
  return withTax ? Math.round(total * (1 + TAX_RATE)) : total;
}

module.exports = { cartTotal, TAX_RATE };
`,
  paymentsV1: `async function charge(amount) {
  if (amount <= 0) throw new Error('amount must be positive');
  return { status: 'charged', amount };
}

module.exports = { charge };
`,
  paymentsV2: `const MAX_ATTEMPTS = 3;

async function callGateway(amount, attempt) {
  if (attempt < 2) throw new Error('gateway timeout');
  return { status: 'charged', amount, attempt };
}

async function charge(amount) {
  if (amount <= 0) throw new Error('amount must be positive');
  let lastError;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      return await callGateway(amount, attempt);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

module.exports = { charge };
`,
  paymentsV3: `const MAX_ATTEMPTS = 3;

async function callGateway(amount, attempt) {
  if (attempt < 2) throw new Error('gateway timeout');
  return { status: 'charged', amount, attempt };
}

async function charge(amount) {
  if (!Number.isFinite(amount) || amount <= 0) throw new Error('amount must be a positive number');
  let lastError;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      return await callGateway(amount, attempt);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

module.exports = { charge };
`,
  inventory: `const stock = new Map([['sku-1', 10], ['sku-2', 0]]);

function reserve(sku, qty) {
  const available = stock.get(sku) ?? 0;
  if (available < qty) return false;
  stock.set(sku, available - qty);
  return true;
}

module.exports = { reserve };
`,
  inventoryBroken: `const stock = new Map([['sku-1', 10], ['sku-2', 0]]);

function reserve(sku, qty) {
  const available = stock.get(sku);
  stock.set(sku, available - qty);
  return available.valueOf() >= qty;
}

module.exports = { reserve };
`,
  deployment: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: shop-api
  template:
    metadata:
      labels:
        app: shop-api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/shop-api:latest
          ports:
            - containerPort: 8080
          securityContext:
            privileged: true
`,
  readme: `# shop-api

The checkout service of the Acme shop.
`,
};

export function buildDemoRepo(dir: string): DemoRepo {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const commits: Record<string, DemoCommit> = {};
  let clock = Date.parse('2026-10-05T09:00:00Z');

  const git = (args: string[], env: Record<string, string> = {}) =>
    runGitSync(
      dir,
      args,
      env.GIT_AUTHOR_NAME ? { name: env.GIT_AUTHOR_NAME, email: env.GIT_AUTHOR_EMAIL!, date: env.GIT_AUTHOR_DATE } : demoIdentity,
    );
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const commit = (label: string, who: Person, message: string, extra: string[] = []) => {
    clock += 3 * 3600_000;
    const at = new Date(clock).toISOString();
    const p = people[who];
    git(['add', '-A']);
    git(['commit', '-q', '-m', message, ...extra], {
      GIT_AUTHOR_NAME: p.name,
      GIT_AUTHOR_EMAIL: p.email,
      GIT_AUTHOR_DATE: at,
      GIT_COMMITTER_NAME: p.name,
      GIT_COMMITTER_EMAIL: p.email,
      GIT_COMMITTER_DATE: at,
    });
    commits[label] = { sha: git(['rev-parse', 'HEAD']), label, at, author: who };
  };
  const merge = (label: string, branch: string, who: Person, message: string) => {
    clock += 3600_000;
    const at = new Date(clock).toISOString();
    const p = people[who];
    git(['merge', '-q', '--no-ff', '-m', message, branch], {
      GIT_AUTHOR_NAME: p.name,
      GIT_AUTHOR_EMAIL: p.email,
      GIT_AUTHOR_DATE: at,
      GIT_COMMITTER_NAME: p.name,
      GIT_COMMITTER_EMAIL: p.email,
      GIT_COMMITTER_DATE: at,
    });
    commits[label] = { sha: git(['rev-parse', 'HEAD']), label, at, author: who };
  };

  git(['init', '-q', '-b', 'main']);
  git(['remote', 'add', 'origin', 'https://github.com/acme/shop-api.git']);
  write('README.md', files.readme);
  write('src/server.js', files.server);
  write('src/cart.js', files.cartV1);
  write('src/payments.js', files.paymentsV1);
  write('k8s/deployment.yaml', files.deployment);
  commit('initial', 'alice', 'SHOP-1 initial checkout service');

  git(['checkout', '-q', '-b', 'feature/cart-tax']);
  write('src/cart.js', files.cartV2);
  commit('cartTax', 'bob', 'SHOP-12 feat: add tax to cart totals');
  git(['checkout', '-q', 'main']);
  merge('mergeCartTax', 'feature/cart-tax', 'alice', 'Merge pull request #1 from acme/feature/cart-tax');

  git(['checkout', '-q', '-b', 'feature/payment-retry']);
  write('src/payments.js', files.paymentsV2);
  commit('paymentRetry', 'carol', 'SHOP-15 feat: retry the payment gateway');
  git(['checkout', '-q', 'main']);
  merge('mergePaymentRetry', 'feature/payment-retry', 'bob', 'Merge pull request #2 from acme/feature/payment-retry');

  git(['checkout', '-q', '-b', 'feature/inventory']);
  write('src/inventory.js', files.inventoryBroken);
  commit('inventory', 'bob', 'SHOP-18 feat: reserve inventory at checkout');
  git(['checkout', '-q', 'main']);
  merge('mergeInventory', 'feature/inventory', 'alice', 'Merge pull request #3 from acme/feature/inventory');

  git(['revert', '--no-edit', '-m', '1', 'HEAD'], {
    GIT_AUTHOR_NAME: people.alice.name,
    GIT_AUTHOR_EMAIL: people.alice.email,
    GIT_COMMITTER_NAME: people.alice.name,
    GIT_COMMITTER_EMAIL: people.alice.email,
    GIT_AUTHOR_DATE: new Date((clock += 3600_000)).toISOString(),
    GIT_COMMITTER_DATE: new Date(clock).toISOString(),
  });
  commits.revertInventory = {
    sha: git(['rev-parse', 'HEAD']),
    label: 'revertInventory',
    at: new Date(clock).toISOString(),
    author: 'alice',
  };

  write('src/payments.js', files.paymentsV3);
  commit('hotfix', 'carol', 'hotfix: SHOP-21 reject non-numeric payment amounts');

  git(['checkout', '-q', '-b', 'feature/inventory-v2']);
  write('src/inventory.js', files.inventory);
  commit('inventoryV2', 'bob', 'SHOP-18 feat: reserve inventory, checking stock first');
  git(['checkout', '-q', 'main']);
  merge('mergeInventoryV2', 'feature/inventory-v2', 'carol', 'Merge pull request #4 from acme/feature/inventory-v2');

  return {
    dir,
    slug: 'acme/shop-api',
    commits,
    fileAt: (label, path) => git(['show', `${commits[label]!.sha}:${path}`]),
  };
}
