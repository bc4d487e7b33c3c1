// Package schedule implements the three Prefect 2.7 ("Orion") deployment
// schedule types — IntervalSchedule, CronSchedule and RRuleSchedule — with
// the 2.7 wire format, the 2.7 validation messages and the 2.7 date
// generation semantics (start inclusive, at most n dates, at most ~1000
// candidates, dates in the schedule's timezone).
//
// Parse decodes a schedule the way pydantic decodes 2.7's untagged union
// (Interval, then Cron, then RRule; unknown keys rejected) and returns a
// *ValidationError whose entries carry pydantic's loc/msg/type. The concrete
// types marshal to exactly the JSON 2.7 answers with (interval as float
// seconds, anchor_date as ISO-8601 with offset, timezone filled in as 2.7
// does). ScheduledKey builds the scheduler's idempotency key.
//
// Golden data produced by running the real Prefect 2.7.12 code lives in
// testdata/ (testdata/gen.py regenerates it).
//
// # DST semantics
//
//   - Interval schedules shorter than a day are absolute: anchor + k*interval.
//     Intervals of one day or more add k*days calendar days (plus k times the
//     sub-day remainder on the wall clock) to the anchor's local wall time, so
//     a daily 09:00 schedule stays at 09:00 local across DST. A wall time that
//     does not exist is moved forward by the gap (02:30 -> 03:30); one that
//     occurs twice resolves to the later occurrence (pendulum's
//     POST_TRANSITION rule, as in 2.7).
//   - Cron schedules are evaluated on the wall clock of the schedule's
//     timezone (UTC when none). As croniter does in 2.7, a wall time inside a
//     spring-forward gap fires shifted forward by the gap (NY "30 2 * * *"
//     fires at 03:30 EDT on 2023-03-12, London "0 1 * * *" at 02:00 BST), and
//     an ambiguous wall time fires once, at its later (standard time)
//     occurrence (NY "0 1 * * *" fires at 01:00 EST on 2023-11-05; hourly
//     crons skip 01:00 EDT).
//   - RRule schedules are expanded on the wall clock (DTSTART, UNTIL, RDATE
//     and EXDATE keep their wall time and take the schedule's timezone, as
//     2.7's to_rrule does) and resolved like dateutil: a time in a gap moves
//     back by the gap (02:30 -> 01:30 EST), an ambiguous time takes its first
//     (daylight) occurrence.
//   - As in 2.7, duplicates are detected by wall-clock reading in the
//     schedule's timezone (Python compares datetimes sharing a tzinfo that
//     way), so an hourly interval schedule fires at 01:00 EDT but not at
//     01:00 EST on a fall-back day.
//
// # Deliberate differences from 2.7
//
//   - Daily-or-longer interval schedules: 2.7 jumps from the anchor by an
//     absolute k*interval and then steps by calendar days, so a 09:00 EST
//     anchor yields 10:00 EDT when the scheduler starts in summer, and a time
//     shifted by a DST gap stays shifted for good. Either makes the dates
//     (and idempotency keys) depend on when the scheduler runs. Orrery
//     computes every date from the anchor's wall time, as 2.7 documents.
//   - Cron: croniter 1.3.8 has start-dependent DST bugs (a start inside the
//     repeated hour skips that hour's runs, bogus runs such as 00:30 the day
//     after a spring-forward). Orrery applies the rules above uniformly. A
//     day-of-month combined with "#"/"L" weekday terms (croniter finds no
//     date, 2.7 raises) follows day_or: OR, or AND. Random "R(a-b)"/"R/n"
//     fields, which 2.7 accepts and re-randomises on every evaluation, are
//     rejected with the "Random and Hashed expressions are unsupported"
//     message; inputs on which croniter crashes (e.g. "0 0 L-5 * *", a 500 in
//     2.7) are reported as invalid cron strings. When no match exists within
//     50 years (e.g. "0 0 30 2 *") 2.7 raises; Orrery returns no dates.
//   - Timezones: any IANA name in Go's tzdata is accepted (a superset of
//     2.7's lists, e.g. "Europe/Kyiv" for interval/cron schedules). An empty
//     timezone string is kept on the wire, as in 2.7, and means UTC.
//   - RRule: an RRULE without DTSTART starts at "now" on the schedule
//     timezone's wall clock (2.7: the server's local wall clock, normally
//     UTC). Dates inside DTSTART/UNTIL/RDATE/EXDATE are accepted in the
//     RFC 5545 and ISO-8601 forms, not everything dateutil's fuzzy parser
//     takes. At most 5,000,000 occurrences before the start are skipped.
//   - Intervals above ~292 years are rejected (2.7 answers 500 from ~2.7
//     million years); precision is one microsecond, as in 2.7.
package schedule
