"""`sparkify rehearse`: the stack's own job definitions run end to end on an emulated AWS (a local moto
server), before the first `pulumi up`. Laptop side: nothing here ships to Glue.

- `stack_render`: the stack as Pulumi's mocks render it (`python -m infra.render_document`), read as typed facts;
- `emulator`: the moto server, and the job role's credentials with its policy enforced;
- `provision`: what `pulumi up` and `sparkify upload` would create there, from the render;
- `glue_process`: one job run's driver process, as Glue starts it (the only module that builds a session);
- `job_run`: a job run's `sys.argv`, environment and process; `workflow`: the triggers walked in order;
- `alerts`: the failure's EventBridge event through the rendered rule to the router's handler;
- `findings`: what the runs left (objects, tables, snapshots, branches, Data Docs) and what they cost;
- `rehearse`: all of it, for the verb.
"""
