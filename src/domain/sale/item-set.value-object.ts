import { ItemId } from './item-id.value-object';

/**
 * Which item ids belong to a sale, held compactly: items created together get consecutive ids, so most
 * sales are one range; otherwise the ids themselves. Lets an instance tell, without asking Redis, that an
 * item belongs to a sale that has not started yet.
 */
export class ItemSet {
  private constructor(
    private readonly range: { readonly from: number; readonly to: number } | null,
    private readonly ids: ReadonlySet<number> | null,
  ) {}

  static of(ids: readonly ItemId[]): ItemSet {
    const sorted = [...ids].sort((a, b) => a - b);
    if (sorted.length === 0) return new ItemSet(null, new Set());
    const from = sorted[0]!;
    const to = sorted[sorted.length - 1]!;
    const contiguous = to - from + 1 === sorted.length && new Set(sorted).size === sorted.length;
    return contiguous ? new ItemSet({ from, to }, null) : new ItemSet(null, new Set(sorted));
  }

  static fromJSON(json: ItemSetJson): ItemSet {
    return 'from' in json ? new ItemSet({ from: json.from, to: json.to }, null) : new ItemSet(null, new Set(json.ids));
  }

  has(id: ItemId): boolean {
    return this.range ? id >= this.range.from && id <= this.range.to : this.ids!.has(id);
  }

  toJSON(): ItemSetJson {
    return this.range ? { from: this.range.from, to: this.range.to } : { ids: [...this.ids!] };
  }
}

export type ItemSetJson = { from: number; to: number } | { ids: number[] };
