"""Demo booking schedule for the demo city hall's My Number card pickup (DOMAIN.md)."""

import datetime

from django.utils import timezone

from appointments import services
from appointments.models import ExtraOpening, Schedule, WeeklyRule
from queueing.models import Office, Service

T = datetime.time


def appointments_demo_load(*, office_code: str = "demo",
                           service_code: str = "mynumber") -> Schedule:
    """Weekday pickups 9:00-16:30 on 2 counters, Thursday evenings to 19:30, some Sunday openings.

    Idempotent: rules are replaced, slots regenerated without touching booked ones.
    """
    office = Office.objects.get(code=office_code)
    service = Service.objects.get(office=office, code=service_code)
    schedule, _ = Schedule.objects.get_or_create(office=office, service=service)
    schedule.weekly_rules.all().delete()
    for weekday in range(5):  # 月-金
        WeeklyRule.objects.create(schedule=schedule, weekday=weekday, opens=T(9), closes=T(16, 30),
                                  capacity=2)
    WeeklyRule.objects.create(schedule=schedule, weekday=3, opens=T(17, 30), closes=T(20),
                              capacity=1)  # 木曜 夜間窓口 (cut off at 19:30)
    today = timezone.localdate()
    sundays = [today + datetime.timedelta(days=d) for d in range(1, 46)
               if (today + datetime.timedelta(days=d)).weekday() == 6][::2]
    for day in sundays:  # 休日開庁: every other Sunday morning
        ExtraOpening.objects.get_or_create(schedule=schedule, date=day, opens=T(9),
                                           defaults={"closes": T(12), "capacity": 2,
                                                     "label": "休日開庁"})
    services.slots_generate(schedule=schedule)
    return schedule
