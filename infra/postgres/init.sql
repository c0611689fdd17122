-- One database, one schema per service: no service reads another's tables.
-- (Each service also creates its schema at start if it is missing.)
CREATE SCHEMA IF NOT EXISTS registry;
CREATE SCHEMA IF NOT EXISTS evaluation;
CREATE SCHEMA IF NOT EXISTS funding;
CREATE SCHEMA IF NOT EXISTS notifications;
