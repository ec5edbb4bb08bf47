"""Schedules, slots and bookings for My Number card pickup, with their invariants as constraints.

Invariant 4 (a slot never holds more people than its capacity) is the check
constraint ``slot_never_overbooked``; services take seats with one
conditional UPDATE so the constraint is the backstop, never the gate.
"""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from queueing.models import Device, Office, Service, Ticket
from queueing.privacy import FreeTextField

# A 12-digit run anywhere in a stored field: the shape of an Individual Number
# (個人番号). The services refuse it with an explanation; this is the backstop.
TWELVE_DIGITS = r"[0-9]{12}"


def new_token() -> str:
    """An unguessable token for a booking's private manage link."""
    return secrets.token_urlsafe(24)


class Schedule(models.Model):
    """Booking rules of one service at one office (マイナンバーカード交付予約の設定)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="schedules",
                               verbose_name="庁舎")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules",
                                verbose_name="手続き")
    slot_minutes = models.PositiveIntegerField(default=30,
        verbose_name="1枠の長さ (分)")  # about 30 minutes per pickup
    earliest_days = models.PositiveIntegerField(default=3,
        verbose_name="予約開始 (何日後から)")  # bookable from 3 days ahead
    latest_days = models.PositiveIntegerField(default=31,
        verbose_name="予約終了 (何日後まで)")  # ... up to 31 days ahead
    # Only when earliest_days is 0: a slot today closes this many minutes before it starts.
    same_day_cutoff_minutes = models.PositiveIntegerField(default=60,
                                                          verbose_name="当日の締切 (開始の何分前)")
    # Residents change or cancel until 2 days before the slot's day.
    change_deadline_days = models.PositiveIntegerField(default=2,
                                                       verbose_name="変更・取消の期限 (何日前まで)")
    late_arrival_minutes = models.PositiveIntegerField(default=5, verbose_name="遅刻の猶予 (分)",
        help_text="これより遅れると順番を失います")  # later than this loses the turn
    early_check_in_minutes = models.PositiveIntegerField(default=30,
                                                         verbose_name="早めの受付 (何分前から)")
    max_party = models.PositiveIntegerField(default=4, verbose_name="1予約の最大人数")
    hold_minutes = models.PositiveIntegerField(default=10, verbose_name="仮押さえの時間 (分)")
    # The national card server's cut-off: no slot ends after it (夜間窓口 included).
    evening_cutoff = models.TimeField(default=datetime.time(19, 30),
                                      verbose_name="夜間の最終受付時刻")
    horizon_days = models.PositiveIntegerField(default=45,
        verbose_name="予約枠を作る期間 (日)")  # how far ahead slots are generated
    retention_days = models.PositiveIntegerField(default=90, verbose_name="個人情報の保存期間 (日)")
    active = models.BooleanField(default=True, verbose_name="予約を受け付ける")

    class Meta:
        verbose_name = verbose_name_plural = "予約の設定"
        constraints = [
            models.UniqueConstraint(fields=["office", "service"], name="schedule_unique"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="schedule_slot_length"),
            models.CheckConstraint(condition=Q(max_party__gte=1), name="schedule_party_positive"),
            models.CheckConstraint(
                condition=Q(latest_days__gte=F("earliest_days")), name="schedule_window_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.service.name}"


class WeeklyRule(models.Model):
    """Opening hours on one weekday, with the number of pickup counters (= seats per slot)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="weekly_rules",
                                 verbose_name="予約の設定")
    weekday = models.PositiveSmallIntegerField(
        choices=[(0, "月"), (1, "火"), (2, "水"), (3, "木"), (4, "金"), (5, "土"), (6, "日")],
        verbose_name="曜日"
    )
    opens = models.TimeField(verbose_name="開始時刻")
    closes = models.TimeField(verbose_name="終了時刻")
    capacity = models.PositiveIntegerField(verbose_name="窓口数", help_text="1枠あたりの人数")

    class Meta:
        verbose_name = verbose_name_plural = "曜日ごとの受付時間"
        ordering = ["schedule", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_rule_weekday"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="weekly_rule_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    """An ad-hoc closure (臨時閉庁, system maintenance); national holidays are built in."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="closed_days",
                                 verbose_name="予約の設定")
    date = models.DateField(verbose_name="日付")
    reason = FreeTextField(max_length=100, blank=True, verbose_name="理由")

    class Meta:
        verbose_name = verbose_name_plural = "休業日"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="closed_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class ExtraOpening(models.Model):
    """Extra hours on a given date: 休日開庁 (weekend) or 夜間窓口 (evening)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="extra_openings",
                                 verbose_name="予約の設定")
    date = models.DateField(verbose_name="日付")
    opens = models.TimeField(verbose_name="開始時刻")
    closes = models.TimeField(verbose_name="終了時刻")
    capacity = models.PositiveIntegerField(verbose_name="窓口数", help_text="1枠あたりの人数")
    label = FreeTextField(max_length=100, blank=True, verbose_name="名称")  # "休日開庁", "夜間窓口"

    class Meta:
        verbose_name = verbose_name_plural = "臨時の開庁"
        ordering = ["date", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="extra_opening_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.opens:%H:%M}-{self.closes:%H:%M} {self.label}"


class Slot(models.Model):
    """A bookable time at an office for a service; holds and bookings take its seats."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="slots",
                                 verbose_name="予約の設定")
    start = models.DateTimeField(verbose_name="開始")
    end = models.DateTimeField(verbose_name="終了")
    capacity = models.PositiveIntegerField(verbose_name="定員")
    seats_taken = models.PositiveIntegerField(default=0, verbose_name="予約済の人数",
                                              help_text="予約の操作でのみ変わります")
    # A slot the rules no longer call for (a closure, shorter hours) that has bookings is
    # kept, never deleted, and marked: nobody can book it, its residents are asked to rebook.
    closed = models.BooleanField(
        default=False, verbose_name="休業 (予約を残した枠)",
        help_text="休業日や受付時間の変更で受付しなくなった、予約のある枠。予約枠の生成で変わります")

    class Meta:
        verbose_name = verbose_name_plural = "予約枠"
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "start"], name="slot_start_unique"),
            # Invariant 4: never more people than seats, whatever the code does.
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="slot_never_overbooked"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.start)  # Asia/Tokyo, as the admin shows it
        closed = " 休業" if self.closed else ""  # the bookings' slot column says so too
        return f"{start:%Y-%m-%d %H:%M} ({self.seats_taken}/{self.capacity}){closed}"

    @property
    def seats_left(self) -> int:
        """Seats still free."""
        return max(self.capacity - self.seats_taken, 0)


class Booking(models.Model):
    """One resident's (or family's) pickup booking; personal data is erased after retention."""

    class Status(models.TextChoices):
        HELD = "held", "仮押さえ"
        BOOKED = "booked", "予約済"
        CANCELLED = "cancelled", "取消"
        EXPIRED = "expired", "仮押さえ期限切れ"
        CHECKED_IN = "checked_in", "受付済"
        NO_SHOW = "no_show", "不来庁"
        COMPLETED = "completed", "交付済"

    SEATED = (Status.HELD, Status.BOOKED, Status.CHECKED_IN, Status.NO_SHOW, Status.COMPLETED)
    ACTIVE = (Status.HELD, Status.BOOKED)  # one of these per notice number

    class Channel(models.TextChoices):
        WEB = "web", "ウェブ"
        PHONE = "phone", "電話"

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings",
                             verbose_name="予約枠")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="bookings",
                               verbose_name="庁舎")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings",
                                verbose_name="手続き")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD,
                              verbose_name="状態")
    reference = models.CharField(max_length=9, unique=True,
                                 verbose_name="予約番号")  # XXXX-XXXX, shown and in the QR
    token = models.CharField(max_length=64, unique=True, default=new_token,
                             verbose_name="トークン")  # manage link
    party_size = models.PositiveSmallIntegerField(verbose_name="人数")
    language = models.CharField(max_length=10, default="ja", verbose_name="言語")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB,
                               verbose_name="受付方法")
    # Personal data (minimal; erased after the retention period). Never the Individual Number.
    # 交付通知書の番号; NULL once erased (retention), so "erased" differs from "not given".
    notice_reference = FreeTextField(max_length=10, null=True, blank=True,
                                     verbose_name="交付通知書の番号")  # noqa: DJ001
    birth_date = models.DateField(null=True, blank=True, verbose_name="生年月日")
    email = FreeTextField(max_length=254, blank=True,
                          verbose_name="メールアドレス")  # appointments/contacts.py checks it
    phone = FreeTextField(max_length=16, blank=True, verbose_name="電話番号")
    created_at = models.DateTimeField(verbose_name="作成日時")
    hold_expires_at = models.DateTimeField(null=True, blank=True, verbose_name="仮押さえの期限")
    booked_at = models.DateTimeField(null=True, blank=True, verbose_name="予約日時")
    checked_in_at = models.DateTimeField(null=True, blank=True, verbose_name="受付日時")
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name="個人情報の消去日時")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name="番号札")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name="登録者")

    class Meta:
        verbose_name = verbose_name_plural = "予約"
        ordering = ["slot__start", "id"]
        indexes = [models.Index(fields=["status", "slot"], name="booking_status_slot_idx")]
        constraints = [
            # One active booking per notice number.
            models.UniqueConstraint(
                fields=["notice_reference"],
                condition=Q(status__in=["held", "booked"]),
                name="one_active_booking_per_notice",
            ),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="booking_party_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["held", "booked", "cancelled", "expired", "checked_in",
                                         "no_show", "completed"]),
                name="booking_status_valid",
            ),
            # Backstop for 特定個人情報: no stored field may hold a 12-digit number.
            models.CheckConstraint(
                condition=~Q(email__regex=TWELVE_DIGITS) & ~Q(phone__regex=TWELVE_DIGITS)
                & ~Q(notice_reference__regex=TWELVE_DIGITS),
                name="booking_no_individual_number",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BookingAction(models.TextChoices):
    """Every state change of a booking the audit trail records."""

    HELD = "held", "仮押さえ"
    BOOKED = "booked", "予約確定"
    CHANGED = "changed", "日時変更"
    CANCELLED = "cancelled", "取消"
    EXPIRED = "expired", "仮押さえ期限切れ"
    CHECKED_IN = "checked_in", "受付済"
    NO_SHOW = "no_show", "来庁なし"
    COMPLETED = "completed", "交付済"


class BookingEvent(models.Model):
    """Audit trail of a booking: who changed it, when, from what to what, and why."""

    Action = BookingAction

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events",
                                verbose_name="予約")
    at = models.DateTimeField(verbose_name="日時")
    action = models.CharField(max_length=20, choices=BookingAction.choices, verbose_name="操作")
    from_status = models.CharField(max_length=12, blank=True, verbose_name="変更前の状態")
    to_status = models.CharField(max_length=12, verbose_name="変更後の状態")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", verbose_name="操作者")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name="端末")
    from_slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="変更前の予約枠")
    reason = FreeTextField(max_length=200, blank=True, verbose_name="理由")

    class Meta:
        verbose_name = verbose_name_plural = "予約の記録"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=BookingAction.values),
                                   name="booking_event_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message sent (or skipped) for a booking: the record that makes sending idempotent."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "予約確認"
        REMINDER = "reminder", "前日のお知らせ"
        CLOSURE = "closure", "休業のお知らせ (予約の変更のお願い)"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=8)  # "email", or "none" when no address was given
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} {self.channel}"


class NoticeList(models.Model):
    """The card-pickup notices (交付通知書) an office mailed, imported from the city's card
    system: with a list, a booking must match a notice on it (``appointments/notices.py``)."""

    office = models.OneToOneField(Office, on_delete=models.CASCADE, related_name="notice_list",
                                  verbose_name="庁舎")
    imported_at = models.DateTimeField(verbose_name="取込日時")
    entries_count = models.PositiveIntegerField(default=0, verbose_name="取り込んだ通知の数")
    report = models.TextField(blank=True, verbose_name="取り込まなかった行と理由")

    class Meta:
        verbose_name = verbose_name_plural = "交付通知書の一覧"

    def __str__(self) -> str:
        return f"{self.office} ({self.entries_count}件)"


class NoticeEntry(models.Model):
    """One notice of a list, as a keyed hash of its reference and birth date only (never
    the birth date in clear)."""

    notice_list = models.ForeignKey(NoticeList, on_delete=models.CASCADE,
                                    related_name="entries")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice_list", "digest"],
                                               name="notice_entry_unique")]

    def __str__(self) -> str:
        return f"{self.notice_list_id} {self.digest[:8]}…"
