// A travel planner: for three cities and two weekends, the agent fans out every flight search
// (out and back) and hotel search at once — 18 calls in one asyncio.gather — and prints the
// three cheapest complete trips. The ~150 offers never reach the model.
//
//   node examples/agent-travel.mjs                           (scripted turns, offline)
//   ANTHROPIC_API_KEY=... node examples/agent-travel.mjs     (a real model)
import { PyBox } from '@pybox/node';
import { runAgent } from '@pybox/agent';
import { isMain, lastOutput, modelFromEnv, printEvents } from './agent-model.mjs';

const CITIES = ['LIS', 'FCO', 'BCN'];
const AIRLINES = ['SkyNor', 'Vueling', 'TAP', 'ITA'];

/** A deterministic price in [lo, hi) from a key. */
function price(key, lo, hi) {
  const h = [...key].reduce((a, c) => (Math.imul(a, 33) ^ c.charCodeAt(0)) >>> 0, 5381);
  return lo + (h % (hi - lo));
}

const tools = [
  {
    name: 'search_flights',
    description: 'One-way flights on a date, cheapest first.',
    parameters: {
      type: 'object',
      properties: {
        origin: { type: 'string', pattern: '^[A-Z]{3}$', description: 'IATA airport code.' },
        destination: { type: 'string', pattern: '^[A-Z]{3}$' },
        date: { type: 'string', format: 'date' },
      },
      required: ['origin', 'destination', 'date'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'array',
      items: {
        type: 'object',
        title: 'Flight',
        properties: { flight: { type: 'string' }, departs: { type: 'string' }, price_eur: { type: 'integer' }, stops: { type: 'integer' } },
        required: ['flight', 'departs', 'price_eur', 'stops'],
      },
    },
    handler: async ({ origin, destination, date }) => {
      await new Promise((r) => setTimeout(r, 30)); // a slow search backend
      return AIRLINES.map((airline, i) => ({
        flight: `${airline.slice(0, 2).toUpperCase()}${100 + i * 7}`,
        departs: `${date}T${String(7 + i * 3).padStart(2, '0')}:15`,
        price_eur: price(`${origin}${destination}${date}${airline}`, 60, 420),
        stops: i % 3 === 2 ? 1 : 0,
      })).sort((a, b) => a.price_eur - b.price_eur);
    },
  },
  {
    name: 'search_hotels',
    description: 'Hotels with rooms for the stay, cheapest first.',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', pattern: '^[A-Z]{3}$' },
        check_in: { type: 'string', format: 'date' },
        nights: { type: 'integer', minimum: 1, maximum: 14 },
        max_price_eur: { type: 'integer', minimum: 1, description: 'Per night.' },
      },
      required: ['city', 'check_in', 'nights'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'array',
      items: {
        type: 'object',
        title: 'Hotel',
        properties: { name: { type: 'string' }, stars: { type: 'integer' }, price_per_night_eur: { type: 'integer' } },
        required: ['name', 'stars', 'price_per_night_eur'],
      },
    },
    handler: async ({ city, check_in, nights, max_price_eur }) => {
      await new Promise((r) => setTimeout(r, 30));
      return Array.from({ length: 20 }, (_, i) => ({
        name: `${city} Hotel ${i + 1}`,
        stars: 2 + (i % 4),
        price_per_night_eur: price(`${city}${check_in}${nights}${i}`, 55, 320),
      }))
        .filter((h) => max_price_eur === undefined || h.price_per_night_eur <= max_price_eur)
        .sort((a, b) => a.price_per_night_eur - b.price_per_night_eur);
    },
  },
];

export const turns = [
  {
    text: 'I will search all cities and both weekends at once.',
    code: `import asyncio, datetime as dt

cities = ["LIS", "FCO", "BCN"]
weekends = ["2026-12-04", "2026-12-11"]
def back(d): return (dt.date.fromisoformat(d) + dt.timedelta(days=2)).isoformat()

keys = [(c, d) for c in cities for d in weekends]
outs, backs, hotels = await asyncio.gather(
    asyncio.gather(*[search_flights("OSL", c, d) for c, d in keys]),
    asyncio.gather(*[search_flights(c, "OSL", back(d)) for c, d in keys]),
    asyncio.gather(*[search_hotels(c, d, 2) for c, d in keys]),
)
trips = []
for (c, d), o, b, h in zip(keys, outs, backs, hotels):
    good = [x for x in h if x["stars"] >= 3]
    if not good:
        continue
    trips.append({"city": c, "from": d, "out": o[0], "back": b[0], "hotel": good[0],
                  "total": o[0]["price_eur"] + b[0]["price_eur"] + 2 * good[0]["price_per_night_eur"]})
trips.sort(key=lambda t: t["total"])
print(f"{3 * len(keys)} searches, {len(trips)} complete trips")
for t in trips[:3]:
    print(f"{t['city']} {t['from']}: EUR {t['total']} = {t['out']['flight']} {t['out']['price_eur']} + {t['back']['flight']} {t['back']['price_eur']} + {t['hotel']['name']} ({t['hotel']['stars']}*) 2 x {t['hotel']['price_per_night_eur']}")`,
  },
  (request) => `The three cheapest weekend trips from Oslo (2 nights, 3+ star hotel):\n${lastOutput(request).split('\n').slice(1).join('\n')}`,
];

export const task =
  'Plan a weekend trip from Oslo (OSL), Friday to Sunday, on 4 or 11 December 2026, to Lisbon (LIS), Rome (FCO) or Barcelona (BCN): compare flights both ways and a 3+ star hotel for 2 nights, and give the three cheapest complete trips.';

/** Runs the example; returns the agent's result. */
export async function main({ model = modelFromEnv(turns), onEvent } = {}) {
  const box = await PyBox.create({ tools });
  try {
    return await runAgent({ box, model, task, onEvent, maxSteps: 8 });
  } finally {
    await box.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await main({ onEvent: printEvents });
  console.log(`\n=== answer (${result.stopReason}, ${result.steps.length} steps)\n${result.text}`);
}
