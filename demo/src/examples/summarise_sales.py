# Summarise a quarter's sales. asyncio.gather hands every tool call to the
# page at once: 18 get_sales calls wait together.
import asyncio
import json

config = json.load(open("/data/config.json"))
categories, months = config["categories"], config["months"]

catalogue = await asyncio.gather(*(list_products(c) for c in categories))
products = [p for group in catalogue for p in group]
sales = await asyncio.gather(*(get_sales(p["id"], m) for p in products for m in months))

revenue = {p["id"]: 0.0 for p in products}
for s in sales:
    revenue[s["product_id"]] += s["revenue"]

for category, group in zip(categories, catalogue):
    best = max(group, key=lambda p: revenue[p["id"]])
    total = sum(revenue[p["id"]] for p in group)
    print(f"{category:<7}{total:>11,.2f}  best: {best['name']}")
print(f"{'total':<7}{sum(revenue.values()):>11,.2f}")
round(sum(revenue.values()), 2)
