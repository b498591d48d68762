import { ItemId } from '../../domain/sale/item-id.value-object';

/** A Redis stream entry's flat [field, value, ...] list as an object. */
export function streamFields(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

/**
 * The smallest stream entry id above `id` ("ms-seq"). Readers that drain a stream from its head trim with
 * XTRIM MINID of it once a batch is safely stored: that drops exactly the batch, in one cheap command,
 * while entries added since (higher ids) stay.
 */
export function streamIdAfter(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}

/** An order's lines as purchase.lua writes them ("itemId:unit,itemId:unit,..."). */
export function parseOrderLines(csv: string): { itemId: ItemId; unit: number }[] {
  return csv.split(',').map((line) => {
    const [item, unit] = line.split(':');
    return { itemId: Number(item) as ItemId, unit: Number(unit) };
  });
}
