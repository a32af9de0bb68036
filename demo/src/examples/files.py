# Files: read the targets from /data, fetch the actual sales, write the
# comparison to /out. The Files tab shows /out as the code writes it.
import asyncio
import csv
import json
import os

config = json.load(open("/data/config.json"))
with open("/data/targets.csv", newline="") as f:
    targets = list(csv.DictReader(f))

sales = await asyncio.gather(
    *(get_sales(t["product_id"], m) for t in targets for m in config["months"])
)
units = {}
for s in sales:
    units[s["product_id"]] = units.get(s["product_id"], 0) + s["units"]

os.makedirs("/out/q1", exist_ok=True)
with open("/out/q1/targets_vs_actual.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["product_id", "target", "actual", "pct"])
    for t in targets:
        target, actual = int(t["target_units"]), units[t["product_id"]]
        writer.writerow([t["product_id"], target, actual, round(100 * actual / target)])

missed = [t["product_id"] for t in targets if units[t["product_id"]] < int(t["target_units"])]
with open("/out/q1/summary.json", "w") as f:
    json.dump({"products": len(targets), "missed": missed}, f, indent=2)

print("wrote", sorted(os.listdir("/out/q1")))
print("missed target:", ", ".join(missed) or "none")
