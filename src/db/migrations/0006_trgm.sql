-- The users list's substring search (ILIKE '%…%') is served by trigram indexes (0007). PGlite
-- loads the extension when the database is opened (db/client.ts); on PostgreSQL it ships with the
-- server's contrib package and needs a role allowed to create it (pg_trgm is a trusted extension
-- from PostgreSQL 13: the database owner may).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
