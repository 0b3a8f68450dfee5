"""The parts of the synthetic data generator (`sparkify generate`, entry point `sparkify.synthetic.generate`)."""
