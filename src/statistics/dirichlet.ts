import { RandomStream, ZIG_K, ZIG_W } from './random.js';

/**
 * The Bayesian bootstrap over a histogram (Rubin 1981): weights w ~ Dirichlet(counts) over the
 * distinct values, one replicate = Σ w·y (or Σ w·y / Σ w·x for a ratio). Drawing Dirichlet
 * weights over distinct values with their counts is the same estimator as over raw rows,
 * because a sum of independent Gamma(1) draws is a Gamma(count) draw.
 *
 * Samples are produced in fixed chunks of CHUNK_SAMPLES; chunk k uses the stream jumped k
 * times, so the result is bit-identical however chunks are spread over threads
 * (`StatisticsPool` spreads the chunks of one bootstrap over its threads).
 */
export const CHUNK_SAMPLES = 500;

const INV_TWO_POW_25 = 1 / 33554432;

export interface DirichletProblem {
  /** Distinct numerator values (or values, for a mean). */
  y: Float64Array;
  /** Denominator values for a ratio of weighted sums; null for a weighted mean. */
  x: Float64Array | null;
  /** Count of each distinct value, each ≥ 1. */
  counts: Float64Array;
}

/**
 * Fills `out[from..to)` with replicates, using `stream` (advanced in place). Gives the same
 * numbers as `stream.gammaDC` per value and sample; the common case of that sampler is inlined
 * here with the generator state in locals, and everything else goes through
 * `RandomStream.gammaFrom`.
 */
export function dirichletChunk(
  problem: DirichletProblem,
  stream: RandomStream,
  out: Float64Array,
  from: number,
  to: number,
): void {
  const { y, x, counts } = problem;
  const n = counts.length;
  // Per value d, c, y and x side by side: the loop reads one array in order.
  const p = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const d = (counts[i] as number) - 1 / 3;
    p[4 * i] = d;
    p[4 * i + 1] = 1 / Math.sqrt(9 * d);
    p[4 * i + 2] = y[i] as number;
    p[4 * i + 3] = x === null ? 1 : (x[i] as number);
  }
  const end = 4 * n;
  const K = ZIG_K;
  const W = ZIG_W;
  // The rare path's draw comes back through a typed array, so that the hot loop's `g` stays an
  // unboxed double (a call result merged into it would make V8 box every draw).
  const slow = new Float64Array(1);
  const st = stream.state;
  // The xoroshiro128+ state lives in locals inside the loop (see random.ts for the same step).
  let s01 = st[0] as number;
  let s00 = st[1] as number;
  let s11 = st[2] as number;
  let s10 = st[3] as number;
  for (let s = from; s < to; s++) {
    let total = 0;
    let acc = 0;
    for (let k = 0; k < end; k += 4) {
      const c = p[k + 1] as number;
      // `| 0` on each term tells V8 the sum is an int32 addition, not a float one.
      const w = ((s00 | 0) + (s10 | 0)) | 0;
      const hz = ((s01 | 0) + (s11 | 0)) | 0;
      {
        const a0 = s10 ^ s00;
        const a1 = s11 ^ s01;
        const t00 = s00;
        const t01 = s01;
        s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
        s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
        s10 = (a1 << 5) ^ (a0 >>> 27);
        s11 = (a0 << 5) ^ (a1 >>> 27);
      }
      const iz = w >>> 25;
      const z = hz * (W[iz] as number);
      const t = c * z;
      const v1 = 1 + t;
      const u1 = 1 - ((w & 0x1ffffff) + 0.5) * INV_TWO_POW_25;
      let g: number;
      // Fast ziggurat layer and quick acceptance (about 98% of draws); see RandomStream.gammaFrom.
      if (
        (hz < 0 ? -hz : hz) < (K[iz] as number) &&
        v1 > 0 &&
        u1 * (t < 0 ? v1 : 1) > t * t * z * z * (1 / 12)
      ) {
        g = (p[k] as number) * (v1 * v1 * v1);
      } else {
        st[0] = s01;
        st[1] = s00;
        st[2] = s11;
        st[3] = s10;
        slow[0] = stream.gammaFrom(w, hz, p[k] as number, c);
        s01 = st[0] as number;
        s00 = st[1] as number;
        s11 = st[2] as number;
        s10 = st[3] as number;
        g = slow[0] as number;
      }
      acc += g * (p[k + 2] as number);
      total += g * (p[k + 3] as number);
    }
    out[s] = acc / total;
  }
  st[0] = s01;
  st[1] = s00;
  st[2] = s11;
  st[3] = s10;
}

/** Which sample ranges make up chunk k of `numSamples`. */
export function chunkRange(k: number, numSamples: number): [number, number] {
  const from = k * CHUNK_SAMPLES;
  return [from, Math.min(numSamples, from + CHUNK_SAMPLES)];
}

export function chunkCount(numSamples: number): number {
  return Math.ceil(numSamples / CHUNK_SAMPLES);
}

/**
 * One Dirichlet bootstrap as plain data (it crosses to worker threads): the problem, the state
 * of the stream its chunks jump from, and how many replicates.
 */
export interface DirichletDraw {
  problem: DirichletProblem;
  stream: Int32Array;
  numSamples: number;
}

/**
 * Replicates of chunks [first, last) of `draw`, in order: samples chunkRange(first)[0] up to
 * chunkRange(last − 1)[1]. Chunk k uses the draw's stream jumped k times (2^64 steps each),
 * so any split of the chunks over threads gives the same numbers, bit for bit.
 */
export function dirichletChunks(draw: DirichletDraw, first: number, last: number): Float64Array {
  const offset = first * CHUNK_SAMPLES;
  const out = new Float64Array(Math.max(0, Math.min(draw.numSamples, last * CHUNK_SAMPLES) - offset));
  let next = new RandomStream(draw.stream).jumped(first);
  for (let k = first; k < last; k++) {
    const stream = next;
    next = stream.jumped(1);
    const [from, to] = chunkRange(k, draw.numSamples);
    dirichletChunk(draw.problem, stream, out.subarray(from - offset, to - offset), 0, to - from);
  }
  return out;
}

/** All `numSamples` replicates on this thread. */
export function dirichletReplicates(
  problem: DirichletProblem,
  base: RandomStream,
  numSamples: number,
): Float64Array {
  return dirichletChunks({ problem, stream: base.state, numSamples }, 0, chunkCount(numSamples));
}
