"""The emulated AWS: a moto server on a free local port (S3, Glue, IAM, STS, CloudWatch Logs, EventBridge,
SNS, SQS all answer on it), and credentials that hold exactly one IAM policy, which moto enforces.

What moto enforces (moto 5.2, `moto/core/authorization.py`, `moto/iam/access_control.py`): every request
after authentication is switched on is checked against the caller's policies: its signature, its access
key, and the action. For S3 also the resource (bucket and key ARN); every other service's call is
checked against the resource `*`, so a statement of the role's policy that names Glue, Logs, CloudWatch
or KMS resources is enforced here by its actions only (`enforceable`). Condition keys (`s3:prefix`,
`cloudwatch:namespace`) are not evaluated. Signatures are not verified: moto's check refuses the
signatures of the AWS SDK for Java v1 on S3 (S3A's `HEAD` of a folder, measured), so the caller is
known by its access key alone, which is what picks the policy. KMS, CloudWatch metrics and Lake
Formation are not called by the rehearsal at all: SSE-KMS and Lake Formation grants are checked only in
a real account.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import boto3  # type: ignore[import-untyped]

ADMIN_USER = "rehearsal-admin"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
JOB_USER = "glue-job-role"  # holds exactly the stack's Glue role policy


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}


@dataclass(frozen=True)
class Denial:
    """One request moto refused for want of a grant."""

    action: str
    resource: str

    def line(self) -> str:
        return f"{self.action} on {self.resource}"


@dataclass
class DenialLog:
    denials: list[Denial] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, denial: Denial) -> None:
        with self.lock:
            if denial not in self.denials:
                self.denials.append(denial)


DENIED_ACTION = re.compile(r"not authorized to perform: ([\w:*-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def s3_action(method: str, path: str, query: str) -> str:
    """The S3 action moto authorizes a request as, from moto's own table (`moto.s3.responses.ACTION_MAP`)."""
    from moto.s3.responses import ACTION_MAP

    kind = "KEY" if "/" in path.strip("/") else "BUCKET"
    actions = ACTION_MAP[kind].get(method, {})
    asked = parse_qs(query, keep_blank_values=True)
    name = next((a for q, a in actions.items() if q in asked), actions.get("DEFAULT", method))
    return f"s3:{name}"


def _denied(environ: dict[str, Any], body: bytes) -> Denial:
    target = environ.get("HTTP_X_AMZ_TARGET")
    text = body.decode("utf-8", "replace")
    named = DENIED_ACTION.search(text)
    if named:
        return Denial(named.group(1), target or environ.get("PATH_INFO", ""))
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "")
    return Denial(s3_action(method, path, environ.get("QUERY_STRING", "")), f"s3:/{path}")


class _RecordingServer:
    """The server moto's `ThreadedMotoServer` builds, its WSGI app wrapped to note every 403 (the action
    refused, and on what)."""

    def __init__(self, port: int, log: DenialLog):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        self.log = log
        app = DomainDispatcherApplication(create_backend_app)

        def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            status: list[str] = []

            def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status.append(code)
                return start_response(code, headers, exc_info)

            chunks = list(app(environ, start))
            if status and status[0].startswith("403"):
                log.add(_denied(environ, b"".join(chunks)))
            return chunks

        self._server = make_server("127.0.0.1", port, recording, True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


def enforceable(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy as moto can enforce it, actions exactly as granted:
    - statements on other services than S3 name resource `*`: moto checks their calls against `*`, so a
      named ARN would refuse every call;
    - a grant of `s3:DeleteObject` on keys of a bucket also names the bucket: S3 authorizes a batch
      `DeleteObjects` key by key, moto against the bucket (S3A and S3FileIO delete in batches)."""
    document = copy.deepcopy(policy)
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not all(a.startswith("s3:") for a in actions):
            statement["Resource"] = "*"
        elif "s3:DeleteObject" in actions:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            buckets = sorted({r.split("/", 1)[0] for r in resources})
            statement["Resource"] = [*resources, *(b for b in buckets if b not in resources)]
    return document


@dataclass
class Emulator:
    endpoint: str
    region: str
    admin: Credentials
    denials: DenialLog

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        who = credentials or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=who.access_key,
            aws_secret_access_key=who.secret_key,
        )

    def user_with_policy(self, user: str, policy: dict[str, Any]) -> Credentials:
        iam = self.client("iam")
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName=f"{user}-policy", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def enforce_policies(self) -> None:
        """From now on every request is authenticated and authorized (moto's INITIAL_NO_AUTH_ACTION_COUNT:
        the requests made so far, as the admin set things up, were the free ones)."""
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        settings.INITIAL_NO_AUTH_ACTION_COUNT = ActionAuthenticatorMixin.request_count


@contextmanager
def running(region: str) -> Iterator[Emulator]:
    """A moto server for the length of the block, with an admin user (every action) to set it up."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequestBase

    saved = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    check_signature = IAMRequestBase.check_signature
    IAMRequestBase.check_signature = lambda self: None  # type: ignore[method-assign]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    log = DenialLog()
    port = free_port()
    server = _RecordingServer(port, log)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        bootstrap = Emulator(endpoint, region, Credentials("testing", "testing"), log)
        admin = bootstrap.user_with_policy(ADMIN_USER, ADMIN_POLICY)
        yield Emulator(endpoint, region, admin, log)
    finally:
        server.stop()
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
        IAMRequestBase.check_signature = check_signature  # type: ignore[method-assign]


@contextmanager
def environment(variables: dict[str, str], remove: Iterable[str] = ()) -> Iterator[None]:
    """`variables` set and `remove` unset in this process's environment for the block, then as they were."""
    saved = {k: os.environ.get(k) for k in [*variables, *remove]}
    for key in remove:
        os.environ.pop(key, None)
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
