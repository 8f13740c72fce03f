-- Read-only auditor access: pantau_auditor (NOLOGIN group role; grant it to personal logins).
-- Roles are cluster-wide, so it is created only when absent (tolerating a concurrent creator);
-- privileges are per database and granted here. Read: core, history, mart, audit (tables that
-- exist now and, through default privileges, tables created later by the migration owner).
-- Nothing else: no raw (PII and keys live there; audit.lineage exposes what auditors need),
-- no staging, no quarantine, no write anywhere.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pantau_auditor') THEN
    BEGIN
      CREATE ROLE pantau_auditor NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- created concurrently by another database's migration
    END;
  END IF;
END $$;
COMMENT ON ROLE pantau_auditor IS
  'Auditor: hanya baca core, history, mart, audit / Auditor: read-only core, history, mart, audit';

GRANT USAGE ON SCHEMA core, history, mart, audit TO pantau_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA core, history, mart, audit TO pantau_auditor;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA history TO pantau_auditor;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, history, mart, audit GRANT SELECT ON TABLES TO pantau_auditor;
ALTER DEFAULT PRIVILEGES IN SCHEMA history GRANT EXECUTE ON FUNCTIONS TO pantau_auditor;

REVOKE ALL ON SCHEMA raw, staging, quarantine FROM pantau_auditor;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
