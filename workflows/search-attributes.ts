import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes the sweep workflows upsert, so the Temporal UI can filter by sweep.
 * Defined here only: the embedded dev server registers `searchAttributeTypes` at start
 * (src/stack/temporal.ts), and infra/temporal/search-attributes.sh (for a production cluster) is
 * checked against it by test/unit/workflow-bundle.test.ts.
 */
export const SweepIdAttr = defineSearchAttributeKey('SweepId', 'KEYWORD');
export const SweepNameAttr = defineSearchAttributeKey('SweepName', 'KEYWORD');
export const TrialNumberAttr = defineSearchAttributeKey('TrialNumber', 'INT');

const cliTypeOf = { KEYWORD: 'Keyword', INT: 'Int' } as const;

/** Name -> CLI type, as `temporal server start-dev --search-attribute` and `operator search-attribute create` take them. */
export const searchAttributeTypes: Record<string, 'Keyword' | 'Int'> = Object.fromEntries([SweepIdAttr, SweepNameAttr, TrialNumberAttr].map((key) => [key.name, cliTypeOf[key.type]]));
