import { UserError } from '../../errors.js';
import { modelSpecSchema, presetNames, variantFieldSchemas, type ModelSpec, type VariantConfig } from '../../model/config.js';
import { presetByName, resolveVariant } from '../../model/presets.js';
import { DNA_CHANNELS, inspectVariant, type LayerInfo } from '../../model/shapes.js';
import { formatIssues, readJsonFile } from '../../sweep-spec/load.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { alignColumns } from '../report.js';

const usage = `Usage: sweep model summary (--preset NAME | SPEC.json) [--json]

Prints a model variant's layers with their output shapes and parameter counts, checked statically
(no tensors are built). A variant that cannot work is rejected with every problem, each naming its
parameter (exit 2).

  --preset NAME   one of: ${presetNames.join(', ')}
  SPEC.json       a sweep spec (its "model" object: {"preset"?, ...fixed fields}) or a bare variant
                  object; fields left out come from the preset (default danq-lite)
  --json          print {"params": N, "layers": [{"name", "type", "outputShape", "params"}]}
`;

/** Reads the `model` object of a sweep spec, or the whole file when it is a bare variant. */
async function variantFromFile(path: string): Promise<VariantConfig> {
  const json = await readJsonFile(path, 'the file');
  const isSpec = typeof json === 'object' && json !== null && 'model' in json;
  const model = isSpec ? json.model : json;
  const parsed = modelSpecSchema.safeParse(model, { reportInput: true });
  // Bad field values alone are left to inspectVariant, which reports them with the shape problems
  // in one list; anything else (not an object, unknown key, bad preset) stops here. Paths read as
  // the spec's `model` object, a bare variant file included, so unknown keys get the model's suggestions.
  const issues = parsed.success ? [] : parsed.error.issues;
  if (issues.some((issue) => !isVariantField(issue.path[0]))) {
    throw UserError.of(`${path}: invalid model`, formatIssues(issues, ['model']));
  }
  const { preset, ...overrides } = model as ModelSpec;
  return resolveVariant(preset, overrides);
}

function isVariantField(key: PropertyKey | undefined): boolean {
  return typeof key === 'string' && Object.hasOwn(variantFieldSchemas, key);
}

function formatShape(shape: (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')})`;
}

/** A Keras-like summary table, ending with the shape lesson for this variant. */
function summaryTable(variant: VariantConfig, layers: LayerInfo[], params: number): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const [header, ...rows] = alignColumns([['Layer (type)', 'Output Shape', 'Param #'], ...layers.map((l) => [`${l.name} (${l.type})`, formatShape(l.outputShape), count(l.params)])], {
    gap: '   ',
    right: [2],
  });
  // The last column is right-aligned, so the header line spans the full width.
  const rule = (ch: string) => ch.repeat(header!.length);
  const pooled = layers.find((l) => l.type === 'MaxPooling1D')!;
  return [
    `Input: ${formatShape([null, variant.seqLen, DNA_CHANNELS])} one-hot DNA`,
    rule('_'),
    header,
    rule('='),
    ...rows,
    rule('='),
    `Total params: ${count(params)}`,
    '',
    `The pooled conv output ${formatShape(pooled.outputShape)} is (batch, timesteps, features): it feeds the RNN directly, with no Flatten.`,
  ].join('\n');
}

const model: Command = {
  usage,
  async run(argv) {
    const [subcommand, ...rest] = argv;
    if (subcommand !== 'summary') {
      throw new UserError(`sweep model: expected the subcommand 'summary', got ${subcommand === undefined ? 'nothing' : `'${subcommand}'`}. See 'sweep model --help'.`);
    }
    const { values, positionals } = parseCommandArgs('model summary', rest, { preset: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 1, names: '--preset NAME or SPEC.json' });
    const specPath = positionals[0];
    if ((values.preset === undefined) === (specPath === undefined)) {
      throw new UserError(`sweep model summary: give either --preset NAME or SPEC.json, not ${specPath === undefined ? 'neither' : 'both'}. See 'sweep model summary --help'.`);
    }
    const variant = specPath === undefined ? resolveVariant(presetByName('--preset', values.preset!), {}) : await variantFromFile(specPath);
    const inspection = inspectVariant(variant);
    if (!inspection.ok) {
      throw UserError.of(
        `${specPath ?? `preset ${values.preset}`}: invalid model variant`,
        inspection.problems.map((p) => p.message),
      );
    }
    if (values.json) {
      printJson({ params: inspection.params, layers: inspection.layers });
    } else {
      process.stdout.write(summaryTable(variant, inspection.layers, inspection.params) + '\n');
    }
    return 0;
  },
};

export default model;
