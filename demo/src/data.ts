/**
 * The shop the demo's tools serve: a product catalogue, monthly sales, and
 * the files the box starts with in /data.
 */

/** One product of the catalogue, as `list_products` returns it. */
export interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
}

/**
 * The catalogue.
 *
 * @example
 * ```ts
 * PRODUCTS.filter((p) => p.category === 'tea')
 * ```
 */
export const PRODUCTS: Product[] = [
  { id: 'c-espresso', name: 'Espresso Beans', category: 'coffee', price: 14.5 },
  { id: 'c-filter', name: 'Filter Roast', category: 'coffee', price: 11 },
  { id: 'c-coldbrew', name: 'Cold Brew Kit', category: 'coffee', price: 32 },
  { id: 't-sencha', name: 'Sencha', category: 'tea', price: 9.5 },
  { id: 't-earlgrey', name: 'Earl Grey', category: 'tea', price: 7.25 },
  { id: 't-chai', name: 'Masala Chai', category: 'tea', price: 8.75 },
];

/**
 * The months `get_sales` knows.
 *
 * @example
 * ```ts
 * MONTHS.indexOf('2025-03') // 2
 * ```
 */
export const MONTHS = ['2025-01', '2025-02', '2025-03'];

/**
 * Units sold per product, one number per entry of {@link MONTHS}.
 *
 * @example
 * ```ts
 * UNITS_SOLD['c-espresso'][2] // 150, in 2025-03
 * ```
 */
export const UNITS_SOLD: Record<string, number[]> = {
  'c-espresso': [120, 135, 150],
  'c-filter': [90, 80, 95],
  'c-coldbrew': [15, 22, 31],
  't-sencha': [60, 58, 70],
  't-earlgrey': [110, 95, 102],
  't-chai': [40, 65, 88],
};

/**
 * What the box's filesystem holds before the first run (these survive a hard stop).
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ files: SEED_FILES })
 * ```
 */
export const SEED_FILES: Record<string, string> = {
  '/data/config.json': JSON.stringify({ quarter: '2025-Q1', categories: ['coffee', 'tea'], months: MONTHS }, null, 2) + '\n',
  '/data/targets.csv': [
    'product_id,quarter,target_units',
    'c-espresso,2025-Q1,400',
    'c-filter,2025-Q1,300',
    'c-coldbrew,2025-Q1,90',
    't-sencha,2025-Q1,180',
    't-earlgrey,2025-Q1,320',
    't-chai,2025-Q1,150',
    '',
  ].join('\n'),
  '/data/notes/README.md': [
    '# The shop\'s data',
    '',
    '- `config.json`: the quarter, its months and the product categories.',
    '- `targets.csv`: units each product should sell in the quarter.',
    '- Sales come from the `get_sales(product_id, month)` tool, the catalogue from `list_products(category)`.',
    '',
  ].join('\n'),
};
