// Preloaded into a spawned `noxus` (NODE_OPTIONS=--import) by the offboarding crash matrix: the
// process kills itself with SIGKILL right after its journal records the step named in
// CRASH_AFTER_STEP as done, as a crash at that exact point would. The CLI knows nothing of it.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const step = process.env.CRASH_AFTER_STEP;
if (step) {
  const append = fs.appendFileSync;
  fs.appendFileSync = function appendThenMaybeDie(path, data, ...rest) {
    append.call(this, path, data, ...rest);
    if (typeof data !== 'string' || !String(path).endsWith('.jsonl')) return;
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (event.type === 'done' && event.step === step) process.kill(process.pid, 'SIGKILL');
  };
  // The CLI imports appendFileSync by name: its binding follows the patched module only after this.
  syncBuiltinESMExports();
}
