"""The event store's tables, in the schema `keten` of each service's own database.

- `events`: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). Primary key
  `(stream_id, version)` gives optimistic concurrency. Each row records the id of the
  transaction that wrote it; readers follow the global order `(transaction_id, position)`
  and only read below the oldest transaction still running, so a transaction that commits
  late can never be skipped (a gap-free order without a table lock).
- A BEFORE INSERT trigger refuses an event whose stream predecessor was written by a later
  transaction (SQLSTATE 40001, retried by the caller): so per stream, version order is also
  global order. It also chains each event to its predecessor by a SHA-256 over its content,
  so an edited or deleted row is detected by `keten audit verify`.
"""

from typing import Final

SCHEMA_SQL: Final = r"""
CREATE SCHEMA IF NOT EXISTS keten;

CREATE TABLE IF NOT EXISTS keten.events (
    position        bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    stream_id       text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    subject         text NOT NULL,
    topic           text,
    data            jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    correlation_id  text,
    causation_id    text,
    source          text NOT NULL,
    hash            bytea NOT NULL,
    PRIMARY KEY (stream_id, version),
    UNIQUE (event_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_global_order
    ON keten.events (transaction_id, position);
CREATE INDEX IF NOT EXISTS events_occurred_at ON keten.events (occurred_at);

CREATE OR REPLACE FUNCTION keten.event_hash(previous bytea, e keten.events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(coalesce(previous, '\x'::bytea) || convert_to(concat_ws(E'\x1f',
        e.stream_id, e.version::text, e.event_id, e.event_type, e.schema_version::text,
        e.subject, coalesce(e.topic, ''), e.data::text,
        extract(epoch FROM e.occurred_at)::text, coalesce(e.correlation_id, ''),
        coalesce(e.causation_id, ''), e.source), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION keten.events_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous keten.events%ROWTYPE;
BEGIN
    IF NEW.version > 1 THEN
        SELECT * INTO previous FROM keten.events
         WHERE stream_id = NEW.stream_id AND version = NEW.version - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream % has no version %', NEW.stream_id, NEW.version - 1
                USING ERRCODE = '23505';
        END IF;
        IF previous.transaction_id > NEW.transaction_id THEN
            RAISE EXCEPTION 'stream % was extended by a later transaction', NEW.stream_id
                USING ERRCODE = '40001';
        END IF;
    END IF;
    NEW.hash := keten.event_hash(previous.hash, NEW);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION keten.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'keten.events is append-only: % refused', TG_OP
        USING ERRCODE = '42501';
END $$;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'events_chain') THEN
        CREATE TRIGGER events_chain BEFORE INSERT ON keten.events
            FOR EACH ROW EXECUTE FUNCTION keten.events_before_insert();
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON keten.events
            FOR EACH ROW EXECUTE FUNCTION keten.refuse_change();
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON keten.events
            FOR EACH STATEMENT EXECUTE FUNCTION keten.refuse_change();
    END IF;
END $$;
"""
