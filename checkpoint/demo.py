"""The demo data set: two wards, six checkpoints, a week of roster, attendance, observations and handovers."""
from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from werkzeug.security import generate_password_hash

from .extensions import db
from .localtime import zone
from .models import Activity, Attendance, Checkpoint, Comment, Handover, Observation, Shift, ShiftPattern, User, Ward
from .rules.accounts import create_user
from .rules.activity import record
from .rules.chain import rechain
from .rules.wards import add_checkpoint, add_ward

DEMO_PASSWORD = "demo1234"
SEED = 2026

# Shifts every evening, planned in local time: 18:00–22:00 and 22:00–02:00 (next day).
SHIFT_TIMES = ((time(18, 0), timedelta(hours=4)), (time(22, 0), timedelta(hours=4)))
# The same slots as each checkpoint's shift patterns, so "apply the patterns" plans next week.
PATTERN_LABELS = ("Ca tối", "Ca khuya")
HISTORY_DAYS = 3


@dataclass
class DemoLogins:
    password: str
    people: list[tuple[str, str, str]] = field(default_factory=list)  # (role, phone, full name)


# ---------------------------------------------------------------------------------------------
# The data, in the words a ward would use.

WARDS = [
    {
        "code": "BC", "name": "Phường Bàn Cờ", "duty_phone": "0283 839 4567",
        "coordinator": ("0900000011", "Nguyễn Thị Thanh Thủy"),
        "police": ("0900000021", "Trần Quốc Bảo"),
        "checkpoints": [
            {"code": "C01", "name": "Chốt hẻm 12 Nguyễn Thiện Thuật",
             "address": "Hẻm 12 Nguyễn Thiện Thuật, Phường Bàn Cờ, TP. Hồ Chí Minh",
             "lat": 10.770612, "lng": 106.682214,
             "orders": "Trực chốt từ 18:00 đến 02:00, mỗi ca ít nhất 2 người.\n"
                       "Đi tuần trong hẻm 12 mỗi giờ một lượt, chú ý xe máy để ngoài cửa.\n"
                       "Gặp việc khẩn cấp: gọi trực ban Công an phường, không tự ý truy đuổi."},
            {"code": "C02", "name": "Chốt ngã ba Cao Thắng – Điện Biên Phủ",
             "address": "Góc Cao Thắng – Điện Biên Phủ, Phường Bàn Cờ, TP. Hồ Chí Minh",
             "lat": 10.772845, "lng": 106.680731,
             "orders": "Hướng dẫn xe ra vào, giữ thông thoáng ngã ba giờ tan tầm.\n"
                       "Nhắc người bán hàng rong không lấn chiếm lòng đường.\n"
                       "Ghi nhận ngay mọi va chạm giao thông và người bị nạn."},
            {"code": "C03", "name": "Chốt hẻm 290 Nguyễn Đình Chiểu",
             "address": "Đầu hẻm 290 Nguyễn Đình Chiểu, Phường Bàn Cờ, TP. Hồ Chí Minh",
             "lat": 10.774126, "lng": 106.683905,
             "orders": "Kiểm tra cổng cuối hẻm lúc 22:00 và 00:00.\n"
                       "Nhắc các hộ khóa cửa, đưa xe vào nhà sau 22:00.\n"
                       "Phát hiện khói, mùi khét: báo ngay 114 và trực ban Công an phường.\n"
                       "Ghi sổ trực đầy đủ trước khi giao ca."},
        ],
        # Round-robin: volunteer i belongs to checkpoint i % 3; a few also help at a second one.
        "volunteers": [
            "Nguyễn Văn Hùng", "Trần Thị Mai", "Daniel Nguyễn", "Lê Minh Tuấn", "Phạm Thị Hồng Nhung",
            "Hoàng Văn Nam", "Võ Thị Thu Hà", "Đặng Quốc Khánh", "Bùi Thị Lan", "Huỳnh Tấn Phát",
            "Ngô Thị Kim Oanh", "Đỗ Văn Lợi", "Dương Thị Ngọc Ánh", "Lý Hoàng Long", "Trương Minh Trí",
        ],
        "english": {"Daniel Nguyễn"},
        "second": {3: "C02", 7: "C03", 11: "C01"},
    },
    {
        "code": "XH", "name": "Phường Xuân Hòa", "duty_phone": "0283 930 1234",
        "coordinator": ("0900000012", "Lê Văn Phước"),
        "police": ("0900000022", "Phạm Minh Khoa"),
        "checkpoints": [
            {"code": "C01", "name": "Chốt hẻm 60 Lý Chính Thắng",
             "address": "Đầu hẻm 60 Lý Chính Thắng, Phường Xuân Hòa, TP. Hồ Chí Minh",
             "lat": 10.786214, "lng": 106.685532,
             "orders": "Trực đầu hẻm 60, quan sát người và xe lạ ra vào.\n"
                       "Đi tuần đến cuối hẻm mỗi giờ một lượt.\n"
                       "Không tự ý khám xét người, phương tiện; chỉ ghi nhận và báo Công an phường."},
            {"code": "C02", "name": "Chốt hẻm 158 Trần Quốc Thảo",
             "address": "Hẻm 158 Trần Quốc Thảo, Phường Xuân Hòa, TP. Hồ Chí Minh",
             "lat": 10.783817, "lng": 106.686943,
             "orders": "Hỗ trợ người dân, người cao tuổi khi cần.\n"
                       "Nhắc giữ trật tự, không gây ồn sau 22:00."},
            {"code": "C03", "name": "Chốt hẻm 121 Bà Huyện Thanh Quan",
             "address": "Đầu hẻm 121 Bà Huyện Thanh Quan, Phường Xuân Hòa, TP. Hồ Chí Minh",
             "lat": 10.781536, "lng": 106.684218,
             "orders": "Chú ý khu vực hẻm cụt cuối dãy, nơi hay có người tụ tập ban đêm.\n"
                       "Báo ngay Công an phường nếu phát hiện dấu hiệu sử dụng ma túy.\n"
                       "Giữ bộ đàm luôn mở, kiểm tra liên lạc với chốt bạn mỗi đầu ca."},
        ],
        "volunteers": [
            "Phan Văn Đức", "Vũ Thị Thanh Hương", "Lâm Quang Vinh", "Mai Thị Bích Ngọc", "Tô Văn Thành",
            "Châu Thị Diễm", "Nguyễn Hoàng Phúc", "Trần Văn Sơn", "Lê Thị Thùy Dung", "Hồ Minh Quân",
            "Đinh Thị Mỹ Linh", "Tạ Văn Bình", "La Thị Cẩm Tú", "Quách Gia Huy", "Nguyễn Thị Xuân",
        ],
        "english": set(),
        "second": {4: "C03", 9: "C02", 14: "C01"},
    },
]
ADMIN = ("0900000001", "Võ Thanh Tâm")

# (category, severity, text, resolution note) — what volunteers usually write in the sổ trực.
OBSERVATIONS = [
    ("suspicious", "attention",
     "Hai thanh niên đi xe máy không gắn biển số chạy chậm qua lại đầu hẻm nhiều lần, nhìn vào các nhà để xe.",
     "Tổ tuần tra đã kiểm tra khu vực, hai đối tượng đã rời đi. Đề nghị chốt tiếp tục để ý."),
    ("suspicious", "info",
     "Một người lạ đứng lâu trước nhà số 14, hỏi thì nói đang chờ bạn. Đã nhắc nhở và ghi nhận.",
     "Đã xác minh, là người quen của hộ số 14."),
    ("suspicious", "info",
     "Xe ba gác thu mua phế liệu dừng lâu trong hẻm, người đi cùng nhìn ngó các xe đậu trước nhà.",
     "Đã nhắc nhở, xe đã rời khỏi hẻm."),
    ("theft", "attention",
     "Hộ số 27 báo mất xe đạp để trước cửa từ chiều, về nhà mới phát hiện. Đã hướng dẫn lên Công an phường "
     "trình báo.",
     "Đã tiếp nhận trình báo, đang trích xuất camera khu vực để xác minh."),
    ("theft", "attention",
     "Người dân báo có kẻ giật điện thoại của một phụ nữ đi bộ rồi chạy xe máy màu đen về hướng đường lớn. "
     "Nạn nhân không bị thương.",
     "Đã lập biên bản tiếp nhận trình báo của bị hại, chuyển tổ hình sự xác minh."),
    ("disturbance", "attention",
     "Nhóm khoảng 6 người nhậu và cãi vã lớn tiếng trước quán tạp hóa, có dấu hiệu xô xát.",
     "Công an phường đã đến giải tán, nhắc nhở chủ quán không bán rượu bia sau 22 giờ."),
    ("disturbance", "info",
     "Hai hộ cãi nhau vì tranh chỗ để xe. Tổ chốt đã đến hòa giải, hai bên đã thống nhất.",
     "Đã ghi nhận, tổ dân phố sẽ nhắc lại quy ước để xe trong hẻm."),
    ("traffic", "attention",
     "Va chạm giữa xe máy và xe đạp ở đầu hẻm, một người trầy xước nhẹ. Hai bên tự thỏa thuận, không cần cấp cứu.",
     "Hai bên đã tự giải quyết, không có yêu cầu xử lý."),
    ("traffic", "info",
     "Ô tô đậu chắn lối vào hẻm gần 1 giờ. Đã liên hệ được chủ xe và nhắc di chuyển.",
     "Đã nhắc nhở chủ xe, lần sau sẽ lập biên bản."),
    ("fire", "attention",
     "Người dân đốt vàng mã trên vỉa hè sát đường dây điện. Đã nhắc dập lửa và chuyển vào thùng đốt.",
     "Đã nhắc nhở hộ gia đình về an toàn phòng cháy."),
    ("drugs", "attention",
     "Phát hiện vỏ ống tiêm và giấy bạc vứt ở góc hẻm cụt, nghi có người tụ tập sử dụng ma túy ban đêm.",
     "Công an phường đã thu gom, tăng cường tuần tra khu vực hẻm cụt vào ban đêm."),
    ("property", "info",
     "Nhặt được ví da màu nâu có căn cước mang tên Trần Văn L. Đã giữ tại chốt, chờ bàn giao Công an phường.",
     "Đã bàn giao ví cho Công an phường và trả lại cho chủ sở hữu."),
    ("property", "info",
     "Người dân gửi lại chùm chìa khóa nhặt được trên vỉa hè. Đang giữ tại chốt.",
     "Chủ chìa khóa đã đến nhận lại tại chốt."),
    ("assistance", "info",
     "Hỗ trợ cụ bà nhà số 41 bị té ngã trước cửa, đã đỡ vào nhà và gọi con cháu về.",
     "Đã ghi nhận, cảm ơn tổ chốt."),
    ("assistance", "info",
     "Chỉ đường và giúp hai khách du lịch nước ngoài tìm khách sạn gần đó.",
     "Đã ghi nhận."),
    ("assistance", "attention",
     "Cháu bé khoảng 6 tuổi đi lạc, đã cho ngồi tại chốt và nhờ loa tổ dân phố thông báo tìm người nhà.",
     "Gia đình đã đến đón cháu, đã kiểm tra giấy tờ người nhận."),
    ("nuisance", "info",
     "Nhà số 52 hát karaoke quá lớn, các hộ xung quanh phàn nàn. Đã nhắc nhở, chủ nhà đã giảm âm lượng.",
     "Đã ghi nhận, sẽ nhắc nhở nếu còn tái diễn."),
    ("nuisance", "info",
     "Xe đẩy bán hàng rong lấn chiếm lối đi đầu hẻm, đã nhắc dời vào trong.",
     "Đã ghi nhận."),
    ("nuisance", "info",
     "Rác thải bị vứt bừa bãi cạnh trụ điện đầu hẻm. Đã báo tổ dân phố nhắc nhở các hộ.",
     "Đã báo đội vệ sinh thu gom."),
    ("other", "info",
     "Đèn đường đầu hẻm bị hỏng, khu vực rất tối. Đề nghị báo điện lực thay bóng.",
     "Đã chuyển phản ánh cho UBND phường để liên hệ điện lực."),
    ("other", "info",
     "Cây xanh gãy cành sau cơn mưa lớn, chắn một phần lối đi. Đã dọn tạm sang một bên.",
     "Đã báo công ty cây xanh đến xử lý."),
    ("suspicious", "attention",
     "Một người đàn ông lạ đi từng nhà hỏi mua đồ cũ, vừa đi vừa chụp ảnh cổng các nhà trong hẻm.",
     "Đã mời về trụ sở làm việc, xác minh là người thu mua phế liệu, đã nhắc nhở."),
    ("theft", "info",
     "Người dân báo mất đôi giày để ngoài hiên nhà số 9 trong đêm qua. Đã nhắc các hộ cất đồ vào nhà.",
     "Đã ghi nhận, tăng cường nhắc nhở người dân."),
    ("disturbance", "info",
     "Hai thanh niên say rượu nói to trước chốt, đã khuyên về nhà, không có xô xát.",
     "Đã ghi nhận."),
    ("traffic", "attention",
     "Xe máy tự ngã do đường trơn sau mưa, người lái bị trầy tay. Đã sơ cứu tại chốt.",
     "Người bị nạn đã về nhà an toàn."),
    ("assistance", "info",
     "Giúp một người giao hàng tìm đúng số nhà trong hẻm, nhắc không đậu xe chắn lối đi.",
     "Đã ghi nhận."),
    ("nuisance", "info",
     "Chó thả rông không rọ mõm chạy trong hẻm, đã nhắc chủ nuôi xích lại.",
     "Đã nhắc nhở chủ nuôi."),
    ("property", "info",
     "Một học sinh làm rơi cặp sách ở đầu hẻm, đã giữ tại chốt và trả lại khi phụ huynh đến hỏi.",
     "Đã ghi nhận."),
    ("other", "info",
     "Nắp cống đầu hẻm bị bể, xe máy dễ sụp bánh. Đã đặt tạm cọc và dây cảnh báo.",
     "Đã báo đội duy tu thay nắp cống."),
    ("other", "info",
     "Cúp điện cả khu vực khoảng 40 phút, đã đi tuần nhắc các hộ đóng cửa cẩn thận.",
     "Đã ghi nhận."),
]

URGENT_OPEN = ("theft", "urgent",
               "Phát hiện hai đối tượng đang cạy khóa xe máy trước nhà số 18, thấy tổ chốt thì bỏ chạy bộ về phía "
               "Nguyễn Đình Chiểu. Một người mặc áo khoác đen, đội nón lưỡi trai. Đề nghị hỗ trợ gấp!")
URGENT_FIRE = ("fire", "urgent",
               "Khói bốc ra từ tầng 2 nhà số 33, người dân đang dùng bình chữa cháy. Đã gọi 114, đề nghị hỗ trợ gấp.",
               "Chập điện ổ cắm, đã dập tắt, không có thương vong. Cảnh sát PCCC đã kiểm tra hiện trường.")
CORRECTED = ("suspicious", "info",
             "Xe máy Wave màu xanh, biển số 59-T1 482.17, dựng ở đầu hẻm từ đầu ca, không thấy chủ xe quay lại.")
CORRECTION = ("suspicious", "info",
              "Đính chính ghi nhận trước: biển số đúng là 59-T1 428.17 (ghi nhầm thứ tự số). Xe vẫn dựng tại chỗ cũ.")

COMMENTS = [
    "Đã chuyển thông tin cho tổ tuần tra, đề nghị chốt tiếp tục theo dõi và báo ngay nếu đối tượng quay lại.",
    "Công an phường đã ghi nhận. Đề nghị tổ chốt nhắc người dân khóa xe cẩn thận, đưa xe vào nhà sau 22 giờ.",
    "Đã liên hệ hộ gia đình liên quan, mời lên trụ sở làm việc vào sáng mai.",
]

EQUIPMENT_PROBLEMS = {
    "Bộ đàm": "Bộ đàm số 2 hết pin, đang sạc tại nhà tổ trưởng",
    "Đèn pin": "Đèn pin hết pin",
    "Gậy điều khiển giao thông": "Gậy bị hỏng đèn, chưa thay",
    "Áo phản quang": "Thiếu 1 áo, đã mang về giặt",
    "Sổ trực": "Sổ trực giấy hết trang, cần sổ mới",
}

QUIET_SUMMARIES = [
    "Ca trực bình thường, không có sự việc phát sinh.",
    "Tình hình khu vực ổn định, người dân sinh hoạt bình thường.",
    "Ca yên tĩnh, đã đi tuần trong hẻm 2 lượt, các hộ đã đóng cửa.",
    "Không có gì bất thường. Đã nhắc mấy hộ đầu hẻm đưa xe vào nhà.",
]

# ---------------------------------------------------------------------------------------------


def demo_logins() -> DemoLogins:
    """The logins worth showing, without touching the database: admin, coordinators, police, 3 volunteers a ward."""
    people = [("admin", *ADMIN)]
    people += [("coordinator", *ward["coordinator"]) for ward in WARDS]
    people += [("police", *ward["police"]) for ward in WARDS]
    serial = 0
    for ward in WARDS:
        people += [("volunteer", _volunteer_phone(serial + index), name) for index, name in
                   enumerate(ward["volunteers"][:3])]
        serial += len(ward["volunteers"])
    return DemoLogins(password=DEMO_PASSWORD, people=people)


def _volunteer_phone(serial: int) -> str:
    """0901000001, 0901000002, … in the order the volunteers are listed, ward after ward."""
    return f"0901{serial + 1:06d}"


def load_demo(erase: bool = False, now: datetime | None = None) -> DemoLogins:
    """Load the demo data set in the current session and commit once; the same `now` gives the same data."""
    now = (now or datetime.now(timezone.utc))
    if now.tzinfo is None:
        raise ValueError("load_demo needs an aware datetime")
    now = now.astimezone(timezone.utc)
    if erase:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.expunge_all()  # objects loaded before the erase are gone; new rows may reuse their ids
    _Builder(random.Random(SEED), now).build()
    db.session.commit()
    return demo_logins()


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(a)))


class _Builder:
    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.tz = zone()
        self.today = now.astimezone(self.tz).date()
        self.monday = self.today - timedelta(days=self.today.weekday())
        self.first_day = min(self.monday, self.today - timedelta(days=HISTORY_DAYS))
        self.last_day = self.monday + timedelta(days=6)
        self.events: list[tuple] = []  # activity rows, recorded in time order at the end
        self.coordinator: dict[int, User] = {}
        self.police: dict[int, User] = {}
        self.members: dict[int, list[User]] = {}  # checkpoint id -> volunteers
        self.checkpoints: list[Checkpoint] = []
        self.shifts: dict[int, list[Shift]] = {}  # checkpoint id -> shifts in start order
        self.attendances: dict[int, list[Attendance]] = {}  # shift id -> attendance
        self.observations: dict[int, list[Observation]] = {}  # checkpoint id -> observations
        self.notes: dict[Observation, str | None] = {}  # the police's resolution note, if it gets resolved
        self.keep_open: set[Observation] = set()  # entries the police have not seen yet

    # -- helpers ------------------------------------------------------------------------------

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(timezone.utc)

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=round(self.rng.uniform(low, high) * 60))

    def seconds(self, low: int, high: int) -> timedelta:
        return timedelta(seconds=self.rng.randint(low, high))

    def near(self, checkpoint: Checkpoint, low: float = 4, high: float = 45) -> tuple[float, float, int]:
        meters, bearing = self.rng.uniform(low, high), self.rng.uniform(0, 2 * math.pi)
        lat = round(checkpoint.lat + meters * math.cos(bearing) / 111_320, 6)
        lng = round(checkpoint.lng + meters * math.sin(bearing) / (111_320 * math.cos(math.radians(checkpoint.lat))), 6)
        return lat, lng, _distance_m(checkpoint.lat, checkpoint.lng, lat, lng)

    def event(self, at: datetime, action: str, actor: User | None, checkpoint: Checkpoint | None = None,
              subject=None, detail=None, ward_id: int | None = None) -> None:
        ward_id = ward_id if ward_id is not None else checkpoint.ward_id
        self.events.append((at, len(self.events), action, actor, ward_id, checkpoint, subject, detail))

    # -- the steps ----------------------------------------------------------------------------

    def build(self) -> None:
        first_activity = db.session.scalar(select(func.max(Activity.id))) or 0
        self.setup()
        self.backdate_setup(first_activity)
        self.roster()
        self.attendance()
        self.observe()
        self.handovers()
        db.session.flush()
        for at, _seq, action, actor, ward_id, checkpoint, subject, detail in sorted(self.events, key=lambda e: e[:2]):
            record(action, actor=actor, ward_id=ward_id, checkpoint_id=checkpoint.id if checkpoint else None,
                   subject=subject, detail=detail() if callable(detail) else detail, now=at)

    def setup(self) -> None:
        # One scrypt hash for everyone: hashing it ~35 times would cost seconds.
        shared = generate_password_hash(DEMO_PASSWORD)
        admin = create_user(phone=ADMIN[0], full_name=ADMIN[1], role="admin", password_hash=shared)
        wards: list[tuple[dict, Ward]] = []
        for spec in WARDS:
            ward = add_ward(code=spec["code"], name=spec["name"], duty_phone=spec["duty_phone"], actor=admin)
            wards.append((spec, ward))
        for role in ("coordinator", "police"):
            for spec, ward in wards:
                phone, name = spec[role]
                user = create_user(phone=phone, full_name=name, role=role, password_hash=shared, ward=ward,
                                   actor=admin)
                (self.coordinator if role == "coordinator" else self.police)[ward.id] = user
        serial = 0
        for spec, ward in wards:
            coordinator = self.coordinator[ward.id]
            by_code: dict[str, Checkpoint] = {}
            for cp in spec["checkpoints"]:
                checkpoint = add_checkpoint(ward=ward, code=cp["code"], name=cp["name"], address=cp["address"],
                                            lat=cp["lat"], lng=cp["lng"], standing_orders=cp["orders"],
                                            min_staff=2, actor=coordinator)
                by_code[checkpoint.code] = checkpoint
                self.checkpoints.append(checkpoint)
                self.members[checkpoint.id] = []
            codes = sorted(by_code)
            for index, name in enumerate(spec["volunteers"]):
                own = [by_code[codes[index % len(codes)]]]
                if index in spec["second"]:
                    own.append(by_code[spec["second"][index]])
                user = create_user(phone=_volunteer_phone(serial), full_name=name, role="volunteer",
                                   password_hash=shared, ward=ward, checkpoints=own,
                                   locale="en" if name in spec["english"] else "vi", actor=coordinator)
                serial += 1
                for checkpoint in own:
                    self.members[checkpoint.id].append(user)

    def backdate_setup(self, first_activity: int) -> None:
        """The rules stamp the wall clock; the demo dates the set-up ten days before the roster starts."""
        setup_at = self.local(self.first_day - timedelta(days=10), time(9, 0))
        rows = db.session.scalars(select(Activity).where(Activity.id > first_activity).order_by(Activity.id))
        for step, row in enumerate(rows):
            row.at = setup_at + timedelta(minutes=2 * step)
            if row.subject_type == "user":
                db.session.get(User, row.subject_id).created_at = row.at
        rechain(first_activity)  # the new times are part of each row's hash

    def roster(self) -> None:
        for checkpoint in self.checkpoints:
            for (start_time, length), label in zip(SHIFT_TIMES, PATTERN_LABELS):
                db.session.add(ShiftPattern(checkpoint=checkpoint, starts_at=start_time, label=label,
                                            duration_minutes=int(length.total_seconds() // 60)))
        busy: dict[int, list[tuple[datetime, datetime]]] = {}
        load: dict[int, int] = {}
        weeks: dict[tuple[int, date], int] = {}
        day = self.first_day
        while day <= self.last_day:
            week = day - timedelta(days=day.weekday())
            planned_at = self.local(week - timedelta(days=3), time(20, 0))  # the Friday before
            earlier_tonight: set[int] = set()
            for start_time, length in SHIFT_TIMES:
                starts = self.local(day, start_time)
                ends = starts + length
                tonight: set[int] = set()
                for checkpoint in self.checkpoints:
                    shift = Shift(checkpoint=checkpoint, starts_at=starts, ends_at=ends, created_at=planned_at,
                                  created_by_id=self.coordinator[checkpoint.ward_id].id)
                    free = [u for u in self.members[checkpoint.id]
                            if not any(s < ends and starts < e for s, e in busy.get(u.id, []))]
                    # Fewest shifts first; people who already did the early shift tonight go last.
                    free.sort(key=lambda u: (u.id in earlier_tonight, load.get(u.id, 0), self.rng.random()))
                    wanted = self.rng.choice((2, 2, 3))
                    chosen = free[:wanted]
                    shift.volunteers = chosen
                    for user in chosen:
                        busy.setdefault(user.id, []).append((starts, ends))
                        load[user.id] = load.get(user.id, 0) + 1
                        tonight.add(user.id)
                    db.session.add(shift)
                    self.shifts.setdefault(checkpoint.id, []).append(shift)
                    weeks[(checkpoint.ward_id, week)] = weeks.get((checkpoint.ward_id, week), 0) + 1
                earlier_tonight |= tonight
            day += timedelta(days=1)
        for (ward_id, week), count in sorted(weeks.items(), key=lambda item: (item[0][1], item[0][0])):
            self.event(self.local(week - timedelta(days=3), time(20, 0)), "roster.planned", self.coordinator[ward_id],
                       ward_id=ward_id, detail={"week_start": week.isoformat(), "shifts": count})
        db.session.flush()

    def attendance(self) -> None:
        started = [s for shifts in self.shifts.values() for s in shifts if s.starts_at <= self.now]
        ended = [s for s in started if s.ends_at <= self.now]
        recent = [s for s in ended if s.starts_at >= self.now - timedelta(days=HISTORY_DAYS) and len(s.volunteers) == 3]
        # One or two no-shows: one person missing from a fully staffed recent shift in each ward.
        no_show: set[tuple[int, int]] = set()
        for ward_id in sorted(self.coordinator):
            candidates = [s for s in recent if s.checkpoint.ward_id == ward_id]
            if candidates:
                shift = self.rng.choice(candidates)
                no_show.add((shift.id, self.rng.choice(shift.volunteers).id))
        # At a running shift, one person at one checkpoint has not arrived yet.
        running = [s for s in started if s.ends_at > self.now]
        not_yet: set[tuple[int, int]] = set()
        if running:
            shift = running[-1]
            if len(shift.volunteers) > 1:
                not_yet.add((shift.id, shift.volunteers[-1].id))
        for shift in started:
            rows = []
            for user in shift.volunteers:
                if (shift.id, user.id) in no_show or (shift.id, user.id) in not_yet:
                    continue
                rows.append(self.attend(user, shift))
            self.attendances[shift.id] = rows

    def attend(self, user: User, shift: Shift) -> Attendance:
        checkpoint, now = shift.checkpoint, self.now
        if self.rng.random() < 0.08:
            check_in = shift.starts_at + self.minutes(10, 25)
        else:
            check_in = shift.starts_at + self.minutes(-12, 2)
        if check_in > now - timedelta(minutes=1):
            check_in = now - self.minutes(1, 4)
        late = max(0, int((check_in - shift.starts_at).total_seconds() // 60))
        by_qr = self.rng.random() < 0.3
        if by_qr and self.rng.random() < 0.5:
            lat = lng = distance = None
        else:
            lat, lng, distance = self.near(checkpoint)
        row = Attendance(uuid=self.uuid4(), user=user, checkpoint=checkpoint, shift=shift, check_in_at=check_in,
                         check_in_received_at=min(check_in + self.seconds(0, 6), now), check_in_lat=lat,
                         check_in_lng=lng, distance_m=distance, by_qr=by_qr, late_minutes=late)
        db.session.add(row)
        self.event(row.check_in_received_at, "attendance.check_in", user, checkpoint, row,
                   {"late_minutes": late} if late else None)
        if shift.ends_at <= now:
            check_out = min(shift.ends_at + self.minutes(-6, 8), now - timedelta(seconds=20))
            check_out = max(check_out, check_in + timedelta(minutes=1))
            out_lat, out_lng, _ = self.near(checkpoint)
            row.check_out_uuid = self.uuid4()
            row.check_out_at = check_out
            row.check_out_received_at = max(min(check_out + self.seconds(0, 6), now), check_out)
            row.check_out_lat, row.check_out_lng = out_lat, out_lng
            self.event(row.check_out_received_at, "attendance.check_out", user, checkpoint, row)
        return row

    def observe(self) -> None:
        since = self.now - timedelta(days=HISTORY_DAYS)
        bc_first = self.checkpoints[0]
        xh_first = next(c for c in self.checkpoints if c.ward_id != bc_first.ward_id)
        xh_second = [c for c in self.checkpoints if c.ward_id == xh_first.ward_id][1]
        # Each ward draws its entries from the pool without repeats, so no two posts tell the same story.
        pools = {ward_id: self.rng.sample(OBSERVATIONS, k=len(OBSERVATIONS)) for ward_id in sorted(self.police)}
        for position, checkpoint in enumerate(self.checkpoints):
            windows = [a for s in self.shifts[checkpoint.id] for a in self.attendances.get(s.id, [])
                       if a.check_in_at >= since]
            target = self.rng.randint(5, 8)
            made: list[Observation] = []
            if checkpoint is bc_first:
                made.append(self.urgent_open(checkpoint, windows))
            if checkpoint is xh_second and windows:
                made.append(self.entry(checkpoint, self.rng.choice(windows), URGENT_FIRE))
            if checkpoint is xh_first and windows:
                original = self.entry(checkpoint, self.rng.choice(windows), CORRECTED)
                fix = self.entry(checkpoint, None, CORRECTION, author=original.author,
                                 at=original.occurred_at + self.minutes(6, 15))
                fix.corrects = original
                made += [original, fix]
            pool = pools[checkpoint.ward_id]
            for _ in range(max(0, target - len(made))):
                spec = pool.pop()
                if windows:
                    made.append(self.entry(checkpoint, self.rng.choice(windows), spec))
            made.sort(key=lambda o: o.occurred_at)
            keep_open = position % 3 != 1  # the latest plain entry of two checkpoints a ward waits for the police
            for observation in reversed(made):
                if observation.severity == "info" and observation.corrects is None and keep_open:
                    self.keep_open.add(observation)
                    break
            for observation in made:
                self.follow_up(observation)
            self.observations[checkpoint.id] = made
        self.comment()

    def urgent_open(self, checkpoint: Checkpoint, windows: list[Attendance]) -> Observation:
        at = self.now - self.minutes(8, 45)
        on_duty = [a for a in windows if a.check_in_at <= at and (a.check_out_at is None or a.check_out_at >= at)]
        author = self.rng.choice(on_duty).user if on_duty else self.members[checkpoint.id][0]
        observation = self.entry(checkpoint, None, URGENT_OPEN, author=author, at=at)
        self.keep_open.add(observation)
        return observation

    def entry(self, checkpoint: Checkpoint, window: Attendance | None, spec: tuple, *, author: User | None = None,
              at: datetime | None = None) -> Observation:
        category, severity, text = spec[:3]
        if at is None:
            end = window.check_out_at or self.now
            at = window.check_in_at + (end - window.check_in_at) * self.rng.uniform(0.1, 0.9)
            at = at.replace(microsecond=0)
        at = min(at, self.now - timedelta(minutes=1))
        lat = lng = None
        if self.rng.random() < 0.7:
            lat, lng, _ = self.near(checkpoint, 2, 60)
        observation = Observation(uuid=self.uuid4(), checkpoint=checkpoint, author=author or window.user,
                                  occurred_at=at, received_at=min(at + self.seconds(1, 9), self.now),
                                  category=category, severity=severity, text=text, lat=lat, lng=lng, status="open")
        self.notes[observation] = spec[3] if len(spec) > 3 else None
        db.session.add(observation)
        self.event(observation.received_at, "observation.created", observation.author, checkpoint, observation,
                   {"category": category, "severity": severity})
        return observation

    def follow_up(self, observation: Observation) -> None:
        """Police acknowledge older entries and resolve some; the newest stay open."""
        if observation in self.keep_open:
            return
        delay = {"urgent": (1, 4), "attention": (3, 40), "info": (10, 150)}[observation.severity]
        acknowledged_at = observation.received_at + self.minutes(*delay)
        if acknowledged_at > self.now - timedelta(minutes=5):
            return
        police = self.police[observation.checkpoint.ward_id]
        observation.status, observation.acknowledged_by, observation.acknowledged_at = "acknowledged", police, \
            acknowledged_at
        self.event(acknowledged_at, "observation.acknowledged", police, observation.checkpoint, observation)
        note = self.notes[observation]
        if note is None or (observation.severity != "urgent" and self.rng.random() < 0.4):
            return
        resolved_at = acknowledged_at + self.minutes(20, 8 * 60 if observation.severity != "urgent" else 90)
        if resolved_at > self.now - timedelta(minutes=2):
            return
        observation.status, observation.resolved_by, observation.resolved_at = "resolved", police, resolved_at
        observation.resolution_note = note
        self.event(resolved_at, "observation.resolved", police, observation.checkpoint, observation)

    def comment(self) -> None:
        candidates = [o for made in self.observations.values() for o in made
                      if o.severity == "attention" and o.acknowledged_at is not None]
        for text, observation in zip(COMMENTS, self.rng.sample(candidates, k=min(len(COMMENTS), len(candidates)))):
            latest = observation.resolved_at or self.now
            at = min(observation.acknowledged_at + self.minutes(2, 30), latest - timedelta(seconds=30))
            at = max(at, observation.acknowledged_at)
            police = self.police[observation.checkpoint.ward_id]
            comment = Comment(observation=observation, author=police, text=text, created_at=at)
            db.session.add(comment)
            self.event(at, "comment.created", police, observation.checkpoint, comment,
                       lambda observation=observation: {"observation_id": observation.id})

    def handovers(self) -> None:
        bc_second = self.checkpoints[1]
        for checkpoint in self.checkpoints:
            shifts = [s for s in self.shifts[checkpoint.id] if self.attendances.get(s.id)]
            last: Handover | None = None
            for shift in shifts:
                if shift.ends_at > self.now:
                    continue
                following = self.shifts[checkpoint.id]
                position = following.index(shift)
                successor = following[position + 1] if position + 1 < len(following) else None
                last = self.handover(checkpoint, shift, successor) or last
            if checkpoint is bc_second and last is not None and last.accepted_at is not None:
                last.accepted_by = None
                last.accepted_at = last.accept_received_at = last.accept_uuid = last.accept_remark = None
                self.events = [e for e in self.events if not (e[2] == "handover.accepted" and e[6] is last)]

    def handover(self, checkpoint: Checkpoint, shift: Shift, successor: Shift | None) -> Handover | None:
        outgoing = self.attendances[shift.id]
        if not outgoing:
            return None
        source = self.rng.choice(outgoing)
        at = source.check_out_at - self.minutes(1, 6)
        at = max(at, source.check_in_at + timedelta(minutes=1)).replace(microsecond=0)
        received = min(at + self.seconds(1, 8), self.now)
        during = [o for o in self.observations.get(checkpoint.id, []) if shift.starts_at <= o.occurred_at <= at]
        pending = [o for o in self.observations.get(checkpoint.id, [])
                   if o.received_at <= at and (o.resolved_at is None or o.resolved_at > at)]
        equipment = [{"item": item, "ok": True, "remark": ""} for item in checkpoint.equipment]
        problem = None
        if equipment and self.rng.random() < 0.15:
            problem = self.rng.choice(equipment)
            problem["ok"] = False
            problem["remark"] = EQUIPMENT_PROBLEMS.get(problem["item"], "Thiếu, chưa rõ lý do")
        if during:
            summary = f"Trong ca có {len(during)} ghi nhận, đã ghi vào sổ và báo Công an phường."
        else:
            summary = self.rng.choice(QUIET_SUMMARIES)
        if pending:
            summary += f" Còn {len(pending)} việc chưa xử lý xong, đề nghị ca sau tiếp tục theo dõi."
        if problem:
            summary += f" Lưu ý: {problem['remark'].lower()}."
        handover = Handover(uuid=self.uuid4(), checkpoint=checkpoint, author=source.user, from_attendance=source,
                            summary=summary, equipment=equipment, occurred_at=at, received_at=received,
                            carried_over=pending)
        db.session.add(handover)
        self.event(received, "handover.created", source.user, checkpoint, handover,
                   {"carried_over": len(pending)})
        incoming = self.attendances.get(successor.id, []) if successor is not None else []
        if incoming:
            taker = self.rng.choice([a for a in incoming if a.user is not source.user] or incoming)
            accepted_at = max(taker.check_in_at, received) + self.minutes(1, 6)
            accepted_at = accepted_at.replace(microsecond=0)
            if accepted_at < self.now:
                handover.accept_uuid = self.uuid4()
                handover.accepted_by = taker.user
                handover.accepted_at = accepted_at
                handover.accept_received_at = min(accepted_at + self.seconds(0, 6), self.now)
                if problem and self.rng.random() < 0.5:
                    handover.accept_remark = "Đã kiểm tra lại, đúng như biên bản giao ca."
                self.event(handover.accept_received_at, "handover.accepted", taker.user, checkpoint, handover)
        return handover
