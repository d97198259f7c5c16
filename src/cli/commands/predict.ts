import { fileSize } from '../../data/source.js';
import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { parseCommandArgs, parsePositiveInt, withStreamedOutput, type Command } from '../command.js';
import { withDb } from './status.js';

const usage = `Usage: sweep predict --model DIR|SWEEP_ID INPUT [--out FILE] [--rc-average] [--batch N] [--backend B] [--format F]

Probabilities of an exported model for every sequence of INPUT, as a TSV on standard output (or
--out FILE): an 'id' column, then one column per task, named as in the training data. The output
scores with 'sweep evaluate' against a labels file.

INPUT is TSV/CSV (a 'sequence' column, an optional 'id' column; other columns are ignored; rows
are numbered from 1 without ids), FASTA (ids from the '>' lines) or DeepSEA .mat/.h5 (numbered
from 1); .gz works. Every sequence must be the model's seqLen long, or fit it by the length
policy the model was trained with. The file is streamed: its size does not matter.

Options:
  --model DIR|SWEEP_ID  an exported model folder, or a sweep id (its best model)
  --out FILE            write here instead of standard output; the file appears only when complete
  --rc-average          average each sequence's two strands (the default when the model was trained
                        with reverseComplement, as its validation AUC was)
  --batch N             sequences per forward pass (default: the model's training batch size, which
                        reproduces the validation predictions exactly)
  --backend B           auto (default: the fastest present), tfjs-node-gpu, tfjs-node, wasm, cpu
  --format F            tsv, csv, fasta or deepsea, when the extension does not say
`;

const predict: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'predict',
      argv,
      {
        model: { type: 'string' },
        out: { type: 'string' },
        'rc-average': { type: 'boolean' },
        batch: { type: 'string' },
        backend: { type: 'string' },
        format: { type: 'string' },
      },
      { min: 1, max: 1, names: 'one INPUT file' },
    );
    if (values.model === undefined) throw new UserError("sweep predict: --model DIR|SWEEP_ID is required. See 'sweep predict --help'.");
    const backend = parseBackend(values.backend ?? 'auto');
    const batchFlag = parsePositiveInt('batch', values.batch);
    // Cheap checks first: the model folder and the input, before loading tfjs.
    const { resolveModelDir, readModelInfo, loadWeights } = await import('../../predict/model.js');
    const { sequenceInput } = await import('../../predict/sequences.js');
    const model = readModelInfo(await resolveModelDir(values.model, withDb));
    const input = sequenceInput(positionals[0]!, values.format);
    const { selectBackend } = await import('../../train/backend.js');
    const { predictFile } = await import('../../predict/predict.js');
    const { ByteProgress } = await import('../../predict/progress.js');
    const chosen = await selectBackend(backend);
    const weights = await loadWeights(model);
    if (!model.taskNamesKnown) process.stderr.write(`note: ${model.dir} does not name its tasks; columns are ${model.taskNames.join(', ')}\n`);
    const progress = new ByteProgress('predict', fileSize(input.file));
    const started = performance.now();
    const count = await withStreamedOutput('predict', values.out, progress, (write) =>
      predictFile(model, weights, input, write, {
        batch: batchFlag ?? model.variant.batchSize,
        rcAverage: values['rc-average'] === true || model.reverseComplement,
        onProgress: (bytes, records) => progress.update(bytes, records),
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`${count} sequences predicted in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s, ${chosen})${values.out ? ` -> ${values.out}` : ''}\n`);
    return 0;
  },
};

export default predict;
