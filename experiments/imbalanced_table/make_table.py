#!/usr/bin/env python3
"""A synthetic card-payment table for the class-imbalance study (docs/imbalance.md): 1.5% of rows
are fraud. Written to data/payments/{train,test}.csv (git-ignored); deterministic (seed 2026).

Columns: amount (log-normal; fraud larger on average), hour (0-23; fraud more often at night),
merchant (8 categories; fraud concentrated in two), distance_km (log-normal; fraud farther; 2% of
values missing in both classes), transactions_24h (Poisson; fraud more), account_age_days, and four
noise columns (noise_1..4) that carry no signal. Label: fraud = "yes" | "no".

The classes overlap on every feature, so no rule separates them: the best a model can do is trade
recall on fraud against false alarms, which is what class weights, oversampling and focal loss
move. Usage: make_table.py [OUT_DIR] [TRAIN_ROWS] [TEST_ROWS]   (data/payments 60000 20000)
"""
import math
import os
import random
import sys

FRAUD_RATE = 0.015
MERCHANTS = ["grocery", "fuel", "travel", "electronics", "restaurant", "online", "pharmacy",
             "clothing"]
# Weights of the merchant categories for honest and fraudulent payments.
HONEST = [30, 15, 5, 5, 20, 15, 5, 5]
FRAUD = [5, 5, 15, 30, 5, 30, 5, 5]


def row(rng, fraud):
    amount = math.exp(rng.gauss(3.2 + (0.9 if fraud else 0), 1.0))
    if fraud and rng.random() < 0.6:
        hour = rng.choice([0, 1, 2, 3, 4, 5, 23])
    else:
        hour = min(23, max(0, int(rng.gauss(14, 4))))
    merchant = rng.choices(MERCHANTS, FRAUD if fraud else HONEST)[0]
    distance = math.exp(rng.gauss(1.5 + (1.2 if fraud else 0), 1.1))
    lam = 5.0 if fraud else 2.0
    count, p, limit = 0, 1.0, math.exp(-lam)  # Poisson(lam) by Knuth's method
    while True:
        p *= rng.random()
        if p <= limit:
            break
        count += 1
    age = int(math.exp(rng.gauss(5.0 - (0.8 if fraud else 0), 1.0)))
    noise = [f"{rng.gauss(0, 1):.4f}" for _ in range(4)]
    return [f"{amount:.2f}", str(hour), merchant,
            "" if rng.random() < 0.02 else f"{distance:.2f}", str(count), str(age), *noise,
            "yes" if fraud else "no"]


def write(path, rows, rng):
    with open(path, "w") as out:
        out.write("amount,hour,merchant,distance_km,transactions_24h,account_age_days,"
                  "noise_1,noise_2,noise_3,noise_4,fraud\n")
        for _ in range(rows):
            out.write(",".join(row(rng, rng.random() < FRAUD_RATE)) + "\n")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data/payments"
    train_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
    test_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(2026)
    write(os.path.join(folder, "train.csv"), train_rows, rng)
    write(os.path.join(folder, "test.csv"), test_rows, rng)
    print(f"{folder}: train.csv ({train_rows} rows), test.csv ({test_rows} rows)")


if __name__ == "__main__":
    main()
