"""Data quality: the suites in `expectations/`, their rules, and validating a run's tables against them."""
