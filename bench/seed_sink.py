"""The seed's kafka_to_s3.py, rebuilt as a reference for bench/sink.ts.

The same pipeline as the seed: a confluent-kafka Consumer polls one message at
a time into a batch (100 by default, as in the seed); each full batch is
flattened with pandas.json_normalize, turned into a pyarrow Table, written as
Parquet into memory and uploaded with boto3's put_object under
PREFIX/YYYY-MM-DD/<uuid4>.parquet; then the offsets are committed
synchronously (at least once: a crash between upload and commit stores the
batch again).

Unlike the seed it ends: after EVENTS messages were consumed and uploaded
(the last batch may be short), so a benchmark can time it. It prints one line
per uploaded object ("uploaded s3://... rows=N") and "done rows=N files=F"
last. Kafka and S3 settings come from the environment, as the project's .env
names them: KAFKA_BROKERS, S3_ENDPOINT, S3_REGION, S3_BUCKET, ACCESS_KEY,
SECRET_KEY.
"""

import argparse
import datetime
import io
import json
import os
import sys
import time
import uuid

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from confluent_kafka import Consumer, KafkaError


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topic", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--prefix", required=True, help="key prefix inside the bucket")
    p.add_argument("--events", type=int, required=True, help="stop after this many messages")
    p.add_argument("--batch-size", type=int, default=100, help="messages per object [100]")
    p.add_argument("--compression", default="snappy", help="Parquet compression [snappy]")
    p.add_argument(
        "--idle-timeout", type=float, default=60, help="give up after this long without a message"
    )
    a = p.parse_args()
    env = os.environ
    bucket = env.get("S3_BUCKET", "prod-python")

    consumer = Consumer(
        {
            "bootstrap.servers": env.get("KAFKA_BROKERS", "127.0.0.1:9092"),
            "group.id": a.group,
            "auto.offset.reset": "earliest",
            # Offsets are committed by hand after each upload, as the seed does.
            "enable.auto.commit": False,
        }
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=env.get("S3_ENDPOINT", "http://127.0.0.1:9000"),
        aws_access_key_id=env["ACCESS_KEY"],
        aws_secret_access_key=env["SECRET_KEY"],
        region_name=env.get("S3_REGION", "us-east-1"),
    )
    consumer.subscribe([a.topic])

    batch: list = []
    consumed = rows = files = 0

    def upload() -> None:
        nonlocal rows, files
        df = pd.json_normalize(batch)
        table = pa.Table.from_pandas(df)
        buf = io.BytesIO()
        pq.write_table(table, buf, compression=a.compression)
        day = datetime.datetime.now().strftime("%Y-%m-%d")
        key = f"{a.prefix}/{day}/{uuid.uuid4()}.parquet"
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        rows += len(batch)
        files += 1
        print(f"uploaded s3://{bucket}/{key} rows={len(batch)}", flush=True)
        consumer.commit(asynchronous=False)
        batch.clear()

    last = time.monotonic()
    try:
        while consumed < a.events:
            msg = consumer.poll(1.0)
            if msg is None:
                if time.monotonic() - last > a.idle_timeout:
                    print(
                        f"error: no message for {a.idle_timeout:g} s after {consumed} of {a.events}",
                        file=sys.stderr,
                    )
                    return 1
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"error: {msg.error()}", file=sys.stderr)
                return 1
            last = time.monotonic()
            batch.append(json.loads(msg.value().decode("utf-8")))
            consumed += 1
            if len(batch) >= a.batch_size:
                upload()
        if batch:
            upload()
    finally:
        consumer.close()
    print(f"done rows={rows} files={files}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
