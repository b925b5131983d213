/** Waiting for a `lineage serve` process started by a test to say where it listens. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** The URL from "listening on …"; rejects with what the process printed if it exits first. */
export function listeningUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`lineage serve exited with ${code}: ${out}`)));
  });
}
