/**
 * Lighthouse's errors for a trace it failed to record (lighthouse/core/lib/lh-error.js: "Something
 * went wrong with recording the trace over your page load. Please run Lighthouse again."), not a
 * fault of the page: seen in loaded `npm test` runs (NO_NAVSTART on the home page).
 */
const TRACE_FAULTS: readonly string[] = ['NO_NAVSTART', 'NO_TRACING_STARTED'];

/**
 * Whether a Lighthouse report's runtime error (`lhr.runtimeError`, absent when the run went well)
 * is a trace it failed to record, which Lighthouse's own message says to run again. Used by the
 * accessibility suite (web/e2e/accessibility.test.mjs) and the Lighthouse bench row, each of
 * which runs such a navigation once more.
 * @param runtimeError the report's `runtimeError`, or undefined
 */
export function isTraceFault<E extends { code: string }>(runtimeError: E | undefined): runtimeError is E {
  return runtimeError !== undefined && TRACE_FAULTS.includes(runtimeError.code);
}
