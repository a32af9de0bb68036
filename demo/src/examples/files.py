# Files: read targets from /data, fetch the actual sales, write the
# comparison to /out. The file browser shows /out after the run.
import asyncio
import csv
import json
import os

with open("/data/targets.csv", newline="") as f:
    targets = list(csv.DictReader(f))

actual = await asyncio.gather(
    *(get_sales(t["product_id"], t["month"]) for t in targets)
)

rows = []
for t, a in zip(targets, actual):
    target, units = int(t["target_units"]), a["units"]
    pct = round(100 * units / target)
    rows.append([t["product_id"], t["month"], target, units, pct])

with open("/out/targets_vs_actual.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["product_id", "month", "target", "actual", "pct"])
    writer.writerows(rows)

missed = [r[0] for r in rows if r[3] < r[2]]
with open("/out/summary.json", "w") as f:
    json.dump({"rows": len(rows), "missed": missed}, f, indent=2)

print("wrote", sorted(os.listdir("/out")))
print("missed target:", ", ".join(missed) or "none")
