SET client_min_messages = warning;
-- FerretDB 1.24 on PostgreSQL turns a filter on _id into `_jsonb->'_id' @> '"…"'`, which the btree
-- index it makes for _id cannot serve: every lookup, update or findOneAndUpdate by _id reads the
-- whole collection (measured in bench/, see docs/performance.md). A GIN index on (_jsonb->'_id')
-- serves `@>`. FerretDB creates one table per collection when it is first written, so an event
-- trigger adds the index to every new FerretDB table; existing tables get it now. Idempotent.
-- FerretDB does not know of these indexes and needs not: PostgreSQL's planner picks them.

CREATE OR REPLACE FUNCTION switchboard_id_gin(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = '_jsonb' AND NOT attisdropped) THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''_id''))', 'sb_id_gin_' || md5(tbl::text), tbl);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION switchboard_id_gin_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    PERFORM switchboard_id_gin(obj.objid::regclass);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS switchboard_id_gin;
CREATE EVENT TRIGGER switchboard_id_gin ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION switchboard_id_gin_on_create();

DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT c.oid::regclass AS tbl FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = '_jsonb'
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') LOOP
    PERFORM switchboard_id_gin(t.tbl);
  END LOOP;
END $$;
