"""The one settings object: environment variables prefixed ``SANSAN_``."""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./sansan.db"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANSAN_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="sqlite:///path/to/file.db or postgresql://user:password@host:port/db"
        " (optionally ?schema=name)",
    )
    auto_migrate: bool = Field(
        True, description="Create missing tables on start (under a lock on PostgreSQL)."
    )
    postgres_lock_timeout_s: int = Field(5, ge=1, le=300)
    postgres_connect_timeout_s: int = Field(
        5, ge=1, le=60, description="How long a request waits for a connection before a 503."
    )
    postgres_pool_size: int = Field(5, ge=1, le=100)
    postgres_max_overflow: int = Field(10, ge=0, le=100)
    write_threads: int = Field(
        4, ge=1, le=64,
        description="Threads that run command writes in each API process (those FastAPI answers"
        " itself, a token's first write or a refusal of its checks, run on its own threads). Writes"
        " take the store's insert lock one at a time anyway; more threads only contend for the"
        " GIL.",
    )  # fmt: skip
    run_projections: bool = Field(
        True, description="Run the projection runner inside the API process (off for --api-only)."
    )
    run_scheduler: bool = Field(
        True,
        description="Run the deadline scheduler inside `sansan serve` (off: `sansan schedule`).",
    )
    scheduler_interval_s: float = Field(30.0, gt=0, le=3600)
    webhook_urls: str = Field(
        "", description="Comma-separated URLs that receive every reminder and alert (POST JSON)."
    )
    webhook_secret: str = Field(
        "",
        description="Standard Webhooks signing key: whsec_<base64>, or any text (its UTF-8 bytes)."
        " Without one nothing is delivered, unless webhook_allow_unsigned.",
    )
    webhook_allow_unsigned: bool = Field(
        False, description="Deliver webhooks unsigned when no secret is set (explicit opt-in)."
    )
    audit_checkpoint_every: int = Field(
        10_000, ge=1, description="Checkpoint the audit chain's head every N events (and daily)."
    )
    import_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest spreadsheet an import accepts (bytes)."
    )
    import_max_rows: int = Field(
        200_000, ge=1, description="Most data rows one import accepts, over all its sheets."
    )
    audit_signing_key: Path | None = Field(
        None, description="Ed25519 private key (PEM) signing audit exports (`sansan audit keygen`)."
    )
    demo_sign_in_token: str = Field(
        "", description="Set by `sansan serve --demo`: the web UI signs in with it from loopback."
    )
    id_secret: SecretStr | None = Field(
        None,
        description="Key of the ids of the service's own records (firings, idempotency records,"
        " audit checkpoints), so no client can compute them. Unset: one is generated and kept"
        " in the store (table sansan_service_secrets) on first start, and every process on that"
        " store reads the same one. If set, every process on the store must set the same.",
    )
    plans_dir: Path | None = Field(
        None,
        description="A directory of plan files (*.json) read besides the shipped plans; a"
        " campaign pins the content of the plan it is launched under (`sansan plans validate`).",
    )
    aggregate_cache_size: int = Field(
        10_000, ge=0, description="Aggregates kept in memory; 0 turns the cache off."
    )

    @field_validator("id_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"SANSAN_ID_SECRET needs at least {MIN_SECRET_LENGTH} characters")
        return value
