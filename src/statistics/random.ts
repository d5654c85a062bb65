import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Seeded random numbers for the statistics engine.
 *
 * The bit source is xoroshiro128+ exactly as pure-rand implements it (a well-kept library;
 * its `jump()` gives non-overlapping 2^64-long sub-streams, used here per chunk of samples).
 * `RandomStream.next()` repeats pure-rand's 32-bit step on a local state array because the hot
 * loops (see `dirichlet.ts`) must keep the state in registers; a unit test checks that both
 * produce the same sequence. pure-rand returns the low 32 bits of each 64-bit output; the gamma
 * sampler also reads the high 32 bits of the same step (`highWord()`), so one step carries a
 * whole proposal.
 *
 * The samplers (ziggurat normal, Marsaglia–Tsang gamma) are hand-written for speed only: the
 * Dirichlet bootstrap over 10,000 distinct values × 10,000 samples is 1e8 gamma draws per
 * branch, and a library sampler (@stdlib/random-base-gamma) costs a closure call, argument
 * checks and a `Math.log` per draw, several times slower. Their output is tested against
 * @stdlib's CDFs (moments and Kolmogorov–Smirnov).
 *
 * Reproducibility: the same (seed, labels) gives the same numbers, bit for bit, everywhere
 * (32-bit integer arithmetic and correctly rounded IEEE operations only, except `Math.log`
 * and `Math.exp` in rare rejection branches, whose V8 implementation is deterministic).
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_25 = 1 / 33554432;
const INV_TWO_POW_32 = 1 / TWO_POW_32;
const INV_TWO_POW_53 = 1 / 9007199254740992;

/** 32-bit integer hash (murmur3 finaliser) used to derive stream states from labels. */
function mix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

function hashString(s: string, h0: number): number {
  let h = h0 | 0;
  for (let i = 0; i < s.length; i++) h = mix32(h ^ Math.imul(s.charCodeAt(i) + 1, 0x9e3779b1));
  return mix32(h ^ Math.imul(s.length + 1, 0x27d4eb2f));
}

/** A seed must be a non-negative safe integer. */
export function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  }
  return seed;
}

// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for the standard normal.
export const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const M1 = 2147483648;
export const ZIG_K = new Int32Array(128);
export const ZIG_W = new Float64Array(128);
export const ZIG_F = new Float64Array(128);
{
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = Math.floor((dn / q) * M1);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / M1;
  ZIG_W[127] = dn / M1;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = Math.floor((dn / tn) * M1);
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / M1;
  }
}

/** A seeded stream of random numbers. State layout is pure-rand's: [s01, s00, s11, s10]. */
export class RandomStream {
  /** Exposed so hot loops can copy it into locals and write it back. */
  readonly state: Int32Array;

  constructor(state: ArrayLike<number>) {
    if (state.length !== 4) throw new RangeError('a RandomStream state has 4 words');
    this.state = Int32Array.from(state);
    if (this.state.every((w) => w === 0)) throw new RangeError('the all-zero state is invalid');
  }

  /**
   * The stream for `seed` and labels (statistic, metric, branch, …): different labels give
   * unrelated streams, so results do not depend on the order in which work is done.
   */
  static of(seed: number, ...labels: string[]): RandomStream {
    checkSeed(seed);
    let h = mix32((seed % TWO_POW_32) ^ 0x5bd1e995);
    h = mix32(h ^ mix32(Math.floor(seed / TWO_POW_32) + 0x27d4eb2f));
    for (const label of labels) h = hashString(label, h);
    // The last word is odd, so the state is never all zero.
    const stream = new RandomStream([mix32(h + 1), mix32(h + 2), mix32(h + 3), mix32(h + 4) | 1]);
    // Warm up: hash-derived states are fine, but a few steps decorrelate nearby seeds further.
    for (let i = 0; i < 16; i++) stream.next();
    return stream;
  }

  /** A copy advanced by `k` jumps of 2^64 steps: a non-overlapping sub-stream per chunk. */
  jumped(k: number): RandomStream {
    const gen = xoroshiro128plusFromState(Array.from(this.state));
    for (let i = 0; i < k; i++) gen.jump();
    return new RandomStream(gen.getState());
  }

  /** Next 32-bit output (signed), identical to pure-rand's xoroshiro128plus `next()`. */
  next(): number {
    const st = this.state;
    const s01 = st[0] as number;
    const s00 = st[1] as number;
    const s11 = st[2] as number;
    const s10 = st[3] as number;
    const out = (s00 + s10) | 0;
    const a0 = s10 ^ s00;
    const a1 = s11 ^ s01;
    st[1] = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    st[0] = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    st[3] = (a1 << 5) ^ (a0 >>> 27);
    st[2] = (a0 << 5) ^ (a1 >>> 27);
    return out;
  }

  /** Uniform on (0, 1) with 32-bit resolution (never 0, so `Math.log` is safe). */
  uniform32(): number {
    return ((this.next() >>> 0) + 0.5) * INV_TWO_POW_32;
  }

  /** Uniform on [0, 1) with 53-bit resolution. */
  uniform(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) * INV_TWO_POW_53;
  }

  /**
   * Finishes a ziggurat normal draw whose fast test failed for layer `iz` and abscissa word
   * `hz`. Shared with the inlined fast path in `dirichlet.ts`.
   */
  normalSlow(iz0: number, hz0: number): number {
    let iz = iz0;
    let hz = hz0;
    for (;;) {
      const x = hz * (ZIG_W[iz] as number);
      if (iz === 0) {
        // Tail beyond ZIG_R (Marsaglia's exponential method).
        let t: number;
        let y: number;
        do {
          t = -Math.log(this.uniform32()) / ZIG_R;
          y = -Math.log(this.uniform32());
        } while (y + y < t * t);
        return hz > 0 ? ZIG_R + t : -ZIG_R - t;
      }
      const f0 = ZIG_F[iz] as number;
      if (f0 + this.uniform32() * ((ZIG_F[iz - 1] as number) - f0) < Math.exp(-0.5 * x * x)) {
        return x;
      }
      iz = this.next() >>> 25;
      hz = this.next();
      if ((hz < 0 ? -hz : hz) < (ZIG_K[iz] as number)) return hz * (ZIG_W[iz] as number);
    }
  }

  /**
   * Standard normal by the ziggurat method. The layer index comes from the top 7 bits of one
   * output and the abscissa from a second output, so they are independent (the classic
   * one-word ziggurat reuses low bits for both, where xoroshiro+ is weakest).
   */
  normal(): number {
    const iz = this.next() >>> 25;
    const hz = this.next();
    if ((hz < 0 ? -hz : hz) < (ZIG_K[iz] as number)) return hz * (ZIG_W[iz] as number);
    return this.normalSlow(iz, hz);
  }

  /**
   * High 32 bits of the 64-bit output whose low 32 bits the next `next()` returns (without the
   * carry from the low half, which costs more than it is worth for a sampler's abscissa).
   */
  highWord(): number {
    const st = this.state;
    return ((st[0] as number) + (st[2] as number)) | 0;
  }

  /** Gamma(shape ≥ 1, scale 1) by Marsaglia–Tsang, given d = shape − 1/3 and c = 1/√(9d). */
  gammaDC(d: number, c: number): number {
    const hz = this.highWord();
    return this.gammaFrom(this.next(), hz, d, c);
  }

  /**
   * Marsaglia–Tsang from a first proposal drawn by the caller: one 64-bit step gives the
   * ziggurat layer (top 7 bits of the low word `w`), the acceptance uniform (low 25 bits of
   * `w`) and the normal's abscissa (the high word `hz`); further proposals come from this
   * stream. `dirichlet.ts` inlines the common case (fast ziggurat layer, quick acceptance) and
   * calls this for the rest, so both consume the same words and give the same draws.
   *
   * Quick acceptance: with t = c·z and v = (1 + t)³, the exact test is
   * log u < z²/2 + d·(1 − v + log v) = d·r(t), r(t) = 3·log(1 + t) − 3t + 1.5t² − t³.
   * Since r(0) = 0 and r′(t) = −3t³/(1 + t), r(t) ≥ −¾t⁴ for t ≥ 0 and r(t) ≥ −¾t⁴/(1 + t) for
   * −1 < t < 0; with ¾·d·t⁴ = t²z²/12 (because 9dc² = 1) and log u ≤ u − 1, the exact test
   * holds whenever (1 − u)·min(1, 1 + t) > t²z²/12. Every draw is still decided by the exact
   * test, so the distribution is exactly Gamma; the bound only saves the two logarithms, which
   * Marsaglia and Tsang's own squeeze (u < 1 − 0.0331z⁴) leaves to about 8% of proposals and
   * this one to under 1% for shapes above 5.
   */
  gammaFrom(w0: number, hz0: number, d: number, c: number): number {
    let w = w0;
    let hz = hz0;
    for (;;) {
      const iz = w >>> 25;
      const z =
        (hz < 0 ? -hz : hz) < (ZIG_K[iz] as number) ? hz * (ZIG_W[iz] as number) : this.normalSlow(iz, hz);
      const t = c * z;
      const v1 = 1 + t;
      if (v1 > 0) {
        const v = v1 * v1 * v1;
        const u = ((w & 0x1ffffff) + 0.5) * INV_TWO_POW_25;
        if (
          (1 - u) * (t < 0 ? v1 : 1) > t * t * z * z * (1 / 12) ||
          Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))
        ) {
          return d * v;
        }
      }
      hz = this.highWord();
      w = this.next();
    }
  }

  /** Gamma(shape, 1) for any shape > 0 (below 1 by Marsaglia–Tsang's boost). */
  gamma(shape: number): number {
    if (shape >= 1) {
      const d = shape - 1 / 3;
      return this.gammaDC(d, 1 / Math.sqrt(9 * d));
    }
    const d = shape + 2 / 3;
    const g = this.gammaDC(d, 1 / Math.sqrt(9 * d));
    return g * this.uniform32() ** (1 / shape);
  }

  /** Beta(a, b) as a ratio of gammas. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }
}
