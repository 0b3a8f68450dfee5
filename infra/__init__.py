"""The Pulumi program's building blocks: one module per group of AWS resources of the Sparkify stack.

`__main__.py` at the repository root reads the stack's config once (`infra.config.load`) and calls these
builders; every job, crawler and trigger they create is derived from `sparkify.pipeline`.
"""
