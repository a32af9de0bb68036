# forecast_demand is a slow service (30 s). Press Stop: the exec
# ends at once with an AbortedError, and the next run works.
print("asking the forecasting service...")
forecast = await forecast_demand("c-espresso")
print(forecast)
