"""Cross-row invariants the database itself enforces on PostgreSQL (SQLite, the embedded trial mode,
relies on the services' checks):

* one student's enrollments never overlap; nor do two memberships of one student in one group
  (exclusion constraints over date ranges, btree_gist);
* a study period and a holiday lie inside their academic year; a lesson's date lies inside its group's
  academic year (constraint triggers; neither the year's own dates nor a group's year can change so as
  to leave them outside).
"""

from django.db import migrations

FORWARD = r"""
CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE journal_enrollment ADD CONSTRAINT enrollment_no_overlap
    EXCLUDE USING gist (student_id WITH =, daterange(start, "end", '[]') WITH &&);
ALTER TABLE journal_groupmembership ADD CONSTRAINT membership_no_overlap
    EXCLUDE USING gist (group_id WITH =, student_id WITH =, daterange(start, "end", '[]') WITH &&);

CREATE FUNCTION journal_check_inside_year() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE y_start date; y_end date;
BEGIN
    SELECT start, "end" INTO y_start, y_end FROM journal_academicyear WHERE id = NEW.year_id;
    IF NEW.start < y_start OR NEW."end" > y_end THEN
        RAISE EXCEPTION '% % (% – %) is outside its academic year (% – %)',
            TG_TABLE_NAME, NEW.id, NEW.start, NEW."end", y_start, y_end
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_inside_year';
    END IF;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER studyperiod_inside_year AFTER INSERT OR UPDATE ON journal_studyperiod
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION journal_check_inside_year();
CREATE CONSTRAINT TRIGGER holiday_inside_year AFTER INSERT OR UPDATE ON journal_holiday
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION journal_check_inside_year();

CREATE FUNCTION journal_check_lesson_in_year() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE y_start date; y_end date;
BEGIN
    SELECT y.start, y."end" INTO y_start, y_end
      FROM journal_teachinggroup g JOIN journal_academicyear y ON y.id = g.year_id
     WHERE g.id = NEW.group_id;
    IF NEW.date < y_start OR NEW.date > y_end THEN
        RAISE EXCEPTION 'lesson % on % is outside its academic year (% – %)', NEW.id, NEW.date, y_start, y_end
            USING ERRCODE = 'check_violation', CONSTRAINT = 'lesson_inside_year';
    END IF;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER lesson_inside_year AFTER INSERT OR UPDATE OF date, group_id ON journal_lesson
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION journal_check_lesson_in_year();

CREATE FUNCTION journal_check_group_year_keeps_lessons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_lesson l JOIN journal_academicyear y ON y.id = NEW.year_id
                WHERE l.group_id = NEW.id AND (l.date < y.start OR l.date > y."end")) THEN
        RAISE EXCEPTION 'teaching group % cannot move to year %: its lessons would lie outside it', NEW.id, NEW.year_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'lesson_inside_year';
    END IF;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER teachinggroup_keeps_lessons AFTER UPDATE OF year_id ON journal_teachinggroup
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION journal_check_group_year_keeps_lessons();

CREATE FUNCTION journal_check_year_keeps_contents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_studyperiod p WHERE p.year_id = NEW.id AND (p.start < NEW.start OR p."end" > NEW."end"))
       OR EXISTS (SELECT 1 FROM journal_holiday h WHERE h.year_id = NEW.id AND (h.start < NEW.start OR h."end" > NEW."end"))
       OR EXISTS (SELECT 1 FROM journal_lesson l JOIN journal_teachinggroup g ON g.id = l.group_id
                   WHERE g.year_id = NEW.id AND (l.date < NEW.start OR l.date > NEW."end")) THEN
        RAISE EXCEPTION 'academic year % would leave its periods, holidays or lessons outside it', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'year_keeps_contents';
    END IF;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER academicyear_keeps_contents AFTER UPDATE OF start, "end" ON journal_academicyear
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION journal_check_year_keeps_contents();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS teachinggroup_keeps_lessons ON journal_teachinggroup;
DROP FUNCTION IF EXISTS journal_check_group_year_keeps_lessons();
DROP TRIGGER IF EXISTS academicyear_keeps_contents ON journal_academicyear;
DROP FUNCTION IF EXISTS journal_check_year_keeps_contents();
DROP TRIGGER IF EXISTS lesson_inside_year ON journal_lesson;
DROP FUNCTION IF EXISTS journal_check_lesson_in_year();
DROP TRIGGER IF EXISTS holiday_inside_year ON journal_holiday;
DROP TRIGGER IF EXISTS studyperiod_inside_year ON journal_studyperiod;
DROP FUNCTION IF EXISTS journal_check_inside_year();
ALTER TABLE journal_groupmembership DROP CONSTRAINT IF EXISTS membership_no_overlap;
ALTER TABLE journal_enrollment DROP CONSTRAINT IF EXISTS enrollment_no_overlap;
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
    dependencies = [("journal", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
