-- The role the service runs as. `sansan migrate --service-role sansan_app` (run as the owner)
-- grants it SELECT and INSERT on the event log and the audit chain, nothing more there, and
-- ownership of what is derived (snapshots, read models). Change the password in production.
CREATE ROLE sansan_app LOGIN PASSWORD 'sansan_app';
