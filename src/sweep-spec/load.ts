/**
 * Reading a sweep spec file: JSON syntax errors with line:column, then the schema, with every
 * problem reported at once as `<JSON path>: <message>`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import jsonc from 'jsonc-parser';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { knownFields, suggestion, sweepSpecSchema, type SweepSpec } from './schema.js';

export interface LoadedSpec {
  spec: SweepSpec;
  /** Absolute path of the spec file. */
  path: string;
  /** The spec file's folder: relative dataset paths resolve against it. */
  baseDir: string;
}

export async function loadSpec(file: string): Promise<LoadedSpec> {
  const abs = path.resolve(file);
  return { spec: parseSpec(await readJsonFile(file, 'the sweep spec'), file), path: abs, baseDir: path.dirname(abs) };
}

/** A JSON file's value; a missing file or a syntax error (at FILE:line:column) is a UserError. `what` names the file's role. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`);
  }
  return parseJson(text, file);
}

/** Validates a parsed spec; `source` names it in the error (usually the file). */
export function parseSpec(raw: unknown, source: string): SweepSpec {
  const result = sweepSpecSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw UserError.of(`${source}: invalid sweep spec`, formatIssues(result.error.issues));
}

// ---- JSON ---------------------------------------------------------------------------------------------

/** Keyed by jsonc-parser's error code names (its enum is a const enum, unusable under isolatedModules). */
const syntaxMessages: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes (JSON allows no trailing comma)',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  InvalidEscapeCharacter: 'invalid escape in string',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

/** JSON.parse, with a syntax error located at FILE:line:column (jsonc-parser finds where). */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const errors: jsonc.ParseError[] = [];
    jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first === undefined) throw new UserError(`${file}: invalid JSON: ${(err as Error).message}`);
    const before = text.slice(0, first.offset).split('\n');
    const where = `${before.length}:${before.at(-1)!.length + 1}`;
    throw new UserError(`${file}:${where}: invalid JSON: ${syntaxMessages[jsonc.printParseErrorCode(first.error)] ?? jsonc.printParseErrorCode(first.error)}`);
  }
}

// ---- problems -------------------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** `space.learningRate.logUniform[0]`; the whole document is `(root)`. */
export function formatPath(segments: Path): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(root)' : out;
}

/** One line per problem; a failed union reports the one alternative the value was meant to be, when that is clear. */
export function formatIssues(issues: readonly Issue[], prefix: Path = []): string[] {
  return issues.flatMap((issue): string[] => {
    const at = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'invalid_union': {
        const intended = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'unrecognized_keys')));
        return intended.length === 1 ? formatIssues(intended[0]!, at) : [`${formatPath(at)}: ${issue.message}`];
      }
      case 'unrecognized_keys': {
        const known = knownFields[at.join('.')] ?? [];
        return issue.keys.map((key) => `${formatPath([...at, key])}: unknown field${suggestion(key, known)}`);
      }
      case 'invalid_type':
        if ('input' in issue && issue.input === undefined) return [`${formatPath(at)}: required`];
        return [`${formatPath(at)}: ${issue.message}`];
      default:
        return [`${formatPath(at)}: ${issue.message}`];
    }
  });
}
