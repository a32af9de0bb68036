# An agent's bug: the products have no "cost" field. The exec ends
# with the exception's type, message and traceback into this code.
def margin(product):
    return (product["price"] - product["cost"]) / product["price"]

for p in await list_products("tea"):
    print(f"{p['name']}: {margin(p):.0%}")
