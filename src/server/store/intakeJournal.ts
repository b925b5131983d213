/**
 * The intake journal: deliveries written to an append-only file and forced to disk (fdatasync)
 * before they are acknowledged, so an acknowledged delivery survives a crash or power loss before
 * the store has it. Appends that arrive while one is being forced share the next write and sync
 * (group commit), which is what lets one delivery per request be acknowledged at disk speed.
 *
 * Files are segments `intake-NNNNNN.log` in the journal folder. A record is
 * `[u32 length][32-byte HMAC-SHA256][length bytes of body]`, the length big-endian. The body is the
 * value as JSON, or, when the journal was given a `RecordTexts` and the length's top bit is set, a
 * small JSON head followed by the value's large texts as their own bytes
 * (`[u32 head length][head][u32 length][text]…`): a delivery's 10 KB of JSON is then copied once
 * instead of escaped character by character into a string and copied again. A text is UTF-8, or,
 * when its length's top bit is set, deflated (raw deflate): a writer that compresses a text anyway
 * (the store keeps large ones deflated) journals the fifth of the bytes, and the MAC reads only
 * those. Records written before that bit was used read the same. The MAC's key is
 * derived from the service's signing key, so a record put into the folder by anyone else (who could
 * otherwise have it signed into the audit chain at the next start) does not read back. Once every
 * record of a segment is in the store the segment is deleted.
 *
 * Reading back after a crash: only the last write can be cut short, because a later write starts
 * only after the one before it was synced. So a bad record in the last segment ends the journal
 * there (its request was never acknowledged and is dropped, with a notice); a bad record anywhere
 * else is damage, and the service refuses to start rather than skip acknowledged deliveries.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, truncateSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';

const macBytes = 32;
const headerBytes = 4 + macBytes;
/** A segment is closed for appends past this size, so that a projected one can be deleted. */
const segmentBytes = 32 * 1024 * 1024;
const segmentPattern = /^intake-(\d{6})\.log$/;
/** In a record's length: its body is a head and texts, not one JSON document. */
const textsFlag = 0x8000_0000;
/** In a text's length: its bytes are deflated. */
const deflatedFlag = 0x8000_0000;
/** Put before a head-and-texts body in its MAC, so that neither layout's bytes can pass for the other's. */
const textsDomain = Buffer.from([0x02]);

/**
 * How a value is split into a small head (written as JSON) and large texts (written as bytes: a
 * string as UTF-8, a `DeflatedText` as its compressed bytes, read back inflated).
 */
export interface RecordTexts<T> {
  split(value: T): { head: unknown; texts: (string | DeflatedText)[] };
  /** The value again; throws when the head and texts do not make one. */
  join(head: unknown, texts: string[]): T;
}

/** A text given compressed already (raw deflate): journaled as these bytes, read back as the text. */
export interface DeflatedText {
  deflated: Uint8Array;
}

export class JournalDamagedError extends Error {
  override name = 'JournalDamagedError';
}

export interface JournalRecord<T> {
  segment: number;
  value: T;
}

interface Waiting {
  bytes: Buffer;
  resolve: (segment: number) => void;
  reject: (e: unknown) => void;
}

export class IntakeJournal<T> {
  private handle: FileHandle | null = null;
  private segment = 0;
  private size = 0;
  private readonly waiting: Waiting[] = [];
  private flushing = false;
  /** Records appended and not yet released, per segment. */
  private readonly open = new Map<number, number>();

  private constructor(
    private readonly dir: string,
    private readonly key: Buffer,
    private readonly log: (message: string) => void,
    private readonly texts: RecordTexts<T> | null,
  ) {}

  /**
   * Opens the journal in `dir` and reads back what it holds from before (records not yet in the
   * store, oldest first). Call `release` for each once the store has it. With `texts`, records are
   * written as a head and texts; records of either layout read back.
   */
  static async open<T>(
    dir: string,
    key: Buffer,
    log: (message: string) => void,
    texts: RecordTexts<T> | null = null,
  ): Promise<{ journal: IntakeJournal<T>; leftover: JournalRecord<T>[] }> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new IntakeJournal<T>(dir, key, log, texts);
    const leftover = journal.readBack();
    for (const record of leftover) journal.open.set(record.segment, (journal.open.get(record.segment) ?? 0) + 1);
    const segments = journal.segments();
    await journal.startSegment((segments.at(-1) ?? 0) + 1);
    for (const s of segments) if (!journal.open.has(s)) journal.remove(s);
    return { journal, leftover };
  }

  /** Resolves, with the record's segment, once the record is on disk. */
  append(value: T): Promise<number> {
    const bytes = this.texts ? splitRecord(this.key, this.texts.split(value)) : jsonRecord(this.key, value);
    return new Promise((resolve, reject) => {
      this.waiting.push({ bytes, resolve, reject });
      void this.flush();
    });
  }

  /** The store has this record: once a closed segment has none left, it is deleted. */
  release(segment: number): void {
    const left = (this.open.get(segment) ?? 1) - 1;
    if (left > 0) {
      this.open.set(segment, left);
      return;
    }
    this.open.delete(segment);
    if (segment !== this.segment) this.remove(segment);
  }

  async close(): Promise<void> {
    while (this.flushing || this.waiting.length > 0) await new Promise((r) => setImmediate(r));
    await this.handle?.close();
    this.handle = null;
    if (!this.open.has(this.segment)) this.remove(this.segment);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          if (this.size >= segmentBytes) await this.rotate();
          const segment = this.segment;
          const bytes = Buffer.concat(batch.map((w) => w.bytes));
          await this.handle!.write(bytes, 0, bytes.length, this.size);
          await this.handle!.datasync();
          this.size += bytes.length;
          this.open.set(segment, (this.open.get(segment) ?? 0) + batch.length);
          for (const w of batch) w.resolve(segment);
        } catch (e) {
          // The file may hold part of this write; cut it off so the next write starts clean.
          await this.handle?.truncate(this.size).catch(() => undefined);
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async rotate(): Promise<void> {
    const done = this.segment;
    await this.handle!.close();
    await this.startSegment(done + 1);
    if (!this.open.has(done)) this.remove(done);
  }

  private async startSegment(n: number): Promise<void> {
    this.segment = n;
    this.size = 0;
    this.handle = await open(this.path(n), 'w', 0o600);
    // The new file's name must survive a crash too, or its synced records are lost with it.
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  private readBack(): JournalRecord<T>[] {
    const segments = this.segments();
    const records: JournalRecord<T>[] = [];
    segments.forEach((segment, i) => {
      const file = this.path(segment);
      const data = readFileSync(file);
      let at = 0;
      while (at < data.length) {
        const read = readRecord(data, at, this.key, this.texts);
        if (typeof read !== 'string') {
          records.push({ segment, value: read.value as T });
          at = read.next;
          continue;
        }
        const problem = read;
        if (i < segments.length - 1) {
          throw new JournalDamagedError(
            `${file} is damaged at byte ${at} (${problem}), before the end of the journal; the deliveries after it were acknowledged, so the service will not start without them. Move the file aside to start without its deliveries.`,
          );
        }
        this.log(
          `lineage serve: dropped the last ${data.length - at} bytes of ${file} (${problem}): a write cut short, never acknowledged, or bytes this service did not write`,
        );
        truncateSync(file, at);
        break;
      }
    });
    return records;
  }

  private segments(): number[] {
    return readdirSync(this.dir)
      .map((name) => segmentPattern.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private path(n: number): string {
    return join(this.dir, `intake-${String(n).padStart(6, '0')}.log`);
  }

  private remove(n: number): void {
    try {
      unlinkSync(this.path(n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log(`lineage serve: could not delete ${this.path(n)}: ${(e as Error).message}`);
    }
  }
}

function mac(key: Buffer, body: Buffer, domain?: Buffer): Buffer {
  const hmac = createHmac('sha256', key);
  if (domain) hmac.update(domain);
  return hmac.update(body).digest();
}

function jsonRecord(key: Buffer, value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const bytes = Buffer.allocUnsafe(headerBytes + json.length);
  bytes.writeUInt32BE(json.length, 0);
  mac(key, json).copy(bytes, 4);
  json.copy(bytes, headerBytes);
  return bytes;
}

/** One allocation, each text written into it once; their lengths are measured first. */
function splitRecord(key: Buffer, { head, texts }: { head: unknown; texts: (string | DeflatedText)[] }): Buffer {
  const headJson = JSON.stringify(head);
  const headLength = Buffer.byteLength(headJson, 'utf8');
  const textLengths = texts.map((t) => (typeof t === 'string' ? Buffer.byteLength(t, 'utf8') : t.deflated.length));
  const length = 4 + headLength + textLengths.reduce((n, l) => n + 4 + l, 0);
  if (length >= textsFlag) throw new RangeError(`a journal record of ${length} bytes is too large`);
  const bytes = Buffer.allocUnsafe(headerBytes + length);
  bytes.writeUInt32BE((length | textsFlag) >>> 0, 0);
  let at = bytes.writeUInt32BE(headLength, headerBytes);
  at += bytes.write(headJson, at, 'utf8');
  texts.forEach((text, i) => {
    if (typeof text === 'string') {
      at = bytes.writeUInt32BE(textLengths[i]!, at);
      at += bytes.write(text, at, 'utf8');
    } else {
      at = bytes.writeUInt32BE((textLengths[i]! | deflatedFlag) >>> 0, at);
      bytes.set(text.deflated, at);
      at += text.deflated.length;
    }
  });
  mac(key, bytes.subarray(headerBytes), textsDomain).copy(bytes, 4);
  return bytes;
}

/** The record at `at` and where the next begins, or why it cannot be read. */
function readRecord<T>(data: Buffer, at: number, key: Buffer, texts: RecordTexts<T> | null): { value: unknown; next: number } | string {
  if (data.length - at < headerBytes) return 'a header cut short';
  const word = data.readUInt32BE(at);
  const split = (word & textsFlag) !== 0;
  const length = split ? word - textsFlag : word;
  const next = at + headerBytes + length;
  if (next > data.length) return 'a record cut short';
  const body = data.subarray(at + headerBytes, next);
  if (!timingSafeEqual(mac(key, body, split ? textsDomain : undefined), data.subarray(at + 4, at + headerBytes)))
    return 'a record whose MAC does not match';
  if (!split) {
    try {
      return { value: JSON.parse(body.toString('utf8')), next };
    } catch {
      return 'a record that is not JSON';
    }
  }
  if (!texts) return 'a record of texts this journal does not read';
  try {
    return { value: joinRecord(body, texts), next };
  } catch {
    return 'a record whose head and texts do not read';
  }
}

function joinRecord<T>(body: Buffer, texts: RecordTexts<T>): T {
  const headEnd = 4 + body.readUInt32BE(0);
  if (headEnd > body.length) throw new RangeError('head past the end');
  const head: unknown = JSON.parse(body.toString('utf8', 4, headEnd));
  const read: string[] = [];
  for (let at = headEnd; at < body.length;) {
    const word = body.readUInt32BE(at);
    const deflated = (word & deflatedFlag) !== 0;
    const end = at + 4 + (deflated ? word - deflatedFlag : word);
    if (end > body.length) throw new RangeError('text past the end');
    read.push(deflated ? inflateRawSync(body.subarray(at + 4, end)).toString('utf8') : body.toString('utf8', at + 4, end));
    at = end;
  }
  return texts.join(head, read);
}
