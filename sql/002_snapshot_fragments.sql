-- 002_snapshot_fragments: each organization's snapshot JSON, kept with its row.
--
-- GET /v1/app/snapshot lists the caller's organizations on every call, and
-- building each object with json_build_object was most of that statement's
-- cost (issue 6). A trigger renders the fragment whenever a row is written,
-- by any writer (sign-in, the organization sync, COPY), so it cannot drift
-- from the columns it is made of.

ALTER TABLE organizations ADD COLUMN snapshot_json text;

-- Compact like the rest of the document (json_build_object would put spaces
-- around every colon); to_json escapes each string, coalesce writes null.
CREATE FUNCTION organizations_snapshot_json() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog
AS $$
BEGIN
    NEW.snapshot_json := '{"id":' || to_json(NEW.id::text)::text
        || ',"login":' || to_json(NEW.login)::text
        || ',"name":' || coalesce(to_json(NEW.name)::text, 'null')
        || ',"avatarUrl":' || coalesce(to_json(NEW.avatar_url)::text, 'null')
        || ',"kind":' || to_json(NEW.kind)::text || '}';
    RETURN NEW;
END
$$;

CREATE TRIGGER organizations_snapshot_json
    BEFORE INSERT OR UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION organizations_snapshot_json();

UPDATE organizations SET snapshot_json = NULL; -- the trigger fills it in
ALTER TABLE organizations ALTER COLUMN snapshot_json SET NOT NULL;
COMMENT ON COLUMN organizations.snapshot_json IS
    'This row as a FoundryAppSnapshot organization object; written by a trigger.';
