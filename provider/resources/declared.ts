// Outputs as the engine keeps them: without undefined members, recording which input fields
// the program declared (refresh reports only those as inputs).

/** Outputs go to the engine as-is: drop undefined members rather than store nulls. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * An output listing the input fields the program declared (set, or given a default by the
 * definition): refresh reports only those as inputs, so that values the kernel chose for the
 * others never show as changes in a preview.
 */
export const DECLARED = "__declared";

/** Outputs with the fields `inputs` declares recorded (or kept, when `inputs` are a read's old outputs). */
export function withDeclared<T extends object>(inputKeys: string[], inputs: object, outs: T): T {
  const kept = (inputs as Record<string, unknown>)[DECLARED];
  const declared = Array.isArray(kept) ? (kept as string[]) : inputKeys.filter((k) => (inputs as Record<string, unknown>)[k] !== undefined);
  return { ...outs, [DECLARED]: declared };
}

/**
 * The declared input fields of outputs read from the kernel. `read` returns them as the
 * resource's inputs, so that after a refresh the state records the device as it really is and
 * the next preview shows a drifted value as "actual => desired", and nothing else.
 */
export function observedInputs<T extends object>(inputKeys: string[], outs: T): T {
  const declared = (outs as Record<string, unknown>)[DECLARED];
  const keys = Array.isArray(declared) ? inputKeys.filter((k) => (declared as string[]).includes(k)) : inputKeys;
  return Object.fromEntries(Object.entries(outs).filter(([k]) => keys.includes(k))) as T;
}
