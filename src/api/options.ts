/** What the API server is built from; the server and its routes both read it. */
import type { ReadSource } from '../db/read-model.js';

export interface ApiOptions {
  read: ReadSource;
  /** SWEEP_API_TOKEN: when set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** SWEEP_API_CORS_ORIGINS: origins allowed to call from a browser; none (no CORS headers) by default. */
  corsOrigins?: readonly string[];
  version: string;
  /** One line per server error (5xx); redacted. */
  log?: (line: string) => void;
}
