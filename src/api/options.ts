/** What the API server is built from; the server and its routes both read it. */
import type { ReadSource } from '../db/read-model.js';

export interface ApiOptions {
  read: ReadSource;
  /** SWEEP_API_TOKEN: when set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** SWEEP_API_CORS_ORIGINS: origins allowed to call from a browser; none (no CORS headers) by default. */
  corsOrigins?: readonly string[];
  /**
   * Refuse requests whose Host header names another server (DNS rebinding: a web page whose name
   * resolves to 127.0.0.1 reading a loopback API). Allowed: localhost, 127.0.0.1, [::1], allowedHosts.
   */
  hostCheck?: boolean;
  /** SWEEP_API_ALLOWED_HOSTS. */
  allowedHosts?: readonly string[];
  version: string;
  /** One line per server error (5xx); redacted. */
  log?: (line: string) => void;
}
