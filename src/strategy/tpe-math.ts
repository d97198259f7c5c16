/**
 * The normal-distribution numerics TPE needs, in log space where tails matter: log Phi, the log
 * mass of a Gaussian over an interval, and the truncated normal's log density and inverse CDF.
 * A port of Optuna's optuna/samplers/_tpe/_truncnorm.py (which avoids scipy the same way), with
 * erfc from its series and continued fraction instead of a polynomial fit. Pure and dependency-free:
 * it runs inside workflow code.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const SQRT1_2 = Math.SQRT1_2;

/** log(erfc(x)) for x >= 0, accurate far into the tail (erfc itself underflows near x = 27). */
function logErfcNonNegative(x: number): number {
  if (x < 2.5) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)): positive terms, no cancellation.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
    return Math.log1p(-erf);
  }
  // erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/** Phi(a), the standard normal CDF. */
export function ndtr(a: number): number {
  const x = a * SQRT1_2;
  return x < 0 ? 0.5 * Math.exp(logErfcNonNegative(-x)) : 1 - 0.5 * Math.exp(logErfcNonNegative(x));
}

/** log Phi(a). */
export function logNdtr(a: number): number {
  if (a < 0) return Math.log(0.5) + logErfcNonNegative(-a * SQRT1_2);
  return Math.log1p(-0.5 * Math.exp(logErfcNonNegative(a * SQRT1_2)));
}

function logDiff(logP: number, logQ: number): number {
  return logP + Math.log1p(-Math.exp(logQ - logP));
}

function logSum(logP: number, logQ: number): number {
  const max = Math.max(logP, logQ);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(Math.exp(logP - max) + Math.exp(logQ - max));
}

/** log of the standard normal's mass in [a, b], working in the left tail as Optuna does. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** x such that log Phi(x) = y (y <= 0), by Newton's method from Optuna's initial guesses. */
function ndtriExp(y: number): number {
  const flipped = y > -1e-2;
  const z = flipped ? Math.log(-Math.expm1(y)) : y;
  let x = z < -5 ? -Math.sqrt(-2 * (z + LOG_SQRT_2PI)) : -(Math.sqrt(3) / Math.PI) * Math.log(Math.expm1(-z));
  for (let i = 0; i < 100; i++) {
    const logNdtrX = logNdtr(x);
    const logPdfX = -0.5 * x * x - LOG_SQRT_2PI;
    const dx = (logNdtrX - z) * Math.exp(logNdtrX - logPdfX);
    x -= dx;
    if (Math.abs(dx) < 1e-8 * Math.abs(x)) break;
  }
  return flipped ? -x : x;
}

/** Inverse CDF at q of the standard normal truncated to [a, b]. */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (q === 0) return a;
  if (q === 1) return b;
  const logMass = logGaussMass(a, b);
  const x = a < 0 ? ndtriExp(logSum(logNdtr(a), Math.log(q) + logMass)) : -ndtriExp(logSum(logNdtr(-b), Math.log1p(-q) + logMass));
  // Newton's last step can overshoot the interval by an ulp or so.
  return Math.min(b, Math.max(a, x));
}

/** log density at x of N(mu, sigma) truncated to [low, high]. */
export function truncnormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  const z = (x - mu) / sigma;
  return -0.5 * z * z - LOG_SQRT_2PI - logGaussMass((low - mu) / sigma, (high - mu) / sigma) - Math.log(sigma);
}
