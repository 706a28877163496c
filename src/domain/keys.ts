/** `noxus_…abcd`: enough to tell keys apart, never enough to use one. Prefix kept when recognisable. */
export function maskKey(prefix: string, last4: string): string {
  return `${prefix}…${last4}`;
}

/** Masks any secret for display, keeping a known prefix (noxus_, sk_user_, sk-) and the last 4 chars. */
export function maskSecret(secret: string): string {
  const m = /^(noxus_|sk_user_|sk-)/.exec(secret);
  const prefix = m?.[1] ?? '';
  return secret.length <= prefix.length + 8 ? `${prefix}…` : maskKey(prefix, secret.slice(-4));
}
