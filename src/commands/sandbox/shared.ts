import type { Context } from '../../cli/context.js';
import { UsageError } from '../../errors.js';

export async function dataDirOf(ctx: Context, flag?: string): Promise<string> {
  if (flag) return flag;
  const [{ configDir }, { defaultDataDir }] = await Promise.all([
    import('../../config/paths.js'),
    import('../../services/sandbox.js'),
  ]);
  return defaultDataDir(configDir(ctx.env));
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535, got "${v}"`);
  return n;
}

export function parsePositive(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
    return n;
  };
}
