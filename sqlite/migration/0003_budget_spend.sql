-- Running totals per scope and day, kept in the same transaction as the
-- reservations, so that Reserve reads two rows instead of summing a day's
-- reservations.
CREATE TABLE budget_spend (
	scope    TEXT    NOT NULL,
	name     TEXT    NOT NULL,
	day      TEXT    NOT NULL,
	reserved INTEGER NOT NULL DEFAULT 0, -- micro-dollars held by unsettled jobs
	settled  INTEGER NOT NULL DEFAULT 0, -- micro-dollars of settled jobs
	PRIMARY KEY (scope, name, day)
) WITHOUT ROWID;

INSERT INTO budget_spend (scope, name, day, reserved, settled)
	SELECT 'user', user_name, day,
		SUM(CASE WHEN settled = 0 THEN amount ELSE 0 END), SUM(CASE WHEN settled = 1 THEN amount ELSE 0 END)
	FROM reservations GROUP BY user_name, day;
INSERT INTO budget_spend (scope, name, day, reserved, settled)
	SELECT 'project', project, day,
		SUM(CASE WHEN settled = 0 THEN amount ELSE 0 END), SUM(CASE WHEN settled = 1 THEN amount ELSE 0 END)
	FROM reservations GROUP BY project, day;
