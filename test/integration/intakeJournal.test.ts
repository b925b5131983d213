/**
 * The embedded store's intake journal, from outside: deliveries acknowledged from the journal are
 * answered exactly (stored or duplicate), are visible to the next read, survive a crash before
 * they reach the store, and a damaged journal is neither trusted nor silently skipped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeGithubEvent } from '../../src/core/ingest/github';
import type { NormalizedEvent } from '../../src/core/ingest/facts';
import { loadSigner } from '../../src/server/audit/signer';
import { IntakeJournal, type RecordTexts } from '../../src/server/store/intakeJournal';
import { compressAhead } from '../../src/server/store/storedRaw';
import { eventTexts } from '../../src/server/store/journaledWriter';
import { freshStore, http, startTestService } from '../helpers/testService';
import { listeningUrl } from '../helpers/serveProcess';
import { webhookExample } from '../helpers/webhookExamples';

const cli = join(__dirname, '../../dist/cli.js');

/** A distinct deployment_status delivery: GitHub's recorded payload with its own ids. */
function delivery(i: number): string {
  const payload = webhookExample('deployment_status');
  payload.deployment.id = 70_000_000 + i;
  payload.deployment_status.id = 80_000_000 + i;
  return JSON.stringify(payload);
}

function normalized(i: number): NormalizedEvent {
  const text = delivery(i);
  return normalizeGithubEvent('deployment_status', JSON.parse(text), text);
}

function post(url: string, body: string) {
  return http(`${url}/v1/webhooks/github`, {
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_status' },
  });
}

/**
 * Writes records into a data folder's journal as a service that crashed would have left them:
 * synced, never released (closing keeps a segment that still holds records).
 */
async function leaveJournal(dataDir: string, records: NormalizedEvent[][], layout: 'json' | 'texts' = 'texts'): Promise<void> {
  const texts = layout === 'texts' ? eventTexts : null;
  const { journal } = await IntakeJournal.open(join(dataDir, 'intake'), journalKey(dataDir), () => undefined, texts);
  for (const record of records) await journal.append(record);
  await journal.close();
}

/** The journal's key as the service derives it from the data folder's signing key (made here first). */
function journalKey(dataDir: string): Buffer {
  return loadSigner(join(dataDir, 'signing-key.pem'), true).signer.secretFor('intake journal');
}

function segments(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'intake'))
    .filter((n) => n.startsWith('intake-'))
    .sort();
}

/** Runs `lineage serve` on the folder; resolves with its URL and what it printed, or rejects with its output. */
async function serve(dataDir: string) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let printed = '';
  child.stderr.on('data', (c: Buffer) => (printed += c.toString()));
  const url = await listeningUrl(child);
  return {
    url,
    printed: () => printed,
    stop: () =>
      new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
  };
}

describe('the intake journal (embedded store)', function () {
  this.timeout(120_000);

  it('answers each delivery exactly, even two copies sent at once, and the next read sees every acknowledgement', async () => {
    const service = await startTestService('embedded');
    try {
      const bodies = Array.from({ length: 150 }, (_, i) => delivery(i));
      const answers = await Promise.all(bodies.map((b) => post(service.url, b)));
      for (const a of answers) assert.equal(a.status, 200, a.text);
      assert.ok(answers.every((a) => a.json.events[0].status === 'stored'));
      // No pause: a read right after the acknowledgements counts them all.
      assert.equal((await http(`${service.url}/v1/health`)).json.events, bodies.length);

      // New bodies, each sent twice at once: exactly one copy of each is stored.
      const twice = Array.from({ length: 30 }, (_, i) => delivery(1_000 + i));
      const statuses = (await Promise.all([...twice, ...twice].map((b) => post(service.url, b)))).map(
        (a) => a.json.events[0].status as string,
      );
      assert.equal(statuses.filter((s) => s === 'stored').length, twice.length);
      assert.equal(statuses.filter((s) => s === 'duplicate').length, twice.length);
      assert.equal((await post(service.url, bodies[7]!)).json.events[0].status, 'duplicate');
      assert.equal((await service.client.verifyAudit()).entries, bodies.length + twice.length);
    } finally {
      await service.close();
    }
  });

  it('knows the stored keys after a restart, so a redelivery is a duplicate', async () => {
    const store = await freshStore('embedded');
    const first = await startTestService('embedded', {}, store);
    const body = delivery(500);
    assert.equal((await post(first.url, body)).json.events[0].status, 'stored');
    await first.close();
    const second = await startTestService('embedded', {}, store);
    try {
      assert.equal((await post(second.url, body)).json.events[0].status, 'duplicate');
      assert.equal((await post(second.url, delivery(501))).json.events[0].status, 'stored');
    } finally {
      await second.close();
    }
  });

  it('puts the deliveries a crashed service acknowledged into the store before it listens', async () => {
    const { dataDir } = await freshStore('embedded');
    // As the service journals them: texts compressed for the store, and one left as text.
    const records = [[compressAhead(normalized(1))], [normalized(2)], [compressAhead(normalized(3)), compressAhead(normalized(4))]];
    await leaveJournal(dataDir!, records);
    const service = await serve(dataDir!);
    try {
      assert.match(service.printed(), /put 4 acknowledged event\(s\) from the intake journal into the store/);
      for (const event of records.flat()) {
        const stored = await http(`${service.url}/v1/events?key=${encodeURIComponent(event.key)}`);
        assert.equal(stored.status, 200, `${event.key}: ${stored.text}`);
      }
      const audit = await http(`${service.url}/v1/audit/verify`);
      assert.equal(audit.json.ok, true, audit.text);
      assert.equal(audit.json.entries, 4);
      // The replayed segment is gone; only the new, empty one is left.
      const left = segments(dataDir!);
      assert.equal(left.length, 1);
      assert.equal(statSync(join(dataDir!, 'intake', left[0]!)).size, 0);
    } finally {
      await service.stop();
    }
  });

  it('drops a last record cut short, with a notice, and keeps the ones before it', async () => {
    const { dataDir } = await freshStore('embedded');
    await leaveJournal(dataDir!, [[normalized(10)], [normalized(11)]]);
    const [last] = segments(dataDir!).slice(-1);
    // A write cut off after its length and part of its bytes: never acknowledged.
    appendFileSync(join(dataDir!, 'intake', last!), Buffer.concat([Buffer.from([0, 0, 4, 0]), randomBytes(32), Buffer.from('{"')]));
    const service = await serve(dataDir!);
    try {
      assert.match(
        service.printed(),
        /dropped the last 38 bytes of .*intake-\d{6}\.log \(a record cut short\): a write cut short, never acknowledged/,
      );
      assert.match(service.printed(), /put 2 acknowledged event\(s\)/);
      assert.equal((await http(`${service.url}/v1/health`)).json.events, 2);
    } finally {
      await service.stop();
    }
  });

  it('refuses to start on damage before the end of the journal, and names the file and byte', async () => {
    const { dataDir } = await freshStore('embedded');
    await leaveJournal(dataDir!, [[normalized(20)], [normalized(21)]]);
    await leaveJournal(dataDir!, [[normalized(22)]]); // a second segment after the first
    const [first] = segments(dataDir!);
    const file = join(dataDir!, 'intake', first!);
    const bytes = readFileSync(file);
    bytes[40] = bytes[40]! ^ 0xff; // inside the first record's JSON: its MAC no longer matches
    writeFileSync(file, bytes);
    await assert.rejects(serve(dataDir!), (e: Error) => {
      assert.match(
        e.message,
        /intake-000001\.log is damaged at byte 0 \(a record whose MAC does not match\), before the end of the journal/,
      );
      assert.match(e.message, /Move the file aside/);
      return true;
    });
    // Nothing was deleted: the records are still there for whoever repairs it.
    assert.ok(segments(dataDir!).includes(first!));
  });

  it('reads back records of both layouts exactly and in order: JSON from before, texts as bytes now', async () => {
    const { dataDir } = await freshStore('embedded');
    const dir = join(dataDir!, 'intake');
    const unusual = normalized(40);
    // Characters of two, three and four UTF-8 bytes, and escapes, in the delivery's text.
    unusual.raw = unusual.raw.replace('"production"', '"prod \\u00e9 ü — 漢字 😀 \\n"');
    const records = [[normalized(41)], [unusual, normalized(42)], [normalized(43)]];
    await leaveJournal(dataDir!, records.slice(0, 1), 'json');
    await leaveJournal(dataDir!, records.slice(1), 'texts');
    const { journal, leftover } = await IntakeJournal.open(dir, journalKey(dataDir!), () => undefined, eventTexts);
    await journal.close();
    assert.deepEqual(
      leftover.map((r) => r.value),
      records,
    );
    assert.equal(leftover[1]!.value[0]!.raw, unusual.raw);
    // The texts are on disk as themselves, not escaped inside JSON.
    assert.ok(readFileSync(join(dir, 'intake-000002.log')).includes(Buffer.from('漢字 😀')));
  });

  it('journals a text the store keeps deflated as its compressed bytes, and reads it back exactly', async () => {
    const { dataDir } = await freshStore('embedded');
    const dir = join(dataDir!, 'intake');
    const unusual = normalized(60);
    unusual.raw = unusual.raw.replace('"production"', '"prod \\u00e9 ü — 漢字 😀 \\n"');
    delete unusual.rawSha256; // the text's own hash is taken as it is compressed
    const records = [[unusual, normalized(61)], [normalized(62)]];
    await leaveJournal(
      dataDir!,
      records.map((events) => events.map(compressAhead)),
    );
    const onDisk = readFileSync(join(dir, 'intake-000001.log'));
    const texts = records.flat().reduce((n, e) => n + Buffer.byteLength(e.raw), 0);
    assert.ok(onDisk.length < texts / 3, `${onDisk.length} bytes on disk for ${texts} bytes of text`);
    assert.ok(!onDisk.includes(Buffer.from('漢字 😀')), 'not as text');
    const { journal, leftover } = await IntakeJournal.open(dir, journalKey(dataDir!), () => undefined, eventTexts);
    await journal.close();
    assert.deepEqual(
      leftover.map((r) => r.value.map((e) => ({ ...e }))),
      records.map((events) => events.map((e) => ({ ...e, rawSha256: createHash('sha256').update(e.raw).digest('hex') }))),
    );
    assert.equal(leftover[0]!.value[1]!.rawSha256, normalized(61).rawSha256);
    assert.equal(leftover[0]!.value[0]!.raw, unusual.raw);
  });

  it('drops a last record whose deflated text does not inflate, as a write cut short', async () => {
    const { dataDir } = await freshStore('embedded');
    const dir = join(dataDir!, 'intake');
    await leaveJournal(dataDir!, [[compressAhead(normalized(63))]]);
    const notDeflate: RecordTexts<string> = {
      split: () => ({ head: [{}], texts: [{ deflated: Buffer.from('not deflate at all') }] }),
      join: () => '',
    };
    const { journal: writer } = await IntakeJournal.open(dir, journalKey(dataDir!), () => undefined, notDeflate);
    await writer.append('x');
    await writer.close();
    const dropped: string[] = [];
    const { journal, leftover } = await IntakeJournal.open(dir, journalKey(dataDir!), (m) => dropped.push(m), eventTexts);
    await journal.close();
    assert.deepEqual(
      leftover.map((r) => r.value[0]!.key),
      [normalized(63).key],
    );
    assert.match(dropped.join('\n'), /a record whose head and texts do not read/);
  });

  it('takes neither layout for the other: a record whose layout bit is flipped does not read back', async () => {
    for (const layout of ['json', 'texts'] as const) {
      const { dataDir } = await freshStore('embedded');
      await leaveJournal(dataDir!, [[normalized(50)], [normalized(51)]], layout);
      const file = join(dataDir!, 'intake', 'intake-000001.log');
      const bytes = readFileSync(file);
      const second = 4 + 32 + (bytes.readUInt32BE(0) & 0x7fff_ffff);
      bytes[second] = bytes[second]! ^ 0x80; // the top bit of the second record's length
      writeFileSync(file, bytes);
      const dropped: string[] = [];
      const { journal, leftover } = await IntakeJournal.open(
        join(dataDir!, 'intake'),
        journalKey(dataDir!),
        (m) => dropped.push(m),
        eventTexts,
      );
      await journal.close();
      assert.deepEqual(
        leftover.map((r) => r.value[0]!.key),
        [normalized(50).key],
        layout,
      );
      assert.match(dropped.join('\n'), /\(a record (whose MAC does not match|cut short)\)/, layout);
    }
  });

  it("does not put into the store a record written without the service's signing key", async () => {
    const { dataDir } = await freshStore('embedded');
    await leaveJournal(dataDir!, [[normalized(30)]]);
    assert.deepEqual(segments(dataDir!), ['intake-000001.log']);
    // Someone with the data folder but not the key adds a deployment to be signed in at the next
    // start: a record laid out as the service writes them, under a key of their own.
    const json = Buffer.from(JSON.stringify([normalized(31)]));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const mac = createHmac('sha256', randomBytes(32)).update(json).digest();
    writeFileSync(join(dataDir!, 'intake', 'intake-000002.log'), Buffer.concat([length, mac, json]));
    const service = await serve(dataDir!);
    try {
      assert.match(service.printed(), /dropped the last \d+ bytes of .*intake-000002\.log \(a record whose MAC does not match\)/);
      assert.equal((await http(`${service.url}/v1/events?key=${encodeURIComponent(normalized(30).key)}`)).status, 200);
      assert.equal((await http(`${service.url}/v1/events?key=${encodeURIComponent(normalized(31).key)}`)).status, 404);
    } finally {
      await service.stop();
    }
  });
});
