# An agent's program: Python awaits the page's tools and computes in code.
# Only what it prints (and the last expression) goes back to the model.
import statistics

products = await list_products("coffee")
for p in products:
    print(f"{p['name']:<16}{p['price']:>7.2f}")
print("mean price:", round(statistics.mean(p["price"] for p in products), 2))

{p["id"]: p["price"] for p in products}
