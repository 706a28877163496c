import type { Model } from '../model.js';
import type { Store } from '../store.js';

/** One aggregate of the model; it reaches the others (and the clock) through the facade. */
export abstract class Aggregate {
  constructor(protected readonly m: Model) {}

  protected get store(): Store {
    return this.m.store;
  }

  protected now(): string {
    return this.m.now();
  }
}
