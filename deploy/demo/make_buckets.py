"""The bucket owner's one-time step for the demo: create buckets and allow public reads."""

import json
import os
import sys

import boto3
from botocore.config import Config

endpoint, *buckets = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=os.environ["DEMO_S3_KEY"],
                  aws_secret_access_key=os.environ["DEMO_S3_SECRET"],
                  config=Config(s3={"addressing_style": "path"}))
existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
for bucket in buckets:
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
