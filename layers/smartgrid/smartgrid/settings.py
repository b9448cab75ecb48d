"""One settings model per function, read from the environment the template sets.

Fields name their environment variable as alias, so a model reads like the template's
`Environment.Variables` block, and a missing variable fails loudly with its name.
"""

from __future__ import annotations

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """The function's environment lacks a variable the template should have set."""


class EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field("dev", alias="STAGE")

    @classmethod
    def from_env(cls) -> Self:
        try:
            return cls.model_validate(dict(os.environ))
        except ValidationError as error:
            missing = ", ".join(str(e["loc"][0]) for e in error.errors())
            raise ConfigurationError(f"{cls.__name__}: bad or missing environment: {missing}") from error


class AuthSettings(EnvSettings):
    """What every API function needs to know who is calling."""

    staff_token_sha256: str = Field(alias="STAFF_TOKEN_SHA256")
    # The meter head-end's token (the simulators post readings with it) is staff too.
    head_end_token_sha256: str = Field("", alias="HEAD_END_TOKEN_SHA256")
    clients_table: str = Field(alias="CLIENTS_TABLE")
    producers_table: str = Field(alias="PRODUCERS_TABLE")
    # Only partner-api knows partners: elsewhere a partner's token is unknown (401).
    partners_table: str = Field("", alias="PARTNERS_TABLE")


class GridSettings(EnvSettings):
    """The grid's shared constants (template parameters)."""

    tick_minutes: int = Field(1, alias="TICK_MINUTES", ge=1, le=60)
