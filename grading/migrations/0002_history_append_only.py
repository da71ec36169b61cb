"""On PostgreSQL the journal history cannot be changed or erased, not even by a buggy service:
UPDATE, DELETE and TRUNCATE of grading_journalevent raise. (In production the application's database
role should also not own the table; see the README's production notes.)
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION grading_journalevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal history is append-only: % on grading_journalevent refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER journalevent_no_update_delete BEFORE UPDATE OR DELETE ON grading_journalevent
    FOR EACH ROW EXECUTE FUNCTION grading_journalevent_append_only();
CREATE TRIGGER journalevent_no_truncate BEFORE TRUNCATE ON grading_journalevent
    FOR EACH STATEMENT EXECUTE FUNCTION grading_journalevent_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS journalevent_no_truncate ON grading_journalevent;
DROP TRIGGER IF EXISTS journalevent_no_update_delete ON grading_journalevent;
DROP FUNCTION IF EXISTS grading_journalevent_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("grading", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
