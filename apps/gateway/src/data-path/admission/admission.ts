import type { Admission, AdmissionStage, Refusal } from '../model';

/**
 * Runs the stages in order and stops at the first refusal. Returns synchronously when every stage
 * did, so the hot path of a public resource allocates no promise.
 */
export function runStages(
  stages: readonly AdmissionStage[],
  admission: Admission,
  from = 0,
): Refusal | undefined | Promise<Refusal | undefined> {
  for (let i = from; i < stages.length; i++) {
    const outcome = stages[i]!(admission);
    if (outcome instanceof Promise) {
      return outcome.then((refusal) => refusal ?? runStages(stages, admission, i + 1));
    }
    if (outcome) return outcome;
  }
  return undefined;
}
