// The sandbox's one source of "now". Tests pass a manual clock so expiry can be checked without sleeping.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that only moves when told to: for tests of expiry, overlap and invitation lifetimes. */
export function manualClock(start: Date | string = '2030-01-01T00:00:00Z'): Clock & {
  advance(ms: number): void;
  set(t: Date | string): void;
} {
  let t = new Date(start).getTime();
  const clock = () => new Date(t);
  return Object.assign(clock, {
    advance(ms: number) {
      t += ms;
    },
    set(v: Date | string) {
      t = new Date(v).getTime();
    },
  });
}
