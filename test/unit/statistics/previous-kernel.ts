/**
 * The Dirichlet kernel as it was before the bootstrap was made faster (two 32-bit steps per
 * gamma proposal, Marsaglia and Tsang's own squeeze), kept only so that a test can compare the
 * two statistically. Not used by contrail.
 */
import type { DirichletProblem } from '../../../src/statistics/dirichlet.js';
import { type RandomStream, ZIG_K, ZIG_W } from '../../../src/statistics/random.js';

const CHUNK_SAMPLES = 500;
const INV_TWO_POW_25 = 1 / 33554432;

/** Fills `out[from..to)` with replicates, using `stream` (advanced in place). */
function dirichletChunk(
  problem: DirichletProblem,
  stream: RandomStream,
  out: Float64Array,
  from: number,
  to: number,
): void {
  const { y, x, counts } = problem;
  const n = counts.length;
  const dd = new Float64Array(n);
  const cc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dd[i] = (counts[i] as number) - 1 / 3;
    cc[i] = 1 / Math.sqrt(9 * (dd[i] as number));
  }
  const K = ZIG_K;
  const W = ZIG_W;
  const st = stream.state;
  // The xoroshiro128+ state lives in locals inside the loop (see random.ts for the same step).
  let s01 = st[0] as number;
  let s00 = st[1] as number;
  let s11 = st[2] as number;
  let s10 = st[3] as number;
  for (let s = from; s < to; s++) {
    let total = 0;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const d = dd[i] as number;
      const c = cc[i] as number;
      let g: number;
      for (;;) {
        const w = (s00 + s10) | 0;
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
        const hz = (s00 + s10) | 0;
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
        let z: number;
        if ((hz < 0 ? -hz : hz) < (K[iz] as number)) {
          z = hz * (W[iz] as number);
        } else {
          // Rare (about 1%): finish the normal draw on the stream object, then reload.
          st[0] = s01;
          st[1] = s00;
          st[2] = s11;
          st[3] = s10;
          z = stream.normalSlow(iz, hz);
          s01 = st[0] as number;
          s00 = st[1] as number;
          s11 = st[2] as number;
          s10 = st[3] as number;
        }
        let v = 1 + c * z;
        if (v <= 0) continue;
        v = v * v * v;
        const u = ((w & 0x1ffffff) + 0.5) * INV_TWO_POW_25;
        const z2 = z * z;
        if (u < 1 - 0.0331 * z2 * z2 || Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) {
          g = d * v;
          break;
        }
      }
      acc += g * (y[i] as number);
      total += x === null ? g : g * (x[i] as number);
    }
    out[s] = acc / total;
  }
  st[0] = s01;
  st[1] = s00;
  st[2] = s11;
  st[3] = s10;
}

/** All replicates, chunk k on the stream jumped k times, as the engine did. */
export function previousReplicates(
  problem: DirichletProblem,
  base: RandomStream,
  numSamples: number,
): Float64Array {
  const out = new Float64Array(numSamples);
  for (let k = 0; k * CHUNK_SAMPLES < numSamples; k++) {
    dirichletChunk(
      problem,
      base.jumped(k),
      out,
      k * CHUNK_SAMPLES,
      Math.min(numSamples, (k + 1) * CHUNK_SAMPLES),
    );
  }
  return out;
}
