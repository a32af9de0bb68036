# An agent's bug: the catalogue has no "cost" field. The exec resolves
# with the exception's type, message and a traceback into this code.
def margin(product):
    return (product["price"] - product["cost"]) / product["price"]

for p in await list_products("tea"):
    print(f"{p['name']}: {margin(p):.0%}")
