import assert from 'node:assert/strict';
import { readFindingInput } from '../../src/core/trace/findingInput';
import { goModuleFile, goVersionRevision, normaliseTracePath, PathIndex } from '../../src/core/trace/pathResolver';
import { parseStackTrace } from '../../src/core/trace/stackFrames';

const frames = (text: string) =>
  parseStackTrace(text).frames.map((f) => `${f.language} ${f.file}:${f.line}${f.function ? ` ${f.function}` : ''}`);

describe('stack trace frames', () => {
  it('reads browser traces: Chrome, Firefox and Safari', () => {
    const chrome = `TypeError: Cannot read properties of undefined (reading 'id')
    at renderCart (https://shop.example.com/static/js/main.4f2a.js:2:10432)
    at https://shop.example.com/static/js/main.4f2a.js:2:11050`;
    assert.deepEqual(
      frames(chrome),
      ['javascript /static/js/main.4f2a.js:2 renderCart', 'javascript /static/js/main.4f2a.js:2'].map((x) =>
        x.replace(' /static', ' https://shop.example.com/static'),
      ),
    );
    const firefox = `renderCart@https://shop.example.com/static/js/cart.js:14:9\n@https://shop.example.com/static/js/app.js:3:1`;
    assert.deepEqual(frames(firefox), [
      'javascript https://shop.example.com/static/js/cart.js:14 renderCart',
      'javascript https://shop.example.com/static/js/app.js:3',
    ]);
    const safari = `renderCart@webpack:///./src/cart.js:14:9\nglobal code@webpack:///./src/index.js:3:1`;
    assert.equal(parseStackTrace(safari).frames[0]!.file, 'webpack:///./src/cart.js');
  });

  it('reads Java with Caused by and "... N more", Go goroutines, .NET and Ruby', () => {
    const java = `Exception in thread "main" java.lang.IllegalStateException: boom
\tat com.acme.orders.OrderService.place(OrderService.java:42)
\tat com.acme.Main.main(Main.java:9)
Caused by: java.lang.ArithmeticException: / by zero
\tat com.acme.orders.Pricing.ratio(Pricing.java:17)
\t... 2 more`;
    assert.deepEqual(frames(java), [
      'java com/acme/orders/OrderService.java:42 com.acme.orders.OrderService.place',
      'java com/acme/Main.java:9 com.acme.Main.main',
      'java com/acme/orders/Pricing.java:17 com.acme.orders.Pricing.ratio',
    ]);
    const go = `panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.pick(...)
\t/go/src/app/internal/pick.go:12
main.main()
\t/go/src/app/main.go:8 +0x1d
exit status 2`;
    assert.deepEqual(frames(go), ['go /go/src/app/internal/pick.go:12 main.pick', 'go /go/src/app/main.go:8 main.main']);
    // The same panic from journald, every line prefixed and tabs escaped as syslog does.
    const journal = go
      .split('\n')
      .map((l) => `Mar 14 10:00:01 web-1 shop[812]: ${l.replace(/\t/g, '#011')}`)
      .join('\n');
    assert.deepEqual(frames(journal), frames(go));
    const iso = go
      .split('\n')
      .map((l) => `2026-03-14T10:00:01.123+0000 web-1 shop[812]: ${l}`)
      .join('\n');
    assert.deepEqual(frames(iso), frames(go));
    // Recovery middleware (Gin's format): "path:line (0xPC)" then the function and its source line.
    const recovered = `[Recovery] 2026/03/14 - 10:00:01 panic recovered:
runtime error: index out of range [3] with length 3
/usr/local/go/src/runtime/panic.go:114 (0x43a2f1)
	goPanicIndex: panic(boundsError{x: int64(x), signed: true, y: y, code: boundsIndex})
/go/src/app/handlers/user.go:45 (0x8b3c5d)
	GetUser: return users[id]
/go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/context.go:174 (0x8a1b2c)
	(*Context).Next: c.handlers[c.index](c)`;
    assert.deepEqual(frames(recovered), [
      'go /usr/local/go/src/runtime/panic.go:114 goPanicIndex',
      'go /go/src/app/handlers/user.go:45 GetUser',
      'go /go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/context.go:174 (*Context).Next',
    ]);
    const dotnet = `System.NullReferenceException: Object reference not set to an instance of an object.
   at Shop.Cart.Total(Order order) in C:\\src\\Shop\\Cart.cs:line 42
   at Shop.Program.Main() in C:\\src\\Shop\\Program.cs:line 7`;
    assert.deepEqual(frames(dotnet), [
      'dotnet C:\\src\\Shop\\Cart.cs:42 Shop.Cart.Total',
      'dotnet C:\\src\\Shop\\Program.cs:7 Shop.Program.Main',
    ]);
    const ruby = `app/models/order.rb:12:in \`total': undefined method \`price' for nil (NoMethodError)
\tfrom app/controllers/orders_controller.rb:5:in \`show'`;
    assert.deepEqual(frames(ruby), ['ruby app/models/order.rb:12 total', 'ruby app/controllers/orders_controller.rb:5 show']);
  });

  it('reads messy pastes: log prefixes, syslog #011, logcat, a trace flattened onto one line', () => {
    const syslog = `Mar  1 09:00:01 web1 node[311]: TypeError: x is undefined\nMar  1 09:00:01 web1 node[311]: #011at handler (/app/src/api.js:40:11)\nMar  1 09:00:01 web1 node[311]: #011at /app/src/server.js:12:3`;
    assert.deepEqual(frames(syslog), ['javascript /app/src/api.js:40 handler', 'javascript /app/src/server.js:12']);
    const logcat = `03-01 09:00:01.123  4242  4242 E AndroidRuntime: \tat com.acme.app.Cart.total(Cart.kt:33)`;
    assert.deepEqual(frames(logcat), ['java com/acme/app/Cart.kt:33 com.acme.app.Cart.total']);
    const flat = `Error: boom ${Array.from({ length: 12 }, (_, i) => `    at f${i} (/app/src/m${i}.js:${i + 1}:2)`).join('')}`;
    assert.equal(parseStackTrace(flat).frames.length, 12);
    assert.equal(parseStackTrace(flat).frames[11]!.file, '/app/src/m11.js');
  });

  it('puts the innermost Python frame first, across chained exceptions', () => {
    const py = `Traceback (most recent call last):
  File "/usr/src/app/shop/db.py", line 10, in load
    return rows[0]
IndexError: list index out of range

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/src/app/shop/main.py", line 4, in <module>
    run()
  File "/usr/src/app/shop/cart.py", line 22, in run
    raise RuntimeError("cart failed")
RuntimeError: cart failed`;
    assert.deepEqual(frames(py), [
      'python /usr/src/app/shop/cart.py:22 run',
      'python /usr/src/app/shop/main.py:4 <module>',
      'python /usr/src/app/shop/db.py:10 load',
    ]);
  });

  it('never throws and stays linear on random and hostile input', () => {
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const alphabet = ' \t\n:()@"\'`.,/\\#0123456789atFileline inbx.jsy.pyz.go+0x-';
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: rand(3000) }, () => alphabet[rand(alphabet.length)]).join('');
      parseStackTrace(text);
      readFindingInput(text);
    }
    const started = performance.now();
    const hostile = [
      'a'.repeat(2_000_000),
      'at '.repeat(300_000),
      'File "'.repeat(200_000),
      'x.rb:'.repeat(200_000),
      `${') in '.repeat(100_000)}:line 1`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      Array.from({ length: 100_000 }, (_, i) => `    at f (/app/a${i}.js:${i}:1)`).join('\n'),
    ];
    for (const text of hostile) readFindingInput(text);
    assert.ok(performance.now() - started < 15_000, `took ${performance.now() - started} ms`);
  });
});

describe('trace paths', () => {
  const index = new PathIndex([
    'src/api.js',
    'src/server.js',
    'services/web/src/api.js',
    'src/main/java/com/acme/orders/Pricing.java',
    'lib/index.js',
  ]);

  it('normalises URLs, drive letters and ./ segments', () => {
    assert.equal(normaliseTracePath('webpack:///./src/cart.js?abc'), '/src/cart.js');
    assert.equal(normaliseTracePath('file:///app/src/x.js'), '/app/src/x.js');
    assert.equal(normaliseTracePath('C:\\build\\src\\X.cs'), '/build/src/X.cs');
  });

  it('resolves by the longest unique suffix, and lists ties instead of picking', () => {
    assert.deepEqual(
      index.resolve('/app/src/server.js').map((m) => m.path),
      ['src/server.js'],
    );
    assert.deepEqual(
      index.resolve('com/acme/orders/Pricing.java').map((m) => m.path),
      ['src/main/java/com/acme/orders/Pricing.java'],
    );
    assert.deepEqual(
      index.resolve('/srv/other/src/api.js').map((m) => m.path),
      ['src/api.js', 'services/web/src/api.js'],
      'a tie at two segments, the file the trace path ends with whole first',
    );
    assert.deepEqual(
      index.resolve('/x/services/web/src/api.js').map((m) => m.path),
      ['services/web/src/api.js'],
    );
  });

  it('puts a root file before 31 namesakes deeper down, whatever the alphabet says', () => {
    const files = [...Array.from({ length: 31 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}${i}/index.js`), 'index.js'];
    const ranked = new PathIndex(files).resolve('/app/index.js').map((m) => m.path);
    assert.equal(ranked.length, 32, 'still a tie: every namesake is listed');
    assert.equal(ranked[0], 'index.js');
  });

  it('applies the most specific code mapping first, and never leaves the repository', () => {
    const mappings = [
      { stackRoot: '/app/', sourceRoot: '' },
      { stackRoot: '/app/web/', sourceRoot: 'services/web/' },
    ];
    assert.deepEqual(
      index.resolve('/app/web/src/api.js', mappings).map((m) => [m.path, m.how]),
      [['services/web/src/api.js', 'mapping']],
    );
    assert.deepEqual(index.resolve('../../etc/passwd'), []);
    assert.deepEqual(index.resolve('file:///etc/shadow'), []);
  });
});

describe('what traces quote and where Go modules live', () => {
  it("keeps the source line a Python traceback quotes, but not 3.11's markers", () => {
    const trace = `Traceback (most recent call last):
  File "/app/shop/tax.py", line 5, in <module>
    rate("us")
  File "/app/shop/tax.py", line 3, in rate
    return rates[region]
           ~~~~~^^^^^^^^
KeyError: 'us'`;
    assert.deepEqual(
      parseStackTrace(trace).frames.map((f) => [f.line, f.sourceText]),
      [
        [3, 'return rates[region]'],
        [5, 'rate("us")'],
      ],
    );
    const input = readFindingInput(trace);
    assert.equal(input.locations[0]?.sourceText, 'return rates[region]');
  });

  it('keeps the source recovery middleware prints after the function', () => {
    const trace = '/src/app/cart.go:42 (0x8b3c5d)\n\tTotal: return items[0] / len(items)\n';
    assert.deepEqual(
      parseStackTrace(trace).frames.map((f) => [f.file, f.function, f.sourceText]),
      [['/src/app/cart.go', 'Total', 'return items[0] / len(items)']],
    );
  });

  it('takes module-cache and vendored paths apart, and reads the revision a version names', () => {
    assert.deepEqual(goModuleFile('/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/decode.go'), {
      module: 'github.com/burntsushi/toml',
      version: 'v1.3.2',
      rest: 'decode.go',
    });
    assert.deepEqual(goModuleFile('/build/vendor/github.com/acme/shop/internal/cart/cart.go'), {
      module: 'github.com/acme/shop',
      version: null,
      rest: 'internal/cart/cart.go',
    });
    assert.equal(goModuleFile('/build/vendor/golang.org/x/net/http2/frame.go'), null, 'module boundaries of other hosts are unknown');
    assert.equal(goModuleFile('/src/app/cart.go'), null);
    assert.deepEqual(goVersionRevision('v0.0.0-20240314100001-abcdef123456'), { commit: 'abcdef123456' });
    assert.deepEqual(goVersionRevision('v1.2.4-0.20240314100001-abcdef123456'), { commit: 'abcdef123456' });
    assert.deepEqual(goVersionRevision('v2.0.1+incompatible'), { tag: 'v2.0.1' });
  });
});
