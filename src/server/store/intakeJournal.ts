/**
 * The intake journal: deliveries written to an append-only file and forced to disk (fdatasync)
 * before they are acknowledged, so an acknowledged delivery survives a crash or power loss before
 * the store has it. Appends that arrive while one is being forced share the next write and sync
 * (group commit), which is what lets one delivery per request be acknowledged at disk speed.
 *
 * Files are segments `intake-NNNNNN.log` in the journal folder. A record is
 * `[u32 length][32-byte HMAC-SHA256][length bytes of JSON]`, the length big-endian. The MAC's key
 * is derived from the service's signing key, so a record put into the folder by anyone else (who
 * could otherwise have it signed into the audit chain at the next start) does not read back. Once
 * every record of a segment is in the store the segment is deleted.
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

const macBytes = 32;
const headerBytes = 4 + macBytes;
/** A segment is closed for appends past this size, so that a projected one can be deleted. */
const segmentBytes = 32 * 1024 * 1024;
const segmentPattern = /^intake-(\d{6})\.log$/;

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
  ) {}

  /**
   * Opens the journal in `dir` and reads back what it holds from before (records not yet in the
   * store, oldest first). Call `release` for each once the store has it.
   */
  static async open<T>(
    dir: string,
    key: Buffer,
    log: (message: string) => void,
  ): Promise<{ journal: IntakeJournal<T>; leftover: JournalRecord<T>[] }> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new IntakeJournal<T>(dir, key, log);
    const leftover = journal.readBack();
    for (const record of leftover) journal.open.set(record.segment, (journal.open.get(record.segment) ?? 0) + 1);
    const segments = journal.segments();
    await journal.startSegment((segments.at(-1) ?? 0) + 1);
    for (const s of segments) if (!journal.open.has(s)) journal.remove(s);
    return { journal, leftover };
  }

  /** Resolves, with the record's segment, once the record is on disk. */
  append(value: T): Promise<number> {
    const json = Buffer.from(JSON.stringify(value), 'utf8');
    const bytes = Buffer.allocUnsafe(headerBytes + json.length);
    bytes.writeUInt32BE(json.length, 0);
    mac(this.key, json).copy(bytes, 4);
    json.copy(bytes, headerBytes);
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
        const read = readRecord(data, at, this.key);
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

function mac(key: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** The record at `at` and where the next begins, or why it cannot be read. */
function readRecord(data: Buffer, at: number, key: Buffer): { value: unknown; next: number } | string {
  if (data.length - at < headerBytes) return 'a header cut short';
  const length = data.readUInt32BE(at);
  const next = at + headerBytes + length;
  if (next > data.length) return 'a record cut short';
  const body = data.subarray(at + headerBytes, next);
  if (!timingSafeEqual(mac(key, body), data.subarray(at + 4, at + headerBytes))) return 'a record whose MAC does not match';
  try {
    return { value: JSON.parse(body.toString('utf8')), next };
  } catch {
    return 'a record that is not JSON';
  }
}
