"""Regenerates the golden files in this directory from the real Prefect 2.7.12.

    python3 -m venv /tmp/schedvenv
    /tmp/schedvenv/bin/pip install uv
    /tmp/schedvenv/bin/uv pip install --python /tmp/schedvenv/bin/python \
        --exclude-newer 2023-02-15 "prefect==2.7.12"
    cd internal/schedule/testdata && /tmp/schedvenv/bin/python gen.py

golden_parse.json: schedule JSON -> 2.7 wire JSON, or the pydantic error list
(locs relative to the schedule value). golden_dates.json: get_dates() results.
Cases tagged "orrery_differs" record where Orrery deliberately does something
else (see the package doc); the Go tests assert the difference.
"""
import asyncio
import json
from typing import Optional

import pendulum
from pydantic import BaseModel, ValidationError

from prefect.orion.schemas.schedules import SCHEDULE_TYPES


class W(BaseModel):
    schedule: Optional[SCHEDULE_TYPES]


def parse_case(x):
    try:
        w = W.parse_obj({"schedule": x})
    except ValidationError as e:
        errs = [
            {"loc": [str(p) for p in err["loc"][1:]], "msg": err["msg"], "type": err["type"]}
            for err in e.errors()
        ]
        return {"input": x, "errors": errs}
    except Exception as e:  # 2.7 answers 500 (e.g. croniter's broken re-raise)
        return {"input": x, "exception": type(e).__name__}
    s = w.schedule
    out = {"input": x, "output": s.json() if s is not None else None}
    if isinstance(x, dict) and "interval" in x and x.get("anchor_date") is None:
        out["anchor_is_now"] = True
    return out


PARSE_INPUTS = [
    # interval
    {"interval": 3600}, {"interval": 3600.5, "anchor_date": "2023-01-01T00:00:00-05:00"},
    {"interval": 0.25, "anchor_date": "2023-01-01T00:00:00Z"},
    {"interval": 1e-6, "anchor_date": "2023-01-01T00:00:00Z"},
    {"interval": 1.0000005, "anchor_date": "2023-01-01T00:00:00Z"},
    {"interval": 1e-7}, {"interval": 0}, {"interval": -1}, {"interval": -0.5},
    {"interval": "PT1H"}, {"interval": "P1D"}, {"interval": "P1DT2H3M4.5S"}, {"interval": "PT0.5S"},
    {"interval": "P1.5D"}, {"interval": "-PT1H"}, {"interval": "+PT1H"}, {"interval": "P"},
    {"interval": "P1W"}, {"interval": "P1Y"}, {"interval": "PT"},
    {"interval": "01:00:00"}, {"interval": "1:2:3"}, {"interval": "10:30"}, {"interval": "1 day, 01:00:00"},
    {"interval": "2 days, 0:00:00"}, {"interval": "3 01:00:00"}, {"interval": "3600"}, {"interval": "3600.1234567"},
    {"interval": "-5"}, {"interval": " 3600"}, {"interval": "abc"}, {"interval": ""},
    {"interval": True}, {"interval": False}, {"interval": None}, {"interval": [1]}, {"interval": {"a": 1}},
    {"interval": 60, "anchor_date": "2023-01-01"}, {"interval": 60, "anchor_date": "2023-01-01T00:00:00Z"},
    {"interval": 60, "anchor_date": "2023-01-01T00:00:00"}, {"interval": 60, "anchor_date": "2023-01-01T10:20"},
    {"interval": 60, "anchor_date": "2023-01-01 10:20:30"}, {"interval": 60, "anchor_date": "20230101T102030Z"},
    {"interval": 60, "anchor_date": "2023-01-01T00:00:00.5+05:30"},
    {"interval": 60, "anchor_date": "2023-01-01T00:00:00.123456789-03:00"},
    {"interval": 60, "anchor_date": "2023-06-01T12:00:00+0200"},
    {"interval": 60, "anchor_date": "garbage"}, {"interval": 60, "anchor_date": 12},
    {"interval": 60, "anchor_date": "2023-13-01T00:00:00Z"},
    {"interval": 60, "anchor_date": None}, {"interval": 60, "timezone": "fake"}, {"interval": 60, "timezone": ""},
    {"interval": 60, "timezone": None}, {"interval": 60, "timezone": 5}, {"interval": 60, "timezone": "Local"},
    {"interval": 60, "timezone": "america/new_york"},
    {"interval": 86400, "anchor_date": "2023-01-01T09:00:00-05:00", "timezone": "America/New_York"},
    {"interval": 86400, "anchor_date": "2023-01-01T09:00:00", "timezone": "Europe/London"},
    {"interval": 60, "extra": 1}, {"interval": 0, "timezone": "fake", "anchor_date": "x"},
    # cron
    {"cron": "0 0 * * *"}, {"cron": "0 0 * * *", "timezone": "America/New_York", "day_or": False},
    {"cron": "bad"}, {"cron": "5 4 R * *"}, {"cron": "0 0 * * *", "day_or": "yes"},
    {"cron": "0 0 * * *", "day_or": "off"}, {"cron": "0 0 * * *", "day_or": 0},
    {"cron": "0 0 * * *", "day_or": 2}, {"cron": "0 0 * * *", "day_or": "maybe"},
    {"cron": "0 0 * * *", "day_or": None}, {"cron": "0 0 * * *", "timezone": "US/Eastern"},
    {"cron": "0 0 * * *", "timezone": "fake"}, {"cron": "0 0 * * *", "timezone": ""},
    {"cron": 5}, {"cron": None}, {"cron": ["0 0 * * *"]}, {"cron": "0 0 * * *", "interval": 5},
    # rrule
    {"rrule": "FREQ=DAILY"}, {"rrule": "bad rrule string"}, {"rrule": "FREQ=DAILYBAD"},
    {"rrule": "DTSTART:20200101T000000\nRRULE:FREQ=DAILY;COUNT=3;UNTIL=20200105T000000"},
    {"rrule": "INTERVAL=2"}, {"rrule": "FREQ=DAILY", "timezone": "fake"}, {"rrule": "FREQ=DAILY", "timezone": None},
    {"rrule": "FREQ=DAILY", "timezone": "Europe/Kyiv"}, {"rrule": "FREQ=DAILY", "timezone": ""},
    {"rrule": "FREQ=DAILY;BYMONTH=13"}, {"rrule": 5}, {"rrule": ""},
    {"rrule": "RDATE:" + ",".join("2000%02d%02dT000000Z" % (1 + i // 28, 1 + i % 28) for i in range(300))},
    {"rrule": "RDATE:" + ",".join("20%02d%02d%02dT000000Z" % (i // 336, 1 + (i // 28) % 12, 1 + i % 28) for i in range(400))},
    # unions / shapes
    {}, None, 5, "x", [], {"interval": 60, "cron": "0 0 * * *"}, {"foo": 1},
]

CRONS = [
    "0 0 * * *", "* * * * *", "*/5 * * * *", "0 */2 * * *", "5,10,15 1-3 * * *", "0 0 1,15 * *",
    "0 0 * * 1-5", "0 0 * * mon-fri", "0 0 * * MON", "30 8 * * sat-sun", "* * * * mon,wed,fri",
    "0 0 1 jan *", "0 0 1 JAN-MAR *", "0 0 * * 7", "0 0 * * 5-7", "0 0 * * 0-6", "0 0 * * 1/3",
    "0 0 * * fri-sun", "0 0 * * 6-0", "0 0 * * mon/2", "0 0 * * */2",
    "10/15 * * * *", "0 0 15-L * *", "0 0 L * *", "0 0 l 2 *", "0 0 1,L * *", "0 0 * * 5#2",
    "0 0 * * fri#3", "0 0 * * L5", "0 0 * * 5#2,1#1", "0 0 * * 5#2,3", "0 0 * * 5#6", "0 0 * * 5#0",
    "0 0 1 * 5#2", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    "@HOURLY", "@every 5m", "@reboot", "* * * * * *", "0 0 * * * 30", "0 0 * * * */15", "0 0 0 * * 0",
    "0 0 * * 7 0", "0 0 * * * 60", "* * * *", "* * * * * * *", "", "   ", "60 * * * *", "* 24 * * *",
    "* * 0 * *", "* * 32 * *", "* * * 0 *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-3 * * * *",
    "-5 * * * *", "+5 * * * *", "? * * * *", "* * ? * *", "1,,2 * * * *", "1-5/2 * * * *", "*/60 * * * *",
    "0 0 * * sun", "0 0 * * SUN-SAT", "0 0 1-31 * 1", "0 0 * jan-dec *", "a * * * *", "0 0 * * mon-",
    "H * * * *", "h * * * *", "R * * * *", "r * * * *", "R(0-5) * * * *", "r/5 * * * *", "H/5 * * * *",
    "H(0-5) * * * *", "5 4 R * *", "0 0 1-L * *", "0 0 L-5 * *", "0 0 * * l", "0 0 * * 1L",
    "0\t0 * *  *", " 0 0 * * * ", "0 0 * * 5#2#3", "0 0 13 * 5", "0 0 1-7 * 1", "1-59/10 * * * *",
    "0 0 * * 8-9", "0 0 31 2 *", "0 0 30 2 *", "00 00 01 01 *", "0 0 * * 0#1", "0 0 * * 7#1",
]

RRULES = [
    "FREQ=DAILY", "RRULE:FREQ=DAILY", "rrule:freq=daily", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=DAILYBAD",
    "FREQ=DAILY;FOO=1", "FREQ=DAILY;COUNT=x", "FREQ=DAILY;COUNT=3;UNTIL=20200105T000000",
    "FREQ=DAILY;UNTIL=notadate", "FREQ=DAILY;UNTIL=20200105", "FREQ=DAILY;BYDAY=XX", "FREQ=DAILY;BYDAY=",
    "FREQ=DAILY;BYDAY=+1MO", "FREQ=MONTHLY;BYDAY=MO(+1)", "FREQ=DAILY;WKST=SU", "FREQ=DAILY;WKST=XX",
    "FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;INTERVAL=-1", "FREQ=DAILY;BYSETPOS=0", "FREQ=DAILY;BYSETPOS=400",
    "FREQ=DAILY;BYHOUR=25", "FREQ=DAILY;BYMONTHDAY=0", "FREQ=YEARLY;BYEASTER=0", "FREQ=DAILY;;COUNT=2",
    "FREQ=DAILY;COUNT", "X:FREQ=DAILY", "DTSTART:20200101T000000\nRRULE:FREQ=DAILY",
    "DTSTART:20200101T000000Z\nRRULE:FREQ=DAILY", "DTSTART;TZID=America/New_York:20200101T000000\nRRULE:FREQ=DAILY",
    "DTSTART:20200101T000000\nRRULE:FREQ=DAILY;UNTIL=20200105T000000Z",
    "DTSTART:20200101T000000Z\nRRULE:FREQ=DAILY;UNTIL=20200105T000000",
    "DTSTART:notadate\nRRULE:FREQ=DAILY", "DTSTART:20200101T000000\nDTSTART:20200102T000000\nRRULE:FREQ=DAILY",
    "DTSTART:20200101T000000,20200102T000000\nRRULE:FREQ=DAILY", "DTSTART:20200101T000000\nFOO:BAR",
    "DTSTART:20200101T000000\nRRULE;X=Y:FREQ=DAILY", "DTSTART:20200101T000000\nRDATE;VALUE=DATE-TIME:20200105T000000",
    "DTSTART:20200101T000000\nRDATE;VALUE=DATE:20200105", "DTSTART;VALUE=DATE:20200101\nRRULE:FREQ=DAILY",
    "DTSTART;FOO=BAR:20200101T000000\nRRULE:FREQ=DAILY", "EXDATE:20221012T134000Z", "RDATE:20221012T134000Z,20221013T120000Z",
    "EXRULE:FREQ=DAILY", "DTSTART:20200101T000000\nEXRULE;X=1:FREQ=DAILY", "RDATE:garbage",
    "DTSTART:19970902T090000\nRRULE:FREQ=YEARLY;COUNT=2;BYDAY=TU\nRRULE:FREQ=YEARLY;COUNT=1;BYDAY=TH\n",
    "  FREQ=DAILY  ", "\n", "FREQ=DAILY\n\nFREQ=WEEKLY", "FREQ", "=DAILY", "FREQ=DAILY;COUNT=1.5",
    "FREQ=DAILY;BYMONTH=1,,2", "DTSTART:2020-01-01T00:00:00\nRRULE:FREQ=DAILY", "DTSTART:20200101\nRRULE:FREQ=DAILY",
]

for c in CRONS:
    PARSE_INPUTS.append({"cron": c})
for r in RRULES:
    PARSE_INPUTS.append({"rrule": r})
PARSE_INPUTS.append({"rrule": "FREQ=DAILY;BYHOUR=" + ",".join(["1"] * 3300)})


def iso(d):
    return d.isoformat()


async def dates_cases():
    from datetime import timedelta
    from prefect.orion.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

    cases = []

    async def add(name, sched, start, n=None, end=None, differs=None):
        s = W.parse_obj({"schedule": sched}).schedule
        st = pendulum.parse(start)
        en = pendulum.parse(end) if end else None
        try:
            ds = await s.get_dates(n=n, start=st, end=en)
            res = [str(d) for d in ds]
        except Exception as e:  # croniter gives up after 50 years
            res = None
        c = {"name": name, "schedule": sched, "start": start, "n": n, "end": end, "dates": res}
        if differs:
            c["orrery_differs"] = differs
        cases.append(c)

    dst_days = [("America/New_York", "2023-03-12", "spring"), ("America/New_York", "2023-11-05", "fall"),
                ("Europe/London", "2023-03-26", "spring"), ("Europe/London", "2023-10-29", "fall")]
    for tz, day, kind in dst_days:
        d = pendulum.parse(day, tz=tz)
        for cron in ["0 1 * * *", "30 2 * * *", "0 * * * *", "30 1 * * *", "*/30 * * * *", "15 1,2 * * *", "0 0-4 * * *"]:
            daily = cron.split()[1].isdigit()
            for h in (0, 12, 20):
                start = d.subtract(days=1).add(hours=h)
                await add(f"dst cron {tz} {kind} {cron!r} from -1d+{h}h", {"cron": cron, "timezone": tz},
                          iso(start), n=4 if daily else 10)
            await add(f"dst cron {tz} {kind} {cron!r} day window", {"cron": cron, "timezone": tz},
                      iso(d), end=iso(d.add(days=1)))
        # interval schedules, anchored a few days before in the same UTC offset
        for iv, label in [(3600, "1h"), (86400, "1d"), (1800, "30m"), (90000, "25h"), (7 * 86400, "1w")]:
            for ah in ("09:00", "00:30", "01:00", "01:30"):
                anchor = pendulum.parse(f"{d.subtract(days=3).to_date_string()}T{ah}:00", tz=tz)
                sched = {"interval": iv, "anchor_date": iso(anchor), "timezone": tz}
                differs = None
                if tz == "Europe/London" and kind == "spring" and iv == 86400 and ah in ("01:00", "01:30"):
                    differs = "2.7 drifts by the gap for good after the gap day"
                await add(f"dst interval {tz} {kind} {label} anchor {ah}", sched,
                          iso(d.subtract(days=1).add(hours=20)), n=6 if iv >= 86400 else 10, differs=differs)
        # no explicit timezone: the anchor's offset means UTC
        anchor = pendulum.parse(f"{d.subtract(days=3).to_date_string()}T09:00:00", tz=tz)
        await add(f"dst interval {tz} {kind} 1d offset-only anchor", {"interval": 86400, "anchor_date": iso(anchor)},
                  iso(d.subtract(days=1)), n=4)

    # --- deliberate differences (see package doc) ---
    await add("differs: daily interval, winter anchor, summer start",
              {"interval": 86400, "anchor_date": "2023-01-01T09:00:00-05:00", "timezone": "America/New_York"},
              "2023-07-01T00:00:00+00:00", n=3, differs="2.7 jumps k*86400s from the anchor, landing on 10:00 EDT")
    await add("differs: daily interval anchored in the spring gap",
              {"interval": 86400, "anchor_date": "2023-03-10T02:30:00-05:00", "timezone": "America/New_York"},
              "2023-03-10T00:00:00+00:00", n=5, differs="2.7 drifts to 03:30 for good after the gap day")
    await add("differs: daily interval London 01:00 across spring gap",
              {"interval": 86400, "anchor_date": "2023-03-23T01:00:00+00:00", "timezone": "Europe/London"},
              "2023-03-25T00:00:00+00:00", n=4, differs="2.7 drifts to 02:00 for good after the gap day")
    await add("differs: cron */15 start at first 01:00 EDT",
              {"cron": "*/15 * * * *", "timezone": "America/New_York"}, "2023-11-05T05:00:00+00:00", n=6,
              differs="2.7 localizes the start with is_dst=False and croniter skips 01:00-01:45 EST")
    await add("differs: cron daily 30 1 start just after spring gap",
              {"cron": "30 1 * * *", "timezone": "America/New_York"}, "2023-03-12T07:00:00+00:00", n=4,
              differs="croniter emits a bogus 00:30 on 2023-03-14")
    await add("differs: cron daily 0 2 start just before spring gap",
              {"cron": "0 2 * * *", "timezone": "America/New_York"}, "2023-03-12T06:30:00+00:00", n=4,
              differs="croniter emits a bogus 01:00 on 2023-03-13")

    # --- generic interval ---
    for sd in ("2018-01-01", "2021-02-02", "2025-03-03"):
        await add(f"interval daily from {sd}", {"interval": 86400, "anchor_date": "2021-01-01T00:00:00+00:00"},
                  sd + "T00:00:00+00:00", n=5)
        await add(f"interval daily until {sd}", {"interval": 86400, "anchor_date": "2021-01-01T00:00:00+00:00"},
                  "2018-01-01T00:00:00+00:00", end=sd + "T00:00:00+00:00")
    await add("interval default n=1", {"interval": 86400, "anchor_date": "2021-01-01T00:00:00+00:00"},
              "2018-01-01T06:00:00+00:00")
    await add("interval future anchor 17h", {"interval": 17 * 3600, "anchor_date": "2030-02-02T05:24:00+00:00"},
              "2021-07-01T00:00:00+00:00", n=5)
    await add("interval anchor 23:35", {"interval": 86400, "anchor_date": "2020-02-02T23:35:00+00:00"},
              "2021-07-01T00:00:00+00:00", n=5)
    await add("interval 75s pacific", {"interval": 75, "anchor_date": "2020-02-17T21:15:45.964696-08:00",
                                       "timezone": "US/Pacific"}, "2020-07-01T22:39:04.233938+00:00", n=4)
    await add("interval 7.5s micro", {"interval": 7.5, "anchor_date": "2023-01-01T00:00:00.25+00:00"},
              "2023-01-01T00:01:00+00:00", n=4)
    await add("interval start==anchor", {"interval": 600, "anchor_date": "2023-01-01T00:00:00+00:00"},
              "2023-01-01T00:00:00+00:00", n=3)
    await add("interval end cap", {"interval": 60, "anchor_date": "2023-01-01T00:00:00+00:00"},
              "2023-01-01T00:00:00+00:00", end="2023-02-01T00:00:00+00:00")
    await add("interval n cap", {"interval": 60, "anchor_date": "2023-01-01T00:00:00+00:00"},
              "2023-01-01T00:00:00+00:00", n=1500)
    await add("interval tokyo weekly", {"interval": 604800, "anchor_date": "2023-01-02T09:00:00+09:00",
                                         "timezone": "Asia/Tokyo"}, "2023-02-01T00:00:00+00:00", n=3)
    await add("interval empty window", {"interval": 86400, "anchor_date": "2023-01-01T09:00:00+00:00"},
              "2023-01-01T10:00:00+00:00", end="2023-01-02T08:00:00+00:00")

    # --- generic cron ---
    for c in CRONS:
        sched = {"cron": c}
        try:
            W.parse_obj({"schedule": sched})
        except Exception:
            continue
        await add(f"cron {c!r}", sched, "2023-01-01T00:00:00+00:00", n=12)
        await add(f"cron {c!r} and", {"cron": c, "day_or": False}, "2023-01-01T00:00:00+00:00", n=12)
    await add("cron hourly tz", {"cron": "0 * * * *", "timezone": "America/New_York"}, "2021-01-01T00:00:00+00:00", n=5)
    await add("cron start microseconds", {"cron": "* * * * *"}, "2023-01-01T00:00:00.5+00:00", n=2)
    await add("cron start exact", {"cron": "* * * * *"}, "2023-01-01T00:00:00+00:00", n=2)
    await add("cron start mid-minute", {"cron": "* * * * *"}, "2023-01-01T00:00:30+00:00", n=2)
    await add("cron seconds field start", {"cron": "* * * * * */20"}, "2023-01-01T00:00:20+00:00", n=4)
    await add("cron until end", {"cron": "0 0 * * *"}, "2018-01-01T00:00:00+00:00", end="2022-03-03T00:00:00+00:00")
    await add("cron default n", {"cron": "0 0 * * *"}, "2018-01-01T06:00:00+00:00")
    await add("cron start other tz", {"cron": "0 9 * * *", "timezone": "Asia/Kolkata"}, "2023-01-01T00:00:00-08:00", n=3)

    # --- rrule ---
    rr = [
        ("DTSTART:20200101T000000\nRRULE:FREQ=YEARLY;INTERVAL=3;BYMONTH=10;BYMONTHDAY=2,3,4,5,6,7,8;BYDAY=TU", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=MINUTELY", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=DAILY;COUNT=8;BYDAY=MO,TU,WE,TH,FR", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=WEEKLY;INTERVAL=3;UNTIL=20210923T000000;BYDAY=SU", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=WEEKLY;BYHOUR=9;BYMINUTE=13;BYSECOND=54", None),
        ("DTSTART:20200101T000000\nRRULE:FREQ=YEARLY;BYWEEKNO=7,16;BYDAY=WE", None),
        ("DTSTART:19970902T090000\nRRULE:FREQ=YEARLY;COUNT=2;BYDAY=TU\nRRULE:FREQ=YEARLY;COUNT=1;BYDAY=TH\n", None),
        ("DTSTART:20230310T023000\nRRULE:FREQ=DAILY", "America/New_York"),
        ("DTSTART:20231103T013000\nRRULE:FREQ=DAILY", "America/New_York"),
        ("DTSTART:20230312T000000\nRRULE:FREQ=HOURLY", "America/New_York"),
        ("DTSTART:20231105T000000\nRRULE:FREQ=HOURLY", "America/New_York"),
        ("DTSTART:20231105T000000\nRRULE:FREQ=MINUTELY;INTERVAL=30", "America/New_York"),
        ("DTSTART:20230325T010000\nRRULE:FREQ=DAILY", "Europe/London"),
        ("DTSTART:20231028T013000\nRRULE:FREQ=DAILY", "Europe/London"),
        ("DTSTART:20230101T000000Z\nRRULE:FREQ=DAILY;UNTIL=20230105T000000Z", "Europe/London"),
        ("DTSTART;TZID=Europe/Paris:20230101T090000\nRRULE:FREQ=DAILY;COUNT=3", "America/New_York"),
        ("DTSTART:20230101T000000\nRRULE:FREQ=DAILY;COUNT=3\nRDATE:20230115T120000Z\nEXDATE:20230102T000000", "UTC"),
        ("DTSTART:20230101T000000\nRRULE:FREQ=DAILY;COUNT=3\nRDATE:20230115T120000Z\nEXDATE:20230102T000000", "Asia/Tokyo"),
        ("DTSTART:20230101T000000\nRRULE:FREQ=DAILY;INTERVAL=2;COUNT=5\nEXRULE:FREQ=DAILY;INTERVAL=4", "UTC"),
        ("DTSTART:20230101T090000\nRRULE:FREQ=DAILY;COUNT=3;UNTIL=20230102T090000", "UTC"),
        ("DTSTART:20230101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20230201T000000", "America/Chicago"),
        ("DTSTART:20230101T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1", "UTC"),
        ("DTSTART:20230101T090000\nRRULE:FREQ=MONTHLY;BYDAY=+2FR", "UTC"),
        ("DTSTART:20230101T090000\nRRULE:FREQ=DAILY;WKST=SU;BYHOUR=9,17", "Australia/Sydney"),
        ("DTSTART:20230101T000000\nRDATE:20230105T000000,20230103T000000\nRDATE:20230104T000000", "UTC"),
        ("DTSTART:20230101T000000\nRRULE:FREQ=HOURLY;BYHOUR=25", "UTC"),
    ]
    for i, (r, tz) in enumerate(rr):
        sched = {"rrule": r} if tz is None else {"rrule": r, "timezone": tz}
        for start in ("2020-01-01T00:00:00+00:00", "2023-01-01T12:00:00+00:00", "2023-11-05T05:10:00+00:00",
                      "1900-01-01T00:00:00+00:00"):
            if start.startswith("1900") and "MINUTELY" in r:
                continue
            await add(f"rrule #{i} from {start}", sched, start, n=6)
    await add("rrule end", {"rrule": "DTSTART:20230101T000000\nRRULE:FREQ=DAILY"}, "2023-01-01T00:00:00+00:00",
              end="2023-01-04T23:00:00+00:00")
    await add("rrule n=100 count=8", {"rrule": rr[3][0]}, "2020-01-01T00:00:00+00:00", n=100)
    return cases


def main():
    parse = [parse_case(x) for x in PARSE_INPUTS]
    with open("golden_parse.json", "w") as f:
        json.dump(parse, f, indent=1)
    dates = asyncio.run(dates_cases())
    with open("golden_dates.json", "w") as f:
        json.dump(dates, f, indent=1)
    print(len(parse), "parse cases,", len(dates), "date cases")


if __name__ == "__main__":
    main()
