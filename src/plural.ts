/**
 * `1 experiment`, `2 experiments`: a count with its noun, singular for one. `many` for nouns
 * whose plural is not the singular with an `s` (`query` → `queries`).
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
