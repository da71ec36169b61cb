"""The demo school of ``manage.py seed_demo``, built phase by phase:

* ``refdata`` — the curriculum, bells, work types, names and КТП topics from ``data/``;
* ``calendar`` — the academic year, its periods, vacations and school days;
* ``structure`` — school, year, subjects, work types, classes, teaching groups;
* ``roster`` — students, enrollments with some movement, memberships, parents, logins, consent;
* ``staffing`` — staff, teachers and their load, class teachers, the demo passwords;
* ``timetable`` — the weekly timetable (scheduler and verifier);
* ``plan`` and ``lessons`` — the КТП and the lessons up to this week, the demo substitution;
* ``attendance_data`` and ``journal_data`` — absences, marks, homework, remarks, period marks, history;
* ``builder`` — runs the phases for every school in one transaction.
"""
