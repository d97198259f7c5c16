/**
 * The skip of a test that needs the native TensorFlow backend (tfjs-node): `reason` when the addon
 * does not load here, false when it does. CI (CI=true) always builds it (.ci/run), so there a
 * missing addon is an error, never a quiet skip. GPU-only tests keep their own skip.
 */
export function nativeSkip(reason: string | undefined): string | false {
  if (reason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true, and the native backend must load in CI: ${reason}`);
  return reason;
}
