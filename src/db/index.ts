export type * from './types.js';
export { openDb } from './postgres-store.js';
export { migrate, migrations, type Migration } from './migrations.js';
