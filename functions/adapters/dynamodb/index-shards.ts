/**
 * How many index partitions the decisions, the kept webhooks and the clicked links are spread over: one
 * partition takes about 1,000 writes a second, and a promotion hour writes more than that.
 */
export const INDEX_SHARDS = 16;

/** The index partition (0 … {@link INDEX_SHARDS} − 1) of an item, from its table key. */
export function indexShard(pk: string): number {
  let hash = 2166136261;
  for (let i = 0; i < pk.length; i += 1) hash = Math.imul(hash ^ pk.charCodeAt(i), 16777619);
  return (hash >>> 0) % INDEX_SHARDS;
}
