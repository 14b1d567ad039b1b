-- 005_eligible_organization_ids_unique: each eligible organization once.
--
-- eligible_organization_ids could hold one id twice when an organization
-- shared the user's own id (GitHub's API examples give both id 1), so the
-- snapshot listed it twice. Org sync now writes each id once; this removes
-- the repeats already stored, keeping the first occurrence and the order.
-- Only rows with a repeat are written.
UPDATE user_profiles p
SET eligible_organization_ids = ARRAY(
        SELECT e.id
        FROM unnest(p.eligible_organization_ids) WITH ORDINALITY AS e(id, n)
        GROUP BY e.id
        ORDER BY min(e.n))
WHERE cardinality(p.eligible_organization_ids) >
      (SELECT count(DISTINCT x) FROM unnest(p.eligible_organization_ids) AS x);
