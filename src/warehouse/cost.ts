/**
 * What a query costs on BigQuery's on-demand pricing: bytes scanned × the price per TiB.
 * jetstream's `validate` thresholds are in TB of scanned data; this turns the same dry-run
 * bytes into dollars for people.
 */

/** BigQuery on-demand price in US dollars per TiB scanned (US multi-region, list price). */
export const ON_DEMAND_USD_PER_TIB = 6.25;

const TIB = 2 ** 40;

export function onDemandCostUsd(bytesProcessed: number, usdPerTib: number = ON_DEMAND_USD_PER_TIB): number {
  if (!(Number.isFinite(bytesProcessed) && bytesProcessed >= 0)) {
    throw new RangeError(`bytes processed must be a non-negative number, got ${bytesProcessed}`);
  }
  return (bytesProcessed / TIB) * usdPerTib;
}

/** `1.23 GiB` style, for messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(2)} ${units[unit]}`;
}

/**
 * Dollars as people read them: `$0.02`, four decimals under a cent (`$0.0061`), and `< $0.0001`
 * for a cost above nothing that four decimals would show as `$0.0000`, which reads as free.
 */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.00005) return '< $0.0001';
  return `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** An estimated cost in a sentence: `about $0.02`, or `< $0.0001`, which needs no "about". */
export function aboutUsd(usd: number): string {
  const text = formatUsd(usd);
  return text.startsWith('<') ? text : `about ${text}`;
}

/** `3.2 GiB, about $0.02 at $6.25/TiB on demand`. */
export function describeCost(bytesProcessed: number, usdPerTib: number = ON_DEMAND_USD_PER_TIB): string {
  const usd = onDemandCostUsd(bytesProcessed, usdPerTib);
  return `${formatBytes(bytesProcessed)}, ${aboutUsd(usd)} at $${usdPerTib}/TiB on demand`;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

/** A byte count as people write it: `1500000000`, `1.5GB` (powers of 1000), `2GiB` (of 1024); null if it is neither. */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()];
  if (!match || unit === undefined) return null;
  return Math.round(Number(match[1]) * unit);
}
