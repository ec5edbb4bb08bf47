"""A demo city hall from DOMAIN.md: services with outsourced and staff-only steps, counters, devices, accounts."""

import datetime

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from queueing.models import (
    Contract,
    ContractLevel,
    ContractorCompany,
    ContractorStaff,
    ContractPrice,
    Counter,
    CounterService,
    Device,
    Kind,
    Office,
    OfficeStaff,
    Service,
    Step,
    StepUnit,
    Unit,
)
from queueing.roles import CITY_WIDE_GROUP, Role

OUT, STAFF = Kind.OUTSOURCED, Kind.STAFF_ONLY

# code, prefix, Japanese name, {lang: name}, steps [(name, kind)], target wait, minutes, until
SERVICES = [
    ("juminhyo", "A", "住民票の写し", {"en": "Certificate of residence", "ja-easy": "じゅうみんひょう",
     "zh-hans": "住民票副本", "ko": "주민표 사본", "vi": "Giấy chứng nhận cư trú",
     "pt-br": "Certificado de residência", "es": "Certificado de residencia"},
     [("証明書交付", OUT)], 15, 4, None),
    ("inkan", "A", "印鑑登録証明書", {"en": "Seal registration certificate", "ja-easy": "いんかん とうろく しょうめいしょ",
     "zh-hans": "印章登记证明", "ko": "인감등록증명서", "vi": "Giấy chứng nhận đăng ký con dấu",
     "pt-br": "Certificado de registro do carimbo", "es": "Certificado de registro de sello"},
     [("証明書交付", OUT)], 15, 4, None),
    ("koseki", "B", "戸籍の証明", {"en": "Family register certificate", "ja-easy": "こせき の しょうめい",
     "zh-hans": "户籍证明", "ko": "호적 증명", "vi": "Giấy chứng nhận hộ tịch",
     "pt-br": "Certidão de registro familiar", "es": "Certificado de registro familiar"},
     [("証明書交付", OUT)], 15, 6, None),
    ("zeisho", "C", "税証明", {"en": "Tax certificate", "ja-easy": "ぜいきん の しょうめい",
     "zh-hans": "税务证明", "ko": "세금 증명", "vi": "Giấy chứng nhận thuế",
     "pt-br": "Certificado de impostos", "es": "Certificado de impuestos"},
     [("証明書交付", OUT)], 15, 5, None),
    ("tennyu", "D", "転入届", {"en": "Moving in (residence registration)", "ja-easy": "ひっこして きた とき",
     "zh-hans": "迁入登记", "ko": "전입신고", "vi": "Đăng ký chuyển đến",
     "pt-br": "Registro de mudança (entrada)", "es": "Registro de mudanza (entrada)"},
     [("受付・入力", OUT), ("審査・決定", STAFF)], 30, 12, None),
    ("kokuho", "E", "国民健康保険の届出", {"en": "National Health Insurance", "ja-easy": "けんこう ほけん",
     "zh-hans": "国民健康保险", "ko": "국민건강보험", "vi": "Bảo hiểm y tế quốc dân",
     "pt-br": "Seguro Nacional de Saúde", "es": "Seguro Nacional de Salud"},
     [("受付", OUT), ("資格確認", STAFF)], 30, 10, None),
    ("nenkin", "E", "国民年金の届出", {"en": "National Pension", "ja-easy": "ねんきん",
     "zh-hans": "国民年金", "ko": "국민연금", "vi": "Lương hưu quốc dân",
     "pt-br": "Pensão Nacional", "es": "Pensión Nacional"},
     [("受付", OUT)], 30, 8, None),
    ("jidoteate", "F", "児童手当の受付", {"en": "Child allowance", "ja-easy": "こども の てあて",
     "zh-hans": "儿童补贴", "ko": "아동수당", "vi": "Trợ cấp trẻ em",
     "pt-br": "Auxílio infantil", "es": "Subsidio infantil"},
     [("受付", OUT), ("認定", STAFF)], 30, 10, None),
    ("mynumber", "M", "マイナンバーカード", {"en": "My Number Card", "ja-easy": "マイナンバーカード",
     "zh-hans": "个人编号卡", "ko": "마이넘버 카드", "vi": "Thẻ My Number",
     "pt-br": "Cartão My Number", "es": "Tarjeta My Number"},
     [("申請受付・交付", OUT)], 30, 15, datetime.time(16, 30)),
    ("koseki-todoke", "K", "戸籍の届出 (出生・婚姻・死亡)", {"en": "Family register notifications",
     "ja-easy": "こせき の とどけ", "zh-hans": "户籍申报", "ko": "호적 신고", "vi": "Khai báo hộ tịch",
     "pt-br": "Notificações de registro familiar", "es": "Notificaciones de registro familiar"},
     [("審査", STAFF)], 30, 15, None),
    ("fukushi", "W", "生活保護・福祉の相談", {"en": "Welfare consultation", "ja-easy": "くらし の そうだん",
     "zh-hans": "生活保障与福利咨询", "ko": "생활보호·복지 상담", "vi": "Tư vấn phúc lợi",
     "pt-br": "Consulta de bem-estar social", "es": "Consulta de bienestar social"},
     [("相談", STAFF)], 45, 25, None),
    ("genmen", "G", "税の減免相談", {"en": "Tax reduction consultation", "ja-easy": "ぜいきん の そうだん",
     "zh-hans": "税收减免咨询", "ko": "세금 감면 상담", "vi": "Tư vấn giảm thuế",
     "pt-br": "Consulta de redução de impostos", "es": "Consulta de reducción de impuestos"},
     [("審査", STAFF)], 45, 20, None),
]

# The steps' names in the resident's languages (status pages name the next step).
STEP_NAMES = {
    "証明書交付": {"en": "Certificate issuing", "ja-easy": "しょうめいしょ を わたす",
              "zh-hans": "证明书发放", "ko": "증명서 발급", "vi": "Cấp giấy chứng nhận",
              "pt-br": "Emissão do certificado", "es": "Emisión del certificado"},
    "受付・入力": {"en": "Reception and data entry", "ja-easy": "うけつけ",
              "zh-hans": "受理与录入", "ko": "접수·입력", "vi": "Tiếp nhận và nhập liệu",
              "pt-br": "Recepção e registro", "es": "Recepción y registro"},
    "審査・決定": {"en": "Review and decision", "ja-easy": "しらべて きめる",
              "zh-hans": "审查与决定", "ko": "심사·결정", "vi": "Thẩm tra và quyết định",
              "pt-br": "Análise e decisão", "es": "Revisión y decisión"},
    "受付": {"en": "Reception", "ja-easy": "うけつけ", "zh-hans": "受理", "ko": "접수",
           "vi": "Tiếp nhận", "pt-br": "Recepção", "es": "Recepción"},
    "資格確認": {"en": "Eligibility check", "ja-easy": "しかく の かくにん", "zh-hans": "资格确认",
             "ko": "자격 확인", "vi": "Xác nhận tư cách", "pt-br": "Verificação de elegibilidade",
             "es": "Verificación de elegibilidad"},
    "認定": {"en": "Approval", "ja-easy": "みとめる てつづき", "zh-hans": "认定", "ko": "인정",
           "vi": "Phê duyệt", "pt-br": "Aprovação", "es": "Aprobación"},
    "申請受付・交付": {"en": "Application and pickup", "ja-easy": "もうしこみ と うけとり",
                "zh-hans": "申请受理与发放", "ko": "신청 접수·교부", "vi": "Tiếp nhận hồ sơ và trao thẻ",
                "pt-br": "Pedido e entrega", "es": "Solicitud y entrega"},
    "審査": {"en": "Review", "ja-easy": "しらべる", "zh-hans": "审查", "ko": "심사",
           "vi": "Thẩm tra", "pt-br": "Análise", "es": "Revisión"},
    "相談": {"en": "Consultation", "ja-easy": "そうだん", "zh-hans": "咨询", "ko": "상담",
           "vi": "Tư vấn", "pt-br": "Consulta", "es": "Consulta"},
}

# Reasons offered at the counters (the fields also take free text).
REASONS = {  # by PresetReason.Purpose
    "hand_off": [
        "職員の判断が必要 (needs a civil servant's judgment)",
        "審査・決定が必要 (needs review and decision)",
        "書類の不足・不備 (documents missing or incomplete)",
        "別の手続きが必要 (another procedure is needed)",
        "ご相談・苦情 (consultation or complaint)",
    ],
    "hold": [
        "書類を取りに行く (fetching a document)",
        "本人確認書類の確認中 (checking identity documents)",
        "他の課に確認中 (checking with another section)",
        "手数料の用意 (getting the fee ready)",
        "付き添いの方を待つ (waiting for a companion)",
    ],
}

# The contract's countable units: code, name, measure, price (yen, before tax; None: not
# billed, e.g. the staff's own review), and the steps recording them by default.
UNITS = [
    ("juminhyo-copy", "住民票の写し 交付", Unit.Measure.DOCUMENT, 300, [("juminhyo", 1, 1)]),
    ("inkan-cert", "印鑑登録証明書 交付", Unit.Measure.DOCUMENT, 300, [("inkan", 1, 1)]),
    ("koseki-cert", "戸籍証明 交付", Unit.Measure.DOCUMENT, 350, [("koseki", 1, 1)]),
    ("tax-cert", "税証明 交付", Unit.Measure.DOCUMENT, 300, [("zeisho", 1, 1)]),
    ("tennyu-reception", "転入届 受付・入力", Unit.Measure.TRANSACTION, 1200, [("tennyu", 1, 1)]),
    ("kokuho-reception", "国民健康保険 届出受付", Unit.Measure.TRANSACTION, 900, [("kokuho", 1, 1)]),
    ("nenkin-reception", "国民年金 届出受付", Unit.Measure.TRANSACTION, 800, [("nenkin", 1, 1)]),
    ("jidoteate-reception", "児童手当 受付", Unit.Measure.TRANSACTION, 900, [("jidoteate", 1, 1)]),
    ("mynumber-card", "マイナンバーカード 申請受付・交付", Unit.Measure.TRANSACTION, 1500,
     [("mynumber", 1, 1)]),
    ("tennyu-review", "転入届 審査・決定 (職員)", Unit.Measure.TRANSACTION, None, [("tennyu", 2, 1)]),
    ("counter-hour", "委託窓口の開設時間", Unit.Measure.COUNTER_HOUR, 2800, []),
]
CONTRACTOR_COMPANY = "株式会社みどり窓口サービス"
# A second contractor company with no contract at the demo office: its account
# (contractor2) signs in but may not work at any counter here.
OTHER_COMPANY = "株式会社あおば受付サービス"

# number, label, kind, service codes in rank order
COUNTERS = [
    (1, "証明書 1", OUT, ["juminhyo", "inkan", "koseki", "zeisho"]),
    (2, "証明書 2", OUT, ["juminhyo", "inkan", "koseki", "zeisho"]),
    (3, "住民異動 受付", OUT, ["tennyu", "kokuho", "nenkin", "jidoteate"]),
    (4, "保険・年金 受付", OUT, ["kokuho", "nenkin", "jidoteate", "tennyu"]),
    (5, "マイナンバーカード", OUT, ["mynumber"]),
    (6, "住民異動 審査", STAFF, ["tennyu", "koseki-todoke", "kokuho"]),
    (7, "福祉・子育て", STAFF, ["fukushi", "jidoteate"]),
    (8, "税・戸籍", STAFF, ["genmen", "koseki-todoke", "tennyu"]),
]

# username, password, role, name; contractor accounts' company
ACCOUNTS = [
    ("contractor", "contractor-demo-pass", Role.CONTRACTOR, "委託 太郎"),
    ("contractor2", "contractor2-demo-pass", Role.CONTRACTOR, "別社 次郎"),
    ("municipal", "municipal-demo-pass", Role.MUNICIPAL, "市役所 花子"),
    ("supervisor", "supervisor-demo-pass", Role.SUPERVISOR, "管理 一郎"),
]
ACCOUNT_COMPANIES = {"contractor": CONTRACTOR_COMPANY, "contractor2": OTHER_COMPANY}
ADMIN = ("admin", "admin-demo-pass")  # a city-wide supervisor too
KIOSK_KEY = "demo-kiosk-key"
DISPLAY_KEY = "demo-display-key"


@transaction.atomic
def demo_load() -> Office:
    """Create or update the demo city hall; safe to run again (idempotent)."""
    # Phone tickets in the lobby, with the display's presence code (Web 整理券).
    office, _ = Office.objects.update_or_create(code="demo", defaults={
        "name": "みどり市役所 本庁舎", "phone_join": Office.PhoneJoin.LOBBY})
    services = {}
    for order, (code, prefix, name, names, steps, target, minutes, until) in enumerate(SERVICES):
        service, _ = Service.objects.update_or_create(
            office=office, code=code,
            defaults=dict(prefix=prefix, name=name, names=names, target_wait_minutes=target,
                          default_service_minutes=minutes, available_until=until,
                          sort_order=order, active=True),
        )
        for i, (step_name, kind) in enumerate(steps, start=1):
            Step.objects.update_or_create(service=service, order=i, defaults={
                "name": step_name, "kind": kind, "names": STEP_NAMES.get(step_name, {})})
        services[code] = service
    for number, label, kind, codes in COUNTERS:
        counter, _ = Counter.objects.update_or_create(
            office=office, number=number, defaults={"label": label, "kind": kind})
        for rank, code in enumerate(codes):
            CounterService.objects.update_or_create(
                counter=counter, service=services[code], defaults={"rank": rank})
    for purpose, texts in REASONS.items():
        for order, text in enumerate(texts):
            office.reasons.update_or_create(purpose=purpose, text=text,
                                            defaults={"sort_order": order, "active": True})
    _contract_load(office, services)
    Device.objects.update_or_create(
        key=KIOSK_KEY, defaults={"office": office, "type": Device.Type.KIOSK,
                                 "name": "1階 発券機", "revoked": False})
    display, _ = Device.objects.update_or_create(
        key=DISPLAY_KEY, defaults={"office": office, "type": Device.Type.DISPLAY,
                                   "name": "1階 ロビー表示", "revoked": False,
                                   "languages": ["ja", "en"]})
    for name in [*Role, CITY_WIDE_GROUP]:
        Group.objects.get_or_create(name=name)
    for username, password, role, full_name in ACCOUNTS:
        user = _account_keep(username, password)
        user.groups.set([Group.objects.get(name=role.value)])
        if not (user.last_name or user.first_name):
            user.last_name, _, user.first_name = full_name.partition(" ")
            user.save(update_fields=["last_name", "first_name"])
        if role is Role.CONTRACTOR:
            company, _ = ContractorCompany.objects.get_or_create(
                name=ACCOUNT_COMPANIES[username])
            ContractorStaff.objects.update_or_create(user=user, defaults={"company": company})
        else:
            OfficeStaff.objects.get_or_create(user=user, office=office)
    admin_user = _account_keep(*ADMIN)
    if not (admin_user.is_staff and admin_user.is_superuser):
        admin_user.is_staff = admin_user.is_superuser = True
        admin_user.save(update_fields=["is_staff", "is_superuser"])
    admin_user.groups.set(Group.objects.filter(name__in=[Role.SUPERVISOR.value,
                                                         CITY_WIDE_GROUP]))
    return office


def _account_keep(username: str, password: str) -> User:
    """The demo account, created with its demo password if missing; an existing one keeps
    its password (and so its sessions: ``make run`` restarts sign nobody out)."""
    user, created = User.objects.get_or_create(username=username)
    if created or not user.has_usable_password():
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _contract_load(office: Office, services: dict[str, Service]) -> Contract:
    """The units, their step defaults and this fiscal year's contract (April to March) with
    the demo contractor company."""
    today = timezone.localdate()
    year = today.year if today.month >= 4 else today.year - 1
    company, _ = ContractorCompany.objects.get_or_create(name=CONTRACTOR_COMPANY)
    contract, _ = Contract.objects.update_or_create(
        office=office, name=f"窓口業務委託契約 ({year}年度)",
        defaults={"company": company, "starts_on": datetime.date(year, 4, 1),
                  "ends_on": datetime.date(year + 1, 3, 31), "tax_percent": 10})
    for order, (code, name, measure, price, defaults) in enumerate(UNITS):
        unit, _ = Unit.objects.update_or_create(
            office=office, code=code,
            defaults={"name": name, "measure": measure, "sort_order": order})
        if price is not None:
            ContractPrice.objects.update_or_create(contract=contract, unit=unit,
                                                   defaults={"unit_price_yen": price})
        for service_code, step_order, quantity in defaults:
            step = Step.objects.get(service=services[service_code], order=step_order)
            StepUnit.objects.update_or_create(step=step, unit=unit,
                                              defaults={"default_quantity": quantity})
    ContractLevel.objects.update_or_create(
        contract=contract, name="委託窓口の呼出までの待ち時間",
        defaults={"within_minutes": 15, "target_percent": 90,
                  "deduction_yen_per_missed_day": 10000,
                  "deduction_percent_if_month_missed": 3})
    return contract
