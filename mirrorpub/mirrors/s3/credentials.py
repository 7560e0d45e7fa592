"""Where an S3 mirror's credentials come from: the variables its config names, else boto3's
chain (profile, AWS_* variables, config files, SSO, instance roles)."""

from __future__ import annotations

import os
from collections.abc import Callable

from mirrorpub import redact
from mirrorpub.errors import MirrorError
from mirrorpub.mirrors.s3 import wire
from mirrorpub.mirrors.s3.config import S3Config
from mirrorpub.mirrors.s3.explain import NO_CREDENTIALS


def named_credentials(config: S3Config) -> dict[str, str]:
    if config.access_key_id_env is None or config.secret_access_key_env is None:
        return {}
    values = {}
    for field, option, variable in (
            ("aws_access_key_id", "access_key_id_env", config.access_key_id_env),
            ("aws_secret_access_key", "secret_access_key_env", config.secret_access_key_env)):
        value = os.environ.get(variable)
        if not value:
            # The name is not echoed: the option may hold a pasted key (redact).
            raise MirrorError(config.name, f"the environment variable named by {option} "
                              f"({len(variable)} characters) is not set")
        redact.remember(value)
        values[field] = value
    return values


def credential_source(config: S3Config) -> Callable[[], wire.Credentials]:
    """Credentials for the lean client: the named variables, else boto3's chain (profile,
    AWS_* variables, config files, SSO, instance roles), refreshed when they expire."""
    named = named_credentials(config)
    if named:
        fixed = wire.Credentials(named["aws_access_key_id"], named["aws_secret_access_key"])
        return lambda: fixed
    import botocore.session
    from botocore import exceptions as bx

    try:
        found = botocore.session.Session(profile=config.profile).get_credentials()
    except bx.ProfileNotFound:
        profile = redact.shown(config.profile) if config.profile else \
            f"{redact.shown(os.environ.get('AWS_PROFILE'))} (from AWS_PROFILE)"
        raise MirrorError(config.name, f"AWS profile {profile} not found in the AWS config "
                          "or credentials files") from None
    except bx.BotoCoreError as exc:
        raise MirrorError(config.name, f"cannot load credentials: {exc}") from None
    if found is None:
        raise MirrorError(config.name, NO_CREDENTIALS)

    def current() -> wire.Credentials:
        try:
            frozen = found.get_frozen_credentials()
        except bx.BotoCoreError as exc:  # temporary credentials that cannot be renewed
            raise wire.S3Failure(f"cannot refresh the credentials: {exc}") from None
        for secret in (frozen.access_key, frozen.secret_key, frozen.token):
            redact.remember(secret)
        return wire.Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    return current
