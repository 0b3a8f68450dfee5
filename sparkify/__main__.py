from sparkify.cli import app

app(prog_name="sparkify")
