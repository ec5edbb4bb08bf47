"""The card-pickup notice list (交付通知書): import, erase, and the match a booking needs.

The one home of the rule. The city imports a CSV of reference number and date
of birth per office; only a keyed hash of the pair is stored (HMAC-SHA256 with
a key derived from SECRET_KEY, so the list cannot be read back or checked
without the server's secret). When an office has a list, a booking must match
a notice on it. Failed matches are counted per client address and per
reference (the shared cache, 15 minutes); past the limit every attempt from
that address or for that reference is refused the same way, matching or not,
so the list cannot be enumerated by trying.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from queueing.errors import QueueError
from queueing.privacy import holds_individual_number
from queueing.transactions import durable

from .models import NoticeEntry, NoticeList
from .references import notice_reference_parse

FAILURES_ALLOWED = 5  # failed matches per address or per reference ...
FAILURE_WINDOW_SECONDS = 15 * 60  # ... within this time, then refused until it passes
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")


def notice_digest(reference: str, birth_date: datetime.date) -> str:
    """The keyed hash stored for a notice (canonical reference and ISO birth date)."""
    return salted_hmac("appointments.notice_list", f"{reference}|{birth_date.isoformat()}",
                       algorithm="sha256").hexdigest()


@dataclass
class ImportReport:
    """What an import took and what it refused (line number and reason, never the data)."""

    imported: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def text(self) -> str:
        """The refused rows as lines a clerk reads."""
        return "\n".join(f"{line}行目: {reason}" for line, reason in self.refused)


@durable
def notice_list_replace(*, notice_list: NoticeList, csv_bytes: bytes) -> ImportReport:
    """Replace an office's notice list by the rows of a CSV export (reference, birth date)."""
    report, digests = _rows_read(csv_bytes)
    notice_list.imported_at = timezone.now()
    notice_list.entries_count = len(digests)
    notice_list.report = report.text()
    notice_list.save()
    notice_list.entries.all().delete()
    NoticeEntry.objects.bulk_create(NoticeEntry(notice_list=notice_list, digest=d)
                                    for d in digests)
    report.imported = len(digests)
    return report


def _rows_read(csv_bytes: bytes) -> tuple[ImportReport, list[str]]:
    """Read the rows (UTF-8, or Shift_JIS as Japanese card systems export); refuse the bad."""
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = csv_bytes.decode("cp932", errors="replace")
    report, seen = ImportReport(), {}
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if any(holds_individual_number(c) for c in cells):
            report.refused.append((line, "12桁の数字 (個人番号の可能性) があるため取り込みません"))
            continue
        if len(cells) < 2:
            report.refused.append((line, "番号と生年月日の2列がありません"))
            continue
        reference, birth_date = notice_reference_parse(cells[0]), _date_read(cells[1])
        if reference is None:
            if line == 1 and birth_date is None:
                continue  # a header row
            report.refused.append((line, "交付通知書の番号の形 (英数字3文字-数字6桁) "
                                         "ではありません"))
        elif birth_date is None:
            report.refused.append((line, "生年月日が読めません (例: 1990-07-15)"))
        elif (digest := notice_digest(reference, birth_date)) in seen:
            report.refused.append((line, f"{seen[digest]}行目と同じ通知です"))
        else:
            seen[digest] = line
    return report, list(seen)


def _date_read(text: str) -> datetime.date | None:
    for fmt in BIRTH_DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day if 1900 <= day.year and day <= timezone.localdate() else None
    return None


def ensure_on_list(*, office_id: int, reference: str, birth_date: datetime.date,
                   client: str = "") -> None:
    """Refuse a booking whose notice is not on the office's list (when it has one), and every
    attempt from an address or for a reference past its failed matches."""
    notice_list = NoticeList.objects.filter(office_id=office_id).first()
    if notice_list is None:
        return  # no list: the notice's shape is all that is checked
    keys = [f"notice-fail:ref:{salted_hmac('appointments.notice_fail', reference).hexdigest()}"]
    if client:
        keys.append(f"notice-fail:addr:{client}")
    counts = cache.get_many(keys)
    if any(n >= FAILURES_ALLOWED for n in counts.values()):
        raise QueueError(_("Too many attempts did not match a notice. Please try again in 15 "
                           "minutes, or call the city hall."), code="notice_attempts")
    if notice_list.entries.filter(digest=notice_digest(reference, birth_date)).exists():
        return
    for key in keys:
        if cache.add(key, 1, FAILURE_WINDOW_SECONDS) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, FAILURE_WINDOW_SECONDS)
    raise QueueError(_("The reference number and the date of birth do not match a notice the "
                       "city sent. Please check both as printed on your notice (交付通知書)."),
                     code="notice_not_on_list")
