/** The spec's types for code that must not load the schema at run time (workflows, strategies). */
export type { SweepSpec, SweepSpecInput } from './schema.js';
