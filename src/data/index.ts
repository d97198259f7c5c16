/** The data layer's public API: describe a dataset, prepare (validate + encode + fingerprint) it, read batches. */
export { datasetSpecSchema, datasetFormats, inferFormat, type DatasetSpec, type DatasetFormat, type LengthPolicy } from './dataset-spec.js';
export { prepareDataset, prepareDatasetCached, type PrepareOptions } from './prepare.js';
export { openSplit, verifyFingerprint } from './split.js';
export { synthesize, synthesizeCodes, writeSyntheticTsv, resolveSynthOptions, jasparMotifs, informationContent, DEFAULT_MOTIFS, type SynthOptions } from './synth.js';
export type { DatasetManifest, EncodedSplit, ReadBatchOptions, SplitFile } from './types.js';
