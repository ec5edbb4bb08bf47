"""Offices, services, counters and tickets, with their invariants as constraints."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .events import COUNTER_ACTIONS, TICKET_ACTIONS, Action
from .privacy import FreeTextField, FreeTextJSONField

MAX_UNITS = 99  # the most of one unit a counter records for one step (e.g. 住民票の写し ×99)


def new_token() -> str:
    """An unguessable token for a resident's status page or a device key."""
    return secrets.token_urlsafe(24)


class Kind(models.TextChoices):
    """Who works a counter or a step: the hybrid model's two sides."""

    OUTSOURCED = "outsourced", "委託"  # 委託事業者 (contractor)
    STAFF_ONLY = "staff_only", "職員"  # 職員のみ (civil servant's judgment)

    @property
    def staff_label(self) -> str:
        """The bilingual label of the staff pages: 委託 Outsourced, 職員 Staff-only."""
        return {"outsourced": "委託 Outsourced", "staff_only": "職員 Staff-only"}[self.value]

    @property
    def counter_label(self) -> str:
        """Where a step of this kind happens, as the console says it: 委託窓口, 職員窓口."""
        return {"outsourced": "委託窓口", "staff_only": "職員窓口"}[self.value]


class Office(models.Model):
    """A city hall or a branch office (本庁舎・支所)."""

    code = models.SlugField(unique=True, verbose_name="コード",
                            help_text="URL や設定で使う半角英数字の識別子 (例: honcho)")
    name = FreeTextField(max_length=100, verbose_name="庁舎名")
    # Bumped in the same transaction as every state change; every live message
    # carries it so a screen that sees a gap re-fetches a snapshot.
    event_version = models.BigIntegerField(default=0, verbose_name="イベント番号",
        help_text="内部用: 画面の更新を同期するため自動で増えます")
    # No-show rule: a called resident is recalled at most recall_limit times per call; a
    # no-show keeps the ticket's place but "call next" skips it for the cooldown (as
    # ZMS does), and the no_show_limit-th no-show closes it.
    recall_limit = models.PositiveSmallIntegerField(default=3, verbose_name="再呼出の上限回数",
                                                    help_text="1回の呼出で再呼出できる回数")
    no_show_limit = models.PositiveSmallIntegerField(default=2, verbose_name="不在の上限回数",
                                                     help_text="この回数の不在で番号札を終了します")
    no_show_cooldown_minutes = models.PositiveIntegerField(default=5,
        verbose_name="不在後の保留時間 (分)", help_text="不在の番号札を「次を呼出」で飛ばす時間")
    # A waiting resident this many places (or fewer) from the front is near their turn:
    # the status page asks them back to the lobby, and an opted-in address is told by e-mail.
    near_turn_ahead = models.PositiveSmallIntegerField(
        default=3, verbose_name="呼び戻しの人数",
        help_text="前の人数がこの数以下になると、状況ページでロビーへ戻るよう案内し、"
                  "登録されたメールに知らせます")

    class PhoneJoin(models.TextChoices):
        """Whether residents may take a walk-in ticket from their phone (Web 整理券)."""

        OFF = "off", "しない"
        LOBBY = "lobby", "庁舎内のみ (ロビー表示の確認コードが必要)"
        ANYWHERE = "anywhere", "どこからでも (市のウェブサイトから)"

    phone_join = models.CharField(
        max_length=8, choices=PhoneJoin.choices, default=PhoneJoin.OFF,
        verbose_name="スマートフォンからの発券",
        help_text="庁舎内のみ: ロビー表示に出る数分ごとに変わるコードの入力が必要です")

    class Meta:
        verbose_name = verbose_name_plural = "庁舎"
        constraints = [
            models.CheckConstraint(condition=Q(no_show_limit__gte=1),
                                   name="office_no_show_limit_positive"),
            models.CheckConstraint(condition=Q(phone_join__in=["off", "lobby", "anywhere"]),
                                   name="office_phone_join_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A procedure a resident can take a ticket for (住民票の写し, 転入届 ...)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="services",
                               verbose_name="庁舎")
    code = models.SlugField(verbose_name="コード", help_text="半角英数字の識別子 (例: juminhyo)")
    name = FreeTextField(max_length=100, verbose_name="名称 (日本語)",
                         help_text="発券機・表示に出る名前")  # Japanese name
    names = FreeTextJSONField(default=dict, blank=True,
                              verbose_name="名称 (各言語)")  # {"en": "...", "zh-hans": "..."}
    prefix = models.CharField(max_length=2, verbose_name="番号札の記号",
                              help_text="半角英大文字1〜2文字 (例: A)")  # ticket prefix: A, B, ...
    target_wait_minutes = models.PositiveIntegerField(default=15, verbose_name="目標待ち時間 (分)")
    # Used by the estimator until enough services have been timed today.
    default_service_minutes = models.PositiveIntegerField(default=5,
                                                          verbose_name="標準の対応時間 (分)",
        help_text="当日の実績が揃うまで待ち時間の見込みに使います")
    available_from = models.TimeField(null=True, blank=True, verbose_name="受付開始時刻",
                                      help_text="空欄: 開庁時刻から")  # e.g. 08:30
    available_until = models.TimeField(null=True, blank=True, verbose_name="受付終了時刻",
                                       help_text="空欄: 閉庁時刻まで")  # e.g. 16:30
    # 受付終了: tickets stop this many minutes before the office's calendar closes (the
    # last resident must still be served before the doors shut).
    reception_end_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="受付終了 (閉庁の何分前)",
        help_text="庁舎の開庁時間の終わりより何分前に発券を締め切るか。空欄: 閉庁時刻まで")
    daily_ticket_cap = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="1日の発券上限 (枚)",
        help_text="この枚数を発券したら、その日は受付終了と表示します。空欄: 上限なし")
    sort_order = models.PositiveIntegerField(default=0, verbose_name="表示順",
        help_text="発券機での並び順 (小さいほど先)。空欄: 最後に追加")
    active = models.BooleanField(default=True, verbose_name="受付する",
                                 help_text="外すと発券機に表示しません")

    class Meta:
        verbose_name = verbose_name_plural = "手続き"
        ordering = ["office", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="service_code_unique"),
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^[A-Z]{1,2}$"), name="service_prefix_letters"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"

    def name_in(self, language: str) -> str:
        """The service's name in a language, falling back to Japanese."""
        return self.names.get(language) or self.name


WEEKDAYS = [(0, "月"), (1, "火"), (2, "水"), (3, "木"), (4, "金"), (5, "土"), (6, "日")]


class OfficeHours(models.Model):
    """Weekly opening hours of an office for walk-in tickets (開庁時間), one row per period.

    An office without any row has no calendar: its services follow their own
    hours only (``queueing/hours.py``). National holidays and 年末年始 are built in.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="hours",
                               verbose_name="庁舎")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, verbose_name="曜日")
    opens = models.TimeField(verbose_name="開庁時刻")
    closes = models.TimeField(verbose_name="閉庁時刻")

    class Meta:
        verbose_name = verbose_name_plural = "開庁時間 (曜日ごと)"
        ordering = ["office", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="office_hours_weekday",
                                   violation_error_message="曜日は月〜日から選んでください。"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")),
                                   name="office_hours_order",
                                   violation_error_message="閉庁時刻は開庁時刻より後にしてください。"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class OfficeClosure(models.Model):
    """An ad-hoc closure of an office (臨時閉庁: system maintenance, an election, a disaster):
    no walk-in ticket that day, extra openings included."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="closures",
                               verbose_name="庁舎")
    date = models.DateField(verbose_name="日付")
    reason = FreeTextField(max_length=100, verbose_name="理由",
                           help_text="職員向けの記録 (例: システム更新のため)")

    class Meta:
        verbose_name = verbose_name_plural = "臨時閉庁日"
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="office_closure_unique",
                                    violation_error_message="この日の臨時閉庁は登録済みです。"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class OfficeExtraOpening(models.Model):
    """Hours beyond the weekly ones: 休日開庁 (a Saturday or Sunday) or 夜間窓口 (an evening),
    on one date or every week on a weekday.

    A recurring one never opens 年末年始 or a national holiday; only a one-off
    opening on that very date does, as an explicit decision of the city.
    """

    class Kind(models.TextChoices):
        HOLIDAY_OPENING = "holiday_opening", "休日開庁"
        EVENING = "evening", "夜間窓口"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="extra_openings",
                               verbose_name="庁舎")
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name="種類")
    date = models.DateField(null=True, blank=True, verbose_name="日付 (1回のみ)",
                            help_text="1回だけの開庁。祝日・年末年始でも開庁します")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, null=True, blank=True,
                                               verbose_name="曜日 (毎週)",
                                               help_text="毎週の開庁。祝日・年末年始は開庁しません")
    opens = models.TimeField(verbose_name="開始時刻")
    closes = models.TimeField(verbose_name="終了時刻")

    class Meta:
        verbose_name = verbose_name_plural = "休日開庁・夜間窓口"
        ordering = ["office", "date", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date__isnull=False, weekday__isnull=True)
                | Q(date__isnull=True, weekday__isnull=False),
                name="office_extra_opening_date_or_weekday",
                violation_error_message="日付 (1回のみ) か曜日 (毎週) の一方を入れてください。"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")),
                                   name="office_extra_opening_order",
                                   violation_error_message="終了時刻は開始時刻より後にしてください。"),
            models.CheckConstraint(condition=Q(kind__in=["holiday_opening", "evening"]),
                                   name="office_extra_opening_kind_valid"),
        ]

    def __str__(self) -> str:
        when = f"{self.date}" if self.date else f"毎週{self.get_weekday_display()}"
        return f"{self.get_kind_display()} {when} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Step(models.Model):
    """One step of a service and which kind of counter handles it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="steps",
                                verbose_name="手続き")
    order = models.PositiveIntegerField(verbose_name="順番", help_text="1 から始まる手順の番号")
    name = FreeTextField(max_length=100, verbose_name="名称 (日本語)")  # Japanese name
    names = FreeTextJSONField(default=dict, blank=True,
                              verbose_name="名称 (各言語)")  # {"en": "Review", ...}: status pages
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name="担当",
                            help_text="委託窓口か職員窓口か")

    class Meta:
        verbose_name = verbose_name_plural = "手順"
        ordering = ["service", "order"]
        constraints = [
            models.UniqueConstraint(fields=["service", "order"], name="step_order_unique"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="step_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.service.name} {self.order}. {self.name} ({self.get_kind_display()})"

    def name_in(self, language: str) -> str:
        """The step's name in a language, falling back to Japanese."""
        return self.names.get(language) or self.name


class Counter(models.Model):
    """A numbered desk (窓口), run by the contractor or by staff."""

    class Status(models.TextChoices):
        OPEN = "open", "受付中"
        BREAK = "break", "休憩中"
        CLOSED = "closed", "閉鎖"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="counters",
                               verbose_name="庁舎")
    number = models.PositiveIntegerField(verbose_name="窓口番号",
                                         help_text="「3番窓口」の 3")  # "3番窓口"
    label = FreeTextField(max_length=100, blank=True, verbose_name="表示名")
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name="種別")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CLOSED,
                              verbose_name="状態", help_text="窓口の画面から変わります")
    # Someone is signed in at it with a live console (kept by the presence services).
    staffed = models.BooleanField(default=False, verbose_name="在席",
                                  help_text="内部用: コンソールにサインインしている人がいるか")
    services = models.ManyToManyField(Service, through="CounterService", related_name="counters",
                                      verbose_name="担当する手続き")

    class Meta:
        verbose_name = verbose_name_plural = "窓口"
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_number_unique"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="counter_kind_valid"),
            # A counter is open only while someone is at it: estimates count open counters.
            models.CheckConstraint(condition=~Q(status="open") | Q(staffed=True),
                                   name="counter_open_only_when_staffed"),
        ]

    def __str__(self) -> str:
        return f"{self.number}番窓口 ({self.get_kind_display()})"


class CounterService(models.Model):
    """A service a counter serves; lower rank is called first at that counter."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, verbose_name="窓口")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, verbose_name="手続き")
    rank = models.PositiveIntegerField(default=0, verbose_name="優先順位",
                                       help_text="小さいほど先に呼出します")

    class Meta:
        verbose_name = verbose_name_plural = "窓口の担当手続き"
        ordering = ["counter", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["counter", "service"], name="counter_service_unique")
        ]

    def __str__(self) -> str:
        return f"{self.counter} → {self.service} ({self.rank})"


class NumberSequence(models.Model):
    """The last number issued per office, prefix and business day (the numbering row)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE)
    prefix = models.CharField(max_length=2)
    business_day = models.DateField()
    last_number = models.PositiveIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "番号の採番"
        constraints = [
            models.UniqueConstraint(
                fields=["office", "prefix", "business_day"], name="number_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.business_day}: {self.last_number}"


class TicketStatus(models.TextChoices):
    """Where a ticket is in its visit."""

    WAITING = "waiting", "待ち"
    CALLED = "called", "呼出中"
    SERVING = "serving", "対応中"
    HELD = "held", "保留"
    COMPLETED = "completed", "完了"
    NO_SHOW = "no_show", "不在"
    CANCELLED = "cancelled", "取消"


# The one home of "at a counter": the constraints below, the services and every read use it.
AT_COUNTER = (TicketStatus.CALLED, TicketStatus.SERVING)


class Ticket(models.Model):
    """A resident's place in line for one visit, possibly across several steps."""

    Status = TicketStatus
    AT_COUNTER = AT_COUNTER
    OPEN = (Status.WAITING, Status.CALLED, Status.SERVING, Status.HELD)

    class Priority(models.IntegerChoices):
        NORMAL = 0, "通常"
        ASSISTANCE = 1, "要支援"
        APPOINTMENT = 2, "予約"

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="tickets",
                               verbose_name="庁舎")
    business_day = models.DateField(verbose_name="業務日")  # Asia/Tokyo
    prefix = models.CharField(max_length=2, verbose_name="記号")
    number = models.PositiveIntegerField(verbose_name="番号")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets",
                                verbose_name="手続き")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="tickets",
                             verbose_name="手順")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING,
                              verbose_name="状態")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL,
                                                verbose_name="優先区分")
    language = models.CharField(max_length=10, default="ja", verbose_name="言語")
    token = models.CharField(max_length=64, unique=True, default=new_token, verbose_name="トークン")
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
        verbose_name="窓口"
    )
    # issued_at: the original place in line, never changes; step_entered_at: when the
    # current step started waiting.
    issued_at = models.DateTimeField(verbose_name="発券日時")
    step_entered_at = models.DateTimeField(verbose_name="手順の開始日時")
    called_at = models.DateTimeField(null=True, blank=True, verbose_name="呼出日時")
    first_called_at = models.DateTimeField(null=True, blank=True, verbose_name="最初の呼出日時")
    started_at = models.DateTimeField(null=True, blank=True, verbose_name="対応開始日時")
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name="終了日時")
    recall_count = models.PositiveSmallIntegerField(default=0,
        verbose_name="再呼出回数")  # of the current call
    no_show_count = models.PositiveSmallIntegerField(default=0, verbose_name="不在回数")
    # After a no-show "call next" skips the ticket until then; it keeps its place.
    call_after = models.DateTimeField(null=True, blank=True, verbose_name="呼出再開日時")
    held_at = models.DateTimeField(null=True, blank=True,
                                   verbose_name="保留日時")  # while held: since when
    # Set by a booking check-in (appointments); an opaque reference, no personal data.
    booking_reference = models.CharField(max_length=20, blank=True, verbose_name="予約番号")
    # The kiosk's Idempotency-Key of the request that issued it: a retry of a request whose
    # answer was lost gets this ticket again, not a second one (for the business day).
    request_key = models.CharField(max_length=64, blank=True, default="", editable=False,
                                   verbose_name="発券要求キー")
    # The resident said "I am on my way" on the status page (the console shows the mark).
    on_my_way_at = models.DateTimeField(null=True, blank=True,
                                        verbose_name="「向かっています」の連絡")

    class Meta:
        verbose_name = verbose_name_plural = "番号札"
        ordering = ["issued_at", "id"]  # chronological; the call order is routing.CALL_ORDER
        indexes = [
            models.Index(
                fields=["office", "status", "step", "priority", "issued_at"],
                name="ticket_queue_idx",
            ),
        ]
        constraints = [
            # Invariant 1: one number per office, prefix and business day.
            models.UniqueConstraint(
                fields=["office", "prefix", "business_day", "number"], name="ticket_number_unique"
            ),
            # One ticket per kiosk request, however often its answer is lost and it retries.
            models.UniqueConstraint(
                fields=["office", "business_day", "request_key"],
                condition=~Q(request_key=""),
                name="ticket_issued_once_per_request",
            ),
            # Invariant 2: a counter holds at most one called/serving ticket...
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=AT_COUNTER),
                name="one_active_ticket_per_counter",
            ),
            # ...and a ticket is at a counter exactly when it is called or served.
            models.CheckConstraint(
                condition=(
                    Q(status__in=AT_COUNTER, counter__isnull=False)
                    | (~Q(status__in=AT_COUNTER) & Q(counter__isnull=True))
                ),
                name="counter_iff_at_counter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="ticket_number_positive"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """The number residents see and hear: A001, B014."""
        return f"{self.prefix}{self.number:03d}"


class TicketNotice(models.Model):
    """A resident's e-mail opt-in on the status page: "your turn is near" and "you are being
    called", each sent once (``queueing.services.ticket_notice_send``).

    The address belongs to this ticket only and is erased after its business day
    (the ``ticket_notice_addresses`` eraser); the times of the sends stay.
    """

    class Kind(models.TextChoices):
        NEAR = "near", "順番が近づきました"
        CALLED = "called", "呼出"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="notice",
                                  verbose_name="番号札")
    # appointments/contacts.py checks it
    email = FreeTextField(max_length=254, blank=True, verbose_name="メールアドレス")
    opted_in_at = models.DateTimeField(verbose_name="登録日時")
    near_sent_at = models.DateTimeField(null=True, blank=True, verbose_name="順番が近い通知の送信")
    called_sent_at = models.DateTimeField(null=True, blank=True, verbose_name="呼出通知の送信")
    called_counter = models.PositiveIntegerField(null=True, blank=True,  # named in the message
                                                 verbose_name="呼出の窓口番号")

    class Meta:
        verbose_name = verbose_name_plural = "通知メール"

    def __str__(self) -> str:
        return f"{self.ticket_id} near={bool(self.near_sent_at)} called={bool(self.called_sent_at)}"


class TicketRating(models.Model):
    """A resident's one-tap satisfaction rating after the visit (住民満足度), with an optional
    short comment, from the status page: once per ticket (the one-to-one key), no personal
    data. The supervisor's history counts it by service and by the kind of the counter that
    completed the visit (``staff/reports.py``)."""

    class Score(models.IntegerChoices):
        VERY_DISSATISFIED = 1, "不満"
        DISSATISFIED = 2, "やや不満"
        NEUTRAL = 3, "普通"
        SATISFIED = 4, "やや満足"
        VERY_SATISFIED = 5, "満足"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating",
                                  verbose_name="番号札")
    score = models.PositiveSmallIntegerField(choices=Score.choices, verbose_name="評価")
    # Typed by the resident: erased after RATING_COMMENT_RETENTION_DAYS (it may name someone).
    comment = FreeTextField(max_length=200, blank=True, verbose_name="ひとこと")
    # The kind of the counter that completed the visit, kept as the audit row keeps it.
    counter_kind = models.CharField(max_length=12, choices=Kind.choices,
                                    verbose_name="完了した窓口の種別")
    rated_at = models.DateTimeField(verbose_name="評価日時")

    class Meta:
        verbose_name = verbose_name_plural = "満足度"
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5),
                                   name="rating_score_1_to_5"),
            models.CheckConstraint(condition=Q(counter_kind__in=Kind.values),
                                   name="rating_counter_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class TicketEvent(models.Model):
    """Audit trail: who changed a ticket, when, from what to what, and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               verbose_name="番号札")
    at = models.DateTimeField(verbose_name="日時")
    action = models.CharField(max_length=20, choices=Action.choices, verbose_name="操作")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="操作者"
    )
    device = models.ForeignKey("Device", null=True, blank=True, on_delete=models.PROTECT,
                               verbose_name="端末")
    from_status = models.CharField(max_length=10, blank=True, verbose_name="変更前の状態")
    to_status = models.CharField(max_length=10, verbose_name="変更後の状態")
    from_step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="変更前の手順"
    )
    to_step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+",
                                verbose_name="変更後の手順")
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.PROTECT,
                                verbose_name="窓口")
    counter_kind = models.CharField(max_length=12, blank=True,
                                    verbose_name="窓口の種別")  # kept for contract reports
    reason = FreeTextField(max_length=200, blank=True, verbose_name="理由")
    # A hand-off's note for the next counter: staff-facing only, never on displays,
    # status pages, events or public answers (and never an Individual Number).
    note = FreeTextField(max_length=500, blank=True, verbose_name="引継ぎメモ")

    class Meta:
        verbose_name = verbose_name_plural = "番号札の記録"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="ticket_event_at_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=sorted(TICKET_ACTIONS)),
                                   name="ticket_event_action_valid"),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%H:%M:%S} {self.action} {self.from_status}->{self.to_status}"


class CounterEvent(models.Model):
    """Audit trail of a counter: who opened, paused or closed it, when, and why."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    from_status = models.CharField(max_length=8, choices=Counter.Status.choices)
    to_status = models.CharField(max_length=8, choices=Counter.Status.choices)
    reason = FreeTextField(max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "窓口の記録"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=sorted(COUNTER_ACTIONS)),
                                   name="counter_event_action_valid"),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%H:%M:%S} {self.counter} {self.from_status}->{self.to_status}"


class Device(models.Model):
    """A kiosk or lobby display, authenticated by a revocable key (not a user account)."""

    class Type(models.TextChoices):
        KIOSK = "kiosk", "発券機"
        DISPLAY = "display", "呼出表示"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="devices",
                               verbose_name="庁舎")
    type = models.CharField(max_length=8, choices=Type.choices, verbose_name="種類")
    name = FreeTextField(max_length=100, verbose_name="名称")
    key = models.CharField(max_length=64, unique=True, default=new_token, verbose_name="端末鍵",
                           help_text="内部用: 失効は一覧の操作から")
    revoked = models.BooleanField(default=False, verbose_name="失効済")
    # Displays: which services to show (empty = all) and the announcement languages.
    services = models.ManyToManyField(Service, blank=True, verbose_name="表示する手続き",
                                      help_text="呼出表示のみ。空欄: すべて")
    languages = models.JSONField(default=list, blank=True, verbose_name="案内の言語",
                                 help_text="呼出表示のみ: 言語コードの一覧 (例: [\"ja\", \"en\"])")
    # Kiosks: maintenance mode pauses issuing with a message for residents.
    paused = models.BooleanField(default=False, verbose_name="一時停止",
                                 help_text="発券機のみ: 発券を止めて案内を表示します")
    pause_message = FreeTextField(max_length=200, blank=True, verbose_name="一時停止中の案内")

    class Meta:
        verbose_name = verbose_name_plural = "端末"

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.name}"


class SpecialDayKind(models.TextChoices):
    """Why a day is special for the forecast."""

    CARD_NOTICE_MAILING = "card_notice_mailing", "交付通知書の発送後"
    BENEFIT_DEADLINE = "benefit_deadline", "申請期限"
    AUSPICIOUS_DAY = "auspicious_day", "大安・記念日"
    CLOSED = "closed", "臨時閉庁"
    OTHER = "other", "その他"


class SpecialDay(models.Model):
    """A day the forecast cannot know from the calendar alone (交付通知書の発送, 申請期限 ...).

    With a factor, the forecast multiplies that day's arrivals by it; without
    one, it estimates the effect from past special days of the same kind.
    A day of kind ``closed`` has no arrivals (臨時閉庁).
    """

    Kind = SpecialDayKind

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="special_days",
                               verbose_name="庁舎")
    date = models.DateField("日付")
    label = FreeTextField("名称", max_length=100)
    kind = models.CharField("種類", max_length=24, choices=SpecialDayKind.choices,
                            default=SpecialDayKind.OTHER)
    # Only this procedure is affected (e.g. マイナンバーカード after a mailing); empty: all.
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="special_days", verbose_name="手続き")
    factor = models.DecimalField("見込み倍率", max_digits=4, decimal_places=2, null=True,
                                 blank=True, help_text="空欄: 過去の同じ種類の日から推定")

    class Meta:
        ordering = ["office", "date", "id"]
        verbose_name = verbose_name_plural = "特別な日"
        constraints = [
            models.UniqueConstraint(fields=["office", "date", "kind", "service"],
                                    condition=Q(service__isnull=False),
                                    name="special_day_unique_per_service",
                                    violation_error_message="この日・種類・手続きの特別な日は登録済みです。"),
            models.UniqueConstraint(fields=["office", "date", "kind"],
                                    condition=Q(service__isnull=True),
                                    name="special_day_unique_office_wide",
                                    violation_error_message="この日・種類の特別な日は登録済みです。"),
            models.CheckConstraint(condition=Q(kind__in=SpecialDayKind.values),
                                   name="special_day_kind_valid"),
            models.CheckConstraint(condition=Q(factor__isnull=True) | Q(factor__gt=0),
                                   name="special_day_factor_positive",
                                   violation_error_message="見込み倍率は0より大きくしてください。"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.label}"


class SecurityAction(models.TextChoices):
    """Every sign-in and device-key event the security audit records."""

    SIGNED_IN = "signed_in", "サインイン"
    SIGNED_OUT = "signed_out", "サインアウト"
    SIGN_IN_FAILED = "sign_in_failed", "サインイン失敗"
    LOCKED_OUT = "locked_out", "ロックアウト"
    DEVICE_KEY_CREATED = "device_key_created", "端末鍵の発行"
    DEVICE_KEY_REVOKED = "device_key_revoked", "端末鍵の失効"
    AUDIT_EXPORTED = "audit_exported", "監査記録の書き出し"


class SecurityEvent(models.Model):
    """Audit trail of accounts and devices: who signed in or out (or failed to), from where,
    which device key was issued or revoked, by whom. Written by services only; the product
    offers no way to change or delete a row (configuration changes are in auditlog's log)."""

    at = models.DateTimeField(verbose_name="日時")
    action = models.CharField(max_length=20, choices=SecurityAction.choices, verbose_name="操作")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", verbose_name="操作者")
    # What was typed at a failed sign-in (redacted of anything like an Individual Number).
    username = FreeTextField(max_length=150, blank=True, verbose_name="入力されたユーザー名")
    address = models.GenericIPAddressField(null=True, blank=True, verbose_name="IPアドレス")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name="端末")
    detail = FreeTextField(max_length=200, blank=True, verbose_name="詳細")

    class Meta:
        verbose_name = verbose_name_plural = "セキュリティ記録"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="security_event_at_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=SecurityAction.values),
                                   name="security_event_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.action} {self.username}"


class PresetReason(models.Model):
    """A reason offered at the counter, per office: for a hand-off or for holding a ticket."""

    class Purpose(models.TextChoices):
        HAND_OFF = "hand_off", "回付・引継ぎ"
        HOLD = "hold", "保留"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="reasons",
                               verbose_name="庁舎")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, verbose_name="用途")
    text = FreeTextField(max_length=200, verbose_name="理由")
    sort_order = models.PositiveIntegerField(default=0, verbose_name="表示順")
    active = models.BooleanField(default=True, verbose_name="使用する")

    class Meta:
        verbose_name = verbose_name_plural = "定型の理由"
        ordering = ["office", "purpose", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "purpose", "text"],
                                    name="preset_reason_unique"),
            models.CheckConstraint(condition=Q(purpose__in=["hand_off", "hold"]),
                                   name="preset_reason_purpose_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.text}"


class Unit(models.Model):
    """A countable unit of the contract (出来高): a transaction, a document, a counter-hour.

    Transactions and documents are recorded by the counter when a step ends
    (``WorkUnit``); counter-hours are measured from the counters' audit trail.
    """

    class Measure(models.TextChoices):
        TRANSACTION = "transaction", "件 (手続き)"
        DOCUMENT = "document", "通 (交付)"
        COUNTER_HOUR = "counter_hour", "時間 (窓口開設)"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="units",
                               verbose_name="庁舎")
    code = models.SlugField(verbose_name="コード", help_text="半角英数字の識別子")
    name = FreeTextField(max_length=100, verbose_name="名称")  # 住民票の写し 交付
    measure = models.CharField(max_length=12, choices=Measure.choices, verbose_name="数え方")
    sort_order = models.PositiveIntegerField(default=0, verbose_name="表示順")

    class Meta:
        verbose_name = verbose_name_plural = "出来高の単位"
        ordering = ["office", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="unit_code_unique"),
            models.CheckConstraint(condition=Q(measure__in=["transaction", "document",
                                                            "counter_hour"]),
                                   name="unit_measure_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class StepUnit(models.Model):
    """A unit a step's counter records when the step ends, with its default quantity."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="units",
                             verbose_name="手順")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+",
                             verbose_name="出来高の単位")
    default_quantity = models.PositiveSmallIntegerField(default=1, verbose_name="既定の数量")
    sort_order = models.PositiveIntegerField(default=0, verbose_name="表示順")

    class Meta:
        verbose_name = verbose_name_plural = "手順の出来高"
        ordering = ["step", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "unit"], name="step_unit_unique"),
            models.CheckConstraint(condition=Q(default_quantity__lte=MAX_UNITS),
                                   name="step_unit_default_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.unit} ×{self.default_quantity}"


class WorkUnit(models.Model):
    """What a counter did when a step ended (e.g. 住民票の写し ×3): the contract's units.

    Attached to the audit row of the step's end, which holds the time, the
    counter and its kind, so every billed unit traces to one ticket and step.
    """

    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "出来高"
        ordering = ["event", "unit__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "unit"], name="work_unit_once_per_event"),
            models.CheckConstraint(condition=Q(quantity__gte=1, quantity__lte=MAX_UNITS),
                                   name="work_unit_quantity_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ×{self.quantity}"


class CounterPresence(models.Model):
    """Someone signed in at a counter: one live console (socket), or the API client acting there.

    A presence is live while it shows signs of life (heartbeats, actions) within
    the timeout and its console has not gone (``queueing/presence.py``). Each
    row keeps the role, never a name: the city's view of a counter shows who
    works there by role only (偽装請負 line).
    """

    class Left(models.TextChoices):
        CLOSED = "closed", "コンソールが閉じられました (console closed)"
        SIGNED_OUT = "signed_out", "サインアウトしました (signed out)"
        SESSION_EXPIRED = "session_expired", "セッションが切れました (session expired)"
        SILENT = "silent", "コンソールの応答がありません (no heartbeat)"

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="presences",
                                verbose_name="窓口")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name="利用者")
    role = models.CharField(max_length=12, verbose_name="役割")
    session_key = models.CharField(max_length=40, blank=True, verbose_name="セッション")
    socket = models.CharField(max_length=64, unique=True, default=new_token, verbose_name="接続")
    started_at = models.DateTimeField(verbose_name="開始日時")
    seen_at = models.DateTimeField(verbose_name="最終確認日時")
    left_at = models.DateTimeField(null=True, blank=True, verbose_name="終了日時")
    left_reason = models.CharField(max_length=16, choices=Left.choices, blank=True,
                                   verbose_name="終了の理由")

    class Meta:
        verbose_name = verbose_name_plural = "窓口の在席記録"
        ordering = ["counter", "started_at", "id"]
        indexes = [models.Index(fields=["counter", "left_at"], name="presence_counter_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(left_at__isnull=True, left_reason="")
                                   | Q(left_at__isnull=False) & ~Q(left_reason=""),
                                   name="presence_left_with_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.counter} {self.role} {timezone.localtime(self.started_at):%H:%M}"


class ContractorCompany(models.Model):
    """A contractor company (委託事業者): the party of the city's contracts, whose staff
    accounts work only where it holds a contract in force."""

    name = FreeTextField(max_length=200, unique=True, verbose_name="事業者名",
                         help_text="会社名 (個人名は入れない)")  # 株式会社〇〇

    class Meta:
        verbose_name = verbose_name_plural = "委託事業者"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ContractorStaff(models.Model):
    """A contractor account's company (所属する委託事業者): exactly one per account, since
    the account is unique here. The account works at the outsourced counters of the
    offices where this company holds a contract in force (``routing.offices_for``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="contractor_staff", verbose_name="アカウント")
    company = models.ForeignKey(ContractorCompany, on_delete=models.PROTECT,
                                related_name="staff", verbose_name="委託事業者")

    class Meta:
        verbose_name = verbose_name_plural = "委託事業者の従事者"

    def __str__(self) -> str:
        return f"{self.user} ({self.company})"


class OfficeStaff(models.Model):
    """An office a municipal staff member or supervisor belongs to (所属庁舎); one row per
    office. A supervisor in the city-wide group sees every office without rows here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="office_memberships", verbose_name="アカウント")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="staff",
                               verbose_name="庁舎")

    class Meta:
        verbose_name = verbose_name_plural = "職員の所属庁舎"
        constraints = [
            models.UniqueConstraint(fields=["user", "office"], name="office_staff_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.office}"


class Contract(models.Model):
    """A contract with a contractor company (委託契約): its period, prices and service levels.

    It covers the outsourced counters of its office; while it is in force the
    company's staff accounts may work there.
    """

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="contracts",
                               verbose_name="庁舎")
    name = FreeTextField(max_length=200, verbose_name="契約名")  # 窓口業務委託契約 (令和8年度)
    company = models.ForeignKey(ContractorCompany, on_delete=models.PROTECT,
                                related_name="contracts", verbose_name="委託事業者")
    starts_on = models.DateField(verbose_name="契約開始日")
    ends_on = models.DateField(verbose_name="契約終了日")
    tax_percent = models.PositiveSmallIntegerField(default=10,
                                                   verbose_name="消費税率 (%)")  # 消費税

    class Meta:
        verbose_name = verbose_name_plural = "委託契約"
        ordering = ["office", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="contract_period_valid"),
            models.CheckConstraint(condition=Q(tax_percent__lte=100),
                                   name="contract_tax_percent_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on}〜{self.ends_on})"


class ContractPrice(models.Model):
    """The contract's price of one countable unit, in yen (税抜)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="prices",
                                 verbose_name="契約")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                             verbose_name="出来高の単位")
    unit_price_yen = models.PositiveIntegerField(verbose_name="単価 (円・税抜)")

    class Meta:
        verbose_name = verbose_name_plural = "契約単価"
        ordering = ["contract", "unit__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "unit"], name="contract_price_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.unit_price_yen}円"


class ContractLevel(models.Model):
    """A service level the contract promises, and the deduction when it is missed.

    "target_percent % of residents called within within_minutes at the
    outsourced counters": a business day whose share is below the target is a
    missed day (days without a resident are not judged); the month is missed
    when the month's share is below it. Deductions: a fixed amount per missed
    day, and a percentage of the month's amount when the month is missed.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="levels",
                                 verbose_name="契約")
    name = FreeTextField(max_length=200, verbose_name="名称")  # 呼出までの待ち時間
    within_minutes = models.PositiveIntegerField(default=15, verbose_name="呼出までの時間 (分)")
    target_percent = models.PositiveSmallIntegerField(default=90, verbose_name="目標の割合 (%)")
    deduction_yen_per_missed_day = models.PositiveIntegerField(default=0,
        verbose_name="未達1日あたりの減額 (円)")
    deduction_percent_if_month_missed = models.PositiveSmallIntegerField(default=0,
        verbose_name="月間未達時の減額 (%)")

    class Meta:
        verbose_name = verbose_name_plural = "サービス水準"
        ordering = ["contract", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target_percent__lte=100,
                                               deduction_percent_if_month_missed__lte=100),
                                   name="contract_level_percent_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.target_percent}% / {self.within_minutes}分"


class RecordFailure(models.Model):
    """One record a scheduled job could not handle (a send refused, a row that broke a rule):
    written by ``queueing.isolation``, tried again after a back-off while the others go on.

    Holds the record's kind and id and the exception's class name only, never the message
    (it may quote an address or a typed value)."""

    job = models.CharField(max_length=40)  # the service that failed, e.g. "bookings_notify"
    record = models.CharField(max_length=80)  # e.g. "booking 12 confirmation"
    at = models.DateTimeField()
    attempt = models.PositiveIntegerField()
    error = models.CharField(max_length=100)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "record"], name="record_failure_job_idx"),
                   models.Index(fields=["at"], name="record_failure_at_idx")]

    def __str__(self) -> str:
        return f"{self.job} {self.record} #{self.attempt} {self.error}"
