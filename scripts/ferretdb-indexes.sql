SET client_min_messages = warning;
-- Indexes PostgreSQL needs to serve the filters FerretDB 1.24 passes down, which the indexes
-- FerretDB makes itself cannot serve. FerretDB does not know of them and needs not: PostgreSQL's
-- planner picks them. FerretDB creates one table per collection when it is first written, so an
-- event trigger adds them to every new FerretDB table; existing tables get them now. Idempotent.
-- A message is two documents (engine/store/message-state.ts): its content in `messages` (_id,
-- searchKeys, dedupeKey, receivedMinute) and its state in `message_states` (_id, unsettled,
-- orderKeys, receivedMinute, replayIds). Every table gets every index below; where a table lacks
-- the field, its index holds nothing and costs nothing.
--
-- 1. _id: FerretDB turns a filter on _id into `_jsonb->'_id' @> '"…"'`, which its btree index on
--    _id cannot serve: every lookup, update or findOneAndUpdate by _id would read the whole
--    collection (measured in bench/, see docs/performance.md). A GIN index on (_jsonb->'_id')
--    serves `@>`. Without GIN's fast update: by default new entries go to a pending list that every
--    lookup reads in full until (auto)vacuum merges it, so lookups by _id slowed down as a fresh
--    collection filled (deliveries fell from 150 to 37 a second for 30 s in the end-to-end bench,
--    PostgreSQL busy in that one-field SELECT) and recovered at the next autovacuum. One key per
--    document gains nothing from deferring.
-- 2. unsettled: the relay's filter `{ unsettled: true, … }` (engine/store/relay.store.ts) is passed
--    down as `_jsonb->'unsettled' @> 'true'`. A partial index with exactly that predicate holds only
--    the messages in flight, so the relay reads those instead of the whole collection. No other
--    query names the field, so the planner uses this index for nothing else; in collections
--    without the field it stays empty.
-- 3. orderKeys: an ordered destination's head check `{ orderKeys: '<destination>|<key>', … }`
--    (engine/store/order-keys.ts) is passed down as `_jsonb->'orderKeys' @> '"…"'`, which a GIN
--    index serves (a string is contained in an array that has it as an element). Without it, every
--    delivery of an ordered destination would scan the table. Fast update off, as for _id. Messages
--    without the field have a NULL there, which GIN keeps out of its keys.
-- 4. receivedMinute: counts over the last minutes (the dashboard polls them every 5 s) read one
--    minute at a time, `_jsonb->'receivedMinute' @> '"2026-12-02T04:36"'` (engine/store/
--    received-minute.ts). GIN, fast update off, as for _id.
--    receivedDay: pruning reads the states of one day at a time, `_jsonb->'receivedDay' @> '"2026-12-02"'`
--    (engine/ops/retention). GIN, fast update off.
-- 5. searchKeys: the console's search by MRN, control id or a channel's search field
--    `{ searchKeys: 'mrn|…|<day>' }`, one day of the window at a time (engine/store/search-keys.ts,
--    dated-search.ts), is passed down as `_jsonb->'searchKeys' @> '"…"'`. GIN, fast update off.
-- 6. dedupeKey: the lookup of the stored message when an insert reports a duplicate is passed down
--    as `_jsonb->'dedupeKey' @> '"…"'`, which FerretDB's own unique index (a btree) cannot serve:
--    every retransmission read the whole collection. GIN, fast update off.
-- 7. replayIds: a replay's read-back of what it replayed `{ replayIds: '…' }` (engine/store/
--    replay-ids.ts) is passed down as `_jsonb->'replayIds' @> '"…"'`. GIN, fast update off; only
--    replayed messages have keys in it.

-- 8. Custom plans always. FerretDB sends every such filter as one prepared statement whose field
--    name is a parameter (`WHERE _jsonb->$1 @> $2`), so lookups by _id and the relay's read share
--    it. After five runs PostgreSQL may switch a statement to a generic plan, which cannot know the
--    field and so can use neither index: a sequential scan for every lookup by _id from then on
--    (seen in bench/: 400 ms per lookup). The server serves FerretDB only. Cluster-wide, applied at once.
ALTER SYSTEM SET plan_cache_mode = force_custom_plan;
SELECT pg_reload_conf();

DROP EVENT TRIGGER IF EXISTS switchboard_id_gin;
DROP FUNCTION IF EXISTS switchboard_id_gin_on_create();
DROP FUNCTION IF EXISTS switchboard_id_gin(regclass);

CREATE OR REPLACE FUNCTION switchboard_indexes(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  gin_name text := 'sb_id_gin_' || md5(tbl::text);
  gin oid;
  gin_options text[];
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = '_jsonb' AND NOT attisdropped) THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''_id'')) WITH (fastupdate = off)', gin_name, tbl);
    -- An index made by an earlier version of this file: turn fast update off, and merge what it holds pending.
    SELECT c.oid, c.reloptions INTO gin, gin_options FROM pg_class c WHERE c.relname = gin_name AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = tbl);
    IF gin IS NOT NULL AND NOT coalesce('fastupdate=off' = ANY (gin_options), false) THEN
      EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', gin::regclass);
      PERFORM gin_clean_pending_list(gin::regclass);
    END IF;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s ((_jsonb->''_id'')) WHERE (_jsonb->''unsettled'') @> ''true''::jsonb', 'sb_unsettled_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''orderKeys'')) WITH (fastupdate = off)', 'sb_order_keys_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''receivedMinute'')) WITH (fastupdate = off)', 'sb_received_minute_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''receivedDay'')) WITH (fastupdate = off)', 'sb_received_day_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''searchKeys'')) WITH (fastupdate = off)', 'sb_search_keys_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''dedupeKey'')) WITH (fastupdate = off)', 'sb_dedupe_key_' || md5(tbl::text), tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''replayIds'')) WITH (fastupdate = off)', 'sb_replay_ids_' || md5(tbl::text), tbl);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION switchboard_indexes_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    PERFORM switchboard_indexes(obj.objid::regclass);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS switchboard_indexes;
CREATE EVENT TRIGGER switchboard_indexes ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION switchboard_indexes_on_create();

DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT c.oid::regclass AS tbl FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = '_jsonb'
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') LOOP
    PERFORM switchboard_indexes(t.tbl);
  END LOOP;
END $$;
