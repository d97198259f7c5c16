import { isUserError, UNREACHABLE_EXIT } from '../errors.js';
import { SWEEP_FAILED_EXIT } from './outcome.js';
import type { Command } from './command.js';
import { runWithTensorFlowQuiet, tensorFlowStderrFiltered } from './quiet-tensorflow.js';
import { version } from './version.js';

/** Commands load lazily so `sweep --help` does not pay for tfjs or Temporal. */
const commands: Record<string, { summary: string; load: () => Promise<Command>; loadsTensorFlow?: true }> = {
  start: { summary: 'Validate a sweep spec and run the sweep', load: async () => (await import('./commands/start.js')).default },
  validate: { summary: 'Check a sweep spec, every variant and the data, without training', load: async () => (await import('./commands/validate.js')).default },
  status: { summary: 'Show a sweep: progress, trials, best so far', load: async () => (await import('./commands/status.js')).status },
  list: { summary: 'List sweeps', load: async () => (await import('./commands/status.js')).list },
  best: { summary: 'Show the best trial of a sweep and where its model is', load: async () => (await import('./commands/status.js')).best },
  export: { summary: "Export any finished trial's model, e.g. a Pareto front member: sweep export SWEEP_ID --trial N", load: async () => (await import('./commands/export.js')).default },
  pause: { summary: 'Pause a sweep: no new trials start', load: async () => (await import('./commands/control.js')).pause },
  resume: { summary: 'Resume a paused sweep', load: async () => (await import('./commands/control.js')).resume },
  cancel: { summary: 'Cancel a sweep: running trials stop between batches', load: async () => (await import('./commands/control.js')).cancel },
  retry: { summary: 'Re-run what did not finish of a failed or cancelled sweep, from its checkpoints', load: async () => (await import('./commands/retry.js')).default },
  worker: { summary: 'Run a worker process that trains trials and runs sweep activities', load: async () => (await import('./commands/worker.js')).default },
  serve: { summary: 'Serve the read-only HTTP API (for Grafana) over the results database', load: async () => (await import('./commands/serve.js')).default },
  dev: { summary: 'Run the embedded stack (Temporal, Postgres, workers) in the foreground', load: async () => (await import('./commands/dev.js')).default },
  model: { summary: 'Inspect model variants: sweep model summary', load: async () => (await import('./commands/model.js')).default },
  evaluate: { summary: 'ROC AUC and PR AUC of predictions against labels', load: async () => (await import('./commands/evaluate.js')).default },
  data: { summary: 'Datasets: sweep data synth, synth-genome, windows', load: async () => (await import('./commands/data.js')).default },
  predict: { summary: 'Predict with an exported model over a sequence file of any size', load: async () => (await import('./commands/predict.js')).default, loadsTensorFlow: true },
  variants: {
    summary: 'Score the variants of a VCF with an exported model (per task: ref, alt, diff, log-odds)',
    load: async () => (await import('./commands/variants.js')).default,
    loadsTensorFlow: true,
  },
  ism: { summary: 'In silico saturation mutagenesis: the effect of every base change in a window, per task', load: async () => (await import('./commands/ism.js')).default, loadsTensorFlow: true },
  motifs: { summary: "Read a model's first-layer filters as motifs and match them to JASPAR", load: async () => (await import('./commands/motifs.js')).default, loadsTensorFlow: true },
  report: { summary: 'Write a self-contained HTML report of a sweep', load: async () => (await import('./commands/report.js')).default, loadsTensorFlow: true },
  importance: { summary: 'Which searched parameters mattered (PED-ANOVA or fANOVA, as Optuna 5)', load: async () => (await import('./commands/importance.js')).default },
  gc: { summary: 'Free the checkpoints and temp leftovers of finished sweeps (best models stay)', load: async () => (await import('./commands/gc.js')).default },
};

/** Every command's exit codes, below its --help. */
const EXIT_CODES = `Exit codes: 0 done; 2 bad input, usage or configuration; ${SWEEP_FAILED_EXIT} the sweep failed (start, status);
            ${UNREACHABLE_EXIT} a service it needs (PostgreSQL, Temporal) cannot be reached.`;

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'sweep: hyperparameter sweeps of DanQ-style DNA classifiers on Temporal, TensorFlow.js and PostgreSQL',
    '',
    'Usage: sweep <command> [options]     (sweep <command> --help for details)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Options: --help, --version',
    '',
    EXIT_CODES,
    '',
    'With TEMPORAL_ADDRESS and DATABASE_URL unset, commands use the embedded stack under SWEEP_HOME (./.sweep).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`sweep: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.usage.trimEnd()}\n\n${EXIT_CODES}\n`);
      return 0;
    }
    if (entry.loadsTensorFlow && !tensorFlowStderrFiltered()) return await runWithTensorFlowQuiet(argv);
    return await command.run(rest);
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
