# forecast_demand is a slow service (about 2 s a call), asked here one
# product at a time. Press Stop while it waits: the run ends at once with
# AbortedError, and the context keeps what it had.
forecasts = {}
for product in await list_products("tea"):
    print("asking for", product["name"], "...")
    forecasts[product["id"]] = (await forecast_demand(product["id"]))["units"]
forecasts
