// Offboarding as plan → apply: the plan (plan.ts), what changed since it was written (drift.ts),
// the refusals and the transfer rule (checks.ts), running it with a journal (apply.ts), the
// steps before a run (prepare.ts), and the guided walk of a public-API server (guided.ts).
export * from './apply.js';
export * from './checks.js';
export * from './drift.js';
export * from './guided.js';
export * from './plan.js';
export * from './prepare.js';
