"""Pure DataFrame → DataFrame transforms: staging (clean and cast raw records) and the star schema."""
