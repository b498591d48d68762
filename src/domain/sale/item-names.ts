/**
 * Names for the items of generated (hourly) sales: deterministic, varied and readable on a storefront.
 * Item n of a sale is always called the same.
 */
const ADJECTIVES = [
  'Midnight',
  'Aurora',
  'Granite',
  'Copper',
  'Velvet',
  'Nordic',
  'Solar',
  'Arctic',
  'Crimson',
  'Ivory',
  'Cobalt',
  'Amber',
  'Jade',
  'Onyx',
  'Saffron',
  'Coral',
  'Slate',
  'Olive',
  'Pearl',
  'Indigo',
];
const PRODUCTS = [
  'Headphones',
  'Espresso Maker',
  'Backpack',
  'Desk Lamp',
  'Sneakers',
  'Smart Watch',
  'Blender',
  'Rain Jacket',
  'Keyboard',
  'Water Bottle',
  'Sunglasses',
  'Speaker',
  'Chef Knife',
  'Yoga Mat',
  'Camera Strap',
  'Wool Scarf',
  'Teapot',
  'Phone Case',
  'Notebook',
  'Cast-Iron Pan',
  'Desk Chair',
  'Drone',
  'Tent',
  'Guitar',
];

export function itemName(index: number): string {
  const adjective = ADJECTIVES[index % ADJECTIVES.length];
  const product = PRODUCTS[Math.floor(index / ADJECTIVES.length) % PRODUCTS.length];
  return `${adjective} ${product} #${index + 1}`;
}

export function itemNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => itemName(i));
}
