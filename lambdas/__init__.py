"""Code that runs in AWS Lambda, each module shipped by `infra/` as its one file (standard library and boto3 only)."""
