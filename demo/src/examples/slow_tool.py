# forecast_demand is a slow service (30 s). Press Stop: the exec ends at
# once with an AbortedError, and the box is ready for the next run.
print("asking the forecasting service...")
forecast = await forecast_demand("c-espresso")
print(forecast)
