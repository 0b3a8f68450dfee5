from sparkify.cli.main import app

app(prog_name="sparkify")
