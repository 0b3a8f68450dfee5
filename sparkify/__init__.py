"""Sparkify on AWS Glue: pipeline definition, transforms, validation and the local runner."""
