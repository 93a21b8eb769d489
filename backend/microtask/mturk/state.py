"""What the gateway keeps that the chain, the index and the verifier do not.

Most of a HIT is on chain (its task: money, slots, deadline) or with the verifier (who
accepted, the receipts); what MTurk has and microtask does not is kept here, per requester
and deployment, in a small SQLite file (``DATA_DIR/mturk/<network>/<requester>.sqlite``):

- ``hit_types``: each HIT type's properties and its notification settings;
- ``hits``: the tasks made through the gateway (``ListHITs`` lists these): their HIT type,
  ``RequesterAnnotation``, whether the requester marked them ``Reviewing``, an earlier
  expiry than the chain's deadline, whether deleted, and the policy last sent for them;
- ``request_tokens``: what a call with a ``UniqueRequestToken`` did, for 24 hours;
- ``qualification_types`` and ``qualifications``: the requester's own qualifications and
  who holds which value (the verifier receives the values in each HIT's policy);
- ``worker_blocks``: the requester's block list;
- ``reviews``: the requester's own approvals and rejections through the gateway, with
  their ``RequesterFeedback`` and time;
- ``bonuses``: bonuses paid, with their reasons;
- ``assignment_states``: the last status notified per assignment, so each change is
  notified once; ``outbox``: notifications to deliver, with their retries.

``meta`` names the chain, escrow and deployment block the file belongs to: a chain started
afresh (``microtask up --fresh``) gets a fresh file, the old one kept aside.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Engine,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from microtask.errors import UserError

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    """Whole numbers are 64-bit (wei-sized amounts are text); the row ids that SQLite numbers
    itself are ``Integer``: only an INTEGER primary key is SQLite's rowid."""

    type_annotation_map = {int: BigInteger()}  # noqa: RUF012 (SQLAlchemy's class attribute)


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HitType(Base):
    __tablename__ = "hit_types"
    hit_type_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[int]
    notification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notification_active: Mapped[bool] = mapped_column(Boolean, default=False)


class Hit(Base):
    __tablename__ = "hits"
    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hit_type_id: Mapped[str] = mapped_column(String(64), index=True)
    annotation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int]
    reviewing: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[int | None]
    deleted_at: Mapped[int | None]
    reviewable_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    expired_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    reclaimed: Mapped[bool] = mapped_column(Boolean, default=False)
    policy_issued_at: Mapped[int] = mapped_column(default=0)
    policy_hash: Mapped[str | None] = mapped_column(String(66))


class RequestToken(Base):
    __tablename__ = "request_tokens"
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[int]


class QualificationType(Base):
    __tablename__ = "qualification_types"
    type_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    retry_delay: Mapped[int | None]
    created_at: Mapped[int]
    deleted_at: Mapped[int | None]


class Qualification(Base):
    __tablename__ = "qualifications"
    type_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker: Mapped[str] = mapped_column(String(42), primary_key=True)
    value: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[int]


class WorkerBlock(Base):
    __tablename__ = "worker_blocks"
    worker: Mapped[str] = mapped_column(String(42), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int]


class Review(Base):
    __tablename__ = "reviews"
    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(String(42))
    action: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str | None] = mapped_column(Text)
    at: Mapped[int]
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)


class Bonus(Base):
    __tablename__ = "bonuses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(index=True)
    slot: Mapped[int]
    worker: Mapped[str] = mapped_column(String(42))
    amount: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[int]
    tx_hash: Mapped[str] = mapped_column(String(66))


class AssignmentState(Base):
    __tablename__ = "assignment_states"
    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))


class Outbox(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destination: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[float]
    delivered_at: Mapped[int | None]
    given_up: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)


def state_file(data_dir: Path, network: str, requester: str) -> Path:
    return data_dir / "mturk" / network / f"{requester}.sqlite"


def _pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class GatewayState:
    """The gateway's database for one requester on one deployment."""

    def __init__(self, path: Path, identity: dict[str, str]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = self._open(path, identity)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def _open(self, path: Path, identity: dict[str, str]) -> Engine:
        engine = self._engine(path)
        with Session(engine) as session:
            found = {row.key: row.value for row in session.query(Meta)}
        if found and found != identity:
            engine.dispose()
            aside = path.with_name(f"{path.stem}.{int(time.time())}.old.sqlite")
            path.rename(aside)  # another chain's or escrow's: kept, not mixed in
            engine = self._engine(path)
            found = {}
        if not found:
            with Session(engine) as session, session.begin():
                session.add_all(Meta(key=k, value=v) for k, v in identity.items())
        return engine

    @staticmethod
    def _engine(path: Path) -> Engine:
        engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _pragmas)
        Base.metadata.create_all(engine)
        with engine.connect() as connection:
            version = connection.exec_driver_sql("PRAGMA user_version").scalar()
            if version not in (0, SCHEMA_VERSION):
                raise UserError(
                    f"{path} was written by another version of the MTurk gateway "
                    f"(schema {version}, this one {SCHEMA_VERSION}); move it aside"
                )
            connection.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
        return engine

    def close(self) -> None:
        self.engine.dispose()
