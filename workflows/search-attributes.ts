import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes the sweep workflows upsert, so the Temporal UI can filter by sweep.
 * They must exist on the cluster first: the embedded dev server registers them at start
 * (src/stack/temporal.ts); for a production cluster see infra/temporal/search-attributes.sh.
 */
export const SweepIdAttr = defineSearchAttributeKey('SweepId', 'KEYWORD');
export const SweepNameAttr = defineSearchAttributeKey('SweepName', 'KEYWORD');
export const TrialNumberAttr = defineSearchAttributeKey('TrialNumber', 'INT');

/** Name -> CLI type, as `temporal server start-dev --search-attribute` and `operator search-attribute create` take them. */
export const searchAttributeTypes: Record<string, 'Keyword' | 'Int'> = {
  [SweepIdAttr.name]: 'Keyword',
  [SweepNameAttr.name]: 'Keyword',
  [TrialNumberAttr.name]: 'Int',
};
