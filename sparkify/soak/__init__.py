"""`sparkify soak`: months of scheduled runs on generated data, each compared with an independent
recompute (`run.soak`), on a calendar of ordinary and bad days (`calendar.build`)."""
