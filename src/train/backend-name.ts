import { UserError } from '../errors.js';
import type { BackendName } from './types.js';

export const backendChoices = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const satisfies readonly (BackendName | 'auto')[];

/** Checks a --backend value (pure: no tfjs import, so the CLI can check flags before loading tfjs). */
export function parseBackend(value: string, flag = '--backend'): BackendName | 'auto' {
  if ((backendChoices as readonly string[]).includes(value)) return value as BackendName | 'auto';
  throw new UserError(`${flag}: expected one of ${backendChoices.join(', ')}, got '${value}'`);
}
