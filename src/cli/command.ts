import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.js';
import { TsvOutput } from '../predict/output.js';

/** A `sweep` subcommand; its one-line summary for `sweep --help` lives in main.ts, which loads commands lazily. */
export interface Command {
  /** Full usage text for `sweep CMD --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with usage errors turned into UserError (exit 2) that name the command. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UserError(`sweep ${command}: ${(err as Error).message}. See 'sweep ${command} --help'.`);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max) {
    throw new UserError(`sweep ${command}: expected ${positionals.names}, got ${n === 0 ? 'nothing' : parsed.positionals.join(' ')}. See 'sweep ${command} --help'.`);
  }
  return parsed;
}

/** Parses a positive integer flag value, naming the flag when it is not one; `fallback` when the flag is absent. */
export function parsePositiveInt(flag: string, value: string | undefined, fallback: number): number;
export function parsePositiveInt(flag: string, value: string | undefined): number | undefined;
export function parsePositiveInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${flag}: expected a positive integer, got '${value}'`);
  return n;
}

/** Parses --port: 0-65535 (0 picks a free port). */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UserError(`--port: expected a port number 0-65535, got '${value}'`);
  return n;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Runs a command that streams rows to `--out FILE` (or standard output) as it reads its input:
 * the output appears whole when `produce` finishes, and an error, Ctrl-C or a kill takes back what
 * was written (exit 130 / 143 for the signals). `progress` is closed in every case.
 */
export async function withStreamedOutput<T>(command: string, outPath: string | undefined, progress: { finish(): void }, produce: (write: (text: string) => void) => Promise<T>): Promise<T> {
  const out = TsvOutput.open(outPath);
  const interrupted = (signal: NodeJS.Signals) => {
    out.abort();
    progress.finish();
    process.stderr.write(`${command} stopped by ${signal}; nothing written\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const result = await produce((text) => out.write(text));
    out.commit();
    return result;
  } catch (err) {
    out.abort();
    throw err;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    progress.finish();
  }
}
