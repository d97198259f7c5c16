import { UserError } from '../errors.js';
import type { BackendName } from './types.js';

/** Every backend, in the order `auto` tries them. */
export const AUTO_BACKEND_ORDER = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

export const backendChoices = ['auto', ...AUTO_BACKEND_ORDER] as const;

/** The backends that run TensorFlow's own kernels (the tfjs-node packages). */
export function isNativeBackend(name: BackendName): name is 'tfjs-node' | 'tfjs-node-gpu' {
  return name === 'tfjs-node' || name === 'tfjs-node-gpu';
}

/** Checks a --backend value (no tfjs import here, so the CLI can check flags before loading tfjs). */
export function parseBackend(value: string, flag = '--backend'): BackendName | 'auto' {
  if ((backendChoices as readonly string[]).includes(value)) return value as BackendName | 'auto';
  throw new UserError(`${flag}: expected one of ${backendChoices.join(', ')}, got '${value}'`);
}
