/** Entry point of dist/server.js: the service alone, for process managers (same flags as `lineage serve`). */
import { runServe } from './serveCommand';

runServe(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`lineage serve: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
