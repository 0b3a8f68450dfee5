"""boto3 clients for the ops commands, and the translation of every AWS failure into one line a person
can act on (`OpsError`): what went wrong while doing what, and what to do next. Never a traceback.

Clients retry with botocore's adaptive mode: exponential backoff with jitter on throttling and transient
errors, plus client-side rate limiting once AWS starts throttling (useful when `--follow` polls for an
hour). https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

# Attempts per call, the first included. Adaptive backoff caps each wait at 20 s, so a call gives up
# after roughly a minute and a half of sustained throttling.
MAX_ATTEMPTS = 8

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})
NOT_FOUND_CODES = frozenset(
    {"EntityNotFoundException", "NoSuchBucket", "NoSuchKey", "ResourceNotFoundException", "NotFound", "404"}
)

CREDENTIALS_HINT = (
    "run `aws configure` or `aws sso login`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)


class OpsError(Exception):
    """A failure the user can act on, already phrased as one line."""


def client_config() -> Config:
    return Config(
        # total_max_attempts counts the first try too (`max_attempts` would add one to it).
        retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="sparkify-ops",
    )


@dataclass
class Aws:
    """One boto3 session and its clients, all made with `client_config()`."""

    session: boto3.Session
    profile: str | None = None  # only when asked for one: "default" may not exist in ~/.aws
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def region(self) -> str | None:
        region: str | None = self.session.region_name
        return region

    def client(self, service: str) -> Any:
        if service not in self._clients:
            with translated(f"creating the {service} client"):
                self._clients[service] = self.session.client(service, config=client_config())
        return self._clients[service]

    def with_region(self, region: str) -> Aws:
        """The same credentials in another region (the stack's, when it differs from the session's)."""
        if region == self.session.region_name:
            return self
        with translated("opening an AWS session"):
            return Aws(boto3.Session(profile_name=self.profile, region_name=region), self.profile)


def connect(region: str | None = None, profile: str | None = None) -> Aws:
    """A session from the usual sources (env, ~/.aws, SSO, instance role); `AWS_ENDPOINT_URL` is honoured."""
    with translated("opening an AWS session"):
        return Aws(boto3.Session(region_name=region, profile_name=profile), profile)


def explain(exc: BaseException, doing: str, not_found: str | None = None) -> OpsError:
    """One line for `exc`, raised while `doing` (e.g. "starting workflow sparkify-dev")."""
    if isinstance(exc, OpsError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return OpsError(f"no AWS credentials found while {doing}: {CREDENTIALS_HINT}")
    if isinstance(exc, PartialCredentialsError):
        return OpsError(f"incomplete AWS credentials while {doing} ({exc}): {CREDENTIALS_HINT}")
    if isinstance(exc, ProfileNotFound):
        return OpsError(f"{exc} while {doing}: check AWS_PROFILE against `aws configure list-profiles`")
    if isinstance(exc, (TokenRetrievalError, SSOError)):
        return OpsError(f"the AWS SSO session cannot give credentials while {doing}: run `aws sso login`")
    if isinstance(exc, NoRegionError):
        return OpsError(
            f"no AWS region while {doing}: pass --region, set AWS_REGION, or set aws:region in the stack file"
        )
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return OpsError(f"cannot reach AWS while {doing} ({exc}): check the network, the region and AWS_ENDPOINT_URL")
    if isinstance(exc, ReadTimeoutError):
        return OpsError(f"AWS did not answer in time while {doing}: try again in a minute")
    if isinstance(exc, ClientError):
        return _explain_client_error(exc, doing, not_found)
    if isinstance(exc, BotoCoreError):
        return OpsError(f"AWS client error while {doing}: {exc}")
    raise exc


def _explain_client_error(exc: ClientError, doing: str, not_found: str | None) -> OpsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message") or "").strip().splitlines()
    text = message[0] if message else code
    operation = exc.operation_name
    if code in THROTTLING_CODES:
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return OpsError(
            f"AWS kept throttling {operation} ({code}) while {doing}, through {attempts} attempts "
            "with backoff: wait a minute and try again, and check what else calls this account's Glue API"
        )
    if code in EXPIRED_CODES:
        return OpsError(f"the AWS credentials have expired ({code}) while {doing}: refresh them (`aws sso login`)")
    if code in BAD_CREDENTIAL_CODES:
        return OpsError(f"AWS rejected the credentials ({code}) while {doing}: {CREDENTIALS_HINT}")
    if code in ACCESS_DENIED_CODES:
        return OpsError(
            f"access denied while {doing}: the identity is not allowed {operation} "
            "(use a profile that has the permission, or ask for it)"
        )
    if code in NOT_FOUND_CODES and not_found:
        return OpsError(not_found)
    if code == "ConcurrentRunsExceededException":
        return OpsError(f"{doing}: a run is already in progress ({text}); follow it with `sparkify status`")
    return OpsError(f"AWS error while {doing}: {code}: {text}")


@contextmanager
def translated(doing: str, not_found: str | None = None) -> Iterator[None]:
    """Run AWS calls; any botocore failure leaves as an `OpsError` line (see `explain`)."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise explain(exc, doing, not_found) from None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
