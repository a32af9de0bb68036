# An agent's program: Python awaits the page's tools and computes
# in code. Only what it prints (and the last value) goes back.
import statistics

products = await list_products("coffee")
for p in products:
    print(f"{p['name']:<16}{p['price']:>7.2f}")
mean = statistics.mean(p["price"] for p in products)
print("mean price:", round(mean, 2))

{p["id"]: p["price"] for p in products}
