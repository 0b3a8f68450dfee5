"""Every page a person reads about a run (Great Expectations' pages and the site around them), and
publishing them."""
