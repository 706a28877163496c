// The one bounded-concurrency pool: bulk provisioning, offboarding and reviews all run their
// requests through it, so throttling behaves the same everywhere.

import { NoxusError } from '../errors.js';

/** Runs `work` over items with at most `max` in flight; halves on 429, grows by one after 20 successes. */
export async function runPool<T>(
  items: T[],
  max: number,
  work: (item: T) => Promise<void>,
  subscribe: (onThrottle: () => void) => void,
): Promise<void> {
  let limit = Math.max(1, max);
  let streak = 0;
  subscribe(() => {
    limit = Math.max(1, Math.floor(limit / 2));
    streak = 0;
  });
  let next = 0;
  let active = 0;
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const pump = () => {
      if ((failure !== undefined || next >= items.length) && active === 0) return resolve();
      while (active < limit && next < items.length && failure === undefined) {
        const item = items[next++] as T;
        active++;
        work(item)
          .then(() => {
            if (++streak >= 20 && limit < max) {
              limit++;
              streak = 0;
            }
          })
          .catch((e) => {
            failure = e;
          })
          .finally(() => {
            active--;
            pump();
          });
      }
    };
    pump();
  });
  if (failure !== undefined) throw failure instanceof Error ? failure : new NoxusError(String(failure));
}
