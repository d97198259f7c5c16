/**
 * How a trial's searched values read wherever people see them: Temporal's UI, the API and Grafana,
 * the CLI's tables and the HTML report. Pure.
 */

/** Strings and integers as they are; fractions exact and short, small ones in exponent form (0.003 -> 3e-3, 0.25 -> 0.25). */
export function formatParamValue(value: unknown): string {
  if (typeof value !== 'number' || Number.isInteger(value)) return String(value);
  return Math.abs(value) < 0.01
    ? value
        .toExponential()
        .replace(/e-0*/, 'e-')
        .replace(/\.?0+e/, 'e')
    : String(value);
}

/** "#3 convFilters=8 learningRate=3e-3": the trial's number and its searched values (`names`, in this order, where the trial has them). */
export function trialLabel(number: number, params: Readonly<Record<string, unknown>>, names: readonly string[] = Object.keys(params)): string {
  const values = names.filter((name) => name in params).map((name) => `${name}=${formatParamValue(params[name])}`);
  return [`#${number}`, ...values].join(' ');
}
