/**
 * A loopback port that cannot be connected to and does not refuse either: its accept queue is
 * full, so the kernel drops new connections' SYNs and a client waits, as it does for a host
 * that is offline. Node accepts every connection itself, so the listener is a small Python
 * process that never calls accept.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BlackHole {
  url: string;
  close(): void;
}

const script = `
import socket, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.3)
print(port, flush=True)
time.sleep(600)
`;

export function startBlackHole(): Promise<BlackHole> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => {
      const port = Number(d.toString().trim());
      resolve({ url: `http://127.0.0.1:${port}`, close: () => child.kill() });
    });
  });
}
