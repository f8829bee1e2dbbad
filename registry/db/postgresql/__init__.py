"""Django's PostgreSQL backend with a health check that costs no round trip
(``registry.db.postgresql.base``)."""
