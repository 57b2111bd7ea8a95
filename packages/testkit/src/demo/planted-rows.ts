import { PanicStore, type PanicRow } from '@panic-fix/core';
import type { PlantedPanic } from '../target-repo/index.js';

/** Enqueues the planted panics into the state store at `dbUrl`, calling `onEnqueued` after each. */
export async function enqueuePlanted(
  dbUrl: string,
  panics: readonly PlantedPanic[],
  onEnqueued: (p: PlantedPanic) => void = () => undefined,
): Promise<void> {
  const store = await PanicStore.open(dbUrl);
  try {
    for (const p of panics) {
      await store.enqueue({
        panic_location: p.panic_location,
        panic_message: p.panic_message,
        sql_statements: p.sql_statements,
      });
      onEnqueued(p);
    }
  } finally {
    store.close();
  }
}

/** Every row of the state store at `dbUrl`, read through a connection of its own. */
export async function readRows(dbUrl: string): Promise<PanicRow[]> {
  const store = await PanicStore.open(dbUrl);
  try {
    return await store.list();
  } finally {
    store.close();
  }
}
